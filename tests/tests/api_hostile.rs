//! What an adversarial review sent the API, each case its regression test: a
//! facility registered whole or not at all, no panic or 5xx from any input, one
//! JSON error shape for every refusal, strict request bodies, and bidi controls
//! refused in names.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use noctis_e2e::api::{Api, PASSWORD, Reply, facility_id};
use noctis_e2e::storage::Kind;
use serde_json::{Value, json};
use tower::ServiceExt;

noctis_e2e::on_both_backends!(
    a_facility_whose_first_user_is_invalid_is_not_registered,
    a_facility_whose_first_username_is_taken_is_not_registered,
);

fn registration(first_user: Value) -> Value {
    json!({
        "name": "Riverside Imaging Centre",
        "email": "pacs@riverside.example",
        "license_number": "RIV-1",
        "facility_user": first_user,
    })
}

async fn a_facility_whose_first_user_is_invalid_is_not_registered(kind: Kind) {
    let api = Api::start(kind).await;
    for (first_user, field) in [
        (json!({"username": "riverside", "password": "short", "email": "staff@riverside.example"}), "password"),
        (json!({"username": "riverside", "password": PASSWORD, "email": "not an address"}), "email"),
        (json!({"username": "", "password": PASSWORD, "email": "staff@riverside.example"}), "username"),
    ] {
        let reply = api.post("/api/v1/facilities", &api.admin, registration(first_user)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.json);
        assert_eq!(reply.json["error"]["field"], format!("facility_user.{field}"), "{:?}", reply.json);
    }
    assert!(api.storage.ports.facilities.list().await.expect("lists").is_empty(), "nothing was registered");
    let good = json!({"username": "riverside", "password": PASSWORD, "email": "staff@riverside.example"});
    let reply = api.post("/api/v1/facilities", &api.admin, registration(good)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "the corrected request is not a conflict: {:?}", reply.json);
    assert_eq!(reply.json["ae_title"], "RIVERSIDE", "RIVERSIDE_IMAGING would be 17 characters");
    assert_eq!(reply.json["facility_user"]["facility_id"], reply.json["id"]);
    api.login("riverside", PASSWORD).await;
}

async fn a_facility_whose_first_username_is_taken_is_not_registered(kind: Kind) {
    let api = Api::start(kind).await;
    api.user_token("taken", "radiologist", None).await;
    let first_user = json!({"username": "taken", "password": PASSWORD, "email": "staff@riverside.example"});
    let reply = api.post("/api/v1/facilities", &api.admin, registration(first_user)).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.json);
    assert!(api.storage.ports.facilities.list().await.expect("lists").is_empty(), "nothing was registered");
}

async fn api() -> Api {
    Api::start(Kind::Embedded).await
}

