//! The signed-in user's own account: who they are, and their password.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use noctis_core::domain::now;
use noctis_core::usecases::own_password::change_own_password;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, CurrentUser};
use crate::routes::users::UserView;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/me", operation_id = "get_current_user", responses((status = 200, body = UserView), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn me(user: CurrentUser) -> Json<UserView> {
    Json(UserView::from(&user.0))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    current_password: String,
    new_password: String,
}

#[utoipa::path(
    post, path = "/api/v1/me/password", operation_id = "change_own_password", request_body = ChangePassword,
    security(("bearer" = [])),
    responses((status = 204, description = "Changed"), (status = 400, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody))
)]
pub async fn change_password(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<ChangePassword>,
) -> ApiResult<StatusCode> {
    // Guessing the current password through this route is as limited as
    // guessing it at sign-in.
    let keys = [format!("user:{}", current.0.username)];
    if state.logins.is_blocked(&keys) {
        return Err(ApiError::TooManyRequests);
    }
    let users = state.ports.users.as_ref();
    let result = change_own_password(
        users,
        state.ports.audit.as_ref(),
        &current.0,
        &body.current_password,
        body.new_password,
        now(),
    )
    .await;
    if let Err(noctis_core::usecases::UseCaseError::Invalid { field: "current_password", .. }) = &result {
        state.logins.record_failure(&keys);
    }
    result?;
    Ok(StatusCode::NO_CONTENT)
}
