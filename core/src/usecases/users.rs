//! People who sign in: administrators create them, change their role, email
//! and flags, and reset their passwords. The username never changes.

use serde_json::json;

use super::UseCaseError;
use super::audit_trail::{append, user_snapshot};
use crate::domain::{
    Actor, AuditEvent, AuditKind, EmailAddress, FacilityId, PasswordHash, Role, RoleName, Timestamp, User, UserId,
    Username,
};
use crate::ports::{AuditLog, FacilityRegistry, UserDirectory};

/// argon2 is deliberately slow: it runs on the blocking pool, never on an
/// async worker. `field` names the input in the refusal.
pub async fn hash_password(field: &'static str, password: String) -> Result<PasswordHash, UseCaseError> {
    tokio::task::spawn_blocking(move || PasswordHash::hash(&password))
        .await
        .map_err(|e| UseCaseError::Internal(format!("the password could not be hashed: {e}")))?
        .map_err(|e| UseCaseError::invalid(field, e))
}

/// What creating a user takes; the role is named, and paired with its
/// facility here.
#[derive(Debug)]
pub struct NewUser {
    pub username: Username,
    pub email: EmailAddress,
    pub role: RoleName,
    pub facility: Option<FacilityId>,
    pub password: String,
}

pub async fn create_user(
    users: &dyn UserDirectory,
    facilities: &dyn FacilityRegistry,
    audit: &dyn AuditLog,
    actor: &Actor,
    request: NewUser,
    now: Timestamp,
) -> Result<User, UseCaseError> {
    let role = role_with_existing_facility(facilities, request.role, request.facility).await?;
    let password = hash_password("password", request.password).await?;
    let user = User::new(request.username, request.email, role, password, now);
    users.insert(&user).await?;
    let mut event = AuditEvent::new(AuditKind::UserCreated, actor.clone(), now)
        .with_details(json!({"after": user_snapshot(&user)}));
    if let Some(facility) = user.role.facility() {
        event = event.for_facility(facility);
    }
    append(audit, event).await;
    Ok(user)
}

/// A change to a user's role. A facility alone moves a facility user to
/// another facility; a role alone drops the facility of the old one.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoleChange {
    pub name: Option<RoleName>,
    pub facility: Option<FacilityId>,
}

/// The fields an administrator changes; `None` leaves one as it is.
#[derive(Debug, Default)]
pub struct UserChange {
    pub role: RoleChange,
    pub email: Option<EmailAddress>,
    pub active: Option<bool>,
    pub verified: Option<bool>,
    /// A new password: a reset by an administrator.
    pub password: Option<String>,
}

pub async fn update_user(
    users: &dyn UserDirectory,
    facilities: &dyn FacilityRegistry,
    audit: &dyn AuditLog,
    actor: &Actor,
    id: UserId,
    change: UserChange,
    now: Timestamp,
) -> Result<User, UseCaseError> {
    let before = users.get(id).await?.ok_or(UseCaseError::NotFound)?;
    let mut next = before.clone();
    if change.role.name.is_some() || change.role.facility.is_some() {
        let name = change.role.name.unwrap_or(before.role.kind());
        let facility = change.role.facility.or(if change.role.name.is_some() { None } else { before.role.facility() });
        next.role = role_with_existing_facility(facilities, name, facility).await?;
    }
    next.email = change.email.unwrap_or(next.email);
    next.active = change.active.unwrap_or(next.active);
    next.verified = change.verified.unwrap_or(next.verified);
    let password_reset = change.password.is_some();
    if let Some(password) = change.password {
        next.password_hash = hash_password("password", password).await?;
    }
    let stored = users.update(&next, now).await?;
    let mut event = AuditEvent::new(AuditKind::UserUpdated, actor.clone(), now).with_details(json!({
        "before": user_snapshot(&before),
        "after": user_snapshot(&stored),
        "password_reset": password_reset,
    }));
    if let Some(facility) = stored.role.facility() {
        event = event.for_facility(facility);
    }
    append(audit, event).await;
    Ok(stored)
}

/// Creates the first administrator of a deployment, unless one exists:
/// `Ok(None)` then.
pub async fn create_first_administrator(
    users: &dyn UserDirectory,
    facilities: &dyn FacilityRegistry,
    audit: &dyn AuditLog,
    request: NewUser,
    now: Timestamp,
) -> Result<Option<User>, UseCaseError> {
    if users.list().await?.iter().any(|u| u.role == Role::Administrator) {
        return Ok(None);
    }
    create_user(users, facilities, audit, &Actor::System, request, now).await.map(Some)
}

async fn role_with_existing_facility(
    facilities: &dyn FacilityRegistry,
    name: RoleName,
    facility: Option<FacilityId>,
) -> Result<Role, UseCaseError> {
    let role = Role::compose(name, facility).map_err(|e| match e {
        crate::domain::RoleError::UnknownRole => UseCaseError::invalid("role", e),
        _ => UseCaseError::invalid("facility_id", e),
    })?;
    if let Some(id) = role.facility()
        && facilities.get(id).await?.is_none()
    {
        return Err(UseCaseError::invalid("facility_id", "no such facility"));
    }
    Ok(role)
}
