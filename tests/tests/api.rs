//! The management API over HTTP requests, on both backends.

use axum::http::{Method, StatusCode};
use noctis_core::domain::{AuditKind, Ban, BanPolicy, now};
use noctis_e2e::api::{ADMIN, Api, PASSWORD, facility_id};
use noctis_e2e::storage::Kind;
use serde_json::json;

noctis_e2e::on_both_backends!(
    facilities_of_one_name_get_the_next_free_ae_title,
    a_taken_licence_number_or_ae_title_is_a_conflict,
    an_invalid_facility_is_refused_naming_the_field,
    a_facility_is_registered_with_its_first_user_and_networks,
    sign_in_is_rate_limited_and_failures_are_audited,
    behind_the_edge_sign_in_limits_and_the_audit_see_the_viewer,
    a_deactivated_users_token_stops_working,
    users_are_validated_by_role_and_facility,
    reports_are_versioned_through_the_api,
    every_change_is_audited_with_its_actor,
    bans_are_listed_and_lifted,
    the_dicom_sheet_and_export_describe_facilities,
);

async fn facilities_of_one_name_get_the_next_free_ae_title(kind: Kind) {
    let api = Api::start(kind).await;
    let first = api.facility("City General Hospital").await;
    let second = api.facility("City General Hospital").await;
    assert_eq!((&first["ae_title"], &second["ae_title"]), (&json!("CITY_GENERAL"), &json!("CITY_GENERAL_2")));
    assert_eq!(first["active"], true);
}

async fn a_taken_licence_number_or_ae_title_is_a_conflict(kind: Kind) {
    let api = Api::start(kind).await;
    let first = api.facility("City General Hospital").await;
    let second = api.facility("Riverside Imaging").await;
    let duplicate = json!({"name": "Other", "email": "a@b.example", "license_number": first["license_number"]});
    let reply = api.post("/api/v1/facilities", &api.admin, duplicate).await;
    assert_eq!((reply.status, reply.text("/error/code")), (StatusCode::CONFLICT, "conflict".into()));
    let id = second["id"].as_str().expect("the facility has an id");
    let reply = api.patch(&format!("/api/v1/facilities/{id}"), &api.admin, json!({"ae_title": "CITY_GENERAL"})).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "changing to a taken AE title: {}", reply.json);
}

async fn an_invalid_facility_is_refused_naming_the_field(kind: Kind) {
    let api = Api::start(kind).await;
    for (body, field) in [
        (
            json!({"name": "Other", "email": "a@b.example", "license_number": "L-9", "ae_title": "WAY_TOO_LONG_FOR_DICOM"}),
            "ae_title",
        ),
        (json!({"name": "Other", "email": "nope", "license_number": "L-9"}), "email"),
        (json!({"email": "a@b.example", "license_number": "L-9"}), "name"),
        (
            json!({"name": "Other", "email": "a@b.example", "license_number": "L-9",
                "move_destinations": [{"ae_title": "WS", "host": "http://ws.example", "port": 104}]}),
            "move_destinations",
        ),
        (
            json!({"name": "Other", "email": "a@b.example", "license_number": "L-9",
                "move_destinations": [{"ae_title": "WS", "host": "ws.example", "port": 0}]}),
            "move_destinations",
        ),
    ] {
        let reply = api.post("/api/v1/facilities", &api.admin, body.clone()).await;
        assert_eq!((reply.status, reply.text("/error/field")), (StatusCode::BAD_REQUEST, field.into()), "{body}");
    }
}

