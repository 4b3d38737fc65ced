use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{HeaderMap, SET_COOKIE};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use noctis_core::domain::User;
use noctis_core::domain::{Username, now};
use noctis_core::usecases::sign_in::{Credentials, sign_in};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ClientAddress, CurrentSession};
use crate::routes::users::UserView;
use crate::session;
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
    let user = checked_sign_in(&state, address, &body).await?;
    let issued = state.tokens.issue(&user, now())?;
    Ok(Json(LoginResponse { token: issued.token, expires_at: issued.expires_at, user: UserView::from(&user) }))
}

/// A browser session: who is signed in, the CSRF value to echo in
/// `x-csrf-token` on changes, and when the session ends. The token itself
/// stays in the HttpOnly cookie.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    user: UserView,
    csrf_token: String,
    expires_at: DateTime<Utc>,
}

#[utoipa::path(
    post, path = "/api/v1/auth/session", operation_id = "open_session", request_body = LoginRequest,
    responses(
        (status = 200, body = SessionView, description = "Signed in; the session token is in the HttpOnly `noctis_session` cookie"),
        (status = 401, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody))
)]
pub async fn open_session(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let user = checked_sign_in(&state, address, &body).await?;
    let issued = state.tokens.issue(&user, now())?;
    let cookie = session::set_cookie(&issued, &headers);
    let view = SessionView { user: UserView::from(&user), csrf_token: issued.csrf, expires_at: issued.expires_at };
    Ok(([(SET_COOKIE, cookie)], Json(view)))
}

#[utoipa::path(get, path = "/api/v1/auth/session", operation_id = "get_session", security(("bearer" = [])),
    responses((status = 200, body = SessionView), (status = 401, body = crate::error::ErrorBody)))]
pub async fn get_session(current: CurrentSession) -> Json<SessionView> {
    Json(SessionView { user: UserView::from(&current.user), csrf_token: current.csrf, expires_at: current.expires_at })
}

#[utoipa::path(delete, path = "/api/v1/auth/session", operation_id = "close_session",
    responses((status = 204, description = "Signed out: the session cookie is cleared")))]
pub async fn close_session(headers: HeaderMap) -> impl IntoResponse {
    (StatusCode::NO_CONTENT, [(SET_COOKIE, session::clear_cookie(&headers))])
}

/// The limiter, then the credentials: both sign-in routes share the same
/// rules.
async fn checked_sign_in(state: &AppState, address: Option<std::net::IpAddr>, body: &LoginRequest) -> ApiResult<User> {
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
    Ok(user)
}
