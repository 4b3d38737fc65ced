use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use noctis_core::domain::{Username, now};
use noctis_core::usecases::sign_in::{Credentials, sign_in};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ClientAddress, CurrentUser};
use crate::routes::users::UserView;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    token: String,
    expires_at: DateTime<Utc>,
    user: UserView,
}

#[utoipa::path(
    post, path = "/api/v1/auth/login", operation_id = "sign_in", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody))
)]
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let username = Username::parse(&body.username).ok();
    let keys: Vec<String> = [address.map(|a| format!("ip:{a}")), username.as_ref().map(|u| format!("user:{u}"))]
        .into_iter()
        .flatten()
        .collect();
    if state.logins.is_blocked(&keys) {
        return Err(ApiError::TooManyRequests);
    }
    let credentials = Credentials { username: &body.username, password: &body.password, from: address };
    let Some(user) = sign_in(state.ports.users.as_ref(), state.ports.audit.as_ref(), credentials, now()).await? else {
        state.logins.record_failure(&keys);
        return Err(ApiError::Unauthenticated);
    };
    state.logins.clear(&keys);
    let (token, expires_at) = state.tokens.issue(&user, now())?;
    Ok(Json(LoginResponse { token, expires_at, user: UserView::from(&user) }))
}

#[utoipa::path(get, path = "/api/v1/me", operation_id = "get_current_user", responses((status = 200, body = UserView), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn me(user: CurrentUser) -> Json<UserView> {
    Json(UserView::from(&user.0))
}
