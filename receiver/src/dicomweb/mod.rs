//! DICOMweb (PS3.18) on the data plane: STOW-RS, QIDO-RS and WADO-RS under
//! `/dicomweb`, on the receiver's own HTTP listener (`dicom.web_port`). Bodies
//! stream both ways, so a 1 GiB upload or a whole study's download passes
//! through bounded memory, which Lambda's payload limits would not allow.
//!
//! Every resource lives in one facility (`scope`); sign-in is the API's
//! (`auth`); storing goes through the C-STORE intake, searching through the
//! C-FIND query use case, retrieving through C-GET's. Handlers only translate.

mod auth;
mod cut;
mod error;
mod frames;
mod json;
mod media;
mod metadata;
mod qido;
mod render;
mod rendered;
mod request;
mod scope;
mod stored;
mod stow;
mod urls;
mod wado;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use noctis_core::auth::TokenKeys;
use noctis_core::ports::{AuditLog, FacilityRegistry, UserDirectory};
use tower_http::trace::TraceLayer;

use crate::intake::Intake;
use crate::settlement::Settling;

/// What every DICOMweb request shares.
#[derive(Debug)]
pub struct DicomWeb {
    pub tokens: TokenKeys,
    pub users: Arc<dyn UserDirectory>,
    pub facilities: Arc<dyn FacilityRegistry>,
    pub audit: Arc<dyn AuditLog>,
    /// The C-STORE intake: STOW-RS stores through it; its index and object
    /// store serve QIDO-RS and WADO-RS.
    pub intake: Arc<Intake>,
    /// The most matches a search returns, or a retrieve may name.
    pub max_results: usize,
    pub settle_interval: Duration,
    pub settling: Arc<Settling>,
    /// The deployment's CloudFront origin secret (`api.edge_secret`): requests
    /// bearing it are from the viewer CloudFront names.
    pub edge_secret: Option<noctis_core::config::Secret>,
    /// Pictures made at once (rendered, thumbnail): decoding is CPU-bound.
    pub renders: tokio::sync::Semaphore,
}

/// The resources of one facility's DICOMweb service.
fn service() -> Router<Arc<DicomWeb>> {
    Router::new()
        .route("/studies", get(qido::studies).post(stow::store))
        .route("/studies/{study}", get(wado::study).post(stow::store))
        .route("/studies/{study}/metadata", get(metadata::study))
        .route("/studies/{study}/thumbnail", get(rendered::study_thumbnail))
        .route("/studies/{study}/series", get(qido::series))
        .route("/studies/{study}/instances", get(qido::instances))
        .route("/studies/{study}/series/{series}", get(wado::series))
        .route("/studies/{study}/series/{series}/metadata", get(metadata::series))
        .route("/studies/{study}/series/{series}/thumbnail", get(rendered::series_thumbnail))
        .route("/studies/{study}/series/{series}/instances", get(qido::instances))
        .route("/studies/{study}/series/{series}/instances/{instance}", get(wado::instance))
        .route("/studies/{study}/series/{series}/instances/{instance}/metadata", get(metadata::instance))
        .route("/studies/{study}/series/{series}/instances/{instance}/rendered", get(rendered::rendered))
        .route("/studies/{study}/series/{series}/instances/{instance}/thumbnail", get(rendered::instance_thumbnail))
        .route("/studies/{study}/series/{series}/instances/{instance}/frames/{frames}", get(frames::frames))
        .route(
            "/studies/{study}/series/{series}/instances/{instance}/frames/{frames}/rendered",
            get(rendered::rendered),
        )
        .route(
            "/studies/{study}/series/{series}/instances/{instance}/frames/{frames}/thumbnail",
            get(rendered::instance_thumbnail),
        )
}

/// `/dicomweb/facilities/{facility}/…` names the facility; a facility user's
/// `/dicomweb/…` is their own.
pub fn router(state: Arc<DicomWeb>) -> Router {
    Router::new()
        .nest("/dicomweb", service())
        .nest("/dicomweb/facilities/{facility}", service())
        .fallback(|| async { error::WebError::NotFound })
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
