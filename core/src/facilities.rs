//! Registering a facility: the AE title is either the administrator's choice or
//! the first free one generated from the name, with uniqueness decided by the
//! database's conditional write, never by looking first.

use crate::domain::{AeTitle, AeTitleError, Facility, FacilityDraft, Timestamp};
use crate::ports::{FacilityRegistry, StoreError, Taken};

/// How many generated titles to try before giving up (`CITY_GENERAL_2` … `_100`).
const MAX_GENERATED_ATTEMPTS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error(transparent)]
    AeTitle(#[from] AeTitleError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no free AE title could be generated from the name; choose one")]
    NoFreeAeTitle,
}

pub async fn register_facility(
    registry: &dyn FacilityRegistry,
    draft: FacilityDraft,
    requested_ae_title: Option<AeTitle>,
    now: Timestamp,
) -> Result<Facility, RegistrationError> {
    if let Some(ae_title) = requested_ae_title {
        let facility = Facility::register(draft, ae_title, now);
        registry.insert(&facility).await?;
        return Ok(facility);
    }
    for ae_title in AeTitle::candidates(draft.name.as_str())?.take(MAX_GENERATED_ATTEMPTS) {
        let facility = Facility::register(draft.clone(), ae_title, now);
        match registry.insert(&facility).await {
            Ok(()) => return Ok(facility),
            Err(StoreError::Conflict(Taken::AeTitle)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(RegistrationError::NoFreeAeTitle)
}
