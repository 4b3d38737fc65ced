//! noctis-api: the management API as one axum router, served by Lambda
//! (`lambda_http`) or by a plain local server.

pub mod access;
pub mod app;
pub mod bootstrap;
pub mod cursor;
pub mod error;
pub mod extract;
pub mod login_limiter;
pub mod openapi;
pub mod routes;
pub mod state;
pub mod tokens;

pub use app::{openapi_document, router};
pub use state::AppState;
