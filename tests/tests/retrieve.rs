//! C-GET (PS3.4 C.4.3) as a facility's workstation pulls priors through its NAT:
//! DCMTK's getscu and pynetdicom retrieve what their facility sent, on the same
//! association, byte for byte as it was stored. C-MOVE (C.4.2) sends to the
//! facility's registered destinations only.

use std::path::Path;

use noctis_core::domain::{AuditKind, Facility};
use noctis_e2e::dcmtk;
use noctis_e2e::python;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage, split_part10};
use noctis_e2e::testdata::{self, TestData, TestFile};
use serde_json::{Value, json};

noctis_e2e::on_both_backends!(
    getscu_retrieves_a_multi_series_study,
    pynetdicom_retrieves_studies_series_and_instances_byte_identical_with_counts,
    a_stored_syntax_the_requester_did_not_offer_fails_rather_than_transcoding,
    a_cancel_during_a_retrieve_ends_it_with_fe00,
    a_facility_retrieves_nothing_of_another_facilitys,
    a_large_instance_streams_out_in_bounded_memory,
    movescu_sends_to_a_registered_destination_only,
);

const CT_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
const MR_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.4";
const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";

async fn stored(storage: &Storage, receiver: &Receiver, facility: &Facility, files: &[&TestFile]) {
    for file in files {
        let proposal = dcmtk::proposal_for(&file.transfer_syntax);
        let run =
            dcmtk::storescu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE, &[proposal], &[&file.path]);
        assert!(run.success, "{}", run.text);
        assert!(storage.study(facility, &file.study_instance_uid).await.is_some(), "{} indexed", file.name);
    }
}

/// A receiver, and the archive stored through it by Mercy Clinic.
async fn archive_stored(kind: Kind) -> (Storage, Facility, Receiver, TestData) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let data = testdata::archive();
    stored(&storage, &receiver, &facility, &data.files.iter().collect::<Vec<_>>()).await;
    (storage, facility, receiver, data)
}

fn study_files<'a>(data: &'a TestData, accession: &str) -> Vec<&'a TestFile> {
    let study =
        &data.files.iter().find(|f| f.accession_number == accession).expect("an archive study").study_instance_uid;
    data.files.iter().filter(|f| &f.study_instance_uid == study).collect()
}

/// Runs get.py; returns its responses and what it received, written to `out`.
fn get(receiver: &Receiver, facility: &Facility, request: Value, out: &Path) -> (Vec<Value>, Vec<Value>) {
    let args = vec![
        receiver.dicom_port.to_string(),
        facility.ae_title.as_str().to_owned(),
        SCP_AE_TITLE.to_owned(),
        request.to_string(),
        out.display().to_string(),
    ];
    let run = python::run("get.py", &args);
    assert!(run.success, "{}", run.stderr);
    let result = run.json();
    let list = |key: &str| result[key].as_array().unwrap_or_else(|| panic!("{key}: {result}")).clone();
    (list("responses"), list("received"))
}

/// What the store holds for `file`, less its Part-10 header: the data set as it was received.
async fn stored_dataset(storage: &Storage, facility: &Facility, file: &TestFile) -> Vec<u8> {
    let object = storage.stored_object(facility, file).await.expect("stored");
    split_part10(&object).1.to_vec()
}

async fn getscu_retrieves_a_multi_series_study(kind: Kind) {
    let (_storage, facility, receiver, data) = archive_stored(kind).await;
    let study = study_files(&data, "ACC-001");
    let out = tempfile::tempdir().expect("a directory");
    let key = format!("StudyInstanceUID={}", study[0].study_instance_uid);
    let run = dcmtk::getscu(
        receiver.dicom_port,
        facility.ae_title.as_str(),
        SCP_AE_TITLE,
        &["-S", "-k", "QueryRetrieveLevel=STUDY", "-k", &key],
        out.path(),
    );
    assert!(run.success, "{}", run.text);
    let mut received: Vec<String> = std::fs::read_dir(out.path())
        .expect("the output directory")
        .flatten()
        .map(|entry| {
            let object = dicom_object::open_file(entry.path()).expect("getscu stored a readable DICOM file");
            object.meta().media_storage_sop_instance_uid().trim_end_matches('\0').to_owned()
        })
        .collect();
    received.sort();
    let mut expected: Vec<String> = study.iter().map(|f| f.sop_instance_uid.clone()).collect();
    expected.sort();
    assert_eq!(received, expected, "both series of the study: {}", run.text);
    assert_eq!(receiver.metric("noctis_receiver_retrieved_instances_total{status=\"0000\"}").await, 3.0);
    assert_eq!(receiver.metric("noctis_receiver_retrieves_total{status=\"0000\"}").await, 1.0);
}

