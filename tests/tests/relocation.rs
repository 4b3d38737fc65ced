//! Moving a study a modality sent under the wrong facility, on both
//! backends: DCMTK sends it, a radiologist reports on it, an administrator
//! moves it through the API; it leaves the wrong facility's worklist, totals
//! and keys, and arrives with its report, workflow and every instance at the
//! right one, as one audit event.

use axum::http::StatusCode;
use noctis_core::domain::FacilityId;
use noctis_e2e::api::{Api, PASSWORD};
use noctis_e2e::dcmtk::storescu;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::Kind;
use noctis_e2e::testdata::{self, TestFile};
use serde_json::json;

noctis_e2e::on_both_backends!(a_study_sent_to_the_wrong_facility_moves_to_the_right_one_with_its_report);

async fn a_study_sent_to_the_wrong_facility_moves_to_the_right_one_with_its_report(kind: Kind) {
    let api = Api::start(kind).await;
    let receiver = Receiver::start(&api.storage);
    let (wrong_ae, wrong) = api.register_facility("Wrong Clinic", "wrong.it").await;
    let (_, right) = api.register_facility("Right Clinic", "right.it").await;
    let data = testdata::archive();
    let study: Vec<&TestFile> = data.files.iter().filter(|f| f.name.starts_with("study1_")).collect();
    let run =
        storescu(receiver.dicom_port, &wrong_ae, SCP_AE_TITLE, &[], &testdata::as_paths(&testdata::paths(&study)));
    assert_eq!(run.store_statuses(), ["Success"; 3], "{}", run.text);
    let id = api.get("/api/v1/studies", &api.admin).await.text("/items/0/id");
    let before = api.get(&format!("/api/v1/studies/{id}"), &api.admin).await;
    let radiologist = api.user_token("reader", "radiologist", None).await;
    let report = api
        .request(
            axum::http::Method::PUT,
            &format!("/api/v1/studies/{id}/report"),
            Some(&radiologist),
            Some(json!({"body": "No acute findings.", "status": "final"})),
        )
        .await;
    assert_eq!(report.status, StatusCode::OK, "{:?}", report.json);
    let urgent = api
        .patch(&format!("/api/v1/studies/{id}"), &radiologist, json!({"priority": "urgent", "status": "in_review"}))
        .await;
    assert_eq!(urgent.status, StatusCode::OK);

    let path = format!("/api/v1/studies/{id}/move");
    let wrong_staff = api.login("wrong.it", PASSWORD).await;
    for token in [&wrong_staff, &radiologist] {
        let refused = api.post(&path, token, json!({"facility_id": right})).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.json);
    }
    let nowhere = api.post(&path, &api.admin, json!({"facility_id": FacilityId::new_random()})).await;
    assert_eq!(
        (nowhere.status, nowhere.json["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("facility_id"))
    );
    let same = api.post(&path, &api.admin, json!({"facility_id": wrong})).await;
    assert_eq!((same.status, same.json["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("facility_id")));

    let moved = api.post(&path, &api.admin, json!({"facility_id": right})).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.json);
    assert_eq!(moved.json["facility_id"], right.to_string());
    assert_eq!((moved.json["instance_count"].as_u64(), moved.json["series_count"].as_u64()), (Some(3), Some(2)));
    assert_eq!((moved.json["priority"].as_str(), moved.json["status"].as_str()), (Some("urgent"), Some("in_review")));
    let new_id = moved.text("/id");
    assert_ne!(new_id, id, "a study's id is its facility's and its UID's");

    assert_eq!(api.get(&format!("/api/v1/studies/{id}"), &api.admin).await.status, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/api/v1/studies", &wrong_staff).await.json["items"], json!([]));
    let right_staff = api.login("right.it", PASSWORD).await;
    let theirs = api.get("/api/v1/studies", &right_staff).await;
    assert_eq!(theirs.text("/items/0/id"), new_id);
    let after = api.get(&format!("/api/v1/studies/{new_id}"), &right_staff).await;
    assert_eq!(after.json["instances"].as_array().map(Vec::len), Some(3));
    for (old, new) in before.json["instances"]
        .as_array()
        .into_iter()
        .flatten()
        .zip(after.json["instances"].as_array().into_iter().flatten())
    {
        assert_eq!(
            (&old["sop_instance_uid"], &old["size_bytes"], &old["received_at"]),
            (&new["sop_instance_uid"], &new["size_bytes"], &new["received_at"])
        );
    }
    for file in &study {
        let (old_key, new_key) = (file.object_key(wrong), file.object_key(right));
        assert!(api.storage.ports.objects.read(&old_key).await.expect("reads").is_none(), "{old_key} left behind");
        assert!(api.storage.ports.objects.read(&new_key).await.expect("reads").is_some(), "{new_key} missing");
    }
    let file =
        api.get(&format!("/api/v1/studies/{new_id}/instances/{}/file", study[0].sop_instance_uid), &right_staff).await;
    assert!(matches!(file.status, StatusCode::OK | StatusCode::TEMPORARY_REDIRECT), "{:?}", file.status);
    let carried = api.get(&format!("/api/v1/studies/{new_id}/report"), &right_staff).await;
    assert_eq!(carried.status, StatusCode::OK, "{:?}", carried.json);
    assert_eq!(carried.json["current"]["body"], "No acute findings.");

    let from = api.get(&format!("/api/v1/facilities/{wrong}/stats"), &api.admin).await;
    let to = api.get(&format!("/api/v1/facilities/{right}/stats"), &api.admin).await;
    assert_eq!((from.json["studies"].as_u64(), from.json["instances"].as_u64()), (Some(0), Some(0)));
    assert_eq!((to.json["studies"].as_u64(), to.json["instances"].as_u64()), (Some(1), Some(3)));
    let events = api.get("/api/v1/audit?kind=study_moved", &api.admin).await;
    assert_eq!(events.json["items"].as_array().map(Vec::len), Some(1), "{:?}", events.json);
    assert_eq!(events.json["items"][0]["details"]["moved_to_facility_id"], right.to_string());
    assert_eq!(events.json["items"][0]["facility_id"], wrong.to_string());
    let deleted = api.get("/api/v1/audit?kind=study_deleted", &api.admin).await;
    assert_eq!(deleted.json["items"], json!([]), "a move is not a deletion");
}
