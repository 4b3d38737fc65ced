//! Storage Commitment Push Model (PS3.4 J) as a modality uses it before it
//! deletes its local copies: pynetdicom asks, and the result comes back on the
//! same association, committed only for what this facility stored.

use noctis_core::domain::AuditKind;
use noctis_e2e::dcmtk;
use noctis_e2e::python;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage};
use noctis_e2e::testdata;
use serde_json::{Value, json};

noctis_e2e::on_both_backends!(
    stored_instances_are_committed_and_the_rest_fail_with_their_reason,
    everything_stored_is_reported_as_event_type_1,
);

const CT_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
const MR_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.4";

fn commit(receiver: &Receiver, calling: &str, references: Value) -> Value {
    let args =
        vec![receiver.dicom_port.to_string(), calling.to_owned(), SCP_AE_TITLE.to_owned(), references.to_string()];
    let run = python::run("commit.py", &args);
    assert!(run.success, "{}", run.stderr);
    run.json()
}

async fn stored_instances_are_committed_and_the_rest_fail_with_their_reason(kind: Kind) {
    let storage = Storage::new(kind).await;
    let mercy = storage.facility("Mercy Clinic").await;
    let harbor = storage.facility("Harbor Imaging").await;
    let receiver = Receiver::start(&storage);
    let data = testdata::archive();
    let (ours, theirs) = data.files.split_at(4);
    for (facility, files) in [(&mercy, ours), (&harbor, theirs)] {
        let paths: Vec<_> = files.iter().map(|f| f.path.as_path()).collect();
        let run = dcmtk::storescu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE, &[], &paths);
        assert!(run.success, "{}", run.text);
    }
    let ct = ours.iter().find(|f| f.sop_class_uid == CT_STORAGE).expect("a CT instance of ours");
    let mr = ours.iter().find(|f| f.sop_class_uid == MR_STORAGE).expect("an MR instance of ours");
    let references = json!([
        [ct.sop_class_uid, ct.sop_instance_uid],
        [mr.sop_class_uid, mr.sop_instance_uid],
        [CT_STORAGE, "1.2.826.0.1.3680043.8.498.1"],
        [theirs[0].sop_class_uid, theirs[0].sop_instance_uid],
        [MR_STORAGE, ct.sop_instance_uid],
    ]);
    let result = commit(&receiver, mercy.ae_title.as_str(), references);
    assert_eq!(result["action_status"], 0, "{result}");
    let report = &result["report"];
    assert_eq!(report["event_type_id"], 2, "some failed: {result}");
    assert_eq!(report["transaction_uid"], result["transaction_uid"]);
    assert_eq!(
        report["committed"],
        json!([[ct.sop_class_uid, ct.sop_instance_uid], [mr.sop_class_uid, mr.sop_instance_uid]])
    );
    assert_eq!(
        report["failed"],
        json!([
            [CT_STORAGE, "1.2.826.0.1.3680043.8.498.1", 0x0112],
            [theirs[0].sop_class_uid, theirs[0].sop_instance_uid, 0x0112],
            [MR_STORAGE, ct.sop_instance_uid, 0x0119],
        ]),
        "never received, another facility's, and stored as another class"
    );

    let events = storage.recent_audit_events(&mercy, AuditKind::StorageCommitment).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!((events[0].details["committed"].clone(), events[0].details["failed"].clone()), (json!(2), json!(3)));
    assert_eq!(events[0].details["transaction_uid"], result["transaction_uid"]);
}

async fn everything_stored_is_reported_as_event_type_1(kind: Kind) {
    let storage = Storage::new(kind).await;
    let mercy = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let data = testdata::archive();
    let paths: Vec<_> = data.files.iter().map(|f| f.path.as_path()).collect();
    let run = dcmtk::storescu(receiver.dicom_port, mercy.ae_title.as_str(), SCP_AE_TITLE, &[], &paths);
    assert!(run.success, "{}", run.text);
    let references: Vec<[&str; 2]> =
        data.files.iter().map(|f| [f.sop_class_uid.as_str(), f.sop_instance_uid.as_str()]).collect();
    let result = commit(&receiver, mercy.ae_title.as_str(), json!(references));
    assert_eq!(result["report"]["event_type_id"], 1, "{result}");
    assert_eq!(result["report"]["committed"].as_array().map(Vec::len), Some(data.files.len()));
    assert_eq!(result["report"]["failed"], json!([]));
}
