//! Registering a facility, with its optional first user: the AE title is either
//! the administrator's choice or the first free one generated from the name,
//! with uniqueness decided by the database's conditional write, never by
//! looking first. Everything is validated before anything is written, and the
//! facility, its guards and its first user are written as one unit: a refused
//! user leaves no facility behind for the receiver to admit.

use crate::domain::{
    AeTitle, AeTitleError, EmailAddress, Facility, FacilityDraft, PasswordHash, Role, Timestamp, User, Username,
};
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

/// A facility's first user, parsed and with its password hashed: nothing about
/// it can be refused any more but a taken username, which the write decides.
#[derive(Debug, Clone)]
pub struct FirstUser {
    pub username: Username,
    pub email: EmailAddress,
    pub password: PasswordHash,
}

/// What was registered.
#[derive(Debug, Clone)]
pub struct Registration {
    pub facility: Facility,
    pub first_user: Option<User>,
}

pub async fn register_facility(
    registry: &dyn FacilityRegistry,
    draft: FacilityDraft,
    requested_ae_title: Option<AeTitle>,
    first_user: Option<FirstUser>,
    now: Timestamp,
) -> Result<Registration, RegistrationError> {
    let attempt = |ae_title: AeTitle| {
        let facility = Facility::register(draft.clone(), ae_title, now);
        let user = first_user
            .clone()
            .map(|first| User::new(first.username, first.email, Role::FacilityUser(facility.id), first.password, now));
        Registration { facility, first_user: user }
    };
    if let Some(ae_title) = requested_ae_title {
        let registration = attempt(ae_title);
        registry.insert(&registration.facility, registration.first_user.as_ref()).await?;
        return Ok(registration);
    }
    for ae_title in AeTitle::candidates(draft.name.as_str())?.take(MAX_GENERATED_ATTEMPTS) {
        let registration = attempt(ae_title);
        match registry.insert(&registration.facility, registration.first_user.as_ref()).await {
            Ok(()) => return Ok(registration),
            Err(StoreError::Conflict(Taken::AeTitle)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(RegistrationError::NoFreeAeTitle)
}
