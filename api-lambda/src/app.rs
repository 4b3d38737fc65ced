//! The router: every route, the shared state, and the layers around them. The
//! same `Router` serves on Lambda and as a local server. Routes and their
//! OpenAPI operations are registered together, from the handlers' annotations,
//! so the document cannot describe a route that is not served or miss one that is.

use axum::Router;
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::routes::{
    account, activity, archive, audit, auth, deletion, facilities, health, receivers, relocation, reports, security,
    studies, users,
};
use crate::state::AppState;

/// Request bodies are small JSON documents; reports are the largest.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// No route needs a longer URI (ids and a few query filters); API Gateway's own
/// limit is 8 KiB too.
const MAX_URI_BYTES: usize = 8 * 1024;

/// Every documented route, with its handler.
fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(auth::login))
        .routes(routes!(auth::open_session, auth::get_session, auth::close_session))
        .routes(routes!(account::me))
        .routes(routes!(account::change_password))
        .routes(routes!(facilities::create, facilities::list))
        .routes(routes!(facilities::export))
        .routes(routes!(facilities::check_ae_title))
        .routes(routes!(facilities::directory))
        .routes(routes!(facilities::get, facilities::update))
        .routes(routes!(facilities::activate))
        .routes(routes!(facilities::deactivate))
        .routes(routes!(facilities::stats))
        .routes(routes!(facilities::dicom_config))
        .routes(routes!(users::create, users::list))
        .routes(routes!(users::get, users::update))
        .routes(routes!(studies::list))
        .routes(routes!(studies::get, studies::update, deletion::study))
        .routes(routes!(deletion::series))
        .routes(routes!(relocation::move_to))
        .routes(routes!(deletion::instance))
        .routes(routes!(studies::file))
        .routes(routes!(archive::download))
        .routes(routes!(reports::get, reports::put))
        .routes(routes!(audit::list))
        .routes(routes!(audit::refusals))
        .routes(routes!(activity::get))
        .routes(routes!(receivers::list))
        .routes(routes!(security::list))
        .routes(routes!(security::lift))
}

/// The OpenAPI document of exactly the routes `router` serves.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut document = documented_routes().split_for_parts().1;
    crate::openapi::add_standard_responses(&mut document);
    document
}

pub fn router(state: AppState) -> Router {
    let (routes, _) = documented_routes().split_for_parts();
    let document = std::sync::Arc::new(openapi_document());
    routes
        .route("/api/v1/openapi.json", get(move || async move { axum::Json(document.as_ref().clone()) }))
        .merge(crate::console::routes(state.config.api.console_dir.as_deref()))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(crate::error::json_errors))
        // After the body limit, so STOW-RS uploads stream through at any size; and
        // after the error mapping, so DICOMweb's answers (a 409 store-instances
        // response in DICOM JSON) pass as the receiver gave them.
        .merge(crate::dicomweb_proxy::routes(state.config.api.dicomweb_upstream.as_deref()))
        .layer(axum::middleware::from_fn(refuse_long_uris))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::map_response(crate::console::with_security_headers))
        .with_state(state)
}

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
