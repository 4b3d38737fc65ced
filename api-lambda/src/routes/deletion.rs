//! Deleting a study, one of its series, or one instance: objects, index rows
//! and report go together (`usecases::deletion`). Administrators only.

use axum::Json;
use axum::extract::{Path, State};
use noctis_core::domain::{Deletion, DeletionScope, StudyId, Uid, now};
use noctis_core::usecases::deletion::delete;
use serde::{Deserialize, Serialize};

use crate::access::Action;
use crate::error::{ApiError, ApiResult};
use crate::extract::CurrentUser;
use crate::routes::studies::readable_study;
use crate::state::AppState;

/// What a deletion took.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeletionView {
    /// The deletion, as its audit event names it.
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    /// `study`, `series` or `instance`.
    pub level: &'static str,
    pub instances: u64,
    pub bytes: u64,
}

impl From<&Deletion> for DeletionView {
    fn from(d: &Deletion) -> Self {
        let level = match d.scope {
            DeletionScope::Study => "study",
            DeletionScope::Series { .. } => "series",
            DeletionScope::Instance { .. } => "instance",
        };
        Self { id: d.id, level, instances: d.instances, bytes: d.bytes }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SeriesParams {
    #[param(value_type = String, format = Uuid)]
    id: StudyId,
    series_instance_uid: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct InstanceParams {
    #[param(value_type = String, format = Uuid)]
    id: StudyId,
    series_instance_uid: String,
    sop_instance_uid: String,
}

/// A UID in a path names something that exists only if it parses.
fn path_uid(raw: &str) -> ApiResult<Uid> {
    Uid::parse(raw).map_err(|_| ApiError::NotFound)
}

async fn delete_scope(
    state: &AppState,
    user: &CurrentUser,
    id: StudyId,
    scope: DeletionScope,
) -> ApiResult<Json<DeletionView>> {
    let study = readable_study(state, user, id, Action::DeleteImages).await?;
    let ports = &state.ports;
    let deletion = delete(ports.studies.as_ref(), ports.objects.as_ref(), &user.actor(), &study, scope, now()).await?;
    Ok(Json(DeletionView::from(&deletion)))
}

#[utoipa::path(delete, path = "/api/v1/studies/{id}", operation_id = "delete_study", params(("id" = String, Path, format = Uuid, description = "The study")), security(("bearer" = [])),
    responses((status = 200, body = DeletionView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn study(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<StudyId>,
) -> ApiResult<Json<DeletionView>> {
    delete_scope(&state, &user, id, DeletionScope::Study).await
}

#[utoipa::path(delete, path = "/api/v1/studies/{id}/series/{series_instance_uid}", operation_id = "delete_series", params(SeriesParams), security(("bearer" = [])),
    responses((status = 200, body = DeletionView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn series(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(params): Path<SeriesParams>,
) -> ApiResult<Json<DeletionView>> {
    let scope = DeletionScope::Series { series_instance_uid: path_uid(&params.series_instance_uid)? };
    delete_scope(&state, &user, params.id, scope).await
}

#[utoipa::path(delete, path = "/api/v1/studies/{id}/series/{series_instance_uid}/instances/{sop_instance_uid}", operation_id = "delete_instance", params(InstanceParams), security(("bearer" = [])),
    responses((status = 200, body = DeletionView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn instance(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(params): Path<InstanceParams>,
) -> ApiResult<Json<DeletionView>> {
    let scope = DeletionScope::Instance {
        series_instance_uid: path_uid(&params.series_instance_uid)?,
        sop_instance_uid: path_uid(&params.sop_instance_uid)?,
    };
    delete_scope(&state, &user, params.id, scope).await
}
