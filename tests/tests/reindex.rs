//! Rebuilding the index from storage as an operator runs it (`noctis-api
//! reindex`), on both backends. A site that lost its index whole gets the
//! same worklist, studies and downloads back from the objects a modality
//! sent with DCMTK, through a run stopped part-way and resumed; objects no
//! facility owns, and objects Noctis did not write, are reported and left.
//! Drift is found and repaired: a row whose object is gone, an object whose
//! index write never happened, an object that is not DICOM. A dry run
//! changes nothing, and a second run has nothing left to do.

use noctis_core::domain::{FacilityId, ObjectKey};
use noctis_e2e::api::{Api, write_object};
use noctis_e2e::dcmtk::storescu;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage};
use noctis_e2e::testdata::{self, TestFile};
use serde_json::json;
use std::path::Path;

noctis_e2e::on_both_backends!(
    an_index_lost_whole_is_rebuilt_from_storage_through_a_run_stopped_and_resumed,
    drift_between_index_and_storage_is_reported_by_a_dry_run_then_repaired,
);

/// `noctis-api reindex ARGS` on `storage`: what it printed for an operator.
fn reindex(storage: &Storage, args: &[&str]) -> Vec<String> {
    noctis_e2e::process::run_noctis_api(&storage.env, &[["reindex"].as_slice(), args].concat())
}

fn summary(lines: &[String]) -> &str {
    lines.iter().rev().find(|line| line.starts_with("reindex ")).map(String::as_str).unwrap_or_default()
}

fn send(receiver: &Receiver, ae: &str, files: &[&TestFile]) {
    let paths = testdata::paths(files);
    let run = storescu(receiver.dicom_port, ae, SCP_AE_TITLE, &[], &testdata::as_paths(&paths));
    assert_eq!(run.store_statuses(), vec!["Success"; files.len()], "{}", run.text);
}

async fn an_index_lost_whole_is_rebuilt_from_storage_through_a_run_stopped_and_resumed(kind: Kind) {
    let api = Api::start(kind).await;
    let receiver = Receiver::start(&api.storage);
    let (ae, facility) = api.register_facility("Lost Index Clinic", "clinic.it").await;
    let data = testdata::archive();
    let files: Vec<&TestFile> = data.files.iter().collect();
    send(&receiver, &ae, &files);
    let before = api.studies_in_full().await;
    assert!(before.len() >= 3, "the archive's studies: {before:?}");

    // What a site has left after losing its database: the objects, and its
    // registry restored (by `noctis-api import` in a full restore).
    let lost = api.storage.beside_with_an_empty_index().await;
    let registered = api.storage.ports.facilities.get(facility).await.expect("reads").expect("the facility");
    lost.ports.facilities.insert(&registered, None).await.expect("the registry is restored");
    // An object under a facility that is gone, and one Noctis never writes.
    let orphan = files[0].object_key(FacilityId::new_random());
    write_object(&lost, &orphan, &std::fs::read(&files[0].path).expect("reads")).await;
    let foreign = ObjectKey::from_stored("notes/readme.txt".into());
    write_object(&lost, &foreign, b"not an instance").await;

    let progress = tempfile::tempdir().expect("a temporary directory");
    let progress_file = progress.path().join("reindex.json");
    let progress_arg = progress_file.display().to_string();
    let first = reindex(&lost, &["--progress-file", &progress_arg, "--max-objects", "2", "--page-size", "1"]);
    assert!(summary(&first).starts_with("reindex stopped, to be resumed: 2 objects"), "{first:?}");
    assert!(progress_file.exists(), "where it got to is kept");
    let partial = lost.ports.studies.list_studies(&Default::default(), &first_page()).await.expect("lists");
    assert!(partial.items.iter().map(|s| s.instance_count).sum::<u64>() <= 2, "only what it reached");

    let rest = reindex(&lost, &["--progress-file", &progress_arg]);
    assert!(rest[0].starts_with("resuming: 2 objects examined before"), "{rest:?}");
    let total = files.len() + 2;
    let expected = format!(
        "reindex complete: {total} objects (0 already indexed, indexed {}, 1 orphaned, 1 foreign, 0 unreadable, 0 mismatched)",
        files.len()
    );
    assert!(summary(&rest).starts_with(&expected), "{}\n{rest:?}", summary(&rest));
    let reported = [first.as_slice(), rest.as_slice()].concat();
    assert!(
        reported.contains(&format!("orphaned {orphan}: no registered facility owns it; left alone")),
        "{reported:?}"
    );
    assert!(
        reported.contains(&format!("foreign {foreign}: not an instance key Noctis writes; left alone")),
        "{reported:?}"
    );
    assert!(!progress_file.exists(), "a finished run leaves no progress to resume");

    let rebuilt = Api::start_on(lost, "restorer").await;
    assert_eq!(rebuilt.studies_in_full().await, before, "the same studies, series, instances and attributes");
    let stats = rebuilt.get(&format!("/api/v1/facilities/{facility}/stats"), &rebuilt.admin).await;
    assert_eq!(stats.json["instances"].as_u64(), Some(files.len() as u64), "the totals are rebuilt too");
    // A download is the same file.
    let study = before[0]["id"].as_str().expect("an id");
    let sop = before[0]["instances"][0]["sop_instance_uid"].as_str().expect("a SOP instance");
    let path = format!("/api/v1/studies/{study}/instances/{sop}/file");
    let (original, restored) = (api.download(&path).await, rebuilt.download(&path).await);
    assert!(!original.is_empty() && original == restored, "the downloaded file is the stored one");
    let events = rebuilt.get("/api/v1/audit?kind=index_rebuilt", &rebuilt.admin).await;
    assert_eq!(events.json["items"][0]["details"]["counts"]["indexed"], json!(files.len()), "{:?}", events.json);

    let again = reindex(&rebuilt.storage, &[]);
    let idle = format!("reindex complete: {total} objects ({} already indexed, indexed 0,", files.len());
    assert!(summary(&again).starts_with(&idle), "{again:?}");
}

