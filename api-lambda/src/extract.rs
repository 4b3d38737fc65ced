//! Extractors: the signed-in user, the client's address, and JSON bodies and
//! queries whose rejections use the API's JSON error shape.

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use noctis_core::auth::signed_in_user;
use noctis_core::domain::{Actor, Timestamp, User};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::session::{self, Credential};
use crate::state::AppState;

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

/// The signed-in, active user making the request.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor::user(&self.0)
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        CurrentSession::from_request_parts(parts, state).await.map(|session| Self(session.user))
    }
}

/// The signed-in user with what their token says: its CSRF value and expiry.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    pub user: User,
    pub csrf: String,
    pub expires_at: Timestamp,
}

impl FromRequestParts<AppState> for CurrentSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let credential = session::credential(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let verified = state.tokens.verify(credential.token()).ok_or(ApiError::Unauthenticated)?;
        if matches!(credential, Credential::Cookie(_)) && !session::csrf_satisfied(parts, &verified.csrf) {
            return Err(ApiError::CsrfRejected);
        }
        match signed_in_user(state.ports.users.as_ref(), &verified).await? {
            Some(user) => Ok(Self { user, csrf: verified.csrf, expires_at: verified.expires_at }),
            None => Err(ApiError::Unauthenticated),
        }
    }
}

/// The client's address: the viewer the deployment's CloudFront names (when
/// the request proves it came through it), else API Gateway's view of the
/// source on Lambda, else the socket's peer on the local server.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        use lambda_http::request::RequestContext;
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let from_edge = noctis_core::auth::viewer_address(
            state.config.api.edge_secret.as_ref(),
            header(noctis_core::auth::ORIGIN_HEADER),
            header(noctis_core::auth::VIEWER_ADDRESS_HEADER),
        );
        let from_gateway = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.as_deref().and_then(|ip| ip.parse().ok()),
            Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.as_deref().and_then(|ip| ip.parse().ok()),
            _ => None,
        };
        let from_socket = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(Self(from_edge.or(from_gateway).or(from_socket)))
    }
}

/// An optional non-negative integer as JSON Schema counts one: `7` or `7.0`
/// (a number whose fraction is zero), as some clients serialise integers.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    use serde::de::Error;
    let Some(number) = <Option<serde_json::Number> as serde::Deserialize>::deserialize(deserializer)? else {
        return Ok(None);
    };
    if let Some(whole) = number.as_u64() {
        return Ok(Some(whole));
    }
    match number.as_f64() {
        // Below 2^53 every whole f64 is exact.
        Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 9_007_199_254_740_992.0 => Ok(Some(f as u64)),
        _ => Err(D::Error::custom(format!("{number} is not a whole number of 0 or more"))),
    }
}

/// A nullable whole number in a change, where absent leaves the value as it
/// is (`None`, with `#[serde(default)]`) and `null` clears it (`Some(None)`).
pub fn nullable_whole_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<u64>>, D::Error> {
    whole_number(deserializer).map(Some)
}

#[cfg(test)]
mod whole_number_tests {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::whole_number")]
        n: Option<u64>,
    }

    #[derive(serde::Deserialize)]
    struct Change {
        #[serde(default, deserialize_with = "super::nullable_whole_number")]
        n: Option<Option<u64>>,
    }

    fn parse(json: &str) -> Result<Option<u64>, serde_json::Error> {
        serde_json::from_str::<Body>(json).map(|b| b.n)
    }

    #[test]
    fn whole_numbers_are_taken_with_or_without_a_zero_fraction() {
        assert_eq!(parse(r#"{"n": 2886}"#).expect("an integer"), Some(2886));
        assert_eq!(parse(r#"{"n": 2886.0}"#).expect("a whole float"), Some(2886));
        assert_eq!(parse(r#"{"n": null}"#).expect("null"), None);
        assert_eq!(parse("{}").expect("absent"), None);
        assert!(parse(r#"{"n": 1.5}"#).is_err());
        assert!(parse(r#"{"n": -1}"#).is_err());
    }

    #[test]
    fn a_change_tells_absent_from_null() {
        let change = |json: &str| serde_json::from_str::<Change>(json).map(|c| c.n).expect("a change");
        assert_eq!(change("{}"), None);
        assert_eq!(change(r#"{"n": null}"#), Some(None));
        assert_eq!(change(r#"{"n": 30.0}"#), Some(Some(30)));
    }
}
