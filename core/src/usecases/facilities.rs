//! Registering and changing facilities. The AE title is either the
//! administrator's choice or the first free one generated from the name, with
//! uniqueness decided by the database's conditional write, never by looking
//! first. Everything is validated before anything is written, and a facility,
//! its guards and its first user are written as one unit: a refused user leaves
//! no facility behind for the receiver to admit.

use serde_json::json;

use super::UseCaseError;
use super::audit_trail::{append, facility_snapshot, user_snapshot};
use crate::domain::{
    Actor, AeTitle, AllowedNetworks, AuditEvent, AuditKind, EmailAddress, Facility, FacilityDraft, FacilityId,
    FacilityName, LicenseNumber, MoveDestinations, RetentionPeriod, Role, Timestamp, User, Username,
};
use crate::ports::{AuditLog, FacilityRegistry, StoreError, Taken};

/// How many generated titles to try before giving up (`CITY_GENERAL_2` … `_100`).
const MAX_GENERATED_ATTEMPTS: usize = 100;
const NO_FREE_TITLE: &str = "no free AE title could be generated from the name; choose one";

/// A facility's first user, a facility user of the new facility.
#[derive(Debug)]
pub struct FirstUser {
    pub username: Username,
    pub email: EmailAddress,
    /// Checked and hashed before anything is written.
    pub password: String,
}

/// What registering a facility takes.
#[derive(Debug)]
pub struct NewFacility {
    pub draft: FacilityDraft,
    /// Chosen by the administrator; generated from the name when `None`.
    pub ae_title: Option<AeTitle>,
    pub first_user: Option<FirstUser>,
}

/// What was registered.
#[derive(Debug, Clone)]
pub struct Registration {
    pub facility: Facility,
    pub first_user: Option<User>,
}

pub async fn register_facility(
    registry: &dyn FacilityRegistry,
    audit: &dyn AuditLog,
    actor: &Actor,
    request: NewFacility,
    now: Timestamp,
) -> Result<Registration, UseCaseError> {
    let NewFacility { draft, ae_title, first_user } = request;
    // Everything about the first user is checked here; only a taken username
    // is left to the write, which then refuses the facility with it.
    let first_user = match first_user {
        Some(first) => Some((
            first.username,
            first.email,
            super::users::hash_password("facility_user.password", first.password).await?,
        )),
        None => None,
    };
    let attempt = |ae_title: AeTitle| {
        let facility = Facility::register(draft.clone(), ae_title, now);
        let user = first_user.clone().map(|(username, email, password)| {
            User::new(username, email, Role::FacilityUser(facility.id), password, now)
        });
        Registration { facility, first_user: user }
    };
    let registration = match ae_title {
        Some(ae_title) => {
            let registration = attempt(ae_title);
            registry.insert(&registration.facility, registration.first_user.as_ref()).await?;
            registration
        }
        None => insert_with_generated_title(registry, draft.name.as_str(), attempt).await?,
    };
    let facility = &registration.facility;
    append(
        audit,
        AuditEvent::new(AuditKind::FacilityCreated, actor.clone(), now)
            .for_facility(facility.id)
            .with_details(json!({"after": facility_snapshot(facility)})),
    )
    .await;
    if let Some(user) = &registration.first_user {
        append(
            audit,
            AuditEvent::new(AuditKind::UserCreated, actor.clone(), now)
                .for_facility(facility.id)
                .with_details(json!({"after": user_snapshot(user)})),
        )
        .await;
    }
    Ok(registration)
}

