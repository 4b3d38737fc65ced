//! `make bench`: the data lifecycle's throughput on each backend. A study
//! of 300 CT instances (39 KB each) is sent with storescu to the release
//! receiver, moved to another facility, then deleted, through the core use
//! cases the API calls. Then 10,000 stored objects are indexed again from
//! scratch by the release `noctis-api reindex`, and once more with nothing
//! left to do, with its peak memory; and a registry of 10,000 audit events
//! is exported and imported into an empty backend of the same kind. Prints
//! the rates, never fails on them.
//!
//! Figures go to target/bench/lifecycle.json.

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use noctis_core::domain::{Actor, DeletionScope, StudyId, Uid, now};
use noctis_core::usecases::deletion::delete;
use noctis_core::usecases::relocation::{MovePorts, move_study};
use noctis_e2e::bench::{file_set, send, write_report};
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage};

const INSTANCES: usize = 300;
/// Objects the rebuild reads back.
const REINDEXED: usize = 10_000;
const PER_STUDY: usize = 100;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let binary = noctis_e2e::workspace_binary_in("noctis-receiver", "release");
    let study = file_set("1 study of 300", &["--copies".into(), INSTANCES.to_string()]);
    let study_uid = noctis_e2e::bench::text_values(&study.files[0], &[dicom_dictionary_std::tags::STUDY_INSTANCE_UID]);
    let study_uid = Uid::parse(study_uid[0].trim_end_matches('\0').trim()).expect("the set's study UID");
    let mut report = serde_json::Map::new();
    println!("{:<10} {:>12} {:>14} {:>14}", "backend", "send inst/s", "move inst/s", "delete inst/s");
    for kind in [Kind::Embedded, Kind::Aws] {
        let storage = runtime.block_on(Storage::new(kind));
        let (from, to) = runtime.block_on(async {
            (storage.facility("Wrong Turn Imaging").await, storage.facility("Right Place Imaging").await)
        });
        let receiver = Receiver::start_binary(
            &binary,
            &storage,
            &[("NOCTIS_LOG__FILTER", noctis_e2e::bench::QUIET_RECEIVER_LOGS)],
        );
        let sent = send(receiver.dicom_port, from.ae_title.as_str(), SCP_AE_TITLE, &study.files, 1);
        let ports = &storage.ports;
        let (moved, deleted) = runtime.block_on(async {
            let detail = ports.studies.get_study(StudyId::for_study(from.id, &study_uid)).await;
            let detail = detail.expect("reads").expect("the study was stored");
            assert_eq!(detail.instances.len(), INSTANCES, "every instance was stored");
            let started = Instant::now();
            let moves = MovePorts {
                index: ports.studies.as_ref(),
                objects: ports.objects.as_ref(),
                reports: ports.reports.as_ref(),
            };
            let at_target = move_study(moves, &Actor::System, &detail, &to, now()).await.expect("moves");
            let moved = started.elapsed();
            let detail = ports.studies.get_study(at_target.id).await.expect("reads").expect("the moved study");
            let started = Instant::now();
            delete(
                ports.studies.as_ref(),
                ports.objects.as_ref(),
                &Actor::System,
                &detail,
                DeletionScope::Study,
                now(),
            )
            .await
            .expect("deletes");
            (moved, started.elapsed())
        });
        let rate = |took: std::time::Duration| INSTANCES as f64 / took.as_secs_f64();
        let name = match kind {
            Kind::Embedded => "embedded",
            Kind::Aws => "aws",
        };
        println!("{name:<10} {:>12.1} {:>14.1} {:>14.1}", rate(sent), rate(moved), rate(deleted));
        report.insert(
            name.into(),
            serde_json::json!({"send_per_s": rate(sent), "move_per_s": rate(moved), "delete_per_s": rate(deleted)}),
        );
    }
    reindex_figures(&runtime, &mut report);
    write_report("lifecycle", &serde_json::Value::Object(report));
}

