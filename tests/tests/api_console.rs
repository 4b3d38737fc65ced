//! What the web console needs of the API: its files and security headers from
//! the same server, the AE title preview, facility names for lists, the
//! worklist's priority and accession filters, and reports whose saving
//! conflicts are refused rather than lost.

use axum::http::{Method, StatusCode};
use noctis_e2e::api::{Api, facility_id, seed_instance};
use noctis_e2e::storage::Kind;
use serde_json::json;

noctis_e2e::on_both_backends!(
    the_ae_title_preview_names_what_registration_will_give,
    lists_name_only_the_facilities_a_user_may_read,
    the_worklist_filters_by_priority,
    a_report_saved_over_a_newer_version_is_refused_and_authors_are_named,
    a_study_downloads_as_one_zip_of_its_files
);

#[tokio::test]
async fn the_console_is_served_beside_the_api_with_strict_headers() {
    let console = tempfile::tempdir().expect("a directory");
    std::fs::create_dir(console.path().join("assets")).expect("assets");
    std::fs::write(console.path().join("index.html"), "<!doctype html><title>Noctis</title>").expect("index");
    std::fs::write(console.path().join("assets/console-ABC.js"), "export {};").expect("script");
    let dir = console.path().to_path_buf();
    let api = Api::start_configured(Kind::Embedded, move |config| config.api.console_dir = Some(dir)).await;
    let api = &api;
    let get = |path: &str| {
        let path = path.to_owned();
        async move { api.request_with_headers(Method::GET, &path, &[], None).await }
    };

    for page in ["/", "/worklist", "/studies/5b1c", "/facilities/new?x=1"] {
        let reply = get(page).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
        assert!(String::from_utf8_lossy(&reply.bytes).contains("<title>Noctis</title>"), "{page}");
        assert_eq!(reply.header("cache-control"), "no-cache");
        let csp = reply.header("content-security-policy");
        for directive in ["script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"] {
            assert!(csp.contains(directive), "{directive} missing from {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(reply.header("x-content-type-options"), "nosniff");
        assert_eq!(reply.header("referrer-policy"), "no-referrer");
    }
    let script = get("/assets/console-ABC.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.header("content-type").contains("javascript"));
    assert!(script.header("cache-control").contains("immutable"));
    let missing = get("/assets/console-GONE.js").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.headers.get("cache-control").is_none(), "a missing asset is not cached for good");
    assert_eq!(missing.text("/error/code"), "not_found");
    // API paths never fall back to the page, and API answers carry the headers too.
    let unknown = get("/api/v1/nothing-here").await;
    assert_eq!((unknown.status, unknown.text("/error/code")), (StatusCode::NOT_FOUND, "not_found".to_owned()));
    assert_eq!(get("/api/v1/facilities").await.header("x-frame-options"), "DENY");
    let posted = api.request_with_headers(Method::POST, "/worklist", &[], None).await;
    assert_eq!(posted.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_a_built_console_the_root_says_how_to_build_it() {
    let api = Api::start(Kind::Embedded).await;
    let reply = api.request_with_headers(Method::GET, "/", &[], None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.text("/error/message").contains("make console"), "{}", reply.json);
}

async fn the_ae_title_preview_names_what_registration_will_give(kind: Kind) {
    let api = Api::start(kind).await;
    let api = &api;
    let preview = |query: &str| {
        let path = format!("/api/v1/facilities/ae-title?{query}");
        async move { api.get(&path, &api.admin).await }
    };
    let first = preview("name=City%20General%20Hospital").await;
    assert_eq!((first.status, first.text("/ae_title")), (StatusCode::OK, "CITY_GENERAL".to_owned()));
    let registered = api.facility("City General Hospital").await;
    assert_eq!(registered["ae_title"], "CITY_GENERAL");
    let next = preview("name=City%20General%20Hospital").await;
    assert_eq!(next.text("/ae_title"), "CITY_GENERAL_2", "a taken title previews its successor");
    assert_eq!(api.facility("City General Hospital").await["ae_title"], "CITY_GENERAL_2");

    let chosen = preview("ae_title=city_general").await;
    assert_eq!(
        (chosen.text("/ae_title"), chosen.json["available"].as_bool()),
        ("CITY_GENERAL".to_owned(), Some(false))
    );
    let free = preview("ae_title=MODALITY_9").await;
    assert_eq!(free.json["available"], true);
    let invalid = preview("ae_title=THIS%20TITLE%20IS%20FAR%20TOO%20LONG").await;
    assert_eq!((invalid.status, invalid.text("/error/field")), (StatusCode::BAD_REQUEST, "ae_title".to_owned()));
    let unusable = preview("name=%21%21%21").await;
    assert_eq!((unusable.status, unusable.text("/error/field")), (StatusCode::BAD_REQUEST, "name".to_owned()));

    let radiologist = api.user_token("dr.preview", "radiologist", None).await;
    assert_eq!(api.get("/api/v1/facilities/ae-title?name=x", &radiologist).await.status, StatusCode::FORBIDDEN);

    // A taken title is refused with the field to show it by.
    let taken = api
        .post(
            "/api/v1/facilities",
            &api.admin,
            json!({"name": "Elsewhere", "email": "it@elsewhere.example", "license_number": "LIC-ELSE", "ae_title": "CITY_GENERAL"}),
        )
        .await;
    assert_eq!((taken.status, taken.text("/error/field")), (StatusCode::CONFLICT, "ae_title".to_owned()));
}

async fn lists_name_only_the_facilities_a_user_may_read(kind: Kind) {
    let api = Api::start(kind).await;
    let mercy = api.facility("Mercy").await;
    api.facility("Northside").await;
    let api = &api;
    let names = |token: String| async move {
        let reply = api.get("/api/v1/facilities/directory", &token).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let mut names: Vec<String> =
            reply.json.as_array().into_iter().flatten().filter_map(|f| f["name"].as_str().map(str::to_owned)).collect();
        names.sort();
        names
    };
    let radiologist = api.user_token("dr.names", "radiologist", None).await;
    assert_eq!(names(radiologist).await, ["Mercy", "Northside"]);
    let staff = api.user_token("mercy.staff", "facility_user", Some(facility_id(&mercy))).await;
    assert_eq!(names(staff).await, ["Mercy"]);
}

/// (The accession filter is the index's, in the storage contract tests.)
async fn the_worklist_filters_by_priority(kind: Kind) {
    let api = Api::start(kind).await;
    let facility = facility_id(&api.facility("Mercy").await);
    let urgent = seed_instance(&api.storage, facility, "1.2.5.1", "1.2.5.1.1", "1.2.5.1.1.1", "CT", "A^B").await;
    seed_instance(&api.storage, facility, "1.2.5.2", "1.2.5.2.1", "1.2.5.2.1.1", "CT", "C^D").await;
    let patched = api.patch(&format!("/api/v1/studies/{urgent}"), &api.admin, json!({"priority": "urgent"})).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.json);

    let page = api.worklist("priority=urgent").await;
    assert_eq!(page.items.iter().map(|s| s.study_instance_uid.as_str()).collect::<Vec<_>>(), ["1.2.5.1"]);
    assert_eq!(api.worklist("priority=routine").await.items.len(), 1);
    let bad = api.get("/api/v1/studies?priority=soon", &api.admin).await;
    assert_eq!((bad.status, bad.text("/error/field")), (StatusCode::BAD_REQUEST, "priority".to_owned()));
}

async fn a_report_saved_over_a_newer_version_is_refused_and_authors_are_named(kind: Kind) {
    let api = Api::start(kind).await;
    let facility = facility_id(&api.facility("Mercy").await);
    let study = seed_instance(&api.storage, facility, "1.2.6.1", "1.2.6.1.1", "1.2.6.1.1.1", "CT", "E^F").await;
    let grey = api.user_token("dr.grey", "radiologist", None).await;
    let house = api.user_token("dr.house", "radiologist", None).await;
    let staff = api.user_token("mercy.staff", "facility_user", Some(facility)).await;
    let path = format!("/api/v1/studies/{study}/report");
    let put = |token: &String, body: serde_json::Value| {
        let token = token.clone();
        let path = path.clone();
        let api = &api;
        async move { api.request(Method::PUT, &path, Some(&token), Some(body)).await }
    };

    let first = put(&grey, json!({"body": "Grey's draft", "based_on_revision": 0})).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.json);
    assert_eq!(first.text("/current/author_name"), "dr.grey");
    let read = first.json["revision"].as_u64().expect("a revision");
    // House opened the report at that revision too, but Grey saves again first.
    let second = put(&grey, json!({"body": "Grey's second draft", "based_on_revision": read})).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.json);
    let late = put(&house, json!({"body": "House's text", "based_on_revision": read})).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.json);
    let kept = api.get(&path, &house).await;
    assert_eq!(kept.text("/current/body"), "Grey's second draft", "the refused save replaced nothing");
    let now_at = kept.json["revision"].as_u64().expect("a revision");
    let signed = put(&grey, json!({"body": "Grey's report", "based_on_revision": now_at, "status": "final"})).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.json);
    let amended_at = signed.json["revision"].as_u64().expect("a revision");
    let amended =
        put(&house, json!({"body": "House's addendum", "based_on_revision": amended_at, "status": "final"})).await;
    assert_eq!(amended.status, StatusCode::OK, "{}", amended.json);
    let authors: Vec<(&str, &str)> = amended.json["history"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| Some((v["status"].as_str()?, v["author_name"].as_str()?)))
        .collect();
    assert_eq!(authors, [("final", "dr.grey"), ("amended", "dr.house")]);

    // The facility reads what was signed off, never a draft.
    let seen = api.get(&path, &staff).await;
    let statuses: Vec<&str> =
        seen.json["history"].as_array().into_iter().flatten().filter_map(|v| v["status"].as_str()).collect();
    assert_eq!(statuses, ["final", "amended"]);
    let other = seed_instance(&api.storage, facility, "1.2.6.2", "1.2.6.2.1", "1.2.6.2.1.1", "CT", "G^H").await;
    let draft_only = format!("/api/v1/studies/{other}/report");
    api.request(Method::PUT, &draft_only, Some(&grey), Some(json!({"body": "work in progress"}))).await;
    assert_eq!(api.get(&draft_only, &staff).await.status, StatusCode::NOT_FOUND);
    assert_eq!(api.get(&draft_only, &grey).await.status, StatusCode::OK);
}

