//! A signed-in user changing their own password: they prove they know the
//! current one first, so a session left open is not enough to take the
//! account over.

use super::UseCaseError;
use super::audit_trail::append;
use super::sign_in::verify_password;
use super::users::hash_password;
use crate::domain::{Actor, AuditEvent, AuditKind, Timestamp, User};
use crate::ports::{AuditLog, UserDirectory};

pub async fn change_own_password(
    users: &dyn UserDirectory,
    audit: &dyn AuditLog,
    user: &User,
    current_password: &str,
    new_password: String,
    now: Timestamp,
) -> Result<User, UseCaseError> {
    if !verify_password(Some(user), current_password).await {
        return Err(UseCaseError::invalid("current_password", "the current password is not correct"));
    }
    if new_password == current_password {
        return Err(UseCaseError::invalid("new_password", "choose a password other than the current one"));
    }
    let mut next = user.clone();
    next.password_hash = hash_password("new_password", new_password).await?;
    let stored = users.update(&next, now).await?;
    let mut event = AuditEvent::new(AuditKind::PasswordChanged, Actor::user(&stored), now);
    if let Some(facility) = stored.role.facility() {
        event = event.for_facility(facility);
    }
    append(audit, event).await;
    Ok(stored)
}
