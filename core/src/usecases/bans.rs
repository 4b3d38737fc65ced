//! Lifting a ban before it expires.

use std::net::IpAddr;

use super::UseCaseError;
use super::audit_trail::append;
use crate::domain::{Actor, AuditEvent, AuditKind, Timestamp};
use crate::ports::{AuditLog, BanList};

/// `NotFound`, and nothing changed, when the address holds no ban.
pub async fn lift_ban(
    bans: &dyn BanList,
    audit: &dyn AuditLog,
    actor: &Actor,
    address: IpAddr,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    if !bans.lift(address).await? {
        return Err(UseCaseError::NotFound);
    }
    append(audit, AuditEvent::new(AuditKind::BanLifted, actor.clone(), now).from_peer(address)).await;
    Ok(())
}