async fn a_study_downloads_as_one_zip_of_its_files(kind: Kind) {
    let api = Api::start(kind).await;
    let facility = facility_id(&api.facility("Mercy").await);
    let study = seed_instance(&api.storage, facility, "1.2.7.1", "1.2.7.1.1", "1.2.7.1.1.1", "CT", "I^J").await;
    seed_instance(&api.storage, facility, "1.2.7.1", "1.2.7.1.1", "1.2.7.1.1.2", "CT", "I^J").await;
    seed_instance(&api.storage, facility, "1.2.7.1", "1.2.7.1.2", "1.2.7.1.2.1", "SR", "I^J").await;
    let reply = api.get(&format!("/api/v1/studies/{study}/archive"), &api.admin).await;
    // On AWS the zip is made in the bucket and fetched from it, as S3 serves it.
    let bytes = match kind {
        Kind::Embedded => {
            assert_eq!(reply.status, StatusCode::OK);
            assert_eq!(reply.header("content-type"), "application/zip");
            assert!(reply.header("content-disposition").contains("study-1.2.7.1.zip"));
            reply.bytes
        }
        Kind::Aws => {
            assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT, "{}", reply.json);
            let fetched = reqwest::get(reply.header("location")).await.expect("the store answers");
            assert_eq!(fetched.status(), reqwest::StatusCode::OK);
            assert_eq!(fetched.headers()["content-type"], "application/zip");
            fetched.bytes().await.expect("the zip").to_vec()
        }
    };
    let file = tempfile::NamedTempFile::new().expect("a file");
    std::fs::write(file.path(), &bytes).expect("writes");
    let read = noctis_e2e::python::run("read_zip.py", &[file.path().display().to_string()]);
    assert!(read.success, "{}", read.stderr);
    let listing = read.json();
    assert_eq!(listing["first_bad"], serde_json::Value::Null, "every CRC checks");
    let names: Vec<&str> =
        listing["entries"].as_array().into_iter().flatten().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "S-_1.2.7.1.1/I0001_1.2.7.1.1.1.dcm",
            "S-_1.2.7.1.1/I0001_1.2.7.1.1.2.dcm",
            "S-_1.2.7.1.2/I0001_1.2.7.1.2.1.dcm"
        ]
    );
    let content = b"not really DICOM: 1.2.7.1.1.2";
    assert_eq!(listing["entries"][1]["size"], content.len(), "each entry is the stored file, unchanged");

    let staff = api.user_token("mercy.staff", "facility_user", Some(facility)).await;
    let other = facility_id(&api.facility("Elsewhere").await);
    let theirs = seed_instance(&api.storage, other, "1.2.7.9", "1.2.7.9.1", "1.2.7.9.1.1", "CT", "K^L").await;
    assert_eq!(api.get(&format!("/api/v1/studies/{theirs}/archive"), &staff).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_streamed_archive_that_fails_part_way_breaks_the_download() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let api = Api::start(Kind::Embedded).await;
    let facility = facility_id(&api.facility("Mercy").await);
    let study = seed_instance(&api.storage, facility, "1.2.8.1", "1.2.8.1.1", "1.2.8.1.1.1", "CT", "M^N").await;
    seed_instance(&api.storage, facility, "1.2.8.1", "1.2.8.1.1", "1.2.8.1.1.2", "CT", "M^N").await;
    // The second instance's file disappears after it was indexed.
    let detail = api.storage.ports.studies.get_study(study).await.expect("reads").expect("exists");
    api.storage.ports.objects.delete(&detail.instances[1].object_key).await.expect("deletes");

    let request = axum::http::Request::get(format!("/api/v1/studies/{study}/archive"))
        .header("authorization", format!("Bearer {}", api.admin))
        .body(axum::body::Body::empty())
        .expect("a request");
    let response = api.router.clone().oneshot(request).await.expect("the router answers");
    assert_eq!(response.status(), StatusCode::OK, "the failure comes after the headers");
    assert!(response.into_body().collect().await.is_err(), "the body ends in an error, not in a short zip");
}