async fn pynetdicom_retrieves_studies_series_and_instances_byte_identical_with_counts(kind: Kind) {
    let (storage, facility, receiver, data) = archive_stored(kind).await;
    let study = study_files(&data, "ACC-001");
    let uncompressed = json!([[CT_STORAGE, [EXPLICIT_VR_LE, IMPLICIT_VR_LE]], [MR_STORAGE, [EXPLICIT_VR_LE]]]);

    let out = tempfile::tempdir().expect("a directory");
    let keys = json!({"QueryRetrieveLevel": "STUDY", "StudyInstanceUID": study[0].study_instance_uid});
    let (responses, received) = get(&receiver, &facility, json!({"keys": keys, "storage": uncompressed}), out.path());
    let counts: Vec<(Value, Value, Value)> =
        responses.iter().map(|r| (r["status"].clone(), r["remaining"].clone(), r["completed"].clone())).collect();
    assert_eq!(
        counts,
        [(json!(0xFF00), json!(2), json!(1)), (json!(0xFF00), json!(1), json!(2)), (json!(0), Value::Null, json!(3))],
        "a pending response after each sub-operation but the last, then success: {responses:?}"
    );
    assert_eq!((responses[2]["failed"].clone(), responses[2]["warning"].clone()), (json!(0), json!(0)));
    assert_eq!(received.len(), 3);
    for file in &study {
        let sent = std::fs::read(out.path().join(&file.sop_instance_uid)).expect("each instance was received");
        assert_eq!(sent, stored_dataset(&storage, &facility, file).await, "{}: byte for byte as stored", file.name);
        assert_eq!(sent, file.dataset(), "{}: byte for byte as the modality sent it", file.name);
    }

    // One series, then one instance of it.
    let ct: Vec<&&TestFile> = study.iter().filter(|f| f.modality == "CT").collect();
    let out = tempfile::tempdir().expect("a directory");
    let keys = json!({"QueryRetrieveLevel": "SERIES", "StudyInstanceUID": ct[0].study_instance_uid,
        "SeriesInstanceUID": ct[0].series_instance_uid});
    let (responses, received) = get(&receiver, &facility, json!({"keys": keys, "storage": uncompressed}), out.path());
    assert_eq!(responses.last().expect("a final response")["completed"], 2, "{responses:?}");
    assert_eq!(received.len(), 2);
    let out = tempfile::tempdir().expect("a directory");
    let keys = json!({"QueryRetrieveLevel": "IMAGE", "StudyInstanceUID": ct[0].study_instance_uid,
        "SeriesInstanceUID": ct[0].series_instance_uid, "SOPInstanceUID": ct[1].sop_instance_uid});
    let (_, received) = get(&receiver, &facility, json!({"keys": keys, "storage": uncompressed}), out.path());
    let uids: Vec<&str> = received.iter().filter_map(|r| r["sop_instance_uid"].as_str()).collect();
    assert_eq!(uids, [ct[1].sop_instance_uid.as_str()]);
}

