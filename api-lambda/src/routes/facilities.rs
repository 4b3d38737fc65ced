use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use noctis_core::domain::{
    AeTitle, AllowedNetworks, EmailAddress, Facility, FacilityDraft, FacilityId, FacilityName, LicenseNumber,
    MoveDestination, MoveDestinations, RetentionPeriod, Username, now,
};
use noctis_core::usecases::facilities::{
    FacilityChange, FirstUser, NewFacility, Registration, ae_title_is_free, facility_stats, preview_ae_title,
    register_facility, set_facility_active, update_facility,
};
use serde::{Deserialize, Serialize};

use super::parse_field;
use super::users::UserView;
use crate::access::{Action, authorize};
use crate::error::{ApiError, ApiResult};
use crate::extract::CurrentUser;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FacilityView {
    #[schema(value_type = String, format = Uuid)]
    pub id: FacilityId,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub license_number: String,
    pub ae_title: String,
    pub allowed_networks: Vec<String>,
    /// The facility's DICOM nodes a C-MOVE may send its studies to.
    pub move_destinations: Vec<MoveDestinationBody>,
    /// Days its studies are kept after their last receipt; for ever when null.
    pub retention_days: Option<u32>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub revision: u64,
}

/// A DICOM node of the facility that C-MOVE may send to: its AE title, and
/// the host (DNS name or IP address) and port it listens on.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveDestinationBody {
    #[schema(pattern = "^ *[!-\\[\\]-~][ -\\[\\]-~]{0,15} *$")]
    pub ae_title: String,
    #[schema(min_length = 1, max_length = 253)]
    pub host: String,
    #[schema(minimum = 1, maximum = 65535)]
    pub port: u32,
}

impl From<&MoveDestination> for MoveDestinationBody {
    fn from(d: &MoveDestination) -> Self {
        Self { ae_title: d.ae_title.to_string(), host: d.host.clone(), port: u32::from(d.port) }
    }
}

impl From<&Facility> for FacilityView {
    fn from(f: &Facility) -> Self {
        Self {
            id: f.id,
            name: f.name.to_string(),
            address: f.address.clone(),
            phone: f.phone.clone(),
            email: f.email.to_string(),
            license_number: f.license_number.to_string(),
            ae_title: f.ae_title.to_string(),
            allowed_networks: f.allowed_networks.networks().iter().map(ToString::to_string).collect(),
            move_destinations: f.move_destinations.as_slice().iter().map(MoveDestinationBody::from).collect(),
            retention_days: f.retention.map(|p| p.as_days()),
            active: f.active,
            created_at: f.created_at,
            updated_at: f.updated_at,
            revision: f.revision,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FacilityUserRequest {
    #[schema(pattern = "^\\s*[A-Za-z0-9._@-]{3,64}\\s*$")]
    pub username: String,
    #[schema(min_length = 12, max_length = 1024)]
    pub password: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFacility {
    #[schema(
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069][^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]*$"
    )]
    pub name: String,
    #[serde(default)]
    #[schema(
        max_length = 500,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]*$"
    )]
    pub address: String,
    #[serde(default)]
    #[schema(
        max_length = 64,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]*$"
    )]
    pub phone: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(
        max_length = 64,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069][^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]*$"
    )]
    pub license_number: String,
    /// Chosen AE title; generated from the name when absent.
    #[schema(pattern = "^ *[!-\\[\\]-~][ -\\[\\]-~]{0,15} *$")]
    pub ae_title: Option<String>,
    /// CIDRs the facility's modalities connect from; any when empty.
    #[serde(default)]
    pub allowed_networks: Vec<String>,
    /// DICOM nodes of the facility a C-MOVE may send to; none when empty.
    #[serde(default)]
    #[schema(max_items = 16)]
    pub move_destinations: Vec<MoveDestinationBody>,
    /// Days its studies are kept after their last receipt, then deleted by the
    /// retention job; for ever when absent or null.
    #[serde(default, deserialize_with = "crate::extract::whole_number")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 36500)]
    pub retention_days: Option<u64>,
    /// A first facility user, created with the facility.
    pub facility_user: Option<FacilityUserRequest>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedFacility {
    #[serde(flatten)]
    pub facility: FacilityView,
    pub facility_user: Option<UserView>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFacility {
    #[schema(
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069][^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]*$"
    )]
    pub name: Option<String>,
    #[schema(
        max_length = 500,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]*$"
    )]
    pub address: Option<String>,
    #[schema(
        max_length = 64,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]*$"
    )]
    pub phone: Option<String>,
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[schema(
        max_length = 64,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069][^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]*$"
    )]
    pub license_number: Option<String>,
    #[schema(pattern = "^ *[!-\\[\\]-~][ -\\[\\]-~]{0,15} *$")]
    pub ae_title: Option<String>,
    pub allowed_networks: Option<Vec<String>>,
    #[schema(max_items = 16)]
    pub move_destinations: Option<Vec<MoveDestinationBody>>,
    /// Days its studies are kept after their last receipt; null keeps them for ever.
    #[serde(default, deserialize_with = "crate::extract::nullable_whole_number")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 36500)]
    pub retention_days: Option<Option<u64>>,
    /// The revision the change was based on; a stale one is refused with 409.
    pub revision: Option<u64>,
}

