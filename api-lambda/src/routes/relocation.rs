//! Moving a study received under the wrong facility to the right one
//! (`usecases::relocation`). Administrators only.

use axum::Json;
use axum::extract::{Path, State};
use noctis_core::domain::{FacilityId, StudyId, now};
use noctis_core::usecases::relocation::{MovePorts, move_study};
use serde::Deserialize;

use crate::access::Action;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, CurrentUser};
use crate::routes::studies::{StudyItem, readable_study};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveStudy {
    /// The facility the study belongs to.
    #[schema(value_type = String, format = Uuid)]
    pub facility_id: FacilityId,
}

#[utoipa::path(post, path = "/api/v1/studies/{id}/move", operation_id = "move_study", params(("id" = String, Path, format = Uuid, description = "The study")), request_body = MoveStudy, security(("bearer" = [])),
    responses((status = 200, body = StudyItem, description = "The study, as the facility it moved to holds it"), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn move_to(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<StudyId>,
    ApiJson(body): ApiJson<MoveStudy>,
) -> ApiResult<Json<StudyItem>> {
    let study = readable_study(&state, &user, id, Action::MoveStudies).await?;
    let ports = &state.ports;
    let to = ports
        .facilities
        .get(body.facility_id)
        .await?
        .ok_or_else(|| ApiError::invalid("facility_id", "no facility has this id"))?;
    let moves =
        MovePorts { index: ports.studies.as_ref(), objects: ports.objects.as_ref(), reports: ports.reports.as_ref() };
    let moved = move_study(moves, &user.actor(), &study, &to, now()).await?;
    Ok(Json(StudyItem::from(&moved)))
}
