//! `/healthz` for the load balancer and `/metrics` for scraping. Health turns
//! 503 once shutdown starts, so the balancer stops sending new connections.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::operations::metrics::Metrics;

#[derive(Debug, Clone)]
pub struct HealthState {
    pub metrics: Arc<Metrics>,
    pub draining: Arc<AtomicBool>,
}

pub fn router(state: HealthState) -> Router {
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics)).with_state(state)
}

async fn healthz(State(state): State<HealthState>) -> impl IntoResponse {
    if state.draining.load(Ordering::Relaxed) {
        (StatusCode::SERVICE_UNAVAILABLE, "draining\n")
    } else {
        (StatusCode::OK, "ok\n")
    }
}

async fn metrics(State(state): State<HealthState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
