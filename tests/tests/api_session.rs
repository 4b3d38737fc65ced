//! The browser session: an HttpOnly cookie the console never reads, a CSRF
//! header on every change, sign-out, and users changing their own password.

use axum::http::{Method, StatusCode};
use noctis_e2e::api::{Api, PASSWORD, Reply};
use noctis_e2e::storage::Kind;
use serde_json::json;

noctis_e2e::on_both_backends!(
    a_browser_session_reads_with_its_cookie_and_changes_only_with_its_csrf_header,
    users_change_their_own_password_after_proving_the_current_one
);

/// Opens a session as `username`; returns the reply and the `name=value` of its cookie.
async fn open_session(api: &Api, username: &str, password: &str) -> (Reply, String) {
    let reply = api
        .request_with_headers(
            Method::POST,
            "/api/v1/auth/session",
            &[],
            Some(json!({"username": username, "password": password})),
        )
        .await;
    let cookie = reply.headers.get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let pair = cookie.split(';').next().unwrap_or_default().to_owned();
    (reply, pair)
}

async fn a_browser_session_reads_with_its_cookie_and_changes_only_with_its_csrf_header(kind: Kind) {
    let api = Api::start(kind).await;
    let (opened, cookie) = open_session(&api, noctis_e2e::api::ADMIN, PASSWORD).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.json);
    let set_cookie = opened.header("set-cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{attribute} missing from {set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP on loopback gets no Secure cookie: {set_cookie}");
    assert!(opened.json.get("token").is_none(), "the token is never in a body the console's script reads");
    let csrf = opened.text("/csrf_token");

    let session = api.request_with_headers(Method::GET, "/api/v1/auth/session", &[("cookie", &cookie)], None).await;
    assert_eq!(session.status, StatusCode::OK);
    assert_eq!(session.text("/csrf_token"), csrf, "a reloaded console learns the same CSRF value");
    assert_eq!(session.text("/user/username"), noctis_e2e::api::ADMIN);
    let read = api.request_with_headers(Method::GET, "/api/v1/facilities", &[("cookie", &cookie)], None).await;
    assert_eq!(read.status, StatusCode::OK, "reads need no CSRF header");

    let facility = json!({"name": "Cookie Clinic", "email": "it@cookie.example", "license_number": "LIC-COOKIE"});
    let without = api
        .request_with_headers(Method::POST, "/api/v1/facilities", &[("cookie", &cookie)], Some(facility.clone()))
        .await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    assert_eq!(without.text("/error/code"), "csrf");
    let wrong = api
        .request_with_headers(
            Method::POST,
            "/api/v1/facilities",
            &[("cookie", &cookie), ("x-csrf-token", "not-the-value")],
            Some(facility.clone()),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let with = api
        .request_with_headers(
            Method::POST,
            "/api/v1/facilities",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            Some(facility),
        )
        .await;
    assert_eq!(with.status, StatusCode::CREATED, "{}", with.json);

    // Scripts keep their bearer tokens, with no CSRF header.
    let scripted = api
        .post(
            "/api/v1/facilities",
            &api.admin,
            json!({"name": "Script Clinic", "email": "it@script.example", "license_number": "LIC-SCRIPT"}),
        )
        .await;
    assert_eq!(scripted.status, StatusCode::CREATED, "{}", scripted.json);

    let closed = api.request_with_headers(Method::DELETE, "/api/v1/auth/session", &[("cookie", &cookie)], None).await;
    assert_eq!(closed.status, StatusCode::NO_CONTENT);
    let cleared = closed.header("set-cookie");
    assert!(cleared.starts_with("noctis_session=;") && cleared.contains("Max-Age=0"), "{cleared}");

    let (refused, no_cookie) = open_session(&api, noctis_e2e::api::ADMIN, "not the password").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(no_cookie.is_empty(), "a refused sign-in sets no cookie");
    let forged = api
        .request_with_headers(
            Method::GET,
            "/api/v1/auth/session",
            &[("cookie", "noctis_session=forged.token.value")],
            None,
        )
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
}

async fn users_change_their_own_password_after_proving_the_current_one(kind: Kind) {
    let api = Api::start(kind).await;
    let token = api.user_token("dr.change", "radiologist", None).await;
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    let wrong = api.post("/api/v1/me/password", &token, change("not my password", "a brand new passphrase")).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.text("/error/field"), "current_password");
    let short = api.post("/api/v1/me/password", &token, change(PASSWORD, "short")).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert_eq!(short.text("/error/field"), "new_password");
    let same = api.post("/api/v1/me/password", &token, change(PASSWORD, PASSWORD)).await;
    assert_eq!(same.text("/error/field"), "new_password");

    let changed = api.post("/api/v1/me/password", &token, change(PASSWORD, "a brand new passphrase")).await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.json);
    api.login("dr.change", "a brand new passphrase").await;
    let old = api
        .request(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "dr.change", "password": PASSWORD})))
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "the old password no longer signs in");

    let events = api.get("/api/v1/audit?kind=password_changed", &api.admin).await;
    let items = events.json["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{}", events.json);
    assert_eq!(items[0]["actor"]["username"], "dr.change");

    // Guessing the current password here is limited like guessing it at sign-in.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(api.post("/api/v1/me/password", &token, change("guess", "another new passphrase")).await.status);
    }
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}
