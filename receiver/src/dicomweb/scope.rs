//! Which facility a DICOMweb request acts on. Every DICOMweb resource lives in
//! one facility, as every study does (study identity is facility and Study
//! Instance UID): `/dicomweb/facilities/{id}/…` names it, and a facility
//! user's `/dicomweb/…` is their own. Who may act on it is the access table
//! the API uses.

use noctis_core::domain::access::{Action, Decision, decide};
use noctis_core::domain::{Facility, FacilityId, Role};
use serde::Deserialize;

use super::DicomWeb;
use super::auth::Caller;
use super::error::{WebError, WebResult};

/// A request's path parameters; which are present depends on the route.
#[derive(Debug, Deserialize)]
pub struct Ids {
    pub facility: Option<String>,
    pub study: Option<String>,
    pub series: Option<String>,
    pub instance: Option<String>,
    /// A frame list (`1,3,5`).
    pub frames: Option<String>,
}

/// The facility `ids` names (or the caller's own), when the caller may `action` on it.
pub async fn facility_for(state: &DicomWeb, caller: &Caller, ids: &Ids, action: Action) -> WebResult<Facility> {
    let id = match (&ids.facility, caller.user.role) {
        (Some(raw), _) => raw.parse::<FacilityId>().map_err(|_| WebError::NotFound)?,
        (None, Role::FacilityUser(own)) => own,
        (None, Role::Administrator | Role::Radiologist) => return Err(WebError::FacilityRequired),
    };
    match decide(caller.user.role, action, Some(id)) {
        Decision::Allow => {}
        Decision::Deny => return Err(WebError::Forbidden),
        Decision::Hide => return Err(WebError::NotFound),
    }
    state.facilities.get(id).await?.ok_or(WebError::NotFound)
}
