//! One JSON error shape for every failure: `{"error": {"code", "message", "field"?}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use noctis_core::ports::{StoreError, Taken};
use noctis_core::usecases::UseCaseError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("sign in first")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    /// A cookie session's change without the session's CSRF header.
    #[error("the request lacks this session's CSRF token (header x-csrf-token)")]
    CsrfRejected,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// A value another record already holds, named so a form can show it by its field.
    #[error("{message}")]
    Taken { field: &'static str, message: String },
    #[error("too many attempts; try again later")]
    TooManyRequests,
    /// An extractor's refusal, with the status it chose (413, 415, …).
    #[error("{1}")]
    Rejected(StatusCode, String),
    #[error("internal error")]
    Internal,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `validation`, `unauthenticated`, `forbidden`, …
    pub code: &'static str,
    pub message: String,
    /// The request field at fault, for `validation` and for a `conflict` over a taken value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn invalid(field: &str, error: impl std::fmt::Display) -> Self {
        ApiError::Validation { field: field.to_owned(), message: error.to_string() }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Validation { .. } => (StatusCode::BAD_REQUEST, "validation"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::CsrfRejected => (StatusCode::FORBIDDEN, "csrf"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) | ApiError::Taken { .. } => (StatusCode::CONFLICT, "conflict"),
            ApiError::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::Rejected(status, _) => (*status, code_of(*status)),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let field = match &self {
            ApiError::Validation { field, .. } => Some(field.clone()),
            ApiError::Taken { field, .. } => Some((*field).to_owned()),
            _ => None,
        };
        let body = ErrorBody { error: ErrorDetail { code, message: self.to_string(), field } };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(Taken::AeTitle) => {
                ApiError::Taken { field: "ae_title", message: "the AE title is already taken".into() }
            }
            StoreError::Conflict(Taken::LicenseNumber) => {
                ApiError::Taken { field: "license_number", message: "the licence number is already registered".into() }
            }
            StoreError::Conflict(Taken::Username) => {
                ApiError::Taken { field: "username", message: "the username is already taken".into() }
            }
            StoreError::StaleRevision { .. } => {
                ApiError::Conflict("the record changed meanwhile; reload and retry".into())
            }
            StoreError::NotFound => ApiError::NotFound,
            other => {
                tracing::error!(error = %other, "storage failure");
                ApiError::Internal
            }
        }
    }
}

impl From<UseCaseError> for ApiError {
    fn from(err: UseCaseError) -> Self {
        match err {
            UseCaseError::Invalid { field, message } => ApiError::Validation { field: field.to_owned(), message },
            UseCaseError::NotFound => ApiError::NotFound,
            UseCaseError::Conflict(message) => ApiError::Conflict(message),
            UseCaseError::Store(e) => e.into(),
            UseCaseError::Internal(e) => {
                tracing::error!(error = %e, "internal failure");
                ApiError::Internal
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The largest error body kept as the message of a converted error.
const MAX_MESSAGE: usize = 512;

/// Gives every error response the JSON shape, including those made outside the
/// handlers: the router's 405, the body limit's 413, an extractor's plain-text
/// rejection. A response that already is JSON passes untouched.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MAX_MESSAGE * 4).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).chars().take(MAX_MESSAGE).collect::<String>(),
        Err(_) => String::new(),
    };
    let message = match text.trim() {
        "" => status.canonical_reason().unwrap_or("error").to_lowercase(),
        text => text.to_owned(),
    };
    let body = ErrorBody { error: ErrorDetail { code: code_of(status), message, field: None } };
    let mut converted = (status, Json(body)).into_response();
    for name in [axum::http::header::ALLOW, axum::http::header::WWW_AUTHENTICATE, axum::http::header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            converted.headers_mut().insert(name, value.clone());
        }
    }
    converted
}

fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::URI_TOO_LONG => "uri_too_long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}

impl From<noctis_core::auth::TokenError> for ApiError {
    fn from(err: noctis_core::auth::TokenError) -> Self {
        tracing::error!(error = %err, "internal failure");
        ApiError::Internal
    }
}
