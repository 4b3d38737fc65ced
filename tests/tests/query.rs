//! C-FIND (PS3.4 C.4.1) as facilities' workstations use it: DCMTK's findscu and
//! pynetdicom query the studies their facility sent, at every level of both
//! information models; another facility's studies stay invisible.

use std::collections::BTreeMap;
use std::time::Duration;

use noctis_core::domain::{AuditKind, Facility};
use noctis_e2e::dcmtk;
use noctis_e2e::python;
use noctis_e2e::raw_peer::{self, FIND_CONTEXT};
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage};
use noctis_e2e::testdata::{self, TestData, TestFile};
use serde_json::{Value, json};

noctis_e2e::on_both_backends!(
    findscu_matches_names_date_ranges_and_modalities_at_the_study_level,
    pynetdicom_walks_series_images_uid_lists_and_the_patient_root,
    a_facility_never_finds_another_facilitys_studies,
    a_cancel_received_mid_answer_ends_it_with_fe00,
    too_many_matches_and_malformed_queries_are_refused_with_their_status,
);

/// The archive, stored by `facility` with storescu.
async fn stored_archive(storage: &Storage, receiver: &Receiver, facility: &Facility) -> TestData {
    let data = testdata::archive();
    let paths: Vec<_> = data.files.iter().map(|f| f.path.as_path()).collect();
    let run = dcmtk::storescu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE, &[], &paths);
    assert!(run.success, "{}", run.text);
    for file in &data.files {
        assert!(storage.study(facility, &file.study_instance_uid).await.is_some(), "{} indexed", file.name);
    }
    data
}

fn study_of<'a>(data: &'a TestData, accession: &str) -> &'a TestFile {
    data.files.iter().find(|f| f.accession_number == accession).expect("an archive study")
}

/// The identifiers findscu extracted, as keyword → value ("\"-joined when several).
fn extracted(dir: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    use dicom_core::dictionary::DataDictionary;
    use dicom_core::header::Header;
    use dicom_dictionary_std::StandardDataDictionary;
    use dicom_object::mem::InMemElement;
    let mut files: Vec<_> = std::fs::read_dir(dir).expect("the output directory").flatten().map(|e| e.path()).collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let object = dicom_object::open_file(path).expect("findscu wrote a DICOM file");
            object
                .iter()
                .map(|element: &InMemElement| {
                    let name = StandardDataDictionary
                        .by_tag(element.tag())
                        .map(|entry| entry.alias.to_owned())
                        .unwrap_or_else(|| element.tag().to_string());
                    (name, element.to_str().map(|s| s.trim_end_matches(['\0', ' ']).to_owned()).unwrap_or_default())
                })
                .collect()
        })
        .collect()
}

