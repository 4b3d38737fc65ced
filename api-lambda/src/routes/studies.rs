use chrono::{DateTime, Utc};
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use noctis_core::domain::{
    FacilityId, ListingOrder, PageLimit, PageRequest, Priority, Role, StudyChange, StudyDetail, StudyFilter, StudyId,
    StudyStatus, StudySummary, Uid, now,
};
use serde::{Deserialize, Serialize};

use crate::access::{Action, authorize};
use crate::error::{ApiError, ApiResult};
use crate::extract::CurrentUser;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use noctis_core::usecases::studies::update_workflow;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StudyItem {
    #[schema(value_type = String, format = Uuid)]
    pub id: StudyId,
    #[schema(value_type = String, format = Uuid)]
    pub facility_id: FacilityId,
    pub study_instance_uid: String,
    pub patient_name: Option<String>,
    pub patient_id: Option<String>,
    pub patient_birth_date: Option<String>,
    pub patient_sex: Option<String>,
    pub study_date: Option<String>,
    pub study_time: Option<String>,
    pub accession_number: Option<String>,
    pub description: Option<String>,
    pub referring_physician: Option<String>,
    pub modalities: Vec<String>,
    pub series_count: u64,
    pub instance_count: u64,
    pub total_bytes: u64,
    /// `received`, `in_review` or `reported`.
    pub status: &'static str,
    /// `routine`, `urgent` or `stat`.
    pub priority: &'static str,
    pub received_at: DateTime<Utc>,
    pub last_received_at: DateTime<Utc>,
}