/// A request with raw parts, for what the typed helpers cannot send.
async fn raw(api: &Api, request: Request<Body>) -> Reply {
    let response = api.router.clone().oneshot(request).await.expect("the router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("a body").to_bytes().to_vec();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, headers, json, bytes }
}

fn assert_error_shape(reply: &Reply, status: StatusCode) {
    assert_eq!(reply.status, status, "{:?}", String::from_utf8_lossy(&reply.bytes));
    let content_type = reply.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(content_type.starts_with("application/json"), "{status}: content type {content_type:?}");
    assert!(reply.json["error"]["code"].is_string(), "{status}: {:?}", reply.json);
    assert!(reply.json["error"]["message"].is_string(), "{status}: {:?}", reply.json);
}

#[tokio::test]
async fn an_audit_query_at_the_edge_of_time_is_refused_not_a_panic() {
    let api = api().await;
    for query in ["to=-262143-01-01T00:00:00Z", "from=-262143-01-01T00:00:00Z", "to=%2B262142-12-31T23:59:59Z"] {
        let reply = api.get(&format!("/api/v1/audit?{query}"), &api.admin).await;
        assert_error_shape(&reply, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn a_revision_past_the_databases_integers_is_a_conflict_not_a_500() {
    let api = api().await;
    let facility = api.facility("Mercy Clinic").await;
    let path = format!("/api/v1/facilities/{}", facility_id(&facility));
    for revision in [u64::MAX, i64::MAX as u64, 0] {
        let body = json!({"revision": revision, "phone": "+1 555 0199"});
        let reply = api.request(Method::PATCH, &path, Some(&api.admin), Some(body)).await;
        assert_error_shape(&reply, StatusCode::CONFLICT);
    }
}

#[tokio::test]
async fn every_refusal_has_the_json_error_shape() {
    let api = api().await;
    let bearer = format!("Bearer {}", api.admin);
    // A path parameter that does not parse.
    let reply = api.get("/api/v1/facilities/not-a-uuid", &api.admin).await;
    assert_error_shape(&reply, StatusCode::BAD_REQUEST);
    // A method the route does not have.
    let reply = api.request(Method::DELETE, "/api/v1/facilities", Some(&api.admin), None).await;
    assert_error_shape(&reply, StatusCode::METHOD_NOT_ALLOWED);
    // A body over the limit, declared up front and sent chunked.
    let big = "x".repeat(2 * 1024 * 1024);
    let declared = Request::post("/api/v1/facilities")
        .header("authorization", &bearer)
        .header("content-type", "application/json")
        .header("content-length", big.len())
        .body(Body::from(big.clone()))
        .expect("a request");
    assert_error_shape(&raw(&api, declared).await, StatusCode::PAYLOAD_TOO_LARGE);
    let chunks = futures_stream(big.into_bytes());
    let chunked = Request::post("/api/v1/facilities")
        .header("authorization", &bearer)
        .header("content-type", "application/json")
        .body(Body::from_stream(chunks))
        .expect("a request");
    assert_error_shape(&raw(&api, chunked).await, StatusCode::PAYLOAD_TOO_LARGE);
    // A body that is not JSON at all.
    let no_type = Request::post("/api/v1/facilities")
        .header("authorization", &bearer)
        .body(Body::from("name=x"))
        .expect("a request");
    assert_error_shape(&raw(&api, no_type).await, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A path that is far too long.
    let long = format!("/api/v1/facilities/{}", "a".repeat(16 * 1024));
    assert_error_shape(&api.get(&long, &api.admin).await, StatusCode::URI_TOO_LONG);
}

/// A body that arrives in 64 KiB chunks with no length declared.
fn futures_stream(
    bytes: Vec<u8>,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> =
        bytes.chunks(64 * 1024).map(|chunk| Ok(bytes::Bytes::copy_from_slice(chunk))).collect();
    futures_util::stream::iter(chunks)
}

#[tokio::test]
async fn unknown_fields_in_a_write_are_refused_by_name() {
    let api = api().await;
    let body = json!({"name": "Mercy", "email": "a@b.example", "license_number": "L-1", "is_admin": true});
    let reply = api.post("/api/v1/facilities", &api.admin, body).await;
    assert_error_shape(&reply, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json["error"]["field"], "is_admin");
    assert!(api.storage.ports.facilities.list().await.expect("lists").is_empty());
}

#[tokio::test]
async fn bidirectional_overrides_in_names_are_refused() {
    let api = api().await;
    let body = json!({"name": "Mercy \u{202E}cinilC", "email": "a@b.example", "license_number": "L-1"});
    let reply = api.post("/api/v1/facilities", &api.admin, body).await;
    assert_error_shape(&reply, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json["error"]["field"], "name");
    let body = json!({"name": "Mercy", "email": "a@b.example", "license_number": "L-1", "address": "1 \u{2066}Road"});
    let reply = api.post("/api/v1/facilities", &api.admin, body).await;
    assert_eq!(reply.json["error"]["field"], "address", "{:?}", reply.json);
}

#[tokio::test]
async fn the_bearer_scheme_is_accepted_in_any_case() {
    let api = api().await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let request = Request::get("/api/v1/me")
            .header("authorization", format!("{scheme} {}", api.admin))
            .body(Body::empty())
            .expect("a request");
        let reply = raw(&api, request).await;
        assert_eq!(reply.status, StatusCode::OK, "{scheme}: {:?}", reply.json);
    }
}

#[tokio::test]
async fn lifting_an_address_without_a_ban_is_404_and_keeps_its_failures() {
    let api = api().await;
    let address: std::net::IpAddr = "198.51.100.20".parse().expect("an address");
    let policy = noctis_core::domain::BanPolicy {
        threshold: 3,
        window: std::time::Duration::from_secs(3600),
        ban_for: std::time::Duration::from_secs(3600),
    };
    let at = noctis_core::domain::now();
    for _ in 0..2 {
        api.storage.ports.bans.record_failure(address, "probe", &policy, at).await.expect("counts");
    }
    let reply = api.request(Method::DELETE, &format!("/api/v1/security/bans/{address}"), Some(&api.admin), None).await;
    assert_error_shape(&reply, StatusCode::NOT_FOUND);
    let third = api.storage.ports.bans.record_failure(address, "probe", &policy, at).await.expect("counts");
    assert!(third.banned.is_some(), "the two failures before were kept, so the third bans");
}

#[tokio::test]
async fn the_api_server_stops_gracefully_on_sigterm() {
    let storage = noctis_e2e::storage::Storage::embedded().await;
    let mut server = noctis_e2e::api_server::ApiServer::start(&storage.env);
    let health = reqwest::get(server.url("/healthz")).await.expect("the API answers");
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    let status = server.terminate(std::time::Duration::from_secs(10)).expect("it exits within 10 s of SIGTERM");
    assert!(status.success(), "a clean exit, not death by signal: {status:?}");
}
