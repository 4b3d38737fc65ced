//! A study's counts on the cloud backend are settled when the association
//! that stored into it ends. A receiver killed after answering "success" and
//! before that leaves the instances stored and indexed but uncounted; the
//! sweep of another receiver counts them, audit trail included.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use noctis_core::domain::AuditKind;
use noctis_e2e::python::HeldAssociation;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage};
use noctis_e2e::testdata;

noctis_e2e::on_both_backends!(instances_a_killed_receiver_acknowledged_are_counted_by_the_next_ones_sweep,);

async fn instances_a_killed_receiver_acknowledged_are_counted_by_the_next_ones_sweep(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Harbor Imaging").await;
    let data = testdata::archive();
    let mut expected: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for file in &data.files {
        expected.entry(file.study_instance_uid.as_str()).or_default().insert(file.sop_instance_uid.as_str());
    }
    // Settling only when the association ends, which the kill prevents.
    let first = Receiver::start_with(&storage, &[("NOCTIS_DICOM__SETTLE_SECS", "3600")]);
    let paths = testdata::paths(&data.files.iter().collect::<Vec<_>>());
    let (held, statuses) =
        HeldAssociation::open_after_storing(first.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE, &paths);
    assert!(held.established);
    assert_eq!(statuses, vec![0; paths.len()], "every instance answered success");
    first.kill();
    drop(held);

    let counted = |detail: &noctis_core::domain::StudyDetail| detail.study.instance_count;
    for (study, sops) in &expected {
        let detail = storage.study(&facility, study).await.expect("indexed before success was answered");
        assert_eq!(detail.instances.len(), sops.len(), "{study}: every acknowledged instance is indexed");
        if kind == Kind::Aws {
            assert_eq!(counted(&detail), 0, "{study}: not yet counted, as the kill left it");
        }
    }

    let second = Receiver::start_with(&storage, &[("NOCTIS_DICOM__ABANDONED_SETTLE_SECS", "1")]);
    let all_counted = async {
        loop {
            let mut done = true;
            for (study, sops) in &expected {
                let detail = storage.study(&facility, study).await.expect("indexed");
                done &= counted(&detail) == sops.len() as u64;
            }
            if done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), all_counted).await.unwrap_or_else(|_| {
        panic!("the sweep counted the studies within a minute; receiver logs: {:#?}", second.logs())
    });
    for (study, sops) in &expected {
        let detail = storage.study(&facility, study).await.expect("indexed");
        let series: BTreeSet<_> = detail.instances.iter().map(|i| &i.series_instance_uid).collect();
        assert_eq!(detail.study.series_count, series.len() as u64, "{study}");
        assert_eq!(detail.series.iter().map(|s| s.instance_count).sum::<u64>(), sops.len() as u64, "{study}");
        assert_eq!(detail.study.total_bytes, detail.instances.iter().map(|i| i.size_bytes).sum::<u64>(), "{study}");
    }
    let totals = storage.ports.studies.facility_totals(facility.id).await.expect("reads");
    assert_eq!((totals.studies, totals.instances), (expected.len() as u64, paths.len() as u64));
    let events = storage.recent_audit_events(&facility, AuditKind::InstanceStored).await;
    assert_eq!(events.len(), paths.len(), "one audit event per acknowledged instance");
}
