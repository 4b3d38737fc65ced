//! Which receivers are alive, from the reports they make every few seconds.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use noctis_core::domain::{ReceiverStatus, now};
use serde::Serialize;

use crate::access::{Action, authorize};
use crate::error::ApiResult;
use crate::extract::CurrentUser;
use crate::state::AppState;

/// Receivers silent for longer are not listed at all.
const LISTED_FOR: chrono::Duration = chrono::Duration::minutes(10);

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReceiverView {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    pub host: String,
    pub version: String,
    pub started_at: DateTime<Utc>,
    pub reported_at: DateTime<Utc>,
    pub open_associations: u64,
    /// Shutting down: accepting no new association.
    pub draining: bool,
    /// False once it has missed two reports in a row.
    pub reporting: bool,
}

#[utoipa::path(get, path = "/api/v1/receivers", operation_id = "list_receivers", security(("bearer" = [])),
    responses((status = 200, body = Vec<ReceiverView>, description = "Receivers heard from in the last 10 minutes, newest report first")))]
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<ReceiverView>>> {
    // Operational state, read by those who read the audit trail.
    authorize(&user.0, Action::ReadAudit, None)?;
    let at = now();
    let interval = std::time::Duration::from_secs(state.config.dicom.heartbeat_secs.max(1));
    let heard = state.ports.receivers.reported_since(at - LISTED_FOR).await?;
    Ok(Json(heard.iter().map(|status| view(status, at, interval)).collect()))
}

fn view(status: &ReceiverStatus, at: DateTime<Utc>, interval: std::time::Duration) -> ReceiverView {
    ReceiverView {
        id: status.id,
        host: status.host.clone(),
        version: status.version.clone(),
        started_at: status.started_at,
        reported_at: status.reported_at,
        open_associations: status.open_associations,
        draining: status.draining,
        reporting: status.is_reporting(at, interval),
    }
}