fn text(field: &str, value: &str, max: usize) -> ApiResult<String> {
    let value = value.trim();
    if value.chars().count() > max || !noctis_core::domain::is_plain_text(value) {
        return Err(ApiError::invalid(field, format!("{field} has at most {max} printable characters")));
    }
    Ok(value.to_owned())
}

fn networks(values: &[String]) -> ApiResult<AllowedNetworks> {
    AllowedNetworks::parse(values).map_err(|e| ApiError::invalid("allowed_networks", e))
}

fn destinations(values: &[MoveDestinationBody]) -> ApiResult<MoveDestinations> {
    let raw: Vec<(String, String, u32)> = values.iter().map(|d| (d.ae_title.clone(), d.host.clone(), d.port)).collect();
    MoveDestinations::parse(&raw).map_err(|e| ApiError::invalid("move_destinations", e))
}

fn retention(days: u64) -> ApiResult<RetentionPeriod> {
    RetentionPeriod::days(days).map_err(|e| ApiError::invalid("retention_days", e))
}

async fn load(state: &AppState, id: FacilityId) -> ApiResult<Facility> {
    state.ports.facilities.get(id).await?.ok_or(ApiError::NotFound)
}

#[utoipa::path(post, path = "/api/v1/facilities", operation_id = "create_facility", request_body = CreateFacility, security(("bearer" = [])),
    responses((status = 201, body = CreatedFacility), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<CreateFacility>,
) -> ApiResult<(StatusCode, Json<CreatedFacility>)> {
    authorize(&user.0, Action::ManageFacilities, None)?;
    let draft = FacilityDraft {
        name: FacilityName::parse(&body.name).map_err(|e| ApiError::invalid("name", e))?,
        address: text("address", &body.address, 500)?,
        phone: text("phone", &body.phone, 64)?,
        email: EmailAddress::parse(&body.email).map_err(|e| ApiError::invalid("email", e))?,
        license_number: LicenseNumber::parse(&body.license_number)
            .map_err(|e| ApiError::invalid("license_number", e))?,
        allowed_networks: networks(&body.allowed_networks)?,
        move_destinations: destinations(&body.move_destinations)?,
        retention: body.retention_days.map(retention).transpose()?,
    };
    let ae_title = parse_field("ae_title", body.ae_title.as_deref(), AeTitle::parse)?;
    let first_user = match body.facility_user {
        Some(first) => Some(FirstUser {
            username: Username::parse(&first.username).map_err(|e| ApiError::invalid("facility_user.username", e))?,
            email: EmailAddress::parse(&first.email).map_err(|e| ApiError::invalid("facility_user.email", e))?,
            password: first.password,
        }),
        None => None,
    };
    let ports = &state.ports;
    let request = NewFacility { draft, ae_title, first_user };
    let Registration { facility, first_user } =
        register_facility(ports.facilities.as_ref(), ports.audit.as_ref(), &user.actor(), request, now()).await?;
    let facility_user = first_user.as_ref().map(UserView::from);
    Ok((StatusCode::CREATED, Json(CreatedFacility { facility: FacilityView::from(&facility), facility_user })))
}

