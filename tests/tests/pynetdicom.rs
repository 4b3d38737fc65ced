//! pynetdicom as the sending modality: concurrency, fragmented command sets,
//! aborts mid-instance, and data sets that contradict their command.

use noctis_e2e::python;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage};
use noctis_e2e::testdata;

noctis_e2e::on_both_backends!(
    concurrent_associations_all_store,
    a_command_set_split_across_pdvs_is_reassembled,
    an_association_aborted_mid_instance_leaves_nothing_behind,
    a_data_set_that_contradicts_its_command_is_refused_with_a900,
);

fn args(port: u16, ae: &str, rest: &[String]) -> Vec<String> {
    let mut all = vec![port.to_string(), ae.to_owned(), SCP_AE_TITLE.to_owned()];
    all.extend_from_slice(rest);
    all
}

async fn concurrent_associations_all_store(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let data = testdata::samples();
    let files: Vec<String> = ["CT_small.dcm", "MR_small.dcm", "SC_rgb_rle.dcm"]
        .iter()
        .map(|n| data.files.iter().find(|f| f.name == *n).expect("sample").path.display().to_string())
        .collect();
    let mut rest = vec!["8".to_owned()];
    rest.extend(files);
    let mut all = vec!["concurrent".to_owned()];
    all.extend(args(receiver.dicom_port, facility.ae_title.as_str(), &rest));
    let run = python::run("peer.py", &all);
    assert!(run.success, "{}", run.stderr);
    let result = run.json();
    let statuses: Vec<i64> = result["statuses"]
        .as_array()
        .expect("statuses")
        .iter()
        .flat_map(|s| s.as_array().cloned().expect("each association reports its statuses"))
        .filter_map(|s| s.as_i64())
        .collect();
    assert_eq!(statuses, vec![0; 24], "8 associations × 3 instances, all Success");
    let sent = result["sent"].as_array().expect("sent");
    let mut per_study = std::collections::BTreeMap::<String, u64>::new();
    for instance in sent {
        *per_study
            .entry(instance["study"].as_str().expect("a sent instance names its study").to_owned())
            .or_default() += 1;
    }
    for (study, expected) in per_study {
        let detail = storage.study(&facility, &study).await.expect("indexed");
        assert_eq!(detail.study.instance_count, expected, "study {study}: every concurrent instance counted once");
    }
}

async fn a_command_set_split_across_pdvs_is_reassembled(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let data = testdata::samples();
    let ct = data.files.iter().find(|f| f.name == "CT_small.dcm").expect("sample");
    let mut all = vec!["split".to_owned()];
    all.extend(args(receiver.dicom_port, facility.ae_title.as_str(), &[ct.path.display().to_string()]));
    let run = python::run("peer.py", &all);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(run.json()["status"], 0, "{}", run.stdout);
    assert!(storage.stored_object(&facility, ct).await.is_some());
}

async fn an_association_aborted_mid_instance_leaves_nothing_behind(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    // Half of 24 MB is past the header buffer and past an 8 MiB S3 part.
    let data = testdata::large(24);
    let file = &data.files[0];
    let mut all = vec!["abort".to_owned()];
    all.extend(args(receiver.dicom_port, facility.ae_title.as_str(), &[file.path.display().to_string()]));
    let run = python::run("peer.py", &all);
    assert!(run.success, "{}", run.stderr);
    receiver.wait_idle().await;
    assert!(storage.stored_object(&facility, file).await.is_none(), "no object");
    assert!(storage.study(&facility, &file.study_instance_uid).await.is_none(), "no index entry");
    assert_eq!(storage.unfinished_writes().await, 0, "no parts or temporary files left");
    assert_eq!(receiver.metric("noctis_receiver_instances_total{status=\"0000\"}").await, 0.0);
}

async fn a_data_set_that_contradicts_its_command_is_refused_with_a900(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let data = testdata::samples();
    let ct = data.files.iter().find(|f| f.name == "CT_small.dcm").expect("sample");
    let mut all = vec!["mismatch".to_owned()];
    all.extend(args(receiver.dicom_port, facility.ae_title.as_str(), &[ct.path.display().to_string()]));
    let run = python::run("peer.py", &all);
    assert!(run.success, "{}", run.stderr);
    let result = run.json();
    assert_eq!(result["status"], 0xA900, "{}\n{}", run.stdout, receiver.logs().join("\n"));
    assert_eq!(result["follow_up"], 0, "the association goes on after a refusal");
    let detail = storage.study(&facility, &ct.study_instance_uid).await.expect("the follow-up is indexed");
    assert_eq!(detail.study.instance_count, 1, "only the consistent instance");
}
