//! Studies and instances received per UTC day: the dashboard's figures.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use noctis_core::domain::{FacilityId, Role, now};
use noctis_core::usecases::activity::{ActivityWindow, DayCounts, received_per_day};
use serde::{Deserialize, Serialize};

use crate::access::{Action, authorize};
use crate::error::ApiResult;
use crate::extract::{ApiQuery, CurrentUser};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Whole UTC days ending today, 1–92; default 7.
    #[param(minimum = 1, maximum = 92)]
    pub days: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DayCountsView {
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    /// Studies whose first instance arrived that day.
    pub studies: u64,
    /// Instances that arrived that day, a re-sent copy not counted again.
    pub instances: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FacilityActivityView {
    #[schema(value_type = String, format = Uuid)]
    pub facility_id: FacilityId,
    /// Every day of the window, oldest first.
    pub days: Vec<DayCountsView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActivityView {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// Every facility the caller may read, together; every day, oldest first.
    pub days: Vec<DayCountsView>,
    /// Each of those facilities that sent anything in the window.
    pub facilities: Vec<FacilityActivityView>,
}

/// Administrators and radiologists see every facility; a facility user, theirs.
#[utoipa::path(get, path = "/api/v1/activity", operation_id = "get_activity", params(ActivityQuery), security(("bearer" = [])),
    responses((status = 200, body = ActivityView, description = "What was received on each UTC day of the window")))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ActivityQuery>,
) -> ApiResult<Json<ActivityView>> {
    let scope = match user.0.role {
        Role::FacilityUser(own) => Some(own),
        Role::Administrator | Role::Radiologist => None,
    };
    authorize(&user.0, Action::ReadStudies, scope)?;
    let window = query.days.map(ActivityWindow::parse).transpose()?.unwrap_or(ActivityWindow::WEEK);
    let activity = received_per_day(state.ports.studies.as_ref(), scope, window, now()).await?;
    Ok(Json(ActivityView {
        from: activity.from,
        to: activity.to,
        days: views(&activity.overall),
        facilities: activity
            .facilities
            .iter()
            .map(|(facility_id, days)| FacilityActivityView { facility_id: *facility_id, days: views(days) })
            .collect(),
    }))
}

fn views(days: &[DayCounts]) -> Vec<DayCountsView> {
    days.iter().map(|d| DayCountsView { day: d.day, studies: d.studies, instances: d.instances }).collect()
}
