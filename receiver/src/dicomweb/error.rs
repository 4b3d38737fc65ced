//! One JSON error shape for DICOMweb, the API's own: `{"error": {"code", "message"}}`.
//! A per-instance STOW failure is not an error here: it is a Failure Reason
//! in the store-instances response (PS3.18 10.5.3).

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use noctis_core::ports::StoreError;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("sign in first: send the API's token as a bearer token, or the console's session cookie")]
    Unauthenticated,
    #[error("the request lacks this session's CSRF token (header x-csrf-token)")]
    CsrfRejected,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// Staff act on every facility: they name the one they mean.
    #[error(
        "name the facility: /dicomweb/facilities/{{facility_id}}/… (only a facility user's /dicomweb is their own)"
    )]
    FacilityRequired,
    #[error("the facility is deactivated: it cannot store")]
    FacilityInactive,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("the index or the object store is unavailable")]
    Unavailable,
}

impl WebError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            WebError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            WebError::CsrfRejected => (StatusCode::FORBIDDEN, "csrf"),
            WebError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            WebError::FacilityInactive => (StatusCode::FORBIDDEN, "facility_inactive"),
            WebError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            WebError::FacilityRequired => (StatusCode::BAD_REQUEST, "facility_required"),
            WebError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            WebError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            WebError::NotAcceptable(_) => (StatusCode::NOT_ACCEPTABLE, "not_acceptable"),
            WebError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        }
    }
}

impl From<StoreError> for WebError {
    fn from(err: StoreError) -> Self {
        tracing::error!(error = %err, "DICOMweb storage failure");
        WebError::Unavailable
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_client_error() {
            tracing::info!(code, message = %self, "DICOMweb request refused");
        }
        let body = Json(json!({"error": {"code": code, "message": self.to_string()}}));
        let mut response = (status, body).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub type WebResult<T> = Result<T, WebError>;
