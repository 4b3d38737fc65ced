//! The worklist over HTTP: filters, cursors, detail, download, workflow.

use axum::http::{Method, StatusCode};
use noctis_e2e::api::{Api, facility_id, seed_instance};
use noctis_e2e::storage::Kind;
use serde_json::json;

noctis_e2e::on_both_backends!(the_worklist_filters_pages_and_downloads);

async fn the_worklist_filters_pages_and_downloads(kind: Kind) {
    let api = Api::start(kind).await;
    let facility = facility_id(&api.facility("Mercy").await);
    for i in 0..5 {
        let modality = if i % 2 == 0 { "CT" } else { "MR" };
        seed_instance(
            &api.storage,
            facility,
            &format!("1.4.{i}"),
            &format!("1.4.{i}.1"),
            &format!("1.4.{i}.1.1"),
            modality,
            "DOE^JANE",
        )
        .await;
    }
    seed_instance(&api.storage, facility, "1.4.9", "1.4.9.1", "1.4.9.1.1", "US", "SMITH^ANNA").await;

    let mut seen = Vec::new();
    let mut path = "/api/v1/studies?limit=4".to_owned();
    loop {
        let page = api.get(&path, &api.admin).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.json);
        seen.extend(
            page.json["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["study_instance_uid"].as_str().map(str::to_owned)),
        );
        match page.json["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/studies?limit=4&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["1.4.9", "1.4.4", "1.4.3", "1.4.2", "1.4.1", "1.4.0"], "newest first, each once");

    let ct = api.get("/api/v1/studies?modality=ct", &api.admin).await;
    assert_eq!(ct.json["items"].as_array().map(Vec::len), Some(3));
    let smith = api.get("/api/v1/studies?patient=smith", &api.admin).await;
    assert_eq!(smith.json["items"][0]["patient_name"], "SMITH^ANNA");
    let bad = api.get("/api/v1/studies?limit=0", &api.admin).await;
    assert_eq!((bad.status, bad.json["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("limit")));
    let bad = api.get("/api/v1/studies?cursor=garbage", &api.admin).await;
    assert_eq!((bad.status, bad.json["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("cursor")));
    let bad = api.get("/api/v1/studies?status=lost", &api.admin).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let study = smith.json["items"][0]["id"].as_str().unwrap_or_default().to_owned();
    let detail = api.get(&format!("/api/v1/studies/{study}"), &api.admin).await;
    assert_eq!(detail.json["instances"][0]["sop_instance_uid"], "1.4.9.1.1");
    assert_eq!(detail.json["series"][0]["modality"], "US");

    let file = api.get(&format!("/api/v1/studies/{study}/instances/1.4.9.1.1/file"), &api.admin).await;
    match kind {
        Kind::Embedded => {
            assert_eq!(file.status, StatusCode::OK);
            assert_eq!(file.headers["content-type"], "application/dicom");
            assert_eq!(file.bytes, b"not really DICOM: 1.4.9.1.1");
        }
        Kind::Aws => {
            assert_eq!(file.status, StatusCode::TEMPORARY_REDIRECT);
            let location = file.headers["location"].to_str().unwrap_or_default().to_owned();
            assert!(location.contains("X-Amz-Signature"), "{location}");
            let fetched = reqwest::get(&location).await.expect("the presigned URL answers");
            assert_eq!(fetched.bytes().await.expect("bytes").as_ref(), b"not really DICOM: 1.4.9.1.1");
        }
    }
    let missing = api.get(&format!("/api/v1/studies/{study}/instances/9.9.9/file"), &api.admin).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let patched = api
        .request(
            Method::PATCH,
            &format!("/api/v1/studies/{study}"),
            Some(&api.admin),
            Some(json!({"status": "in_review", "priority": "stat"})),
        )
        .await;
    assert_eq!((patched.json["status"].as_str(), patched.json["priority"].as_str()), (Some("in_review"), Some("stat")));
    let in_review = api.get("/api/v1/studies?status=in_review", &api.admin).await;
    assert_eq!(in_review.json["items"].as_array().map(Vec::len), Some(1));
    let stats = api.get(&format!("/api/v1/facilities/{facility}/stats"), &api.admin).await;
    assert_eq!((stats.json["studies"].as_u64(), stats.json["instances"].as_u64()), (Some(6), Some(6)));
}
