use chrono::{DateTime, Utc};
use std::net::IpAddr;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use noctis_core::domain::{Ban, now};
use noctis_core::usecases::bans::lift_ban;
use serde::Serialize;

use crate::access::{Action, authorize};
use crate::error::{ApiError, ApiResult};
use crate::extract::CurrentUser;
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BanView {
    pub address: String,
    pub reason: String,
    pub failures: u32,
    pub banned_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<&Ban> for BanView {
    fn from(ban: &Ban) -> Self {
        Self {
            address: ban.address.to_string(),
            reason: ban.reason.clone(),
            failures: ban.failures,
            banned_at: ban.banned_at,
            expires_at: ban.expires_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/security/bans", operation_id = "list_bans", security(("bearer" = [])), responses((status = 200, body = Vec<BanView>)))]
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<BanView>>> {
    authorize(&user.0, Action::ManageBans, None)?;
    Ok(Json(state.ports.bans.list_active(now()).await?.iter().map(BanView::from).collect()))
}

#[utoipa::path(delete, path = "/api/v1/security/bans/{address}", params(("address" = String, Path, description = "An IPv4 or IPv6 address")), operation_id = "lift_ban", security(("bearer" = [])),
    responses((status = 204, description = "Lifted"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn lift(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(address): Path<String>,
) -> ApiResult<StatusCode> {
    authorize(&user.0, Action::ManageBans, None)?;
    // What is not an address holds no ban: absent, like any other unbanned address.
    let address: IpAddr = address.parse().map_err(|_| ApiError::NotFound)?;
    lift_ban(state.ports.bans.as_ref(), state.ports.audit.as_ref(), &user.actor(), address, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
