//! C-STORE from DCMTK's storescu: every transfer syntax pydicom ships, stored as
//! sent, readable by dcmdump, and indexed into the right studies and series.

use std::collections::{BTreeMap, BTreeSet};

use noctis_e2e::dcmtk::{dcmdump, proposal_for, storescu};
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage, split_part10};
use noctis_e2e::testdata::{self, TestFile};

noctis_e2e::on_both_backends!(every_transfer_syntax_is_stored_as_sent_and_indexed, resending_an_instance_is_idempotent,);

async fn every_transfer_syntax_is_stored_as_sent_and_indexed(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("City General Hospital").await;
    let receiver = Receiver::start(&storage);
    let data = testdata::samples();

    // storescu proposes one encoding family per run: one run per transfer syntax.
    let mut by_syntax: BTreeMap<&str, Vec<&TestFile>> = BTreeMap::new();
    for file in &data.files {
        by_syntax.entry(file.transfer_syntax.as_str()).or_default().push(file);
    }
    assert!(by_syntax.len() >= 11, "the samples cover {} transfer syntaxes", by_syntax.len());
    for (syntax, files) in &by_syntax {
        let paths = testdata::paths(files);
        let run = storescu(
            receiver.dicom_port,
            facility.ae_title.as_str(),
            SCP_AE_TITLE,
            &[proposal_for(syntax)],
            &testdata::as_paths(&paths),
        );
        assert_eq!(run.store_statuses(), vec!["Success"; files.len()], "{syntax}: {}", run.text);
    }

    let scratch = tempfile::tempdir().expect("scratch");
    for file in &data.files {
        let stored = storage.stored_object(&facility, file).await.unwrap_or_else(|| panic!("{} was stored", file.name));
        let (syntax, dataset) = split_part10(&stored);
        assert_eq!(syntax, file.transfer_syntax, "{}: stored under the negotiated syntax, not transcoded", file.name);
        let mut sent = file.dataset();
        // PS3.5 A.5: an odd-length deflated stream travels with one trailing NUL
        // (DCMTK's file writer leaves it out, its network writer adds it).
        if file.transfer_syntax == "1.2.840.10008.1.2.1.99" && sent.len() % 2 == 1 {
            sent.push(0);
        }
        let first_difference = dataset.iter().zip(&sent).position(|(a, b)| a != b);
        assert!(
            dataset == sent.as_slice(),
            "{}: the data set is byte-identical (stored {} bytes, file {}, first difference at {:?})",
            file.name,
            dataset.len(),
            sent.len(),
            first_difference
        );
        let copy = scratch.path().join(&file.name);
        std::fs::write(&copy, &stored).expect("writes a copy");
        let dump = dcmdump(&copy);
        assert!(dump.success, "{}: dcmdump reads it: {}", file.name, dump.text);
    }

    // Expected counts come from pydicom's reading of the files.
    let mut studies: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
    for file in &data.files {
        let entry = studies.entry(file.study_instance_uid.as_str()).or_default();
        entry.0.insert(file.series_instance_uid.as_str());
        entry.1.insert(file.sop_instance_uid.as_str());
    }
    for (study_uid, (series, instances)) in &studies {
        let detail =
            storage.study(&facility, study_uid).await.unwrap_or_else(|| panic!("study {study_uid} is indexed"));
        assert_eq!(detail.study.facility_id, facility.id);
        assert_eq!(detail.study.series_count, series.len() as u64, "{study_uid}");
        assert_eq!(detail.study.instance_count, instances.len() as u64, "{study_uid}");
        let indexed: BTreeSet<String> = detail.instances.iter().map(|i| i.sop_instance_uid.to_string()).collect();
        assert_eq!(indexed, instances.iter().map(|s| s.to_string()).collect());
        let bytes: u64 = detail.instances.iter().map(|i| i.size_bytes).sum();
        assert_eq!(detail.study.total_bytes, bytes);
    }
    let ct = data.files.iter().find(|f| f.name == "CT_small.dcm").expect("CT_small");
    let detail = storage.study(&facility, &ct.study_instance_uid).await.expect("indexed");
    assert_eq!(detail.study.attributes.patient_id.as_deref(), Some(ct.patient_id.as_str()));
    assert!(detail.study.modalities.contains(&ct.modality));
}

async fn resending_an_instance_is_idempotent(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let data = testdata::samples();
    let ct = data.files.iter().find(|f| f.name == "CT_small.dcm").expect("CT_small");
    for _ in 0..2 {
        let run =
            storescu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE, &["-xe"], &[ct.path.as_path()]);
        assert_eq!(run.store_statuses(), ["Success"], "{}", run.text);
    }
    let detail = storage.study(&facility, &ct.study_instance_uid).await.expect("indexed");
    assert_eq!((detail.study.instance_count, detail.study.series_count), (1, 1));
    assert_eq!(detail.instances.len(), 1);
}