/// 10,000 small instances (about 1 KB each, 100 studies) written straight to storage,
/// then rebuilt into an empty index by the release binary: objects/s, and its
/// peak resident memory sampled from /proc.
fn reindex_figures(runtime: &tokio::runtime::Runtime, report: &mut serde_json::Map<String, serde_json::Value>) {
    use dicom_dictionary_std::tags::{SERIES_INSTANCE_UID, SOP_INSTANCE_UID, STUDY_INSTANCE_UID};
    let binary = noctis_e2e::workspace_binary_in("noctis-api", "release");
    // 100 studies of 100: one-instance studies would have the emulator settle
    // 10,000 studies, and moto's transactions then grow it past 20 GiB.
    let set = file_set("100 studies of 100", &["--studies".into(), REINDEXED.to_string(), PER_STUDY.to_string()]);
    println!();
    println!("{:<10} {:>10} {:>16} {:>16} {:>12}", "backend", "objects", "rebuild obj/s", "again obj/s", "peak MiB");
    for kind in [Kind::Embedded, Kind::Aws] {
        let storage = runtime.block_on(Storage::new(kind));
        let facility = runtime.block_on(storage.facility("Rebuilt Imaging"));
        runtime.block_on(futures_util::stream::iter(&set.files).for_each_concurrent(32, |path| {
            let storage = &storage;
            async move {
                let uids =
                    noctis_e2e::bench::text_values(path, &[STUDY_INSTANCE_UID, SERIES_INSTANCE_UID, SOP_INSTANCE_UID]);
                let uid = |i: usize| Uid::parse(uids[i].trim()).expect("a generated UID");
                let key = noctis_core::domain::ObjectKey::for_instance(facility.id, &uid(0), &uid(1), &uid(2));
                let bytes = std::fs::read(path).expect("reads");
                noctis_e2e::api::write_object(storage, &key, &bytes).await;
            }
        }));
        let lost = runtime.block_on(storage.beside_with_an_empty_index());
        runtime.block_on(lost.ports.facilities.insert(&facility, None)).expect("the registry is restored");
        let (rebuild, peak) = timed(&binary, &lost, &["reindex"]);
        let (again, _) = timed(&binary, &lost, &["reindex"]);
        let rate = |took: Duration| REINDEXED as f64 / took.as_secs_f64();
        let name = match kind {
            Kind::Embedded => "embedded",
            Kind::Aws => "aws",
        };
        let mib = peak as f64 / 1024.0;
        println!("{name:<10} {REINDEXED:>10} {:>16.1} {:>16.1} {mib:>12.1}", rate(rebuild), rate(again));
        report.insert(
            format!("reindex_{name}"),
            serde_json::json!({"objects": REINDEXED, "rebuild_per_s": rate(rebuild), "again_per_s": rate(again), "peak_rss_mib": mib}),
        );
        backup_figures(runtime, &binary, &storage, facility.id, name, report);
    }
}

/// Audit events written into `storage`'s trail, to give its registry a size.
const AUDITED: usize = 10_000;

/// `storage`'s registry, with `AUDITED` events more, exported and imported
/// into an empty backend of the same kind: archive lines/s each way.
fn backup_figures(
    runtime: &tokio::runtime::Runtime,
    binary: &std::path::Path,
    storage: &Storage,
    facility: noctis_core::domain::FacilityId,
    name: &str,
    report: &mut serde_json::Map<String, serde_json::Value>,
) {
    use noctis_core::domain::{AuditEvent, AuditKind};
    runtime.block_on(futures_util::stream::iter(0..AUDITED).for_each_concurrent(32, |i| async move {
        let event = AuditEvent::new(AuditKind::StudyUpdated, Actor::System, now())
            .for_facility(facility)
            .with_details(serde_json::json!({"bench": i}));
        storage.ports.audit.append(&event).await.expect("appends");
    }));
    let folder = tempfile::tempdir().expect("a temporary directory");
    let archive = folder.path().join("registry.jsonl");
    let archive_arg = archive.display().to_string();
    let (exported, _) = timed(binary, storage, &["export", "--output", &archive_arg]);
    let lines = std::fs::read_to_string(&archive).expect("the archive").lines().count();
    let empty = runtime.block_on(Storage::new(storage.kind));
    let (imported, peak) = timed(binary, &empty, &["import", "--input", &archive_arg]);
    let rate = |took: Duration| lines as f64 / took.as_secs_f64();
    let mib = peak as f64 / 1024.0;
    println!(
        "{name:<10} registry of {lines} lines: export {:.1} lines/s, import {:.1} lines/s ({mib:.1} MiB)",
        rate(exported),
        rate(imported)
    );
    report.insert(
        format!("backup_{name}"),
        serde_json::json!({"lines": lines, "export_per_s": rate(exported), "import_per_s": rate(imported), "import_peak_rss_mib": mib}),
    );
}

/// Runs `noctis-api ARGS` on `storage`: how long it took, and the largest
/// resident set (KiB) seen while it ran.
fn timed(binary: &std::path::Path, storage: &Storage, args: &[&str]) -> (Duration, u64) {
    let mut command = noctis_e2e::process::noctis_command(binary);
    command.env_remove("AWS_LAMBDA_RUNTIME_API").envs(storage.env.iter().map(|(k, v)| (k, v)));
    command.env("NOCTIS_LOG__FILTER", "warn").args(args).stdout(std::process::Stdio::null());
    let started = Instant::now();
    let mut child = command.spawn().expect("noctis-api runs");
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Some(exit) = child.try_wait().expect("waits") {
            assert!(exit.success(), "noctis-api {args:?} failed: {exit:?}");
            return (started.elapsed(), peak);
        }
        let resident = std::fs::read_to_string(&status).ok().and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        });
        peak = peak.max(resident.unwrap_or(0));
        // A sampling interval, not a synchronisation: the exit is awaited above.
        std::thread::sleep(Duration::from_millis(20));
    }
}