async fn a_facility_is_registered_with_its_first_user_and_networks(kind: Kind) {
    let api = Api::start(kind).await;
    let with_user = json!({
        "name": "Mercy Clinic", "email": "it@mercy.example", "license_number": "MERCY-1",
        "allowed_networks": ["203.0.113.0/24"],
        "facility_user": {"username": "mercy.it", "password": PASSWORD, "email": "it@mercy.example"}
    });
    let reply = api.post("/api/v1/facilities", &api.admin, with_user).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json);
    assert_eq!(reply.json["facility_user"]["role"], "facility_user");
    assert_eq!(reply.json["facility_user"]["facility_id"], reply.json["id"]);
    assert_eq!(reply.json["allowed_networks"], json!(["203.0.113.0/24"]));
    assert_eq!(reply.json["move_destinations"], json!([]), "none unless registered");
    api.login("mercy.it", PASSWORD).await;

    // C-MOVE destinations: normalised as AE titles and host names compare.
    let id = reply.json["id"].as_str().expect("an id");
    let destinations = json!([{"ae_title": "reading_room", "host": "WS1.Mercy.example", "port": 11112}]);
    let reply =
        api.patch(&format!("/api/v1/facilities/{id}"), &api.admin, json!({"move_destinations": destinations})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(
        reply.json["move_destinations"],
        json!([{"ae_title": "READING_ROOM", "host": "ws1.mercy.example", "port": 11112}])
    );
    let reply = api.get(&format!("/api/v1/facilities/{id}"), &api.admin).await;
    assert_eq!(reply.json["move_destinations"][0]["ae_title"], "READING_ROOM", "kept");
}

