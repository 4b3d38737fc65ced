//! The local server's stand-in for the load balancer's path routing: requests
//! under `/dicomweb` go to the receiver's DICOMweb listener
//! (`api.dicomweb_upstream`), both bodies streamed, so the console and
//! DICOMweb share one origin under `make run` as they do on AWS. DICOMweb
//! itself (sign-in, scope, STOW, QIDO, WADO) is the receiver's; nothing is
//! decided here. On Lambda it is unset: the balancer routes `/dicomweb` itself.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONNECTION, HOST, TRANSFER_ENCODING};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use crate::error::ApiError;

#[derive(Debug)]
struct Upstream {
    base: String,
    client: reqwest::Client,
}

/// `/dicomweb` and everything under it, forwarded to `upstream`; without one,
/// those paths answer 404 in the API's error shape.
pub fn routes<S: Clone + Send + Sync + 'static>(upstream: Option<&str>) -> Router<S> {
    let Some(base) = upstream else {
        return Router::new()
            .route("/dicomweb", any(|| async { ApiError::NotFound }))
            .route("/dicomweb/{*rest}", any(|| async { ApiError::NotFound }));
    };
    let upstream = Arc::new(Upstream { base: base.trim_end_matches('/').to_owned(), client: reqwest::Client::new() });
    Router::new().route("/dicomweb", any(forward)).route("/dicomweb/{*rest}", any(forward)).with_state(upstream)
}

/// Hop-by-hop headers (RFC 9110 7.6.1) stay on their hop.
fn end_to_end(name: &HeaderName) -> bool {
    ![CONNECTION, TRANSFER_ENCODING, HOST].contains(name) && name.as_str() != "keep-alive"
}

async fn forward(State(upstream): State<Arc<Upstream>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/dicomweb");
    let mut outgoing = upstream.client.request(parts.method.clone(), format!("{}{path}", upstream.base));
    for (name, value) in parts.headers.iter().filter(|(name, _)| end_to_end(name)) {
        outgoing = outgoing.header(name, value);
    }
    // The receiver writes Retrieve URLs for the origin the client reached.
    if let Some(host) = parts.headers.get(HOST) {
        outgoing = outgoing.header("x-forwarded-host", host);
    }
    let outgoing = outgoing.body(reqwest::Body::wrap_stream(body.into_data_stream()));
    match outgoing.send().await {
        Ok(answer) => {
            let mut response = Response::builder().status(answer.status());
            for (name, value) in answer.headers().iter().filter(|(name, _)| end_to_end(name)) {
                response = response.header(name, value);
            }
            response
                .body(Body::from_stream(answer.bytes_stream()))
                .unwrap_or_else(|_| ApiError::Internal.into_response())
        }
        Err(e) => {
            tracing::warn!(error = %e, "DICOMweb upstream unreachable");
            ApiError::Rejected(StatusCode::BAD_GATEWAY, "DICOMweb (the receiver) is not reachable".to_owned())
                .into_response()
        }
    }
}
