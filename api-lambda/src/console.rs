//! The web console's files, served by the API itself so that one deployable
//! serves both on Lambda and under `make run`. Assets have content-hashed names
//! and are cached for good; every other page path gets `index.html`, whose
//! script routes in the browser. Paths under `/api/` never fall back to it.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue};
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::ApiError;
use crate::state::AppState;

/// The console's routes: `/assets/*` from the build, and `index.html` for any
/// other GET that no API route answered.
pub fn routes(dir: Option<&Path>) -> Router<AppState> {
    let Some(dir) = dir.map(Path::to_path_buf) else {
        return Router::new().fallback(|uri: Uri| async move { not_built(&uri) });
    };
    // Only what was found is cached: a 404 during a deployment must not stick.
    let immutable = SetResponseHeaderLayer::overriding(CACHE_CONTROL, |response: &Response| {
        response.status().is_success().then(|| HeaderValue::from_static("public, max-age=31536000, immutable"))
    });
    let assets = Router::new().fallback_service(ServeDir::new(dir.join("assets"))).layer(immutable);
    Router::new().nest("/assets", assets).fallback(move |method: Method, uri: Uri| page(dir.clone(), method, uri))
}

async fn page(dir: PathBuf, method: Method, uri: Uri) -> Response {
    if is_api_path(&uri) || !matches!(method, Method::GET | Method::HEAD) {
        return ApiError::NotFound.into_response();
    }
    match tokio::fs::read(dir.join("index.html")).await {
        Ok(html) => (
            [
                (CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
                (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            html,
        )
            .into_response(),
        Err(_) => not_built(&uri),
    }
}

fn is_api_path(uri: &Uri) -> bool {
    ["/api", "/dicomweb"].iter().any(|root| uri.path() == *root || uri.path().starts_with(&format!("{root}/")))
}

fn not_built(uri: &Uri) -> Response {
    if is_api_path(uri) {
        return ApiError::NotFound.into_response();
    }
    ApiError::Rejected(
        axum::http::StatusCode::NOT_FOUND,
        "the web console is not built here: run `make console` and set NOCTIS_API__CONSOLE_DIR".to_owned(),
    )
    .into_response()
}

/// The headers every response carries, API responses included. The console is
/// one script and one stylesheet from this origin: no inline script, no
/// framing, no sniffing, and no referrer carrying a study's URL elsewhere.
pub async fn with_security_headers(mut response: Response) -> Response {
    const HEADERS: [(&str, &str); 5] = [
        (
            "content-security-policy",
            // 'wasm-unsafe-eval' lets the viewer compile its image codecs (WebAssembly
            // shipped under /assets); it allows no eval of script text.
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self'; \
             img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
    ];
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.entry(HeaderName::from_static(name)).or_insert(HeaderValue::from_static(value));
    }
    response
}