async fn a_stored_syntax_the_requester_did_not_offer_fails_rather_than_transcoding(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let samples = testdata::samples();
    let j2k = samples.files.iter().find(|f| f.name == "MR_small_jp2klossless.dcm").expect("a JPEG 2000 sample");
    stored(&storage, &receiver, &facility, &[j2k]).await;
    let keys = json!({"QueryRetrieveLevel": "STUDY", "StudyInstanceUID": j2k.study_instance_uid});

    let out = tempfile::tempdir().expect("a directory");
    let request = json!({"keys": keys, "storage": [[MR_STORAGE, [EXPLICIT_VR_LE, IMPLICIT_VR_LE]]]});
    let (responses, received) = get(&receiver, &facility, request, out.path());
    let last = responses.last().expect("a final response");
    assert_eq!(last["status"], 0xA702, "unable to perform sub-operations: {responses:?}");
    assert_eq!((last["completed"].clone(), last["failed"].clone()), (json!(0), json!(1)));
    assert_eq!(last["failed_uids"], json!([j2k.sop_instance_uid]));
    assert_eq!(last["comment"], "no context accepts the stored transfer syntax");
    assert_eq!(received, Vec::<Value>::new(), "nothing transcoded, nothing sent");

    let out = tempfile::tempdir().expect("a directory");
    let request = json!({"keys": keys, "storage": [[MR_STORAGE, [j2k.transfer_syntax]]]});
    let (responses, received) = get(&receiver, &facility, request, out.path());
    assert_eq!(responses.last().expect("a final response")["status"], 0, "{responses:?}");
    assert_eq!(received[0]["transfer_syntax"], j2k.transfer_syntax.as_str());
    let sent = std::fs::read(out.path().join(&j2k.sop_instance_uid)).expect("received");
    assert_eq!(sent, stored_dataset(&storage, &facility, j2k).await, "the stored JPEG 2000 bitstream, as stored");
}

async fn a_cancel_during_a_retrieve_ends_it_with_fe00(kind: Kind) {
    let (storage, facility, receiver, data) = archive_stored(kind).await;
    let study = study_files(&data, "ACC-001");
    let out = tempfile::tempdir().expect("a directory");
    let keys = json!({"QueryRetrieveLevel": "STUDY", "StudyInstanceUID": study[0].study_instance_uid});
    let storage_classes = json!([[CT_STORAGE, [EXPLICIT_VR_LE]]]);
    let (responses, received) =
        get(&receiver, &facility, json!({"keys": keys, "storage": storage_classes, "cancel_after": 1}), out.path());
    let last = responses.last().expect("a final response");
    assert_eq!(last["status"], 0xFE00, "{responses:?}");
    assert_eq!((last["remaining"].clone(), last["completed"].clone()), (json!(2), json!(1)));
    assert_eq!(received.len(), 1, "nothing sent after the cancel");
    assert_eq!(receiver.metric("noctis_receiver_retrieves_total{status=\"FE00\"}").await, 1.0);

    let events = storage.recent_audit_events(&facility, AuditKind::DicomRetrieve).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].details["completed"], 1);
    assert_eq!(events[0].details["cancelled"], true);
}

async fn a_facility_retrieves_nothing_of_another_facilitys(kind: Kind) {
    let storage = Storage::new(kind).await;
    let mercy = storage.facility("Mercy Clinic").await;
    let other = storage.facility("Harbor Imaging").await;
    let receiver = Receiver::start(&storage);
    let data = testdata::archive();
    stored(&storage, &receiver, &mercy, &data.files.iter().collect::<Vec<_>>()).await;
    let study = study_files(&data, "ACC-001");
    let out = tempfile::tempdir().expect("a directory");
    let keys = json!({"QueryRetrieveLevel": "STUDY", "StudyInstanceUID": study[0].study_instance_uid});
    let storage_classes = json!([[CT_STORAGE, [EXPLICIT_VR_LE]]]);
    let (responses, received) = get(&receiver, &other, json!({"keys": keys, "storage": storage_classes}), out.path());
    assert_eq!(responses.len(), 1, "{responses:?}");
    assert_eq!((responses[0]["status"].clone(), responses[0]["completed"].clone()), (json!(0), json!(0)));
    assert_eq!(received, Vec::<Value>::new(), "another facility's study, even by its exact UID");
}

