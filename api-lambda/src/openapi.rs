//! The OpenAPI document's frame: its description, the bearer scheme, and the
//! error responses every operation shares, added by rule so that no operation
//! can forget one. The operations themselves come from the handlers (see `app`).

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Noctis API", description = "Facilities, users, worklist, reports, audit and security of the Noctis DICOM gateway."),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
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
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::session::SESSION_COOKIE,
                "The console's session, set by `POST /api/v1/auth/session`. Changes (POST, PUT, PATCH, DELETE) \
                 must also send the session's `csrf_token` in the `x-csrf-token` header.",
            ))),
        );
    }
}

/// The refusals any operation can meet, by what it takes: a signed-in user
/// (401, 403), a path parameter (404 for what is absent or not the caller's),
/// input at all (400), a body (413, 415); and every URI can be too long (414).
pub fn add_standard_responses(document: &mut utoipa::openapi::OpenApi) {
    for (path, item) in document.paths.paths.iter_mut() {
        let has_path_parameter = path.contains('{');
        for operation in
            [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
        {
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            if secured {
                // Every route a bearer token opens, the console's session opens too.
                operation.security.get_or_insert_with(Vec::new).push(SecurityRequirement::new("session", [""; 0]));
            }
            let has_input = has_path_parameter
                || operation.request_body.is_some()
                || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let has_body = operation.request_body.is_some();
            for (status, applies, description) in [
                ("400", has_input, "The request is malformed or a field is invalid (`error.field` names it)."),
                ("401", secured, "Not signed in, or the token is invalid or expired."),
                (
                    "403",
                    secured,
                    "The signed-in user's role does not allow this, or a session's change lacks `x-csrf-token`.",
                ),
                ("404", has_path_parameter, "No such resource, or not one the caller may see."),
                ("413", has_body, "The body is larger than 1 MiB."),
                ("414", true, "The URI is longer than 8 KiB."),
                ("415", has_body, "The body is not `application/json`."),
            ] {
                if applies {
                    add_error(operation, status, description);
                }
            }
        }
    }
}

fn add_error(operation: &mut Operation, status: &str, description: &str) {
    if operation.responses.responses.contains_key(status) {
        return;
    }
    let response = ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
        .build();
    operation.responses.responses.insert(status.to_owned(), response.into());
}
