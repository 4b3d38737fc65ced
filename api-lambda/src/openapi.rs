//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Noctis API", description = "Facilities, users, worklist, reports, audit and security of the Noctis DICOM gateway."),
    paths(
        routes::health::healthz,
        routes::auth::login,
        routes::auth::me,
        routes::facilities::create,
        routes::facilities::list,
        routes::facilities::get,
        routes::facilities::update,
        routes::facilities::activate,
        routes::facilities::deactivate,
        routes::facilities::stats,
        routes::facilities::export,
        routes::facilities::dicom_config,
        routes::users::create,
        routes::users::list,
        routes::users::get,
        routes::users::update,
        routes::studies::list,
        routes::studies::get,
        routes::studies::update,
        routes::studies::file,
        routes::reports::get,
        routes::reports::put,
        routes::audit::list,
        routes::security::list,
        routes::security::lift,
    ),
    modifiers(&BearerAuth)
)]
#[derive(Debug)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