async fn insert_with_generated_title(
    registry: &dyn FacilityRegistry,
    name: &str,
    attempt: impl Fn(AeTitle) -> Registration,
) -> Result<Registration, UseCaseError> {
    let candidates = AeTitle::candidates(name).map_err(|e| UseCaseError::invalid("name", e))?;
    for ae_title in candidates.take(MAX_GENERATED_ATTEMPTS) {
        let registration = attempt(ae_title);
        match registry.insert(&registration.facility, registration.first_user.as_ref()).await {
            Ok(()) => return Ok(registration),
            Err(StoreError::Conflict(Taken::AeTitle)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(UseCaseError::Conflict(NO_FREE_TITLE.into()))
}

/// The AE title registering a facility called `name` would be given now: the
/// first generated title no facility holds. Only a preview for the form; the
/// registration's conditional write still decides.
pub async fn preview_ae_title(registry: &dyn FacilityRegistry, name: &str) -> Result<AeTitle, UseCaseError> {
    let candidates = AeTitle::candidates(name).map_err(|e| UseCaseError::invalid("name", e))?;
    for ae_title in candidates.take(MAX_GENERATED_ATTEMPTS) {
        if registry.find_by_ae_title(&ae_title).await?.is_none() {
            return Ok(ae_title);
        }
    }
    Err(UseCaseError::Conflict(NO_FREE_TITLE.into()))
}

/// Whether no facility holds `ae_title` yet.
pub async fn ae_title_is_free(registry: &dyn FacilityRegistry, ae_title: &AeTitle) -> Result<bool, UseCaseError> {
    Ok(registry.find_by_ae_title(ae_title).await?.is_none())
}

/// The fields an administrator changes; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct FacilityChange {
    pub name: Option<FacilityName>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<EmailAddress>,
    pub license_number: Option<LicenseNumber>,
    pub ae_title: Option<AeTitle>,
    pub allowed_networks: Option<AllowedNetworks>,
    pub move_destinations: Option<MoveDestinations>,
    /// `Some(None)` keeps the facility's studies for ever.
    pub retention: Option<Option<RetentionPeriod>>,
}

/// Applies `change` to the stored facility. `based_on` is the revision the
/// change was made from: another one than the stored revision is stale,
/// whatever the number (the registry's conditional write settles any race).
pub async fn update_facility(
    registry: &dyn FacilityRegistry,
    audit: &dyn AuditLog,
    actor: &Actor,
    id: FacilityId,
    change: FacilityChange,
    based_on: Option<u64>,
    now: Timestamp,
) -> Result<Facility, UseCaseError> {
    let before = registry.get(id).await?.ok_or(UseCaseError::NotFound)?;
    if based_on.is_some_and(|revision| revision != before.revision) {
        return Err(StoreError::StaleRevision { expected: before.revision }.into());
    }
    let mut next = before.clone();
    let FacilityChange {
        name,
        address,
        phone,
        email,
        license_number,
        ae_title,
        allowed_networks,
        move_destinations,
        retention,
    } = change;
    next.name = name.unwrap_or(next.name);
    next.address = address.unwrap_or(next.address);
    next.phone = phone.unwrap_or(next.phone);
    next.email = email.unwrap_or(next.email);
    next.license_number = license_number.unwrap_or(next.license_number);
    next.ae_title = ae_title.unwrap_or(next.ae_title);
    next.allowed_networks = allowed_networks.unwrap_or(next.allowed_networks);
    next.move_destinations = move_destinations.unwrap_or(next.move_destinations);
    next.retention = retention.unwrap_or(next.retention);
    let stored = registry.update(&next, now).await?;
    append(
        audit,
        AuditEvent::new(AuditKind::FacilityUpdated, actor.clone(), now)
            .for_facility(id)
            .with_details(json!({"before": facility_snapshot(&before), "after": facility_snapshot(&stored)})),
    )
    .await;
    Ok(stored)
}

/// Activates or deactivates a facility; a deactivated one is refused by the
/// receivers within their cache lifetime.
pub async fn set_facility_active(
    registry: &dyn FacilityRegistry,
    audit: &dyn AuditLog,
    actor: &Actor,
    id: FacilityId,
    active: bool,
    now: Timestamp,
) -> Result<Facility, UseCaseError> {
    let before = registry.get(id).await?.ok_or(UseCaseError::NotFound)?;
    let stored = registry.set_active(id, active, now).await?;
    let kind = if active { AuditKind::FacilityActivated } else { AuditKind::FacilityDeactivated };
    append(
        audit,
        AuditEvent::new(kind, actor.clone(), now)
            .for_facility(id)
            .with_details(json!({"before": {"active": before.active}, "after": {"active": stored.active}})),
    )
    .await;
    Ok(stored)
}

/// What a facility has sent, for its statistics page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FacilityStats {
    pub studies: u64,
    pub instances: u64,
    pub bytes: u64,
    pub last_received_at: Option<Timestamp>,
    /// Over the last `ASSOCIATION_WINDOW_DAYS` (whole UTC days), from the audit trail.
    pub associations_accepted: u64,
    pub associations_rejected: u64,
}

/// How far back associations are counted.
pub const ASSOCIATION_WINDOW_DAYS: i64 = 30;

/// The facility's totals (kept by the index as instances are recorded) and
/// its associations over the last `ASSOCIATION_WINDOW_DAYS` (kept by the audit
/// trail per day): two bounded reads however much the facility has sent.
pub async fn facility_stats(
    registry: &dyn FacilityRegistry,
    index: &dyn crate::ports::StudyIndex,
    audit: &dyn AuditLog,
    id: FacilityId,
    now: Timestamp,
) -> Result<FacilityStats, UseCaseError> {
    registry.get(id).await?.ok_or(UseCaseError::NotFound)?;
    let totals = index.facility_totals(id).await?;
    let mut stats = FacilityStats {
        studies: totals.studies,
        instances: totals.instances,
        bytes: totals.bytes,
        last_received_at: totals.last_received_at,
        ..FacilityStats::default()
    };
    let window = audit.association_counts(id, now - chrono::Duration::days(ASSOCIATION_WINDOW_DAYS), now).await?;
    stats.associations_accepted = window.accepted;
    stats.associations_rejected = window.rejected;
    Ok(stats)
}
