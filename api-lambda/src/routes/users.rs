use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use noctis_core::domain::{EmailAddress, FacilityId, RoleName, User, UserId, Username, now};
use noctis_core::usecases::users::{NewUser, RoleChange, UserChange, create_user, update_user};
use serde::{Deserialize, Serialize};

use super::parse_field;
use crate::access::{Action, authorize};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::extract::CurrentUser;
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

fn role_name(raw: &str) -> ApiResult<RoleName> {
    RoleName::parse(raw).map_err(|e| ApiError::invalid("role", e))
}

impl CreateUser {
    /// The request in the use case's terms; the CLI builds the same.
    pub fn parse(self) -> ApiResult<NewUser> {
        Ok(NewUser {
            username: Username::parse(&self.username).map_err(|e| ApiError::invalid("username", e))?,
            email: EmailAddress::parse(&self.email).map_err(|e| ApiError::invalid("email", e))?,
            role: role_name(&self.role)?,
            facility: self.facility_id,
            password: self.password,
        })
    }
}

#[utoipa::path(post, path = "/api/v1/users", operation_id = "create_user", request_body = CreateUser, security(("bearer" = [])),
    responses((status = 201, body = UserView), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    authorize(&user.0, Action::ManageUsers, None)?;
    let ports = &state.ports;
    let request = body.parse()?;
    let created = create_user(
        ports.users.as_ref(),
        ports.facilities.as_ref(),
        ports.audit.as_ref(),
        &user.actor(),
        request,
        now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&created))))
}

#[utoipa::path(get, path = "/api/v1/users", operation_id = "list_users", security(("bearer" = [])), responses((status = 200, body = Vec<UserView>)))]
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<UserView>>> {
    authorize(&user.0, Action::ManageUsers, None)?;
    let users = state.ports.users.list().await?;
    Ok(Json(users.iter().map(UserView::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", params(("id" = String, Path, format = Uuid, description = "The user")), operation_id = "get_user", security(("bearer" = [])), responses((status = 200, body = UserView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<UserId>,
) -> ApiResult<Json<UserView>> {
    authorize(&user.0, Action::ManageUsers, None)?;
    let found = state.ports.users.get(id).await?.ok_or(ApiError::NotFound)?;
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
    let change = UserChange {
        role: RoleChange { name: body.role.as_deref().map(role_name).transpose()?, facility: body.facility_id },
        email: parse_field("email", body.email.as_deref(), EmailAddress::parse)?,
        active: body.active,
        verified: body.verified,
        password: body.password,
    };
    let ports = &state.ports;
    let stored = update_user(
        ports.users.as_ref(),
        ports.facilities.as_ref(),
        ports.audit.as_ref(),
        &user.actor(),
        id,
        change,
        now(),
    )
    .await?;
    Ok(Json(UserView::from(&stored)))
}
