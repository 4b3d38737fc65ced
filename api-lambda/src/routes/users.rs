use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use noctis_core::domain::{
    AuditEvent, AuditKind, EmailAddress, FacilityId, PasswordHash, Role, User, UserId, Username, now,
};
use serde::{Deserialize, Serialize};

use super::{audit, parse_field};
use crate::access::{Action, authorize};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::state::AppState;

/// A user as the API shows it: never the password hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    #[schema(value_type = String, format = Uuid)]
    pub id: UserId,
    #[schema(value_type = String)]
    pub username: Username,
    #[schema(value_type = String)]
    pub email: EmailAddress,
    /// `administrator`, `radiologist` or `facility_user`.
    pub role: &'static str,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub facility_id: Option<FacilityId>,
    pub active: bool,
    pub verified: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub revision: u64,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
            email: user.email.clone(),
            role: user.role.name(),
            facility_id: user.role.facility(),
            active: user.active,
            verified: user.verified,
            created_at: user.created_at,
            updated_at: user.updated_at,
            revision: user.revision,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(pattern = "^\\s*[A-Za-z0-9._@-]{3,64}\\s*$")]
    pub username: String,
    #[schema(min_length = 12, max_length = 1024)]
    pub password: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// `administrator`, `radiologist` or `facility_user`.
    #[schema(pattern = "^(administrator|radiologist|facility_user)$")]
    pub role: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub facility_id: Option<FacilityId>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(pattern = "^(administrator|radiologist|facility_user)$")]
    pub role: Option<String>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub facility_id: Option<FacilityId>,
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    pub active: Option<bool>,
    pub verified: Option<bool>,
    /// Sets a new password (a reset by an administrator).
    #[schema(min_length = 12, max_length = 1024)]
    pub password: Option<String>,
}

/// A role from its name and the facility that goes with it: a facility user
/// must have one, the other roles must not.
pub async fn role_of(state: &AppState, name: &str, facility: Option<FacilityId>) -> ApiResult<Role> {
    match (name, facility) {
        ("administrator", None) => Ok(Role::Administrator),
        ("radiologist", None) => Ok(Role::Radiologist),
        ("facility_user", Some(id)) => match state.backend.facilities.get(id).await? {
            Some(_) => Ok(Role::FacilityUser(id)),
            None => Err(ApiError::invalid("facility_id", "no such facility")),
        },
        ("facility_user", None) => Err(ApiError::invalid("facility_id", "a facility user needs a facility")),
        ("administrator" | "radiologist", Some(_)) => {
            Err(ApiError::invalid("facility_id", "only facility users belong to a facility"))
        }
        _ => Err(ApiError::invalid("role", "role is administrator, radiologist or facility_user")),
    }
}

pub async fn hash_password(password: String) -> ApiResult<PasswordHash> {
    tokio::task::spawn_blocking(move || PasswordHash::hash(&password))
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(|e| ApiError::invalid("password", e))
}

/// Creates a user; the facility bootstrap and the CLI use it too.
pub async fn create_user(state: &AppState, body: CreateUser, actor: Option<&CurrentUser>) -> ApiResult<User> {
    let username = Username::parse(&body.username).map_err(|e| ApiError::invalid("username", e))?;
    let email = EmailAddress::parse(&body.email).map_err(|e| ApiError::invalid("email", e))?;
    let role = role_of(state, &body.role, body.facility_id).await?;
    let hash = hash_password(body.password).await?;
    let user = User::new(username, email, role, hash, now());
    state.backend.users.insert(&user).await?;
    let actor = actor.map(CurrentUser::actor).unwrap_or(noctis_core::domain::Actor::System);
    let mut event = AuditEvent::new(AuditKind::UserCreated, actor, now())
        .with_details(serde_json::json!({"after": UserView::from(&user)}));
    if let Some(facility) = user.role.facility() {
        event = event.for_facility(facility);
    }
    audit(state, event).await;
    Ok(user)
}

#[utoipa::path(post, path = "/api/v1/users", operation_id = "create_user", request_body = CreateUser, security(("bearer" = [])),
    responses((status = 201, body = UserView), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    authorize(&user.0, Action::ManageUsers, None)?;
    let created = create_user(&state, body, Some(&user)).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&created))))
}

#[utoipa::path(get, path = "/api/v1/users", operation_id = "list_users", security(("bearer" = [])), responses((status = 200, body = Vec<UserView>)))]
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<UserView>>> {
    authorize(&user.0, Action::ManageUsers, None)?;
    let users = state.backend.users.list().await?;
    Ok(Json(users.iter().map(UserView::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", params(("id" = String, Path, format = Uuid, description = "The user")), operation_id = "get_user", security(("bearer" = [])), responses((status = 200, body = UserView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<UserId>,
) -> ApiResult<Json<UserView>> {
    authorize(&user.0, Action::ManageUsers, None)?;
    let found = state.backend.users.get(id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(UserView::from(&found)))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", params(("id" = String, Path, format = Uuid, description = "The user")), operation_id = "update_user", request_body = UpdateUser, security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<UserId>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> ApiResult<Json<UserView>> {
    authorize(&user.0, Action::ManageUsers, None)?;
    let before = state.backend.users.get(id).await?.ok_or(ApiError::NotFound)?;
    let mut next = before.clone();
    if body.role.is_some() || body.facility_id.is_some() {
        let name = body.role.as_deref().unwrap_or(before.role.name());
        let facility = body.facility_id.or(if body.role.is_some() { None } else { before.role.facility() });
        next.role = role_of(&state, name, facility).await?;
    }
    if let Some(email) = parse_field("email", body.email.as_deref(), EmailAddress::parse)? {
        next.email = email;
    }
    if let Some(active) = body.active {
        next.active = active;
    }
    if let Some(verified) = body.verified {
        next.verified = verified;
    }
    if let Some(password) = body.password {
        next.password_hash = hash_password(password).await?;
    }
    let stored = state.backend.users.update(&next, now()).await?;
    let mut event = AuditEvent::new(AuditKind::UserUpdated, user.actor(), now()).with_details(serde_json::json!({
        "before": UserView::from(&before),
        "after": UserView::from(&stored),
        "password_reset": next.password_hash != before.password_hash,
    }));
    if let Some(facility) = stored.role.facility() {
        event = event.for_facility(facility);
    }
    audit(&state, event).await;
    Ok(Json(UserView::from(&stored)))
}
