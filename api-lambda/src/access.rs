//! The access rules live in the domain (`noctis_core::domain::access`); here
//! their decision becomes the API's status.

pub use noctis_core::domain::access::{Action, Decision, decide};
use noctis_core::domain::{FacilityId, User};

use crate::error::ApiError;

pub fn authorize(user: &User, action: Action, resource_facility: Option<FacilityId>) -> Result<(), ApiError> {
    match decide(user.role, action, resource_facility) {
        Decision::Allow => Ok(()),
        Decision::Deny => Err(ApiError::Forbidden),
        Decision::Hide => Err(ApiError::NotFound),
    }
}
