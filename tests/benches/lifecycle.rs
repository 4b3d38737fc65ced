//! `make bench`: the data lifecycle's throughput on each backend. A study
//! of 300 CT instances (39 KB each) is sent with storescu to the release
//! receiver, moved to another facility, then deleted, through the core use
//! cases the API calls. Prints instances/s for each, never fails on them.
//!
//! Figures go to target/bench/lifecycle.json.

use std::time::Instant;

use noctis_core::domain::{Actor, DeletionScope, StudyId, Uid, now};
use noctis_core::usecases::deletion::delete;
use noctis_core::usecases::relocation::{MovePorts, move_study};
use noctis_e2e::bench::{file_set, send, write_report};
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage};

const INSTANCES: usize = 300;

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
        let receiver = Receiver::start_binary(&binary, &storage, &[("NOCTIS_LOG__FILTER", "warn")]);
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
    write_report("lifecycle", &serde_json::Value::Object(report));
}