#[utoipa::path(get, path = "/api/v1/facilities", operation_id = "list_facilities", security(("bearer" = [])), responses((status = 200, body = Vec<FacilityView>)))]
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<FacilityView>>> {
    authorize(&user.0, Action::ManageFacilities, None)?;
    Ok(Json(state.ports.facilities.list().await?.iter().map(FacilityView::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/facilities/{id}", params(("id" = String, Path, format = Uuid, description = "The facility")), operation_id = "get_facility", security(("bearer" = [])), responses((status = 200, body = FacilityView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<FacilityId>,
) -> ApiResult<Json<FacilityView>> {
    authorize(&user.0, Action::ManageFacilities, Some(id))?;
    Ok(Json(FacilityView::from(&load(&state, id).await?)))
}

#[utoipa::path(patch, path = "/api/v1/facilities/{id}", params(("id" = String, Path, format = Uuid, description = "The facility")), operation_id = "update_facility", request_body = UpdateFacility, security(("bearer" = [])),
    responses((status = 200, body = FacilityView), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<FacilityId>,
    ApiJson(body): ApiJson<UpdateFacility>,
) -> ApiResult<Json<FacilityView>> {
    authorize(&user.0, Action::ManageFacilities, Some(id))?;
    let change = FacilityChange {
        name: parse_field("name", body.name.as_deref(), FacilityName::parse)?,
        address: body.address.as_deref().map(|address| text("address", address, 500)).transpose()?,
        phone: body.phone.as_deref().map(|phone| text("phone", phone, 64)).transpose()?,
        email: parse_field("email", body.email.as_deref(), EmailAddress::parse)?,
        license_number: parse_field("license_number", body.license_number.as_deref(), LicenseNumber::parse)?,
        ae_title: parse_field("ae_title", body.ae_title.as_deref(), AeTitle::parse)?,
        allowed_networks: body.allowed_networks.as_deref().map(networks).transpose()?,
        move_destinations: body.move_destinations.as_deref().map(destinations).transpose()?,
        retention: body.retention_days.map(|days| days.map(retention).transpose()).transpose()?,
    };
    let ports = &state.ports;
    let stored = update_facility(
        ports.facilities.as_ref(),
        ports.audit.as_ref(),
        &user.actor(),
        id,
        change,
        body.revision,
        now(),
    )
    .await?;
    Ok(Json(FacilityView::from(&stored)))
}

async fn set_active(state: AppState, user: CurrentUser, id: FacilityId, active: bool) -> ApiResult<Json<FacilityView>> {
    authorize(&user.0, Action::ManageFacilities, Some(id))?;
    let ports = &state.ports;
    let stored =
        set_facility_active(ports.facilities.as_ref(), ports.audit.as_ref(), &user.actor(), id, active, now()).await?;
    Ok(Json(FacilityView::from(&stored)))
}

#[utoipa::path(post, path = "/api/v1/facilities/{id}/deactivate", params(("id" = String, Path, format = Uuid, description = "The facility")), operation_id = "deactivate_facility", security(("bearer" = [])), responses((status = 200, body = FacilityView)))]
pub async fn deactivate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<FacilityId>,
) -> ApiResult<Json<FacilityView>> {
    set_active(state, user, id, false).await
}

#[utoipa::path(post, path = "/api/v1/facilities/{id}/activate", params(("id" = String, Path, format = Uuid, description = "The facility")), operation_id = "activate_facility", security(("bearer" = [])), responses((status = 200, body = FacilityView)))]
pub async fn activate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<FacilityId>,
) -> ApiResult<Json<FacilityView>> {
    set_active(state, user, id, true).await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FacilityStatsView {
    pub studies: u64,
    pub instances: u64,
    pub bytes: u64,
    pub last_received_at: Option<DateTime<Utc>>,
    pub associations_accepted: u64,
    pub associations_rejected: u64,
}

#[utoipa::path(get, path = "/api/v1/facilities/{id}/stats", params(("id" = String, Path, format = Uuid, description = "The facility")), operation_id = "get_facility_stats", security(("bearer" = [])), responses((status = 200, body = FacilityStatsView)))]
pub async fn stats(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<FacilityId>,
) -> ApiResult<Json<FacilityStatsView>> {
    authorize(&user.0, Action::ManageFacilities, Some(id))?;
    let ports = &state.ports;
    let stats =
        facility_stats(ports.facilities.as_ref(), ports.studies.as_ref(), ports.audit.as_ref(), id, now()).await?;
    Ok(Json(FacilityStatsView {
        studies: stats.studies,
        instances: stats.instances,
        bytes: stats.bytes,
        last_received_at: stats.last_received_at,
        associations_accepted: stats.associations_accepted,
        associations_rejected: stats.associations_rejected,
    }))
}

/// A facility as lists name it: what the worklist shows beside a study.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FacilityEntry {
    #[schema(value_type = String, format = Uuid)]
    pub id: FacilityId,
    pub name: String,
    pub ae_title: String,
    pub active: bool,
}

/// The facilities whose studies the caller may read, by name: all of them for
/// administrators and radiologists, their own for a facility user.
#[utoipa::path(get, path = "/api/v1/facilities/directory", operation_id = "list_facility_names", security(("bearer" = [])),
    responses((status = 200, body = Vec<FacilityEntry>)))]