fn first_page() -> noctis_core::domain::PageRequest {
    noctis_core::domain::PageRequest::first(noctis_core::domain::PageLimit::DEFAULT)
}

async fn drift_between_index_and_storage_is_reported_by_a_dry_run_then_repaired(kind: Kind) {
    let api = Api::start(kind).await;
    let receiver = Receiver::start(&api.storage);
    let (ae, facility) = api.register_facility("Drifting Clinic", "clinic.it").await;
    let data = testdata::archive();
    let study1: Vec<&TestFile> = data.files.iter().filter(|f| f.name.starts_with("study1_")).collect();
    let study2 = data.files.iter().find(|f| f.name.starts_with("study2_")).expect("a second study");
    send(&receiver, &ae, &study1);
    let objects = &api.storage.ports.objects;

    // A row whose object is gone; an object whose index write never happened
    // (the durable write made, the process lost); an object that is not DICOM.
    let gone = study1[0].object_key(facility);
    objects.delete(&gone).await.expect("deletes");
    let unindexed = study2.object_key(facility);
    write_object(&api.storage, &unindexed, &std::fs::read(Path::new(&study2.path)).expect("reads")).await;
    let uid = |text: &str| noctis_core::domain::Uid::parse(text).expect("a UID");
    let (study, series) = (uid(&study1[0].study_instance_uid), uid(&study1[0].series_instance_uid));
    let garbage = ObjectKey::for_instance(facility, &study, &series, &uid("1.2.826.0.1.3680043.9.7"));
    write_object(&api.storage, &garbage, &[0u8; 300]).await;
    let before = api.studies_in_full().await;

    let dry = reindex(&api.storage, &["--dry-run"]);
    assert!(dry.contains(&format!("would index {unindexed}")), "{dry:?}");
    assert!(dry.iter().any(|line| line.starts_with(&format!("would remove the row of {gone} "))), "{dry:?}");
    assert!(dry.contains(&format!("unreadable {garbage}: not a Part-10 file; left alone")), "{dry:?}");
    assert_eq!(api.studies_in_full().await, before, "a dry run changes nothing");
    // A dry run's progress is never taken up by a run that repairs: it skipped what it only reported.
    let folder = tempfile::tempdir().expect("a temporary directory");
    let progress = folder.path().join("dry.json").display().to_string();
    reindex(&api.storage, &["--dry-run", "--progress-file", &progress, "--max-objects", "1"]);
    let refused =
        noctis_e2e::process::run_noctis_api_failing(&api.storage.env, &["reindex", "--progress-file", &progress]);
    assert!(refused.contains("it is a dry run's"), "{refused}");

    let repaired = reindex(&api.storage, &[]);
    assert!(summary(&repaired).contains("rows checked (1 without their object)"), "{repaired:?}");
    let after = api.studies_in_full().await;
    assert_eq!(after.len(), 2, "the unindexed instance's study is listed: {after:?}");
    let first =
        after.iter().find(|s| s["study_instance_uid"] == study1[0].study_instance_uid.as_str()).expect("study 1");
    assert_eq!(first["instance_count"].as_u64(), Some(study1.len() as u64 - 1), "the row of the lost object went");
    let second = after.iter().find(|s| s["study_instance_uid"] == study2.study_instance_uid.as_str()).expect("study 2");
    assert_eq!(second["patient_name"], study2.patient_name.as_str(), "read from the stored header");
    assert_eq!(second["modalities"], json!([study2.modality]));

    let removed = api.get("/api/v1/audit?kind=instance_deleted", &api.admin).await;
    assert_eq!(removed.json["items"][0]["actor"]["type"], "system", "{:?}", removed.json);
    assert_eq!(removed.json["items"][0]["details"]["reason"], "object_missing");
    assert_eq!(removed.json["items"][0]["details"]["sop_instance_uid"], study1[0].sop_instance_uid.as_str());

    let again = reindex(&api.storage, &[]);
    assert!(summary(&again).contains("indexed 0, 0 orphaned, 0 foreign, 1 unreadable"), "{again:?}");
    assert!(summary(&again).contains("rows checked (0 without their object)"), "{again:?}");
}
