//! Backup and restore as an operator runs them: a site filled by a modality
//! (DCMTK), a radiologist's report, a ban and its audit trail is exported
//! with `noctis-api export`, imported into an empty backend of the other
//! kind with `noctis-api import`, its objects copied, and its index rebuilt
//! with `noctis-api reindex`. Worklist, studies, reports, downloads, sign-in,
//! bans and the audit trail are the same afterwards. Embedded → AWS is the
//! migration path for a site outgrowing one machine; AWS → embedded restores
//! a cloud site onto one. A second import, and an archive cut short, are
//! refused.

use std::net::IpAddr;
use std::time::Duration;

use axum::http::StatusCode;
use noctis_core::domain::{BanPolicy, ObjectKey, now};
use noctis_e2e::api::{Api, PASSWORD, write_object};
use noctis_e2e::dcmtk::storescu;
use noctis_e2e::process::run_noctis_api;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage};
use noctis_e2e::testdata::{self, TestFile};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_moves_from_embedded_to_aws_by_export_object_copy_import_and_reindex() {
    restore_drill(Kind::Embedded, Kind::Aws).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloud_site_is_restored_onto_one_machine_the_same_way() {
    restore_drill(Kind::Aws, Kind::Embedded).await;
}

/// Every object of `from` written to `to` under its key, as `aws s3 sync` or `cp -r` would.
async fn copy_objects(from: &Storage, to: &Storage) -> usize {
    let mut after: Option<ObjectKey> = None;
    let mut copied = 0;
    loop {
        let page = from.ports.objects.list("", after.as_ref(), 100).await.expect("lists");
        let Some(last) = page.last() else { return copied };
        after = Some(last.key.clone());
        for object in page {
            let mut bytes = Vec::new();
            let mut reader = from.ports.objects.read(&object.key).await.expect("reads").expect("listed");
            reader.read_to_end(&mut bytes).await.expect("reads to the end");
            write_object(to, &object.key, &bytes).await;
            copied += 1;
        }
    }
}

async fn restore_drill(source: Kind, target: Kind) {
    let api = Api::start(source).await;
    let receiver = Receiver::start(&api.storage);
    let (ae, facility) = api.register_facility("Moving Clinic", "clinic.it").await;
    let data = testdata::archive();
    let files: Vec<&TestFile> = data.files.iter().collect();
    let paths = testdata::paths(&files);
    let run = storescu(receiver.dicom_port, &ae, SCP_AE_TITLE, &[], &testdata::as_paths(&paths));
    assert_eq!(run.store_statuses(), vec!["Success"; files.len()], "{}", run.text);
    let study = api.get("/api/v1/studies", &api.admin).await.text("/items/0/id");
    let reader = api.user_token("dr.reader", "radiologist", None).await;
    let report = json!({"body": "No acute findings.", "status": "final", "based_on_revision": 0});
    let saved = api
        .request(axum::http::Method::PUT, &format!("/api/v1/studies/{study}/report"), Some(&reader), Some(report))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.json);
    let banned: IpAddr = "198.51.100.99".parse().expect("an address");
    let policy = BanPolicy { threshold: 1, window: Duration::from_secs(600), ban_for: Duration::from_secs(3600) };
    api.storage.ports.bans.record_failure(banned, "unknown calling AE", &policy, now()).await.expect("bans");

    let before = api.studies_in_full().await;
    let report_before = api.get(&format!("/api/v1/studies/{study}/report"), &api.admin).await.json;
    let trail_before = api.get("/api/v1/audit?limit=500", &api.admin).await.json["items"].clone();
    assert_eq!(report_before["current"]["status"], "final", "{report_before}");
    let kinds: Vec<&str> = trail_before.as_array().into_iter().flatten().filter_map(|e| e["kind"].as_str()).collect();
    for kind in ["facility_created", "user_created", "instance_stored", "report_saved"] {
        assert!(kinds.contains(&kind), "{kind} in the trail to carry across: {kinds:?}");
    }

    let folder = tempfile::tempdir().expect("a temporary directory");
    let archive = folder.path().join("registry.jsonl");
    let archive_arg = archive.display().to_string();
    let exported = run_noctis_api(&api.storage.env, &["export", "--output", &archive_arg]);
    let text = std::fs::read_to_string(&archive).expect("the archive is written");
    let lines: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect();
    assert_eq!((lines[0]["type"].as_str(), lines[0]["version"].as_u64()), (Some("header"), Some(1)));
    let end = lines.last().expect("an end");
    assert_eq!(end["type"], "end", "{exported:?}");
    assert_eq!((end["counts"]["facilities"].as_u64(), end["counts"]["reports"].as_u64()), (Some(1), Some(1)));
    assert_eq!(end["counts"]["bans"].as_u64(), Some(1));
    assert!(!text.contains(&files[0].patient_name), "no patient name in the registry archive");

    let restored = Storage::new(target).await;
    // Cut short, it is refused, and says why.
    let cut = folder.path().join("cut.jsonl");
    std::fs::write(&cut, text.lines().take(lines.len() - 1).collect::<Vec<_>>().join("\n")).expect("writes");
    let refused =
        noctis_e2e::process::run_noctis_api_failing(&restored.env, &["import", "--input", &cut.display().to_string()]);
    assert!(refused.contains("cut short"), "{refused}");
    let restored = Storage::new(target).await;
    run_noctis_api(&restored.env, &["import", "--input", &archive_arg]);
    let again = noctis_e2e::process::run_noctis_api_failing(&restored.env, &["import", "--input", &archive_arg]);
    assert!(again.contains("empty backend"), "a second import is refused: {again}");

    assert_eq!(copy_objects(&api.storage, &restored).await, files.len());
    let rebuilt = run_noctis_api(&restored.env, &["reindex"]);
    assert!(rebuilt.iter().any(|line| line.starts_with("reindex complete")), "{rebuilt:?}");

    let after = Api::start_on(restored, "restorer").await;
    assert_eq!(after.studies_in_full().await, before, "the same studies, series and instances");
    assert_eq!(after.get(&format!("/api/v1/studies/{study}/report"), &after.admin).await.json, report_before);
    let clinic = after.login("clinic.it", PASSWORD).await;
    let theirs = after.get("/api/v1/studies", &clinic).await;
    assert_eq!(
        theirs.json["items"].as_array().map(Vec::len),
        Some(before.len()),
        "the facility user signs in as before"
    );
    let stats = after.get(&format!("/api/v1/facilities/{facility}/stats"), &after.admin).await;
    assert_eq!(stats.json["instances"].as_u64(), Some(files.len() as u64), "the facility's totals are rebuilt");
    let bans = after.get("/api/v1/security/bans", &after.admin).await;
    assert_eq!(bans.json[0]["address"], banned.to_string(), "{:?}", bans.json);
    let sop = before[0]["instances"][0]["sop_instance_uid"].as_str().expect("a SOP instance");
    let first = before[0]["id"].as_str().expect("an id");
    let file = format!("/api/v1/studies/{first}/instances/{sop}/file");
    let original = api.download(&file).await;
    assert!(!original.is_empty() && after.download(&file).await == original, "the same file downloads");
    // Every event of the trail came across, with its own id and time.
    let trail_after = after.get("/api/v1/audit?limit=500", &after.admin).await.json["items"].clone();
    for event in trail_before.as_array().into_iter().flatten() {
        let same =
            trail_after.as_array().into_iter().flatten().any(|e| e["id"] == event["id"] && e["at"] == event["at"]);
        assert!(same, "{event} was not restored");
    }
}
