//! Extractors whose rejections use the API's JSON error shape.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `axum::Json`, with a 400 naming what was wrong in the body.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(JsonRejection::JsonDataError(e)) => Err(data_error(&e.body_text())),
            Err(e) => Err(ApiError::Rejected(e.status(), e.body_text())),
        }
    }
}

/// `axum::extract::Query`, with a 400 naming the parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(data_error(&e.body_text())),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// serde reports "field: message" paths; the field becomes the error's `field`.
fn data_error(text: &str) -> ApiError {
    let detail = text.split_once(": ").map(|(_, rest)| rest).unwrap_or(text);
    if let Some(field) = detail.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()) {
        return ApiError::invalid(field, format!("{field} is required"));
    }
    if let Some(field) = detail.strip_prefix("unknown field `").and_then(|rest| rest.split('`').next()) {
        return ApiError::invalid(field, format!("{field} is not a field of this request"));
    }
    match detail.split_once(": ") {
        Some((field, message)) if !field.contains(' ') => ApiError::invalid(field, message),
        _ => ApiError::BadRequest(detail.to_owned()),
    }
}
