//! noctis-api: the management API as one axum router, served by Lambda
//! (`lambda_http`) or by a plain local server.
//!
//! `routes` translate requests into `noctis_core::usecases` calls; `access` is
//! who may do what; `extract` the signed-in user and request bodies; `tokens`
//! and `login_limiter` sign-in; `error` the one JSON error shape.

pub mod access;
mod app;
pub mod bootstrap;
mod console;
mod cursor;
mod dicomweb_proxy;
mod error;
mod extract;
pub mod jobs;
mod login_limiter;
mod openapi;
mod routes;
mod session;
mod state;

pub use app::{openapi_document, router};
pub use state::AppState;