async fn findscu_matches_names_date_ranges_and_modalities_at_the_study_level(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let data = stored_archive(&storage, &receiver, &facility).await;
    let out = tempfile::tempdir().expect("a directory");
    let run = dcmtk::findscu(
        receiver.dicom_port,
        facility.ae_title.as_str(),
        SCP_AE_TITLE,
        &[
            "-S",
            "-k",
            "QueryRetrieveLevel=STUDY",
            "-k",
            "PatientName=doe*",
            "-k",
            "StudyDate=20240101-20240229",
            "-k",
            "StudyInstanceUID",
            "-k",
            "AccessionNumber",
            "-k",
            "ModalitiesInStudy",
            "-k",
            "NumberOfStudyRelatedSeries",
            "-k",
            "NumberOfStudyRelatedInstances",
            "-k",
            "StudyID",
            "-k",
            "StudyDescription",
            "-k",
            "ReferringPhysicianName",
        ],
        out.path(),
    );
    assert!(run.success, "{}", run.text);
    let mut matches = extracted(out.path());
    matches.sort_by(|a, b| a["AccessionNumber"].cmp(&b["AccessionNumber"]));
    let accessions: Vec<&str> = matches.iter().map(|m| m["AccessionNumber"].as_str()).collect();
    // DOE^JOHN's 2024-03 study is outside the range; SMITH^ANNA is not a DOE.
    assert_eq!(accessions, ["ACC-001", "ACC-002"], "{}", run.text);
    let first = &matches[0];
    assert_eq!(first["StudyInstanceUID"], study_of(&data, "ACC-001").study_instance_uid);
    assert_eq!(first["PatientName"], "DOE^JOHN");
    assert_eq!(first["ModalitiesInStudy"], "CT\\PR");
    assert_eq!(
        (first["NumberOfStudyRelatedSeries"].as_str(), first["NumberOfStudyRelatedInstances"].as_str()),
        ("2", "3")
    );
    assert_eq!(first["StudyID"], "S1");
    assert_eq!(first["QueryRetrieveLevel"], "STUDY");
    assert_eq!(first["StudyDescription"], "ARCHIVE STUDY 1");
    assert_eq!(first["ReferringPhysicianName"], "", "an attribute the study lacks comes back empty");
    assert_eq!(receiver.metric("noctis_receiver_queries_total{status=\"0000\"}").await, 1.0);

    // ModalitiesInStudy matches any listed code.
    let out = tempfile::tempdir().expect("a directory");
    let run = dcmtk::findscu(
        receiver.dicom_port,
        facility.ae_title.as_str(),
        SCP_AE_TITLE,
        &["-S", "-k", "QueryRetrieveLevel=STUDY", "-k", "ModalitiesInStudy=MR\\PR", "-k", "AccessionNumber"],
        out.path(),
    );
    assert!(run.success, "{}", run.text);
    let mut accessions: Vec<String> = extracted(out.path()).into_iter().map(|m| m["AccessionNumber"].clone()).collect();
    accessions.sort();
    assert_eq!(accessions, ["ACC-001", "ACC-002", "ACC-004"]);
}

fn find(receiver: &Receiver, facility: &Facility, queries: Value) -> Vec<Value> {
    let args = vec![
        receiver.dicom_port.to_string(),
        facility.ae_title.as_str().to_owned(),
        SCP_AE_TITLE.to_owned(),
        queries.to_string(),
    ];
    let run = python::run("find.py", &args);
    assert!(run.success, "{}", run.stderr);
    let out = run.json();
    out["results"].as_array().unwrap_or_else(|| panic!("results: {out}")).clone()
}

fn field<'a>(result: &'a Value, key: &str) -> Vec<&'a str> {
    let mut values: Vec<&str> =
        result["matches"].as_array().expect("matches").iter().map(|m| m[key].as_str().unwrap_or("")).collect();
    values.sort_unstable();
    values
}

