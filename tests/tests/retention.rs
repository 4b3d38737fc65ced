//! Retention as an operator runs it, on both backends: an administrator gives
//! a facility a retention period through the API; `noctis-api retention
//! --dry-run` lists the studies past it and deletes nothing; `noctis-api
//! retention` deletes them, objects and rows, audited as the system's doing
//! with the period; studies received since, and every study of a facility
//! without a period, stay.

use axum::http::StatusCode;
use noctis_core::domain::{StudyId, Timestamp, now};
use noctis_e2e::api::{Api, SeededInstance, seed_instance_received_at};
use noctis_e2e::storage::{Kind, Storage};
use serde_json::json;

noctis_e2e::on_both_backends!(studies_past_their_facilitys_retention_are_listed_by_a_dry_run_then_deleted);

/// `noctis-api retention ARGS` on `storage`: what it printed for an operator.
fn retention(storage: &Storage, args: &[&str]) -> Vec<String> {
    noctis_e2e::process::run_noctis_api(&storage.env, &[["retention"].as_slice(), args].concat())
}

fn days_ago(days: i64) -> Timestamp {
    now() - chrono::Duration::days(days)
}

async fn seed(storage: &Storage, facility: noctis_core::domain::FacilityId, study: &str, at: Timestamp) -> StudyId {
    let (series, sop) = (format!("{study}.1"), format!("{study}.1.1"));
    let instance = SeededInstance { study, series: &series, sop: &sop, modality: "CT", patient: "Kept^Or^Not" };
    seed_instance_received_at(storage, facility, instance, at).await
}

async fn study_exists(api: &Api, id: StudyId) -> bool {
    let reply = api.get(&format!("/api/v1/studies/{id}"), &api.admin).await;
    assert!(matches!(reply.status, StatusCode::OK | StatusCode::NOT_FOUND), "{:?}", reply.json);
    reply.status == StatusCode::OK
}

async fn studies_past_their_facilitys_retention_are_listed_by_a_dry_run_then_deleted(kind: Kind) {
    let api = Api::start(kind).await;
    let (_, short) = api.register_facility("Short Memory Clinic", "short.it").await;
    let (_, forever) = api.register_facility("Forever Clinic", "forever.it").await;
    let facility = format!("/api/v1/facilities/{short}");

    // The period is the administrator's to set, within bounds.
    for bad in [json!(0), json!(36_501), json!(-3), json!("thirty")] {
        let refused = api.patch(&facility, &api.admin, json!({ "retention_days": bad })).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}: {:?}", refused.json);
        assert_eq!(refused.json["error"]["code"], "validation", "{bad}");
    }
    let set = api.patch(&facility, &api.admin, json!({"retention_days": 30})).await;
    assert_eq!((set.status, set.json["retention_days"].as_u64()), (StatusCode::OK, Some(30)), "{:?}", set.json);
    let clinic = api.login("short.it", noctis_e2e::api::PASSWORD).await;
    let own = api.patch(&facility, &clinic, json!({"retention_days": 1})).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "a facility user does not shorten its own retention");
    assert_eq!(api.get(&format!("/api/v1/facilities/{forever}"), &api.admin).await.json["retention_days"], json!(null));

    let expired = seed(&api.storage, short, "1.2.9.1", days_ago(31)).await;
    let recent = seed(&api.storage, short, "1.2.9.2", days_ago(29)).await;
    let kept_for_ever = seed(&api.storage, forever, "1.2.9.3", days_ago(4000)).await;
    let stored = api.storage.ports.studies.get_study(expired).await.expect("reads").expect("the study");
    let (expired_key, size) = (stored.instances[0].object_key.clone(), stored.instances[0].size_bytes);

    let listed = retention(&api.storage, &["--dry-run"]);
    assert_eq!(listed.len(), 2, "one study, then the summary: {listed:?}");
    assert!(listed[0].starts_with(&format!("would delete study {expired} (facility {short}")), "{listed:?}");
    assert!(listed[0].ends_with(&format!("1 instances, {size} bytes, retention 30 days")), "{listed:?}");
    let summary =
        |verb: &str| format!("{verb} 1 studies (1 instances, {size} bytes) of 1 facilities with a retention period");
    assert_eq!(listed[1], summary("would delete"));
    assert!(study_exists(&api, expired).await, "a dry run deletes nothing");
    assert!(api.storage.ports.objects.read(&expired_key).await.expect("reads").is_some());

    let deleted = retention(&api.storage, &[]);
    assert!(deleted[0].starts_with(&format!("deleted study {expired} ")), "{deleted:?}");
    assert_eq!(deleted.last(), Some(&summary("deleted")));
    assert!(!study_exists(&api, expired).await, "past the period");
    assert!(api.storage.ports.objects.read(&expired_key).await.expect("reads").is_none(), "its object went with it");
    assert!(study_exists(&api, recent).await, "inside the period");
    assert!(study_exists(&api, kept_for_ever).await, "a facility without a period keeps everything");
    let stats = api.get(&format!("/api/v1/facilities/{short}/stats"), &api.admin).await;
    assert_eq!((stats.json["studies"].as_u64(), stats.json["instances"].as_u64()), (Some(1), Some(1)));

    let events = api.get("/api/v1/audit?kind=study_deleted", &api.admin).await;
    let items = events.json["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{:?}", events.json);
    assert_eq!(items[0]["actor"]["type"], "system");
    assert_eq!(items[0]["facility_id"], short.to_string());
    assert_eq!(items[0]["details"]["retention_days"], 30);
    assert_eq!(items[0]["details"]["study_instance_uid"], "1.2.9.1");
    assert!(!items[0].to_string().contains("Kept^Or^Not"), "no patient name in the trail");

    let again = retention(&api.storage, &[]);
    assert_eq!(again, ["deleted 0 studies (0 instances, 0 bytes) of 1 facilities with a retention period"]);

    // Cleared, the period no longer applies: the study past 30 days stays.
    let cleared = api.patch(&facility, &api.admin, json!({"retention_days": null})).await;
    assert_eq!(cleared.json["retention_days"], json!(null), "{:?}", cleared.json);
    seed(&api.storage, short, "1.2.9.4", days_ago(90)).await;
    let none = retention(&api.storage, &["--dry-run"]);
    assert_eq!(none, ["would delete 0 studies (0 instances, 0 bytes) of 0 facilities with a retention period"]);
}