async fn sign_in_is_rate_limited_and_failures_are_audited(kind: Kind) {
    let api = Api::start(kind).await;
    let attempt = json!({"username": ADMIN, "password": "wrong password!"});
    for _ in 0..5 {
        let reply = api.request(Method::POST, "/api/v1/auth/login", None, Some(attempt.clone())).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let reply = api.request(Method::POST, "/api/v1/auth/login", None, Some(attempt)).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    let right = json!({"username": ADMIN, "password": PASSWORD});
    let reply = api.request(Method::POST, "/api/v1/auth/login", None, Some(right)).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "blocked for the window, even with the right password");
    let audit = api.get("/api/v1/audit?kind=sign_in_failed", &api.admin).await;
    assert_eq!(audit.json["items"].as_array().map(Vec::len), Some(5));
    assert_eq!(api.request(Method::GET, "/api/v1/me", None, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        api.request(Method::GET, "/api/v1/me", Some("not-a-token"), None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// Behind the stack's CloudFront every request comes from an edge address:
/// with the distribution's origin header, the viewer CloudFront names is the
/// one limited and audited, so one viewer's failures do not lock out others.
async fn behind_the_edge_sign_in_limits_and_the_audit_see_the_viewer(kind: Kind) {
    const EDGE: &str = "the-stack-cloudfront-origin-secret";
    let api = Api::start_configured(kind, |config| {
        config.api.edge_secret = Some(noctis_core::config::Secret::new(EDGE));
    })
    .await;
    let sign_in = |viewer: &'static str, origin: &'static str, username: String| {
        let headers = [("x-noctis-origin", origin), ("cloudfront-viewer-address", viewer)];
        let body = json!({"username": username, "password": "wrong password!"});
        let api = &api;
        async move { api.request_with_headers(Method::POST, "/api/v1/auth/login", &headers, Some(body)).await.status }
    };
    for n in 0..5 {
        assert_eq!(sign_in("198.51.100.7:40000", EDGE, format!("nobody.{n}")).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(sign_in("198.51.100.7:40001", EDGE, "nobody.9".into()).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sign_in("203.0.113.20:5000", EDGE, "someone".into()).await, StatusCode::UNAUTHORIZED, "another viewer");

    // Without the distribution's secret the header proves nothing.
    assert_eq!(sign_in("192.0.2.1:5000", "a guess", "forger".into()).await, StatusCode::UNAUTHORIZED);
    let mut expected = vec!["198.51.100.7"; 5];
    expected.extend(["203.0.113.20", "none"]);
    assert_eq!(api.audit_peers("sign_in_failed").await, expected);
}

async fn a_deactivated_users_token_stops_working(kind: Kind) {
    let api = Api::start(kind).await;
    let token = api.user_token("dr.house", "radiologist", None).await;
    let me = api.get("/api/v1/me", &token).await;
    assert_eq!((me.status, me.json["role"].as_str()), (StatusCode::OK, Some("radiologist")));
    let id = me.text("/id");
    let reply = api
        .request(Method::PATCH, &format!("/api/v1/users/{id}"), Some(&api.admin), Some(json!({"active": false})))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(api.get("/api/v1/me", &token).await.status, StatusCode::UNAUTHORIZED);
    let login = json!({"username": "dr.house", "password": PASSWORD});
    assert_eq!(
        api.request(Method::POST, "/api/v1/auth/login", None, Some(login)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn users_are_validated_by_role_and_facility(kind: Kind) {
    let api = Api::start(kind).await;
    let facility = api.facility("Mercy").await;
    let cases = [
        (
            json!({"username": "user1", "password": PASSWORD, "email": "u1@x.example", "role": "facility_user"}),
            "facility_id",
        ),
        (
            json!({"username": "user2", "password": PASSWORD, "email": "u2@x.example", "role": "radiologist", "facility_id": facility["id"]}),
            "facility_id",
        ),
        (json!({"username": "user3", "password": PASSWORD, "email": "u3@x.example", "role": "janitor"}), "role"),
        (json!({"username": "user4", "password": "short", "email": "u4@x.example", "role": "radiologist"}), "password"),
        (json!({"username": "a b", "password": PASSWORD, "email": "u5@x.example", "role": "radiologist"}), "username"),
    ];
    for (body, field) in cases {
        let reply = api.post("/api/v1/users", &api.admin, body.clone()).await;
        assert_eq!(
            (reply.status, reply.json["error"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{body}"
        );
    }
    api.user_token("twin", "radiologist", None).await;
    let twin = json!({"username": "TWIN", "password": PASSWORD, "email": "t@x.example", "role": "radiologist"});
    assert_eq!(api.post("/api/v1/users", &api.admin, twin).await.status, StatusCode::CONFLICT);
    let listed = api.get("/api/v1/users", &api.admin).await;
    let names: Vec<&str> =
        listed.json.as_array().into_iter().flatten().filter_map(|u| u["username"].as_str()).collect();
    assert_eq!(names, [ADMIN, "twin"]);
    assert!(listed.json[0].get("password_hash").is_none(), "hashes never leave the API");
}

async fn reports_are_versioned_through_the_api(kind: Kind) {
    let api = Api::start(kind).await;
    let facility = api.facility("Mercy").await;
    let study = seed_study(&api, facility_id(&facility), "1.2.3.100").await;
    let radiologist = api.user_token("dr.grey", "radiologist", None).await;
    let path = format!("/api/v1/studies/{study}/report");
    assert_eq!(api.get(&path, &radiologist).await.status, StatusCode::NOT_FOUND);
    let put = |body: serde_json::Value| api.request(Method::PUT, &path, Some(&radiologist), Some(body));
    assert_eq!(put(json!({"body": "Draft"})).await.status, StatusCode::OK);
    let signed = put(json!({"body": "No acute findings.", "status": "final"})).await;
    assert_eq!(signed.json["current"]["status"], "final");
    assert_eq!(put(json!({"body": "back to draft"})).await.status, StatusCode::CONFLICT);
    let amended = put(json!({"body": "Addendum: follow up in 6 months.", "status": "final"})).await;
    assert_eq!(amended.json["current"]["status"], "amended");
    assert_eq!(amended.json["current"]["version"], 2);
    let history: Vec<&str> =
        amended.json["history"].as_array().into_iter().flatten().filter_map(|v| v["body"].as_str()).collect();
    assert_eq!(history, ["No acute findings.", "Addendum: follow up in 6 months."]);
    assert_eq!(put(json!({"body": "  "})).await.status, StatusCode::BAD_REQUEST);
}

async fn every_change_is_audited_with_its_actor(kind: Kind) {
    let api = Api::start(kind).await;
    let facility = api.facility("Mercy").await;
    let id = facility["id"].as_str().expect("the facility has an id");
    api.request(
        Method::PATCH,
        &format!("/api/v1/facilities/{id}"),
        Some(&api.admin),
        Some(json!({"phone": "+1 555 0199"})),
    )
    .await;
    api.post(&format!("/api/v1/facilities/{id}/deactivate"), &api.admin, json!({})).await;
    let audit = api.get(&format!("/api/v1/audit?facility_id={id}"), &api.admin).await;
    let kinds: Vec<&str> =
        audit.json["items"].as_array().into_iter().flatten().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["facility_deactivated", "facility_updated", "facility_created"]);
    let update = &audit.json["items"][1];
    assert_eq!(update["actor"]["username"], ADMIN);
    assert_eq!(update["details"]["before"]["phone"], "+1 555 0100");
    assert_eq!(update["details"]["after"]["phone"], "+1 555 0199");
    let reply = api.get("/api/v1/audit?kind=nonsense", &api.admin).await;
    assert_eq!((reply.status, reply.json["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("kind")));
}

async fn bans_are_listed_and_lifted(kind: Kind) {
    let api = Api::start(kind).await;
    let policy = BanPolicy {
        threshold: 1,
        window: std::time::Duration::from_secs(60),
        ban_for: std::time::Duration::from_secs(600),
    };
    let address = "198.51.100.77".parse().expect("ip");
    api.storage.ports.bans.record_failure(address, "calling_ae_not_recognised", &policy, now()).await.expect("bans");
    let listed = api.get("/api/v1/security/bans", &api.admin).await;
    assert_eq!(listed.json[0]["address"], "198.51.100.77");
    let lifted = api.request(Method::DELETE, "/api/v1/security/bans/198.51.100.77", Some(&api.admin), None).await;
    assert_eq!(lifted.status, StatusCode::NO_CONTENT);
    let bans: Vec<Ban> = api.storage.ports.bans.list_active(now()).await.expect("lists");
    assert!(bans.is_empty());
    let again = api.request(Method::DELETE, "/api/v1/security/bans/198.51.100.77", Some(&api.admin), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let audit = api.get("/api/v1/audit?kind=ban_lifted", &api.admin).await;
    assert_eq!(audit.json["items"][0]["peer_address"], "198.51.100.77");
    let _ = AuditKind::BanLifted;
}

async fn the_dicom_sheet_and_export_describe_facilities(kind: Kind) {
    let api = Api::start(kind).await;
    let facility = api.facility("St. Mary's Clinic").await;
    let id = facility["id"].as_str().expect("the facility has an id");
    let sheet = api.get(&format!("/api/v1/facilities/{id}/dicom-config"), &api.admin).await;
    assert_eq!(sheet.json["called_ae_title"], "NOCTIS_SCP");
    assert_eq!(sheet.json["calling_ae_title"], "ST_MARY_S_CLINIC");
    assert_eq!(sheet.json["port"], 11112);
    let csv = api.get("/api/v1/facilities/export?format=csv", &api.admin).await;
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let text = String::from_utf8(csv.bytes).expect("utf-8");
    assert!(
        text.lines().nth(1).is_some_and(|l| l.contains("St. Mary's Clinic") && l.contains("ST_MARY_S_CLINIC")),
        "{text}"
    );
    let as_json = api.get("/api/v1/facilities/export?format=json", &api.admin).await;
    assert_eq!(as_json.json[0]["ae_title"], "ST_MARY_S_CLINIC");
    assert_eq!(api.get("/api/v1/facilities/export?format=xml", &api.admin).await.status, StatusCode::BAD_REQUEST);
}

/// Records one instance (object and index) for `facility`; returns the study id.
pub async fn seed_study(api: &Api, facility: noctis_core::domain::FacilityId, study_uid: &str) -> String {
    noctis_e2e::api::seed_instance(
        &api.storage,
        facility,
        study_uid,
        &format!("{study_uid}.1"),
        &format!("{study_uid}.1.1"),
        "CT",
        "DOE^JANE",
    )
    .await
    .to_string()
}
