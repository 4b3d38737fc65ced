use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use std::sync::OnceLock;

use noctis_core::domain::{Actor, AuditEvent, AuditKind, PasswordHash, User, Username, now};
use serde::{Deserialize, Serialize};

use super::audit;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::extract::{ClientAddress, CurrentUser};
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
    let user = match &username {
        Some(name) => state.ports.users.find_by_username(name).await?,
        None => None,
    };
    let user = user.filter(|user| user.active);
    let verified = match verify_password(user.as_ref(), &body.password).await {
        true => user,
        false => None,
    };
    let Some(user) = verified else {
        state.logins.record_failure(&keys);
        let mut event = AuditEvent::new(AuditKind::SignInFailed, Actor::System, now())
            .with_details(serde_json::json!({"username": body.username.chars().take(64).collect::<String>()}));
        if let Some(address) = address {
            event = event.from_peer(address);
        }
        audit(&state, event).await;
        return Err(ApiError::Unauthenticated);
    };
    state.logins.clear(&keys);
    let (token, expires_at) = state.tokens.issue(&user, now())?;
    let mut event = AuditEvent::new(AuditKind::SignIn, CurrentUser(user.clone()).actor(), now());
    if let Some(address) = address {
        event = event.from_peer(address);
    }
    audit(&state, event).await;
    Ok(Json(LoginResponse { token, expires_at, user: UserView::from(&user) }))
}

/// argon2 is deliberately slow; it runs off the async workers. An unknown or
/// inactive user is checked against a dummy hash of the same cost, so the time
/// taken does not tell which usernames exist.
async fn verify_password(user: Option<&User>, password: &str) -> bool {
    let hash = user.map(|user| user.password_hash.clone());
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => hash.verify(&password),
        None => {
            if let Some(dummy) = dummy_hash() {
                dummy.verify(&password);
            }
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Made once, with the parameters every stored hash is made with.
pub fn dummy_hash() -> Option<&'static PasswordHash> {
    static DUMMY: OnceLock<Option<PasswordHash>> = OnceLock::new();
    DUMMY.get_or_init(|| PasswordHash::hash("a password no account has, for timing only").ok()).as_ref()
}

#[utoipa::path(get, path = "/api/v1/me", operation_id = "get_current_user", responses((status = 200, body = UserView), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn me(user: CurrentUser) -> Json<UserView> {
    Json(UserView::from(&user.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cost of a hash is in its PHC parameters (`$argon2id$v=19$m=…,t=…,p=…$`).
    fn parameters(hash: &PasswordHash) -> String {
        hash.as_str().split('$').take(4).collect::<Vec<_>>().join("$")
    }

    #[test]
    fn unknown_users_are_checked_against_a_hash_of_the_same_cost() {
        let dummy = dummy_hash().expect("the dummy hash is made");
        let real = PasswordHash::hash("correct horse battery staple").expect("hashes");
        assert_eq!(parameters(dummy), parameters(&real));
        assert!(!dummy.verify("correct horse battery staple"));
    }
}