impl From<&StudySummary> for StudyItem {
    fn from(s: &StudySummary) -> Self {
        let a = &s.attributes;
        Self {
            id: s.id,
            facility_id: s.facility_id,
            study_instance_uid: s.study_instance_uid.to_string(),
            patient_name: a.patient_name.clone(),
            patient_id: a.patient_id.clone(),
            patient_birth_date: a.patient_birth_date.clone(),
            patient_sex: a.patient_sex.clone(),
            study_date: a.study_date.clone(),
            study_time: a.study_time.clone(),
            accession_number: a.accession_number.clone(),
            description: a.study_description.clone(),
            referring_physician: a.referring_physician.clone(),
            modalities: s.modalities.clone(),
            series_count: s.series_count,
            instance_count: s.instance_count,
            total_bytes: s.total_bytes,
            status: s.status.as_str(),
            priority: s.priority.as_str(),
            received_at: s.first_received_at,
            last_received_at: s.last_received_at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StudyPage {
    pub items: Vec<StudyItem>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SeriesView {
    pub series_instance_uid: String,
    pub modality: Option<String>,
    pub series_number: Option<i32>,
    pub description: Option<String>,
    pub instance_count: u64,
    pub total_bytes: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InstanceView {
    pub series_instance_uid: String,
    pub sop_instance_uid: String,
    pub sop_class_uid: String,
    pub transfer_syntax_uid: String,
    pub instance_number: Option<i32>,
    pub size_bytes: u64,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StudyDetailView {
    #[serde(flatten)]
    pub study: StudyItem,
    pub series: Vec<SeriesView>,
    pub instances: Vec<InstanceView>,
}

impl From<&StudyDetail> for StudyDetailView {
    fn from(d: &StudyDetail) -> Self {
        Self {
            study: StudyItem::from(&d.study),
            series: d
                .series
                .iter()
                .map(|s| SeriesView {
                    series_instance_uid: s.series_instance_uid.to_string(),
                    modality: s.attributes.modality.clone(),
                    series_number: s.attributes.series_number,
                    description: s.attributes.series_description.clone(),
                    instance_count: s.instance_count,
                    total_bytes: s.total_bytes,
                })
                .collect(),
            instances: d
                .instances
                .iter()
                .map(|i| InstanceView {
                    series_instance_uid: i.series_instance_uid.to_string(),
                    sop_instance_uid: i.sop_instance_uid.to_string(),
                    sop_class_uid: i.sop_class_uid.to_string(),
                    transfer_syntax_uid: i.transfer_syntax_uid.to_string(),
                    instance_number: i.instance_number,
                    size_bytes: i.size_bytes,
                    received_at: i.received_at,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorklistQuery {
    #[param(value_type = Option<String>, format = Uuid)]
    pub facility_id: Option<FacilityId>,
    /// Received at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Received before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    pub modality: Option<String>,
    /// Part of the patient's name or ID.
    pub patient: Option<String>,
    #[param(pattern = "^(received|in_review|reported)$")]
    pub status: Option<String>,
    #[param(pattern = "^(routine|urgent|stat)$")]
    pub priority: Option<String>,
    /// The accession number, exactly.
    pub accession: Option<String>,
    /// Newest received first (the default) or oldest first; a cursor pages on
    /// in the order that produced it.
    #[param(pattern = "^(newest|oldest)$")]
    pub order: Option<String>,
    /// Where the previous page ended: its `next_cursor`, as given.
    pub cursor: Option<String>,
    /// 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

fn parse_status(raw: &str) -> Result<StudyStatus, ApiError> {
    StudyStatus::parse(raw).ok_or_else(|| ApiError::invalid("status", "status is received, in_review or reported"))
}

fn parse_priority(raw: &str) -> Result<Priority, ApiError> {
    Priority::parse(raw).ok_or_else(|| ApiError::invalid("priority", "priority is routine, urgent or stat"))
}

/// Loads a study the user may read, or 404 — also for another facility's study.
pub(crate) async fn readable_study(
    state: &AppState,
    user: &CurrentUser,
    id: StudyId,
    action: Action,
) -> ApiResult<StudyDetail> {
    match state.ports.studies.get_study(id).await? {
        Some(detail) => {
            authorize(&user.0, action, Some(detail.study.facility_id))?;
            Ok(detail)
        }
        None => {
            authorize(&user.0, action, None)?;
            Err(ApiError::NotFound)
        }
    }
}

#[utoipa::path(get, path = "/api/v1/studies", operation_id = "list_studies", params(WorklistQuery), security(("bearer" = [])), responses((status = 200, body = StudyPage)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<WorklistQuery>,
) -> ApiResult<Json<StudyPage>> {
    let facility_id = match (user.0.role, query.facility_id) {
        // A facility user sees their own facility only, whatever they ask for.
        (Role::FacilityUser(own), Some(asked)) if asked != own => return Err(ApiError::Forbidden),
        (Role::FacilityUser(own), _) => Some(own),
        (_, asked) => asked,
    };
    authorize(&user.0, Action::ReadStudies, facility_id)?;
    let status = query.status.as_deref().map(parse_status).transpose()?;
    let priority = query.priority.as_deref().map(parse_priority).transpose()?;
    let order = match query.order.as_deref() {
        Some(raw) => ListingOrder::parse(raw).ok_or_else(|| ApiError::invalid("order", "order is newest or oldest"))?,
        None => ListingOrder::default(),
    };
    let limit = match query.limit {
        Some(n) => PageLimit::new(n).ok_or_else(|| ApiError::invalid("limit", "limit is between 1 and 500"))?,
        None => PageLimit::DEFAULT,
    };
    // An empty parameter (`?cursor=`, as a form sends it) is an absent one.
    let after = query.cursor.as_deref().filter(|c| !c.is_empty()).map(crate::cursor::decode).transpose()?;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from >= to
    {
        return Err(ApiError::invalid("from", "from must be before to"));
    }
    let filter = StudyFilter {
        facility_id,
        received_from: query.from,
        received_to: query.to,
        modality: query.modality.filter(|m| !m.trim().is_empty()),
        patient: query.patient.filter(|p| !p.trim().is_empty()),
        status,
        priority,
        accession: query.accession.filter(|a| !a.trim().is_empty()),
        order,
    };
    let page = state.ports.studies.list_studies(&filter, &PageRequest { limit, after }).await?;
    Ok(Json(StudyPage {
        items: page.items.iter().map(StudyItem::from).collect(),
        next_cursor: page.next_cursor.as_ref().map(crate::cursor::encode),
    }))
}

#[utoipa::path(get, path = "/api/v1/studies/{id}", params(("id" = String, Path, format = Uuid, description = "The study")), operation_id = "get_study", security(("bearer" = [])), responses((status = 200, body = StudyDetailView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<StudyId>,
) -> ApiResult<Json<StudyDetailView>> {
    let detail = readable_study(&state, &user, id, Action::ReadStudies).await?;
    Ok(Json(StudyDetailView::from(&detail)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStudy {
    /// `received`, `in_review` or `reported`.
    #[schema(pattern = "^(received|in_review|reported)$")]
    pub status: Option<String>,
    /// `routine`, `urgent` or `stat`.
    #[schema(pattern = "^(routine|urgent|stat)$")]
    pub priority: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/studies/{id}", params(("id" = String, Path, format = Uuid, description = "The study")), operation_id = "update_study", request_body = UpdateStudy, security(("bearer" = [])), responses((status = 200, body = StudyItem)))]
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<StudyId>,
    ApiJson(body): ApiJson<UpdateStudy>,
) -> ApiResult<Json<StudyItem>> {
    let before = readable_study(&state, &user, id, Action::UpdateStudy).await?;
    let change = StudyChange {
        status: body.status.as_deref().map(parse_status).transpose()?,
        priority: body.priority.as_deref().map(parse_priority).transpose()?,
    };
    let ports = &state.ports;
    let after =
        update_workflow(ports.studies.as_ref(), ports.audit.as_ref(), &user.actor(), &before.study, change, now())
            .await?;
    Ok(Json(StudyItem::from(&after)))
}

/// How long a download link stays valid.
const DOWNLOAD_LINK_LIFETIME: Duration = Duration::from_secs(300);

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FileParams {
    #[param(value_type = String, format = Uuid)]
    id: StudyId,
    sop_instance_uid: String,
}

#[utoipa::path(get, path = "/api/v1/studies/{id}/instances/{sop_instance_uid}/file", operation_id = "download_instance", params(FileParams), security(("bearer" = [])),
    responses((status = 200, description = "The Part-10 file", content_type = "application/dicom"), (status = 307, description = "Redirect to a time-limited object store URL")))]
pub async fn file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(params): Path<FileParams>,
) -> ApiResult<Response> {
    let FileParams { id, sop_instance_uid: sop } = params;
    let detail = readable_study(&state, &user, id, Action::ReadStudies).await?;
    let sop = Uid::parse(&sop).map_err(|_| ApiError::NotFound)?;
    let instance = detail.instances.iter().find(|i| i.sop_instance_uid == sop).ok_or(ApiError::NotFound)?;
    if let Some(url) = state.ports.objects.download_url(&instance.object_key, DOWNLOAD_LINK_LIFETIME).await? {
        return Ok(Redirect::temporary(&url).into_response());
    }
    let reader = state.ports.objects.read(&instance.object_key).await?.ok_or(ApiError::NotFound)?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(reader));
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/dicom".to_owned()),
            (header::CONTENT_LENGTH, instance.size_bytes.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{sop}.dcm\"")),
        ],
        body,
    )
        .into_response())
}
