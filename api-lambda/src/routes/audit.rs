use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Timelike, Utc};
use noctis_core::domain::{AuditEvent, AuditKind, AuditQuery, FacilityId, PageLimit, PageRequest, now};
use serde::{Deserialize, Serialize};

use crate::access::{Action, authorize};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::extract::CurrentUser;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// At or after (RFC 3339); default 7 days before `to`.
    pub from: Option<DateTime<Utc>>,
    /// Before (RFC 3339); default now.
    pub to: Option<DateTime<Utc>>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub facility_id: Option<FacilityId>,
    /// `user:<id>`, `ae:<AE title>` or `system`.
    pub actor: Option<String>,
    #[param(
        pattern = "^(association_accepted|association_rejected|instance_stored|dicom_query|dicom_retrieve|storage_commitment|sign_in|sign_in_failed|facility_created|facility_updated|facility_activated|facility_deactivated|user_created|user_updated|password_changed|study_updated|study_deleted|series_deleted|instance_deleted|study_moved|index_rebuilt|report_saved|address_banned|ban_lifted)$"
    )]
    pub kind: Option<String>,
    /// Where the previous page ended: its `next_cursor`, as given.
    pub cursor: Option<String>,
    /// 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

/// A query spans at most this long, so a listing by time stays bounded.
const MAX_SPAN_DAYS: i64 = 366;

/// The times an audit query may name: every event falls between them, and
/// arithmetic on them cannot leave chrono's range.
fn earliest() -> DateTime<Utc> {
    DateTime::from_timestamp(-2_208_988_800, 0).unwrap_or(DateTime::<Utc>::MIN_UTC) // 1900-01-01
}

fn latest() -> DateTime<Utc> {
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC) // 9999-12-31T23:59:59
}

#[utoipa::path(get, path = "/api/v1/audit", operation_id = "list_audit_events", params(AuditParams), security(("bearer" = [])), responses((status = 200, body = AuditPage)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> ApiResult<Json<AuditPage>> {
    authorize(&user.0, Action::ReadAudit, None)?;
    let to = params.to.unwrap_or_else(|| now() + chrono::Duration::seconds(1));
    for (field, value) in [("to", Some(to)), ("from", params.from)] {
        if value.is_some_and(|t| !(earliest()..=latest()).contains(&t)) {
            return Err(ApiError::invalid(field, "times are between 1900 and 9999"));
        }
    }
    let from = params.from.unwrap_or(to - chrono::Duration::days(7));
    if from >= to {
        return Err(ApiError::invalid("from", "from must be before to"));
    }
    if to - from > chrono::Duration::days(MAX_SPAN_DAYS) {
        return Err(ApiError::invalid("from", format!("a query spans at most {MAX_SPAN_DAYS} days")));
    }
    let kind = params
        .kind
        .as_deref()
        .map(|k| AuditKind::parse(k).ok_or_else(|| ApiError::invalid("kind", "unknown event kind")))
        .transpose()?;
    let limit = match params.limit {
        Some(n) => PageLimit::new(n).ok_or_else(|| ApiError::invalid("limit", "limit is between 1 and 500"))?,
        None => PageLimit::DEFAULT,
    };
    // An empty parameter (`?cursor=`, as a form sends it) is an absent one.
    let after = params.cursor.as_deref().filter(|c| !c.is_empty()).map(crate::cursor::decode).transpose()?;
    let actor = params.actor.filter(|a| !a.is_empty());
    let query = AuditQuery { from, to, facility_id: params.facility_id, actor, kind };
    let page = state.ports.audit.query(&query, &PageRequest { limit, after }).await?;
    Ok(Json(AuditPage { items: page.items, next_cursor: page.next_cursor.as_ref().map(crate::cursor::encode) }))
}

#[cfg(test)]
mod tests {
    use noctis_core::domain::AuditKind;

    #[test]
    fn the_documented_kinds_are_exactly_the_domains() {
        let document = serde_json::to_value(crate::openapi_document()).expect("serialises");
        let parameters =
            document["paths"]["/api/v1/audit"]["get"]["parameters"].as_array().cloned().unwrap_or_default();
        let kind = parameters.iter().find(|p| p["name"] == "kind").expect("a kind parameter");
        let pattern = kind["schema"]["pattern"].as_str().expect("a pattern");
        let documented: Vec<&str> = pattern.trim_start_matches("^(").trim_end_matches(")$").split('|').collect();
        let domain: Vec<&str> = AuditKind::ALL.iter().map(AuditKind::as_str).collect();
        assert_eq!(documented, domain);
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RefusalCountView {
    /// Why, as the receiver recorded it (e.g. `calling_ae_title_unknown`).
    pub reason: String,
    pub refusals: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RefusalsView {
    /// The start of the first whole UTC hour counted: 23 hours before the current one.
    pub since: DateTime<Utc>,
    /// Most first.
    pub reasons: Vec<RefusalCountView>,
}

/// Associations refused over the last 24 hours (the current UTC hour and the 23
/// before it), by reason, from every receiver.
#[utoipa::path(get, path = "/api/v1/audit/refusals", operation_id = "count_refusals", security(("bearer" = [])), responses((status = 200, body = RefusalsView)))]
pub async fn refusals(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<RefusalsView>> {
    authorize(&user.0, Action::ReadAudit, None)?;
    let at = now();
    let first = at - chrono::Duration::hours(23);
    let since = first.date_naive().and_hms_opt(first.hour(), 0, 0).map_or(first, |hour| hour.and_utc());
    let counts = state.ports.audit.refusals_by_reason(first, at).await?;
    Ok(Json(RefusalsView {
        since,
        reasons: counts.into_iter().map(|c| RefusalCountView { reason: c.reason, refusals: c.refusals }).collect(),
    }))
}