async fn pynetdicom_walks_series_images_uid_lists_and_the_patient_root(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let data = stored_archive(&storage, &receiver, &facility).await;
    let first = study_of(&data, "ACC-001");
    let ct_series: Vec<&TestFile> =
        data.files.iter().filter(|f| f.study_instance_uid == first.study_instance_uid && f.modality == "CT").collect();
    let results = find(
        &receiver,
        &facility,
        json!([
            {"model": "study", "keys": {"QueryRetrieveLevel": "SERIES", "StudyInstanceUID": first.study_instance_uid,
                "SeriesInstanceUID": "", "Modality": "", "SeriesNumber": "", "NumberOfSeriesRelatedInstances": ""}},
            {"model": "study", "keys": {"QueryRetrieveLevel": "IMAGE", "StudyInstanceUID": first.study_instance_uid,
                "SeriesInstanceUID": ct_series[0].series_instance_uid, "SOPInstanceUID": "", "SOPClassUID": "",
                "InstanceNumber": "2"}},
            {"model": "study", "keys": {"QueryRetrieveLevel": "STUDY", "AccessionNumber": "",
                "StudyInstanceUID": format!("{}\\{}", first.study_instance_uid,
                    study_of(&data, "ACC-003").study_instance_uid)}},
            {"model": "patient", "keys": {"QueryRetrieveLevel": "PATIENT", "PatientID": "P-00?", "PatientName": "",
                "NumberOfPatientRelatedStudies": "", "NumberOfPatientRelatedInstances": ""}},
            {"model": "patient", "keys": {"QueryRetrieveLevel": "STUDY", "PatientID": "P-001", "AccessionNumber": "",
                "StudyDate": ""}},
        ]),
    );
    let series = &results[0];
    assert_eq!(series["final"]["status"], 0, "{series}");
    assert_eq!(field(series, "Modality"), ["CT", "PR"]);
    assert_eq!(field(series, "NumberOfSeriesRelatedInstances"), ["1", "2"]);
    assert_eq!(field(series, "QueryRetrieveLevel"), ["SERIES", "SERIES"]);

    let images = &results[1];
    let second = ct_series.iter().find(|f| f.name.ends_with("_2.dcm")).expect("the CT series' second instance");
    assert_eq!(field(images, "SOPInstanceUID"), [second.sop_instance_uid.as_str()], "{images}");
    assert_eq!(field(images, "SOPClassUID"), [second.sop_class_uid.as_str()]);

    let listed = &results[2];
    assert_eq!(field(listed, "AccessionNumber"), ["ACC-001", "ACC-003"], "a UID list matches each");

    let patients = &results[3];
    assert_eq!(field(patients, "PatientID"), ["P-001", "P-002", "P-003"], "{patients}");
    let john =
        patients["matches"].as_array().expect("matches").iter().find(|m| m["PatientID"] == "P-001").expect("P-001");
    assert_eq!(
        (john["PatientName"].as_str(), john["NumberOfPatientRelatedStudies"].as_str()),
        (Some("DOE^JOHN"), Some("2"))
    );
    assert_eq!(john["NumberOfPatientRelatedInstances"], "4");

    let johns_studies = &results[4];
    assert_eq!(field(johns_studies, "AccessionNumber"), ["ACC-001", "ACC-004"]);
    assert_eq!(field(johns_studies, "StudyDate"), ["20240105", "20240310"]);
}

async fn a_facility_never_finds_another_facilitys_studies(kind: Kind) {
    let storage = Storage::new(kind).await;
    let mercy = storage.facility("Mercy Clinic").await;
    let other = storage.facility("Harbor Imaging").await;
    let receiver = Receiver::start(&storage);
    let data = stored_archive(&storage, &receiver, &mercy).await;
    let first = study_of(&data, "ACC-001");
    let results = find(
        &receiver,
        &other,
        json!([
            {"model": "study", "keys": {"QueryRetrieveLevel": "STUDY", "StudyInstanceUID": first.study_instance_uid}},
            {"model": "study", "keys": {"QueryRetrieveLevel": "STUDY", "PatientName": "*", "StudyInstanceUID": ""}},
            {"model": "study", "keys": {"QueryRetrieveLevel": "SERIES", "StudyInstanceUID": first.study_instance_uid,
                "SeriesInstanceUID": ""}},
            {"model": "patient", "keys": {"QueryRetrieveLevel": "PATIENT", "PatientID": "P-001"}},
        ]),
    );
    for result in &results {
        assert_eq!(result["final"]["status"], 0, "{result}");
        assert_eq!(result["matches"], json!([]), "another facility's study, even by its exact UID: {result}");
    }
    // The same question from Mercy finds it.
    let own = find(
        &receiver,
        &mercy,
        json!([{"model": "study", "keys": {"QueryRetrieveLevel": "STUDY", "StudyInstanceUID": first.study_instance_uid}}]),
    );
    assert_eq!(field(&own[0], "StudyInstanceUID"), [first.study_instance_uid.as_str()]);

    // Each query is in the audit trail under the asking facility, without its keys.
    let events = storage.recent_audit_events(&other, AuditKind::DicomQuery).await;
    assert_eq!(events.len(), 4, "{events:?}");
    for event in &events {
        assert_eq!(event.details["matches"], 0);
        assert_eq!(event.details["calling_ae_title"], other.ae_title.as_str());
        assert!(!event.details.to_string().contains(&first.study_instance_uid), "no keys in the trail");
    }
}

