//! Writing the audit trail from a use case, and the snapshots it keeps.

use serde_json::{Value, json};

use crate::domain::{AuditEvent, Facility, User};
use crate::ports::AuditLog;

/// A change that happened is not undone because its audit record could not be
/// written: the failure is logged loudly instead (the index's own writes carry
/// their audit event in the same commit where that matters, see `instances`).
pub(crate) async fn append(log: &dyn AuditLog, event: AuditEvent) {
    if let Err(e) = log.append(&event).await {
        tracing::error!(error = %e, kind = event.kind.as_str(), "could not write an audit event");
    }
}

/// A facility as the trail keeps it: every field an administrator can see.
pub(crate) fn facility_snapshot(facility: &Facility) -> Value {
    json!({
        "id": facility.id,
        "name": facility.name,
        "address": facility.address,
        "phone": facility.phone,
        "email": facility.email,
        "license_number": facility.license_number,
        "ae_title": facility.ae_title,
        "allowed_networks": facility.allowed_networks.networks().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "move_destinations": facility.move_destinations,
        "retention_days": facility.retention,
        "active": facility.active,
        "created_at": facility.created_at,
        "updated_at": facility.updated_at,
        "revision": facility.revision,
    })
}

/// A user as the trail keeps it: never the password hash.
pub(crate) fn user_snapshot(user: &User) -> Value {
    json!({
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "role": user.role.name(),
        "facility_id": user.role.facility(),
        "active": user.active,
        "verified": user.verified,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "revision": user.revision,
    })
}
