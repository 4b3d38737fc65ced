//! The router: every route, the shared state, and the layers around them. The
//! same `Router` serves on Lambda and as a local server.

use axum::Router;
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::routes::{audit, auth, facilities, health, reports, security, studies, users};
use crate::state::AppState;

/// Request bodies are small JSON documents; reports are the largest.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// No route needs a longer URI (ids and a few query filters); API Gateway's own
/// limit is 8 KiB too.
const MAX_URI_BYTES: usize = 8 * 1024;

/// 414 in the API's error shape, before any routing or extraction.
async fn refuse_long_uris(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    if request.uri().to_string().len() > MAX_URI_BYTES {
        let message = format!("the URI is longer than {MAX_URI_BYTES} bytes");
        return axum::response::IntoResponse::into_response(crate::error::ApiError::Rejected(
            axum::http::StatusCode::URI_TOO_LONG,
            message,
        ));
    }
    next.run(request).await
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/me", get(auth::me))
        .route("/facilities", post(facilities::create).get(facilities::list))
        .route("/facilities/export", get(facilities::export))
        .route("/facilities/{id}", get(facilities::get).patch(facilities::update))
        .route("/facilities/{id}/activate", post(facilities::activate))
        .route("/facilities/{id}/deactivate", post(facilities::deactivate))
        .route("/facilities/{id}/stats", get(facilities::stats))
        .route("/facilities/{id}/dicom-config", get(facilities::dicom_config))
        .route("/users", post(users::create).get(users::list))
        .route("/users/{id}", get(users::get).patch(users::update))
        .route("/studies", get(studies::list))
        .route("/studies/{id}", get(studies::get).patch(studies::update))
        .route("/studies/{id}/instances/{sop_instance_uid}/file", get(studies::file))
        .route("/studies/{id}/report", get(reports::get).put(reports::put))
        .route("/audit", get(audit::list))
        .route("/security/bans", get(security::list))
        .route("/security/bans/{address}", axum::routing::delete(security::lift))
        .route("/openapi.json", get(crate::openapi::document));
    Router::new()
        .route("/healthz", get(health::healthz))
        .nest("/api/v1", api)
        .fallback(|| async { crate::error::ApiError::NotFound })
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(crate::error::json_errors))
        .layer(axum::middleware::from_fn(refuse_long_uris))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
