//! Deletion as an administrator uses it, on both backends: a modality sends a
//! study with DCMTK, the administrator deletes one instance, one series, then
//! the study, through the API; the objects go with the rows, the worklist,
//! totals and audit trail follow, other roles are refused, and the same
//! modality can send it all again. A deletion whose API process stopped
//! part-way is finished by a running receiver's repair sweep.

use axum::http::{Method, StatusCode};
use noctis_core::domain::{Actor, Deletion, DeletionCause, DeletionScope, now};
use noctis_e2e::api::{Api, PASSWORD, Reply};
use noctis_e2e::dcmtk::storescu;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::Kind;
use noctis_e2e::testdata::{self, TestFile};
use serde_json::json;

noctis_e2e::on_both_backends!(
    an_administrator_deletes_an_instance_a_series_and_a_study_which_can_be_sent_again,
    a_deletion_whose_process_stopped_is_finished_by_a_running_receiver,
);

async fn delete(api: &Api, path: &str, token: &str) -> Reply {
    api.request(Method::DELETE, path, Some(token), None).await
}

async fn an_administrator_deletes_an_instance_a_series_and_a_study_which_can_be_sent_again(kind: Kind) {
    let api = Api::start(kind).await;
    let receiver = Receiver::start(&api.storage);
    let (ae, facility) = api.register_facility("Wrong Turn Clinic", "clinic.it").await;
    // Study 1 of the archive: a CT series of two instances and a PR series of one.
    let data = testdata::archive();
    let study: Vec<&TestFile> = data.files.iter().filter(|f| f.name.starts_with("study1_")).collect();
    let send = || {
        let run = storescu(receiver.dicom_port, &ae, SCP_AE_TITLE, &[], &testdata::as_paths(&testdata::paths(&study)));
        assert_eq!(run.store_statuses(), ["Success"; 3], "{}", run.text);
    };
    send();
    let listed = api.get("/api/v1/studies", &api.admin).await;
    let id = listed.text("/items/0/id");
    let (ct, pr) = (study[0], study[2]);
    assert_eq!((ct.modality.as_str(), pr.modality.as_str()), ("CT", "PR"), "the archive's layout");

    // Only an administrator deletes.
    let clinic = api.login("clinic.it", PASSWORD).await;
    let radiologist = api.user_token("reader", "radiologist", None).await;
    for token in [&clinic, &radiologist] {
        let refused = delete(&api, &format!("/api/v1/studies/{id}"), token).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.json);
        assert!(refused.json["error"]["code"].is_string());
    }
    let before = api.get(&format!("/api/v1/studies/{id}"), &api.admin).await;
    assert_eq!(before.json["instance_count"], 3);
    let stored_size = before.json["instances"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["sop_instance_uid"] == ct.sop_instance_uid.as_str())
        .and_then(|i| i["size_bytes"].as_u64());

    let one = format!("/api/v1/studies/{id}/series/{}/instances/{}", ct.series_instance_uid, ct.sop_instance_uid);
    let deleted = delete(&api, &one, &api.admin).await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.json);
    assert_eq!((deleted.json["level"].as_str(), deleted.json["instances"].as_u64()), (Some("instance"), Some(1)));
    assert_eq!(deleted.json["bytes"].as_u64(), stored_size, "the stored file's size");
    let detail = api.get(&format!("/api/v1/studies/{id}"), &api.admin).await;
    assert_eq!((detail.json["instance_count"].as_u64(), detail.json["series_count"].as_u64()), (Some(2), Some(2)));
    let file = api.get(&format!("/api/v1/studies/{id}/instances/{}/file", ct.sop_instance_uid), &api.admin).await;
    assert_eq!(file.status, StatusCode::NOT_FOUND);
    assert!(api.storage.ports.objects.read(&ct.object_key(facility)).await.expect("reads").is_none());
    assert!(api.storage.ports.objects.read(&study[1].object_key(facility)).await.expect("reads").is_some());
    assert_eq!(delete(&api, &one, &api.admin).await.status, StatusCode::NOT_FOUND, "gone already");

    let unknown = delete(&api, &format!("/api/v1/studies/{id}/series/1.2.3.999"), &api.admin).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.json["error"]["code"].is_string());
    let not_a_uid = delete(&api, &format!("/api/v1/studies/{id}/series/not-a-uid"), &api.admin).await;
    assert_eq!(not_a_uid.status, StatusCode::NOT_FOUND);

    let series = delete(&api, &format!("/api/v1/studies/{id}/series/{}", pr.series_instance_uid), &api.admin).await;
    assert_eq!((series.json["level"].as_str(), series.json["instances"].as_u64()), (Some("series"), Some(1)));
    let detail = api.get(&format!("/api/v1/studies/{id}"), &api.admin).await;
    assert_eq!((detail.json["instance_count"].as_u64(), detail.json["series_count"].as_u64()), (Some(1), Some(1)));
    assert_eq!(detail.json["modalities"], json!(["CT"]));

    let whole = delete(&api, &format!("/api/v1/studies/{id}"), &api.admin).await;
    assert_eq!((whole.json["level"].as_str(), whole.json["instances"].as_u64()), (Some("study"), Some(1)));
    assert_eq!(api.get(&format!("/api/v1/studies/{id}"), &api.admin).await.status, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/api/v1/studies", &clinic).await.json["items"], json!([]), "gone from the worklist");
    for file in &study {
        let key = file.object_key(facility);
        assert!(api.storage.ports.objects.read(&key).await.expect("reads").is_none(), "{key} left behind");
    }
    let stats = api.get(&format!("/api/v1/facilities/{facility}/stats"), &api.admin).await;
    assert_eq!((stats.json["studies"].as_u64(), stats.json["instances"].as_u64()), (Some(0), Some(0)));

    // The trail names what went and who deleted it, and nothing of the patient.
    for (kind, count) in [("instance_deleted", 1), ("series_deleted", 1), ("study_deleted", 1)] {
        let events = api.get(&format!("/api/v1/audit?kind={kind}"), &api.admin).await;
        let items = events.json["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), count, "{kind}: {:?}", events.json);
        assert_eq!(items[0]["actor"]["type"], "user");
        assert_eq!(items[0]["facility_id"], facility.to_string());
        assert_eq!(items[0]["details"]["study_instance_uid"], ct.study_instance_uid.as_str());
        assert!(!items[0].to_string().contains(&ct.patient_name), "no patient name in {kind}");
    }
    let instance_event = api.get("/api/v1/audit?kind=instance_deleted", &api.admin).await;
    assert_eq!(instance_event.json["items"][0]["details"]["sop_instance_uid"], ct.sop_instance_uid.as_str());

    // The modality sends it all again: stored, indexed and counted again.
    send();
    let again = api.get(&format!("/api/v1/studies/{id}"), &api.admin).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!((again.json["instance_count"].as_u64(), again.json["series_count"].as_u64()), (Some(3), Some(2)));
    for file in &study {
        assert!(api.storage.ports.objects.read(&file.object_key(facility)).await.expect("reads").is_some());
    }
    let stats = api.get(&format!("/api/v1/facilities/{facility}/stats"), &api.admin).await;
    assert_eq!((stats.json["studies"].as_u64(), stats.json["instances"].as_u64()), (Some(1), Some(3)));
}

async fn a_deletion_whose_process_stopped_is_finished_by_a_running_receiver(kind: Kind) {
    let api = Api::start(kind).await;
    let receiver = Receiver::start_with(&api.storage, &[("NOCTIS_DICOM__ABANDONED_SETTLE_SECS", "1")]);
    let (ae, facility) = api.register_facility("Stopped Clinic", "clinic.it").await;
    let data = testdata::archive();
    let study: Vec<&TestFile> = data.files.iter().filter(|f| f.name.starts_with("study1_")).collect();
    let run = storescu(receiver.dicom_port, &ae, SCP_AE_TITLE, &[], &testdata::as_paths(&testdata::paths(&study)));
    assert_eq!(run.store_statuses(), ["Success"; 3], "{}", run.text);
    let id = api.get("/api/v1/studies", &api.admin).await.text("/items/0/id");
    let index = &api.storage.ports.studies;
    let detail = index.get_study(id.parse().expect("a study id")).await.expect("reads").expect("the study");

    // What an API process killed mid-deletion leaves: the deletion written
    // down, one object removed, every row still there.
    let deletion = Deletion {
        id: uuid::Uuid::new_v4(),
        study: detail.study.id,
        facility_id: facility,
        study_instance_uid: detail.study.study_instance_uid.clone(),
        scope: DeletionScope::Study,
        requested_by: Actor::System,
        requested_at: now(),
        instances: 3,
        bytes: detail.study.total_bytes,
        cause: DeletionCause::Requested,
    };
    index.begin_deletion(&deletion).await.expect("writes the deletion down");
    api.storage.ports.objects.delete(&study[0].object_key(facility)).await.expect("removes one object");

    noctis_e2e::eventually(30, "the receiver's sweep to finish the deletion", || async {
        index.pending_deletions().await.expect("reads").is_empty().then_some(())
    })
    .await;
    assert_eq!(api.get(&format!("/api/v1/studies/{id}"), &api.admin).await.status, StatusCode::NOT_FOUND);
    for file in &study {
        let key = file.object_key(facility);
        assert!(api.storage.ports.objects.read(&key).await.expect("reads").is_none(), "{key} left behind");
    }
    let stats = api.get(&format!("/api/v1/facilities/{facility}/stats"), &api.admin).await;
    assert_eq!((stats.json["studies"].as_u64(), stats.json["instances"].as_u64()), (Some(0), Some(0)));
    let events = api.get("/api/v1/audit?kind=study_deleted", &api.admin).await;
    assert_eq!(events.json["items"].as_array().map(Vec::len), Some(1), "{:?}", events.json);
    assert_eq!(events.json["items"][0]["details"]["instances"], 3);
}