pub async fn directory(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<FacilityEntry>>> {
    authorize(&user.0, Action::ReadStudies, None)?;
    let own = user.0.role.facility();
    let entries = state
        .ports
        .facilities
        .list()
        .await?
        .iter()
        .filter(|f| own.is_none_or(|own| own == f.id))
        .map(|f| FacilityEntry {
            id: f.id,
            name: f.name.to_string(),
            ae_title: f.ae_title.to_string(),
            active: f.active,
        })
        .collect();
    Ok(Json(entries))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AeTitleQuery {
    /// A facility name: previews the title it would be given.
    #[param(max_length = 200)]
    pub name: Option<String>,
    /// A title the administrator wants: checked, and whether it is free.
    #[param(max_length = 64)]
    pub ae_title: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AeTitleCheck {
    pub ae_title: String,
    /// No facility holds it now (registration still decides).
    pub available: bool,
}

/// The registration form's live preview: the AE title a name would produce,
/// or whether a chosen one is valid and free.
#[utoipa::path(get, path = "/api/v1/facilities/ae-title", operation_id = "check_ae_title", params(AeTitleQuery), security(("bearer" = [])),
    responses((status = 200, body = AeTitleCheck)))]
pub async fn check_ae_title(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<AeTitleQuery>,
) -> ApiResult<Json<AeTitleCheck>> {
    authorize(&user.0, Action::ManageFacilities, None)?;
    let registry = state.ports.facilities.as_ref();
    match (query.ae_title.as_deref(), query.name.as_deref()) {
        (Some(chosen), _) => {
            let ae_title = AeTitle::parse(chosen).map_err(|e| ApiError::invalid("ae_title", e))?;
            let available = ae_title_is_free(registry, &ae_title).await?;
            Ok(Json(AeTitleCheck { ae_title: ae_title.to_string(), available }))
        }
        (None, Some(name)) => {
            let name = FacilityName::parse(name).map_err(|e| ApiError::invalid("name", e))?;
            let ae_title = preview_ae_title(registry, name.as_str()).await?;
            Ok(Json(AeTitleCheck { ae_title: ae_title.to_string(), available: true }))
        }
        (None, None) => Err(ApiError::invalid("name", "give a name or an ae_title")),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` or `json` (default).
    #[param(pattern = "^(csv|json)$")]
    pub format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/facilities/export", operation_id = "export_facilities", params(ExportQuery), security(("bearer" = [])),
    responses((status = 200, description = "CSV or JSON list of facilities")))]
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    authorize(&user.0, Action::ManageFacilities, None)?;
    let facilities: Vec<FacilityView> = state.ports.facilities.list().await?.iter().map(FacilityView::from).collect();
    match query.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(facilities).into_response()),
        "csv" => {
            let mut out = String::from(
                "id,name,ae_title,license_number,email,phone,address,allowed_networks,active,created_at\r\n",
            );
            for f in &facilities {
                let row = [
                    f.id.to_string(),
                    f.name.clone(),
                    f.ae_title.clone(),
                    f.license_number.clone(),
                    f.email.clone(),
                    f.phone.clone(),
                    f.address.clone(),
                    f.allowed_networks.join(" "),
                    f.active.to_string(),
                    f.created_at.to_rfc3339(),
                ];
                out.push_str(&row.iter().map(|v| csv_field(v)).collect::<Vec<_>>().join(","));
                out.push_str("\r\n");
            }
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (header::CONTENT_DISPOSITION, "attachment; filename=\"facilities.csv\""),
                ],
                out,
            )
                .into_response())
        }
        _ => Err(ApiError::invalid("format", "format is csv or json")),
    }
}

/// RFC 4180 quoting; a leading formula character is neutralised so a
/// spreadsheet does not execute a facility's name.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\r', '\n']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DicomSheet {
    pub facility: String,
    /// Called AE title: the title the modality must address.
    pub called_ae_title: String,
    /// Calling AE title: the modality's own title, as registered.
    pub calling_ae_title: String,
    pub host: String,
    pub port: u16,
    /// DICOM over TLS; absent when the deployment has no TLS listener.
    pub tls_port: Option<u16>,
    pub allowed_networks: Vec<String>,
    pub active: bool,
}

#[utoipa::path(get, path = "/api/v1/facilities/{id}/dicom-config", params(("id" = String, Path, format = Uuid, description = "The facility")), operation_id = "get_facility_dicom_sheet", security(("bearer" = [])), responses((status = 200, body = DicomSheet)))]
pub async fn dicom_config(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<FacilityId>,
) -> ApiResult<Json<DicomSheet>> {
    authorize(&user.0, Action::ReadDicomSheet, Some(id))?;
    let facility = load(&state, id).await?;
    let api = &state.config.api;
    Ok(Json(DicomSheet {
        facility: facility.name.to_string(),
        called_ae_title: state.config.dicom.ae_title.to_string(),
        calling_ae_title: facility.ae_title.to_string(),
        host: api.public_dicom_host.clone(),
        port: api.public_dicom_port,
        tls_port: (api.public_dicom_tls_port != 0).then_some(api.public_dicom_tls_port),
        allowed_networks: facility.allowed_networks.networks().iter().map(ToString::to_string).collect(),
        active: facility.active,
    }))
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_field("Mercy"), "Mercy");
        assert_eq!(csv_field("A, B"), "\"A, B\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
    }
}
