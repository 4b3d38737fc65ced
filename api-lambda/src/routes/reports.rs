use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use noctis_core::domain::{Intent, Report, ReportStatus, Role, StudyId, UserId, now};
use noctis_core::usecases::reports::{Submission, write_report};
use serde::{Deserialize, Serialize};

use super::studies::readable_study;
use crate::access::Action;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::extract::CurrentUser;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportVersionView {
    pub version: u32,
    /// `draft`, `final` or `amended`.
    pub status: &'static str,
    pub body: String,
    #[schema(value_type = String, format = Uuid)]
    pub author: UserId,
    /// The author's username, when the account still exists.
    pub author_name: Option<String>,
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
    /// Changes with every save, drafts included: send it back as `based_on_revision`.
    pub revision: u64,
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
                author_name: None,
                created_at: v.created_at,
                finalised_at: v.finalised_at,
            })
            .collect();
        let current = history.last().cloned();
        Self { study_id: report.study_id, current, history, revision: report.revision }
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
    /// The `revision` of the report the text was edited from (0 when there
    /// was none). When given, a save over anything saved since is refused
    /// with 409 instead of replacing it.
    #[serde(default, deserialize_with = "crate::extract::whole_number")]
    pub based_on_revision: Option<u64>,
}

/// Names the authors, one directory read per distinct author.
async fn with_author_names(state: &AppState, report: &Report) -> ApiResult<ReportView> {
    let mut view = ReportView::from(report);
    let mut names = std::collections::HashMap::new();
    for version in view.history.iter_mut().chain(view.current.iter_mut()) {
        if let std::collections::hash_map::Entry::Vacant(entry) = names.entry(version.author) {
            entry.insert(state.ports.users.get(version.author).await?.map(|u| u.username.to_string()));
        }
        version.author_name = names.get(&version.author).cloned().flatten();
    }
    Ok(view)
}

#[utoipa::path(get, path = "/api/v1/studies/{id}/report", params(("id" = String, Path, format = Uuid, description = "The study")), operation_id = "get_report", security(("bearer" = [])), responses((status = 200, body = ReportView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<StudyId>,
) -> ApiResult<Json<ReportView>> {
    readable_study(&state, &user, id, Action::ReadReport).await?;
    let report = state.ports.reports.get(id).await?.ok_or(ApiError::NotFound)?;
    let report = match user.0.role {
        // A facility reads what was signed off, not a radiologist's work in progress.
        Role::FacilityUser(_) => report.signed_off().ok_or(ApiError::NotFound)?,
        _ => report,
    };
    Ok(Json(with_author_names(&state, &report).await?))
}

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
    let ports = &state.ports;
    let (reports, audit) = (ports.reports.as_ref(), ports.audit.as_ref());
    let submission = Submission { body: &body.body, intent, based_on: body.based_on_revision };
    let report = write_report(reports, audit, &user.0, &study.study, submission, now()).await?;
    Ok(Json(with_author_names(&state, &report).await?))
}