async fn a_large_instance_streams_out_in_bounded_memory(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    // Larger than any buffer the store or the association keeps, so holding it whole would show.
    let data = testdata::large(96);
    let file = &data.files[0];
    stored(&storage, &receiver, &facility, &[file]).await;
    let before = receiver.peak_rss_kib();
    let out = tempfile::tempdir().expect("a directory");
    let keys = json!({"QueryRetrieveLevel": "STUDY", "StudyInstanceUID": file.study_instance_uid});
    let storage_classes = json!([[file.sop_class_uid, [file.transfer_syntax]]]);
    let (responses, _) = get(&receiver, &facility, json!({"keys": keys, "storage": storage_classes}), out.path());
    assert_eq!(responses.last().expect("a final response")["status"], 0, "{responses:?}");
    let sent = std::fs::read(out.path().join(&file.sop_instance_uid)).expect("received");
    assert_eq!(sent.len() as u64, file.size - file.dataset_offset as u64, "the whole data set");
    let grown = receiver.peak_rss_kib().saturating_sub(before);
    assert!(grown < 32 * 1024, "a 96 MB instance took {grown} KiB more memory: it must stream");
}

async fn movescu_sends_to_a_registered_destination_only(kind: Kind) {
    let storage = Storage::new(kind).await;
    let workstation = dcmtk::Storescp::start("READING_ROOM");
    // A registered node that is switched off: nothing listens on its port.
    let offline_port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
    let destinations = [("READING_ROOM", "127.0.0.1", workstation.port), ("OFFLINE", "127.0.0.1", offline_port)];
    let facility = storage.facility_with_destinations("Mercy Clinic", &destinations).await;
    let receiver = Receiver::start(&storage);
    let data = testdata::archive();
    stored(&storage, &receiver, &facility, &data.files.iter().collect::<Vec<_>>()).await;
    let study = study_files(&data, "ACC-001");
    let key = format!("StudyInstanceUID={}", study[0].study_instance_uid);
    let options = ["-S", "-k", "QueryRetrieveLevel=STUDY", "-k", &key];
    let ae = facility.ae_title.as_str();

    let run = dcmtk::movescu(receiver.dicom_port, ae, SCP_AE_TITLE, "reading_room", &options);
    assert!(run.success, "{}", run.text);
    let received = workstation.received();
    assert_eq!(received.len(), study.len(), "every instance of the study: {}", run.text);
    for path in &received {
        let bytes = std::fs::read(path).expect("a received file");
        let (_, dataset) = split_part10(&bytes);
        let sent = study.iter().find(|f| f.dataset() == dataset);
        assert!(sent.is_some(), "{} is byte for byte one the modality sent", path.display());
    }
    assert_eq!(receiver.metric("noctis_receiver_retrieves_total{status=\"0000\"}").await, 1.0, "{}", run.text);

    // To a node that is off: refused with A702 once it cannot be reached; a
    // move matching nothing succeeds without connecting anywhere.
    let run = dcmtk::movescu(receiver.dicom_port, ae, SCP_AE_TITLE, "OFFLINE", &options);
    assert_eq!(receiver.metric("noctis_receiver_retrieves_total{status=\"A702\"}").await, 1.0, "{}", run.text);
    let nothing = ["-S", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2.826.0.1.3680043.8.498.9"];
    let run = dcmtk::movescu(receiver.dicom_port, ae, SCP_AE_TITLE, "OFFLINE", &nothing);
    assert_eq!(receiver.metric("noctis_receiver_retrieves_total{status=\"0000\"}").await, 2.0, "{}", run.text);

    let run = dcmtk::movescu(receiver.dicom_port, ae, SCP_AE_TITLE, "ELSEWHERE", &options);
    assert_eq!(receiver.metric("noctis_receiver_retrieves_total{status=\"A801\"}").await, 1.0, "{}", run.text);
    assert_eq!(workstation.received().len(), study.len(), "nothing sent to an unregistered title");
    let events = storage.recent_audit_events(&facility, AuditKind::DicomRetrieve).await;
    assert!(
        events.iter().any(|e| e.details["destination"] == "READING_ROOM" && e.details["completed"] == 3),
        "{events:?}"
    );
}