/// The final status of a C-FIND read from `stream`, and how many matches came before it.
async fn final_status(stream: &mut tokio::net::TcpStream) -> (u16, usize) {
    let mut matches = 0;
    loop {
        let pdu = raw_peer::read_pdu(stream, Duration::from_secs(30)).await.expect("a response");
        assert_eq!(pdu.pdu_type, 0x04, "P-DATA-TF expected, got {pdu:?}");
        // Only command PDVs carry a status; data PDVs are the matches.
        let is_command = pdu.body.get(5).is_some_and(|control| control & 1 == 1);
        if !is_command {
            continue;
        }
        match pdu.status() {
            Some(0xFF00 | 0xFF01) => matches += 1,
            Some(status) => return (status, matches),
            None => panic!("a command without a status: {pdu:?}"),
        }
    }
}

async fn a_cancel_received_mid_answer_ends_it_with_fe00(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    stored_archive(&storage, &receiver, &facility).await;
    let loopback = std::net::IpAddr::from([127, 0, 0, 1]);
    let mut stream = raw_peer::associate(loopback, receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE).await;
    // The request and its cancel leave together: the cancel is waiting before the first match is sent.
    let mut bytes = raw_peer::p_data(FIND_CONTEXT, true, true, &raw_peer::find_command(7));
    bytes.extend(raw_peer::p_data(FIND_CONTEXT, false, true, &raw_peer::study_identifier()));
    bytes.extend(raw_peer::p_data(FIND_CONTEXT, true, true, &raw_peer::cancel_command(7)));
    assert!(raw_peer::send(&mut stream, &bytes).await);
    let (status, matches) = final_status(&mut stream).await;
    assert_eq!(status, 0xFE00, "matching terminated due to cancel");
    assert!(matches < 4, "the cancel stopped the answer early ({matches} of 4 sent)");
    // The association goes on: the same query, uncancelled, finds all four.
    let mut bytes = raw_peer::p_data(FIND_CONTEXT, true, true, &raw_peer::find_command(8));
    bytes.extend(raw_peer::p_data(FIND_CONTEXT, false, true, &raw_peer::study_identifier()));
    assert!(raw_peer::send(&mut stream, &bytes).await);
    assert_eq!(final_status(&mut stream).await, (0x0000, 4));
    assert_eq!(receiver.metric("noctis_receiver_queries_total{status=\"FE00\"}").await, 1.0);
}

async fn too_many_matches_and_malformed_queries_are_refused_with_their_status(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start_with(&storage, &[("NOCTIS_DICOM__MAX_QUERY_RESULTS", "3")]);
    stored_archive(&storage, &receiver, &facility).await;
    let results = find(
        &receiver,
        &facility,
        json!([
            {"model": "study", "keys": {"QueryRetrieveLevel": "STUDY", "StudyInstanceUID": ""}},
            {"model": "study", "keys": {"QueryRetrieveLevel": "STUDY", "PatientName": "DOE*", "StudyInstanceUID": ""}},
            {"model": "study", "keys": {"QueryRetrieveLevel": "SERIES", "SeriesInstanceUID": ""}},
            {"model": "study", "keys": {"QueryRetrieveLevel": "PATIENT", "PatientID": ""}},
            {"model": "study", "keys": {"PatientName": "DOE*"}},
        ]),
    );
    let too_many = &results[0];
    assert_eq!(too_many["final"]["status"], 0xA700, "{too_many}");
    assert_eq!(too_many["final"]["comment"], "more than 3 matches: narrow the query");
    assert_eq!(too_many["matches"], json!([]), "nothing sent before the refusal");
    assert_eq!(field(&results[1], "PatientName"), ["DOE^JANE", "DOE^JOHN", "DOE^JOHN"], "three are allowed");
    for (result, comment) in [
        (&results[2], "StudyInstanceUID must be a single value at this level"),
        (&results[3], "PATIENT is not a level of this information model"),
        (&results[4], "no Query/Retrieve Level of PATIENT, STUDY, SERIES or IMAGE"),
    ] {
        assert_eq!(result["final"]["status"], 0xA900, "{result}");
        assert_eq!(result["final"]["comment"], comment);
    }
}
