use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use noctis_core::domain::{AuditEvent, AuditKind, Intent, Report, ReportStatus, StudyId, UserId, now};
use serde::{Deserialize, Serialize};

use super::audit;
use super::studies::readable_study;
use crate::access::Action;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportVersionView {
    pub version: u32,
    /// `draft`, `final` or `amended`.
    pub status: &'static str,
    pub body: String,
    #[schema(value_type = String, format = Uuid)]
    pub author: UserId,
    pub created_at: DateTime<Utc>,
    pub finalised_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    #[schema(value_type = String, format = Uuid)]
    pub study_id: StudyId,
    pub current: Option<ReportVersionView>,
    /// Every version, oldest first.
    pub history: Vec<ReportVersionView>,
}

fn status_name(status: ReportStatus) -> &'static str {
    match status {
        ReportStatus::Draft => "draft",
        ReportStatus::Final => "final",
        ReportStatus::Amended => "amended",
    }
}

impl From<&Report> for ReportView {
    fn from(report: &Report) -> Self {
        let history: Vec<ReportVersionView> = report
            .versions
            .iter()
            .map(|v| ReportVersionView {
                version: v.version,
                status: status_name(v.status),
                body: v.body.clone(),
                author: v.author,
                created_at: v.created_at,
                finalised_at: v.finalised_at,
            })
            .collect();
        let current = history.last().cloned();
        Self { study_id: report.study_id, current, history }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveReport {
    #[schema(max_length = 200000)]
    pub body: String,
    /// `draft` (default) or `final`.
    #[schema(pattern = "^(draft|final)$")]
    pub status: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/studies/{id}/report", params(("id" = String, Path, format = Uuid, description = "The study")), operation_id = "get_report", security(("bearer" = [])), responses((status = 200, body = ReportView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<StudyId>,
) -> ApiResult<Json<ReportView>> {
    readable_study(&state, &user, id, Action::ReadReport).await?;
    let report = state.backend.reports.get(id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(ReportView::from(&report)))
}

/// Longest report body accepted (characters).
const MAX_BODY: usize = 200_000;

#[utoipa::path(put, path = "/api/v1/studies/{id}/report", params(("id" = String, Path, format = Uuid, description = "The study")), operation_id = "save_report", request_body = SaveReport, security(("bearer" = [])),
    responses((status = 200, body = ReportView), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<StudyId>,
    ApiJson(body): ApiJson<SaveReport>,
) -> ApiResult<Json<ReportView>> {
    let study = readable_study(&state, &user, id, Action::WriteReport).await?;
    let intent = match body.status.as_deref().unwrap_or("draft") {
        "draft" => Intent::Draft,
        "final" => Intent::Final,
        _ => return Err(ApiError::invalid("status", "status is draft or final")),
    };
    if body.body.chars().count() > MAX_BODY {
        return Err(ApiError::invalid("body", format!("a report has at most {MAX_BODY} characters")));
    }
    let before = state.backend.reports.get(id).await?;
    let previous_version = before.as_ref().and_then(|r| r.current().map(|v| (v.version, v.status)));
    let report = Report::save(before, id, &body.body, intent, user.0.id, now()).map_err(|e| match e {
        noctis_core::domain::ReportError::EmptyBody => ApiError::invalid("body", e),
        noctis_core::domain::ReportError::DraftAfterFinal => ApiError::Conflict(e.to_string()),
    })?;
    state.backend.reports.put(&report).await?;
    let current = report.current().map(|v| (v.version, v.status));
    audit(
        &state,
        AuditEvent::new(AuditKind::ReportSaved, user.actor(), now())
            .for_facility(study.study.facility_id)
            .with_details(serde_json::json!({
                "study_id": id,
                "before": previous_version.map(|(v, s)| serde_json::json!({"version": v, "status": status_name(s)})),
                "after": current.map(|(v, s)| serde_json::json!({"version": v, "status": status_name(s)})),
            })),
    )
    .await;
    Ok(Json(ReportView::from(&report)))
}
