//! One module per resource. A handler extracts, authorises, calls the core.

pub mod audit;
pub mod auth;
pub mod facilities;
pub mod health;
pub mod reports;
pub mod security;
pub mod studies;
pub mod users;

use noctis_core::domain::AuditEvent;

use crate::state::AppState;

/// Appends to the audit trail. A change that happened is not undone because its
/// audit record could not be written; the failure is logged loudly instead.
pub async fn audit(state: &AppState, event: AuditEvent) {
    if let Err(e) = state.ports.audit.append(&event).await {
        tracing::error!(error = %e, kind = event.kind.as_str(), "could not write an audit event");
    }
}

/// Parses an optional text field with the domain's parser, naming the field on error.
pub fn parse_field<T, E: std::fmt::Display>(
    field: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, crate::error::ApiError> {
    value.map(|v| parse(v).map_err(|e| crate::error::ApiError::invalid(field, e))).transpose()
}
