//! What every DICOMweb handler reads of its request, in one extractor.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OriginalUri, Path, RawQuery};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::DicomWeb;
use super::auth::Caller;
use super::error::WebError;
use super::scope::Ids;
use super::urls::ServiceBase;

#[derive(Debug)]
pub struct WebRequest {
    pub caller: Caller,
    pub ids: Ids,
    pub headers: HeaderMap,
    /// The service's URL as the client reached it.
    pub base: ServiceBase,
    pub query: String,
}

impl FromRequestParts<Arc<DicomWeb>> for WebRequest {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<DicomWeb>) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let Path(ids) =
            Path::<Ids>::from_request_parts(parts, state).await.map_err(|e| WebError::BadRequest(e.body_text()))?;
        let uri = OriginalUri::from_request_parts(parts, state).await.unwrap_or_else(|e| match e {});
        let RawQuery(query) = RawQuery::from_request_parts(parts, state).await.unwrap_or_else(|e| match e {});
        let base = ServiceBase::of(&parts.headers, &uri);
        Ok(Self { caller, ids, headers: parts.headers.clone(), base, query: query.unwrap_or_default() })
    }
}
