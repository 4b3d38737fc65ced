//! The Lambda path: the same router fed API Gateway HTTP API (payload 2.0)
//! events through lambda_http's own request parsing.

use axum::body::Body;
use axum::http::StatusCode;
use http_body_util::BodyExt;
use noctis_e2e::api::{ADMIN, Api, PASSWORD};
use noctis_e2e::storage::Kind;
use serde_json::{Value, json};
use tower::ServiceExt;

fn event(method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> String {
    let mut headers = json!({"content-type": "application/json", "host": "api.noctis.example"});
    if let Some(token) = token {
        headers["authorization"] = json!(format!("Bearer {token}"));
    }
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "api.noctis.example",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.50", "userAgent": "test"},
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "27/Nov/2026:20:00:00 +0000",
            "timeEpoch": 1795000000000i64
        },
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false
    })
    .to_string()
}

async fn invoke(api: &Api, event: &str) -> (StatusCode, Value) {
    let request = lambda_http::request::from_str(event).expect("lambda_http parses the event");
    let (parts, body) = request.into_parts();
    let request = axum::http::Request::from_parts(parts, Body::from(body.to_vec()));
    let response = api.router.clone().oneshot(request).await.expect("the router answers");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_gateway_events_reach_the_router() {
    let api = Api::start(Kind::Embedded).await;
    let (status, body) = invoke(&api, &event("GET", "/healthz", None, None)).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ok")));

    let login = json!({"username": ADMIN, "password": PASSWORD});
    let (status, body) = invoke(&api, &event("POST", "/api/v1/auth/login", Some(login), None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().expect("a token").to_owned();
    let (status, me) = invoke(&api, &event("GET", "/api/v1/me", None, Some(&token))).await;
    assert_eq!((status, me["username"].as_str()), (StatusCode::OK, Some(ADMIN)));

    // The client address comes from API Gateway's request context.
    let wrong = json!({"username": ADMIN, "password": "not the password"});
    let (status, _) = invoke(&api, &event("POST", "/api/v1/auth/login", Some(wrong), None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let audit = api.get("/api/v1/audit?kind=sign_in_failed", &api.admin).await;
    assert_eq!(audit.json["items"][0]["peer_address"], "203.0.113.50");

    let (status, body) = invoke(&api, &event("GET", "/api/v1/nowhere", None, None)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_served() {
    let api = Api::start(Kind::Embedded).await;
    let reply = api.request(axum::http::Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["info"]["title"], "Noctis API");
    assert!(reply.json["paths"]["/api/v1/studies"]["get"].is_object());
    assert!(reply.json["components"]["securitySchemes"]["bearer"].is_object());
}
