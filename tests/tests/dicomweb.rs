//! DICOMweb (PS3.18) on the receiver: dicomweb-client from PyPI stores,
//! searches and retrieves; what WADO-RS returns is the stored file byte for
//! byte; each facility sees only its own; and bad uploads are refused with
//! their reasons while what was stored stays stored.

use axum::http::StatusCode;
use noctis_core::domain::Facility;
use noctis_e2e::api::{ADMIN, Api, TOKEN_SECRET};
use noctis_e2e::api_server::ApiServer;
use noctis_e2e::dcmtk;
use noctis_e2e::orthanc::{DICOMWEB_PLUGIN, Orthanc};
use noctis_e2e::python;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage};
use noctis_e2e::testdata::{self, TestData, TestFile};
use serde_json::{Value, json};

noctis_e2e::on_both_backends!(
    dicomweb_client_stores_searches_and_retrieves_what_it_sent,
    wado_rs_returns_each_instance_byte_for_byte_as_stored,
    each_facility_sees_only_its_own_and_staff_name_the_facility,
    bad_uploads_are_refused_with_their_reasons_and_lose_nothing,
    the_consoles_origin_serves_dicomweb_through_the_local_server,
    metadata_and_frames_come_from_the_stored_files_in_every_syntax,
    frames_are_rendered_through_the_window_asked_for_and_thumbnails_fit_their_box,
    behind_the_edge_the_audit_trail_names_the_viewer_cloudfront_names,
    orthanc_stores_into_searches_and_retrieves_from_noctis_byte_for_byte,
    a_large_instance_streams_in_and_out_over_http_in_bounded_memory,
);

/// PS3.18 Table 10.5.3-1 and PS3.4 Annex B reasons, as the response carries them.
const FAILURE_REASON: &str = "00081197";
const CANNOT_UNDERSTAND: u64 = 0xC000;
const DATASET_MISMATCH: u64 = 0xA900;

struct World {
    api: Api,
    receiver: Receiver,
    facility: Facility,
    /// A facility user of `facility`.
    staff: String,
    data: TestData,
}

async fn world(kind: Kind) -> World {
    world_with(kind, &[]).await
}

async fn world_with(kind: Kind, settings: &[(&str, &str)]) -> World {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let mut env = vec![("NOCTIS_API__TOKEN_SECRET", TOKEN_SECRET)];
    env.extend_from_slice(settings);
    let receiver = Receiver::start_with(&storage, &env);
    let api = Api::start_on(storage, ADMIN).await;
    let staff = api.user_token("mercy.staff", "facility_user", Some(facility.id)).await;
    World { api, receiver, facility, staff, data: testdata::archive() }
}

fn study<'a>(data: &'a TestData, accession: &str) -> Vec<&'a TestFile> {
    let uid =
        &data.files.iter().find(|f| f.accession_number == accession).expect("an archive study").study_instance_uid;
    data.files.iter().filter(|f| &f.study_instance_uid == uid).collect()
}

fn client(world: &World, token: &str, command: &str, args: &[String]) -> Value {
    client_at(&world.receiver.web_url("/dicomweb"), token, command, args)
}

fn client_at(base_url: &str, token: &str, command: &str, args: &[String]) -> Value {
    let mut all = vec![base_url.to_owned(), token.to_owned(), command.to_owned()];
    all.extend_from_slice(args);
    let run = python::run("dicomweb.py", &all);
    assert!(run.success, "dicomweb.py {command}: {}", run.stderr);
    run.json()
}

fn paths(files: &[&TestFile]) -> Vec<String> {
    files.iter().map(|f| f.path.display().to_string()).collect()
}

/// The values of `tag` in each DICOM JSON object of `objects`.
fn values(objects: &Value, tag: &str) -> Vec<String> {
    let mut found: Vec<String> = objects
        .as_array()
        .unwrap_or_else(|| panic!("a JSON array: {objects}"))
        .iter()
        .map(|object| match &object[tag]["Value"][0] {
            Value::String(text) => text.clone(),
            Value::Object(name) => name["Alphabetic"].as_str().unwrap_or_default().to_owned(),
            other => other.to_string(),
        })
        .collect();
    found.sort();
    found
}

async fn dicomweb_client_stores_searches_and_retrieves_what_it_sent(kind: Kind) {
    let world = world(kind).await;
    let files = study(&world.data, "ACC-001");
    let stored = client(&world, &world.staff, "store", &paths(&files));
    let referenced = &stored["response"]["00081199"]["Value"];
    assert_eq!(values(referenced, "00081155"), sorted(files.iter().map(|f| f.sop_instance_uid.clone())), "{stored}");
    assert!(stored["response"].get("00081198").is_none(), "no failures: {stored}");
    for file in &files {
        assert!(world.api.storage.stored_object(&world.facility, file).await.is_some(), "{} stored", file.name);
    }

    let uid = &files[0].study_instance_uid;
    let by_name = client(
        &world,
        &world.staff,
        "search",
        &[
            "studies".into(),
            json!({"PatientName": files[0].patient_name.split('^').next().unwrap_or_default().to_owned() + "*"})
                .to_string(),
        ],
    );
    assert_eq!(values(&by_name["matches"], "0020000D"), [uid.as_str()], "{by_name}");
    let by_date = client(&world, &world.staff, "search", &["studies".into(), json!({"StudyDate": format!("{}-{}", files[0].study_date, files[0].study_date), "ModalitiesInStudy": files[0].modality}).to_string()]);
    assert_eq!(values(&by_date["matches"], "0020000D"), [uid.as_str()], "{by_date}");
    assert_eq!(values(&by_date["matches"], "00201208"), [files.len().to_string()], "instances in the study");
    let none =
        client(&world, &world.staff, "search", &["studies".into(), json!({"AccessionNumber": "NO-SUCH"}).to_string()]);
    assert_eq!(none["matches"], json!([]));

    let series = client(&world, &world.staff, "search", &["series".into(), "{}".into(), uid.clone()]);
    let mut expected_series: Vec<String> = files.iter().map(|f| f.series_instance_uid.clone()).collect();
    expected_series.sort();
    expected_series.dedup();
    assert_eq!(values(&series["matches"], "0020000E"), expected_series, "{series}");
    let first_series: Vec<&TestFile> =
        files.iter().copied().filter(|f| f.series_instance_uid == files[0].series_instance_uid).collect();
    let instances = client(
        &world,
        &world.staff,
        "search",
        &["instances".into(), "{}".into(), uid.clone(), files[0].series_instance_uid.clone()],
    );
    assert_eq!(
        values(&instances["matches"], "00080018"),
        sorted(first_series.iter().map(|f| f.sop_instance_uid.clone()))
    );

    let one = files[0];
    let retrieved = client(&world, &world.staff, "retrieve", &uids_and_path(one));
    assert_eq!(retrieved, json!({"sop_instance_uid": one.sop_instance_uid, "identical": true}));
    let mut args = vec![one.study_instance_uid.clone(), one.series_instance_uid.clone()];
    args.extend(paths(&first_series));
    let series = client(&world, &world.staff, "retrieve_series", &args);
    let received = series["instances"].as_array().unwrap_or_else(|| panic!("{series}"));
    assert_eq!(received.len(), first_series.len(), "{series}");
    assert!(received.iter().all(|r| r["identical"] == json!(true)), "{series}");
}

/// Study, series and SOP Instance UIDs of `file`, then its path: what the
/// client script's retrieve and frames commands take.
fn uids_and_path(file: &TestFile) -> Vec<String> {
    vec![
        file.study_instance_uid.clone(),
        file.series_instance_uid.clone(),
        file.sop_instance_uid.clone(),
        file.path.display().to_string(),
    ]
}

fn sorted(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut items: Vec<String> = items.collect();
    items.sort();
    items
}

/// The bodies of a `multipart/related` answer, split on its boundary.
fn parts(content_type: &str, body: &[u8]) -> Vec<Vec<u8>> {
    let boundary = content_type.split("boundary=").nth(1).expect("a boundary").trim_matches('"');
    let delimiter = format!("\r\n--{boundary}");
    let text = [b"\r\n".as_slice(), body].concat();
    let mut found = Vec::new();
    let mut rest = &text[..];
    while let Some(at) = find(rest, delimiter.as_bytes()) {
        rest = &rest[at + delimiter.len()..];
        if rest.starts_with(b"--") {
            return found;
        }
        let headers_end = find(rest, b"\r\n\r\n").expect("part headers") + 4;
        let end = find(&rest[headers_end..], delimiter.as_bytes()).expect("the part's end");
        found.push(rest[headers_end..headers_end + end].to_vec());
    }
    panic!("no closing delimiter");
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn get(url: &str, token: &str) -> reqwest::Response {
    reqwest::Client::new().get(url).bearer_auth(token).send().await.expect("the receiver answers")
}

async fn wado_rs_returns_each_instance_byte_for_byte_as_stored(kind: Kind) {
    let world = world(kind).await;
    let files = study(&world.data, "ACC-001");
    // One sent by a modality over DICOM, the rest over STOW-RS: WADO-RS serves both.
    let run = dcmtk::storescu(
        world.receiver.dicom_port,
        world.facility.ae_title.as_str(),
        SCP_AE_TITLE,
        &[],
        &[&files[0].path],
    );
    assert!(run.success, "{}", run.text);
    let stowed = client(&world, &world.staff, "store", &paths(&files[1..]));
    assert!(stowed["response"].get("00081198").is_none(), "{stowed}");

    let url = world.receiver.web_url(&format!("/dicomweb/studies/{}", files[0].study_instance_uid));
    let reply = get(&url, &world.staff).await;
    assert_eq!(reply.status(), StatusCode::OK);
    let content_type = reply.headers()["content-type"].to_str().expect("ASCII").to_owned();
    assert!(content_type.starts_with("multipart/related; type=\"application/dicom\""), "{content_type}");
    let body = reply.bytes().await.expect("the body");
    let mut received = parts(&content_type, &body);
    let mut stored = Vec::new();
    for file in &files {
        stored.push(world.api.storage.stored_object(&world.facility, file).await.expect("stored"));
    }
    received.sort();
    stored.sort();
    assert_eq!(received.len(), files.len());
    assert!(received == stored, "each part is the stored Part-10 file, byte for byte");
}

async fn status_and_json(reply: reqwest::Response) -> (StatusCode, Value) {
    let status = reply.status();
    let text = reply.text().await.expect("a body");
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text}")))
}

async fn post(url: &str, token: Option<&str>, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().post(url).header("content-type", content_type).body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    status_and_json(request.send().await.expect("the receiver answers")).await
}

const MULTIPART: &str = "multipart/related; type=\"application/dicom\"; boundary=noctis-test";

fn multipart(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(b"--noctis-test\r\nContent-Type: application/dicom\r\n\r\n");
        body.extend_from_slice(part);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--noctis-test--\r\n");
    body
}

async fn each_facility_sees_only_its_own_and_staff_name_the_facility(kind: Kind) {
    let world = world(kind).await;
    let other = world.api.storage.facility("Other Clinic").await;
    let other_staff = world.api.user_token("other.staff", "facility_user", Some(other.id)).await;
    let radiologist = world.api.user_token("reader", "radiologist", None).await;
    let file = study(&world.data, "ACC-001")[0];
    let body = multipart(&[std::fs::read(&file.path).expect("the file")]);
    let (status, _) =
        post(&world.receiver.web_url("/dicomweb/studies"), Some(&world.staff), MULTIPART, body.clone()).await;
    assert_eq!(status, StatusCode::OK);

    let study_url = |root: &str| world.receiver.web_url(&format!("{root}/studies/{}", file.study_instance_uid));
    let search = |root: &str| world.receiver.web_url(&format!("{root}/studies"));
    let own_root = format!("/dicomweb/facilities/{}", world.facility.id);
    let (status, found) = status_and_json(get(&search("/dicomweb"), &other_staff).await).await;
    assert_eq!((status, found), (StatusCode::OK, json!([])), "another facility finds nothing");
    assert_eq!(get(&study_url("/dicomweb"), &other_staff).await.status(), StatusCode::NOT_FOUND);
    let (status, error) = status_and_json(get(&study_url(&own_root), &other_staff).await).await;
    assert_eq!((status, error["error"]["code"].clone()), (StatusCode::NOT_FOUND, json!("not_found")));

    let (status, error) = status_and_json(get(&search("/dicomweb"), &world.api.admin).await).await;
    assert_eq!((status, error["error"]["code"].clone()), (StatusCode::BAD_REQUEST, json!("facility_required")));
    for token in [&world.api.admin, &radiologist, &world.staff] {
        let (status, found) = status_and_json(get(&search(&own_root), token).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(values(&found, "0020000D"), [file.study_instance_uid.as_str()]);
    }
    let (status, error) = post(&search(&own_root), Some(&radiologist), MULTIPART, body.clone()).await;
    assert_eq!(
        (status, error["error"]["code"].clone()),
        (StatusCode::FORBIDDEN, json!("forbidden")),
        "radiologists read"
    );
    let (status, error) = post(&search("/dicomweb"), None, MULTIPART, body).await;
    assert_eq!((status, error["error"]["code"].clone()), (StatusCode::UNAUTHORIZED, json!("unauthenticated")));
}

async fn bad_uploads_are_refused_with_their_reasons_and_lose_nothing(kind: Kind) {
    let world = world(kind).await;
    let files = study(&world.data, "ACC-001");
    let good = std::fs::read(&files[0].path).expect("the file");
    let url = world.receiver.web_url("/dicomweb/studies");
    let token = Some(world.staff.as_str());

    let (status, error) = post(&url, token, "application/dicom", good.clone()).await;
    assert_eq!(
        (status, error["error"]["code"].clone()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, json!("unsupported_media_type"))
    );

    // One good file and one that is not a Part-10 file: the first is stored, the second refused.
    let (status, answer) =
        post(&url, token, MULTIPART, multipart(&[good.clone(), b"not a DICOM file at all".to_vec()])).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(values(&answer["00081199"]["Value"], "00081155"), [files[0].sop_instance_uid.clone()]);
    assert_eq!(answer["00081198"]["Value"][0][FAILURE_REASON]["Value"][0], json!(CANNOT_UNDERSTAND), "{answer}");
    assert!(world.api.storage.stored_object(&world.facility, files[0]).await.is_some());

    // An instance posted to another study's URL is not that study's.
    let elsewhere = world.receiver.web_url("/dicomweb/studies/1.2.826.0.1.3680043.2.1143.424242");
    let (status, answer) =
        post(&elsewhere, token, MULTIPART, multipart(&[std::fs::read(&files[1].path).expect("the file")])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["00081198"]["Value"][0][FAILURE_REASON]["Value"][0], json!(DATASET_MISMATCH), "{answer}");
    assert!(world.api.storage.stored_object(&world.facility, files[1]).await.is_none());

    // A header block without end, and a body cut off mid-part: refused, nothing half-written.
    let mut endless = b"--noctis-test\r\nX-Padding: ".to_vec();
    endless.extend(std::iter::repeat_n(b'a', 64 * 1024));
    let (status, error) = post(&url, token, MULTIPART, endless).await;
    assert_eq!((status, error["error"]["code"].clone()), (StatusCode::BAD_REQUEST, json!("bad_request")), "{error}");
    let third = std::fs::read(&files[2].path).expect("the file");
    let mut cut = b"--noctis-test\r\nContent-Type: application/dicom\r\n\r\n".to_vec();
    cut.extend_from_slice(&third[..third.len() / 2]);
    let (status, _) = post(&url, token, MULTIPART, cut).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(world.api.storage.stored_object(&world.facility, files[2]).await.is_none(), "no partial object");
    let indexed = world.api.storage.study(&world.facility, &files[0].study_instance_uid).await.expect("the study");
    assert_eq!(indexed.instances.len(), 1, "only the good file is indexed");
}

/// `make run`'s one origin: the API server forwards `/dicomweb` to the
/// receiver, bodies streamed both ways, and Retrieve URLs name that origin.
async fn the_consoles_origin_serves_dicomweb_through_the_local_server(kind: Kind) {
    let world = world(kind).await;
    let mut env = world.api.storage.env.clone();
    env.push(("NOCTIS_API__TOKEN_SECRET".into(), TOKEN_SECRET.into()));
    env.push(("NOCTIS_API__DICOMWEB_UPSTREAM".into(), world.receiver.web_url("")));
    let server = ApiServer::start(&env);
    let files = study(&world.data, "ACC-002");
    let stored = client_at(&server.url("/dicomweb"), &world.staff, "store", &paths(&files));
    assert!(stored["response"].get("00081198").is_none(), "{stored}");
    // dicomweb-client sends a Host without the port (RFC 9110 7.2 wants it), so the
    // Retrieve URL the origin writes is checked with a client that sends it whole.
    let (status, found) = status_and_json(get(&server.url("/dicomweb/studies"), &world.staff).await).await;
    assert_eq!(status, StatusCode::OK);
    let retrieve_urls = values(&found, "00081190");
    assert_eq!(retrieve_urls, [server.url(&format!("/dicomweb/studies/{}", files[0].study_instance_uid))]);
    let one = files[0];
    let retrieved = client_at(&server.url("/dicomweb"), &world.staff, "retrieve", &uids_and_path(one));
    assert_eq!(retrieved["identical"], json!(true), "{retrieved}");
    let reply = reqwest::get(server.url("/dicomweb/studies")).await.expect("the API answers");
    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED, "the receiver's refusal comes through");
    // A store that fails whole is a 409 whose body is DICOM JSON, passed on as the receiver wrote it.
    let (status, answer) = post(
        &server.url("/dicomweb/studies"),
        Some(&world.staff),
        MULTIPART,
        multipart(&[b"not a DICOM file".to_vec()]),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(answer["00081198"]["Value"][0][FAILURE_REASON]["Value"][0], json!(CANNOT_UNDERSTAND), "{answer}");
}

/// Metadata read from the stored files, with the pixel data a Bulk Data URI;
/// frames cut from native pixel data and compressed ones passed through, in
/// each transfer syntax pydicom ships, single- and multi-frame.
async fn metadata_and_frames_come_from_the_stored_files_in_every_syntax(kind: Kind) {
    let world = world(kind).await;
    let samples = testdata::samples();
    // pydicom's native multi-frame file names another instance in its File Meta
    // than in its data set (PS3.10 7.1 wants them equal): refused with A900 as
    // it is, stored once made consistent.
    let inconsistent = testdata::pydicom_file("rtdose.dcm");
    let refused = client(&world, &world.staff, "store", &[inconsistent.display().to_string()]);
    assert_eq!(refused["http_status"], json!(409), "nothing stored: {refused}");
    let answer: Value = serde_json::from_str(refused["body"].as_str().unwrap_or_default()).expect("DICOM JSON");
    assert_eq!(answer["00081198"]["Value"][0][FAILURE_REASON]["Value"][0], json!(DATASET_MISMATCH), "{answer}");
    let dir = tempfile::tempdir().expect("a directory");
    let native = dir.path().join("rtdose-consistent.dcm");
    // A fresh UID too: the RLE file beside it carries the same SOP Instance UID.
    let fix = "import sys, pydicom; ds = pydicom.dcmread(sys.argv[1]); ds.SOPInstanceUID = pydicom.uid.generate_uid(); \
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID; ds.save_as(sys.argv[2])";
    let python = noctis_e2e::workspace_root().join(".tools/venv/bin/python");
    let status = std::process::Command::new(python).args(["-c", fix]).arg(&inconsistent).arg(&native).status();
    assert!(status.is_ok_and(|s| s.success()), "pydicom rewrites the file");
    let multi_frame = [native, testdata::pydicom_file("rtdose_rle.dcm")];
    let mut files: Vec<String> = samples.files.iter().map(|f| f.path.display().to_string()).collect();
    files.extend(multi_frame.iter().map(|p| p.display().to_string()));
    let stored = client(&world, &world.staff, "store", &files);
    assert!(stored["response"].get("00081198").is_none(), "{stored}");

    for file in &samples.files {
        let mut args = uids_and_path(file);
        args.insert(3, "1".into());
        let frames = client(&world, &world.staff, "frames", &args);
        if file.transfer_syntax == "1.2.840.10008.1.2.1.99" {
            // A deflated data set is stored as sent; its frames are not cut out of the stream.
            assert_eq!(frames["http_status"], json!(406), "{}: {frames}", file.name);
            continue;
        }
        assert_eq!(frames["frames"][0]["identical"], json!(true), "{} ({}): {frames}", file.name, file.transfer_syntax);
    }
    for (path, list) in [(&multi_frame[0], "2,5"), (&multi_frame[1], "1,15")] {
        let uids = describe_file(path);
        let mut args = uids.clone();
        args.extend([list.to_owned(), path.display().to_string()]);
        let frames = client(&world, &world.staff, "frames", &args);
        let received = frames["frames"].as_array().unwrap_or_else(|| panic!("{}: {frames}", path.display()));
        assert_eq!(received.len(), 2, "{frames}");
        assert!(received.iter().all(|f| f["identical"] == json!(true)), "{}: {frames}", path.display());
    }

    let ct = samples.files.iter().find(|f| f.name == "CT_small.dcm").expect("CT_small");
    let metadata = client(&world, &world.staff, "metadata", std::slice::from_ref(&ct.study_instance_uid));
    let instances = metadata["metadata"].as_array().unwrap_or_else(|| panic!("{metadata}"));
    let one =
        instances.iter().find(|i| i["00080018"]["Value"][0] == json!(ct.sop_instance_uid)).expect("the CT instance");
    assert_eq!(one["00100020"]["Value"][0], json!(ct.patient_id), "attributes from the stored file: {one}");
    assert_eq!(one["00080060"]["Value"][0], json!(ct.modality));
    let bulk = one["7FE00010"]["BulkDataURI"].as_str().unwrap_or_else(|| panic!("pixel data by reference: {one}"));
    assert!(bulk.ends_with(&format!("/instances/{}/frames/1", ct.sop_instance_uid)), "{bulk}");
    assert!(one["7FE00010"].get("InlineBinary").is_none(), "no pixel data inline");
}

/// Study, series and SOP Instance UIDs of a file, as pydicom reads them.
fn describe_file(path: &std::path::Path) -> Vec<String> {
    let code = "import sys, pydicom; ds = pydicom.dcmread(sys.argv[1], stop_before_pixels=True); \
        print(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)";
    let python = noctis_e2e::workspace_root().join(".tools/venv/bin/python");
    let output = std::process::Command::new(python).args(["-c", code]).arg(path).output().expect("python runs");
    assert!(output.status.success(), "pydicom reads {}", path.display());
    String::from_utf8_lossy(&output.stdout).split_whitespace().map(str::to_owned).collect()
}

async fn orthanc(method: reqwest::Method, orthanc: &Orthanc, path: &str, body: Option<Vec<u8>>) -> Value {
    let mut request = reqwest::Client::new().request(method, orthanc.url(path));
    if let Some(body) = body {
        request = request.body(body);
    }
    let reply = request.send().await.expect("Orthanc answers");
    let status = reply.status();
    let text = reply.text().await.expect("a body");
    assert!(status.is_success(), "Orthanc {path}: {status} {text}\n{}", orthanc.log());
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// Orthanc's DICOMweb plugin (Debian's orthanc-dicomweb) with Noctis as one of
/// its DICOMweb servers: it stores a study into Noctis (STOW-RS), finds
/// Noctis's studies (QIDO-RS) and pulls one back (WADO-RS), and what it holds
/// then is what Noctis stored, byte for byte.
async fn orthanc_stores_into_searches_and_retrieves_from_noctis_byte_for_byte(kind: Kind) {
    let world = world(kind).await;
    let noctis = json!({"Url": world.receiver.web_url("/dicomweb/"), "HttpHeaders": {"Authorization": format!("Bearer {}", world.staff)}});
    let orthanc_server = Orthanc::start(json!({
        "Plugins": [DICOMWEB_PLUGIN],
        "DicomWeb": {"Enable": true, "Root": "/dicom-web/", "Servers": {"noctis": noctis}},
    }));
    let orthanc_ = &orthanc_server;
    let _logs = ReceiverLogsOnPanic(&world.receiver);

    // Orthanc holds ACC-003 and sends it to Noctis.
    let sent = study(&world.data, "ACC-003");
    let mut orthanc_study = String::new();
    for file in &sent {
        let added =
            orthanc(reqwest::Method::POST, orthanc_, "/instances", Some(std::fs::read(&file.path).expect("the file")))
                .await;
        orthanc_study = added["ParentStudy"].as_str().expect("an Orthanc study").to_owned();
    }
    let stow = json!({"Resources": [orthanc_study], "Synchronous": true});
    orthanc(reqwest::Method::POST, orthanc_, "/dicom-web/servers/noctis/stow", Some(stow.to_string().into_bytes()))
        .await;
    for file in &sent {
        assert!(
            world.api.storage.stored_object(&world.facility, file).await.is_some(),
            "{} stored through Orthanc",
            file.name
        );
    }

    // Noctis holds ACC-001 (a modality sent it); Orthanc finds it and pulls it.
    let pulled = study(&world.data, "ACC-001");
    let run = dcmtk::storescu(
        world.receiver.dicom_port,
        world.facility.ae_title.as_str(),
        SCP_AE_TITLE,
        &[],
        &pulled.iter().map(|f| f.path.as_path()).collect::<Vec<_>>(),
    );
    assert!(run.success, "{}", run.text);
    let query = json!({"Uri": "/studies", "Arguments": {"PatientID": pulled[0].patient_id}});
    let found =
        orthanc(reqwest::Method::POST, orthanc_, "/dicom-web/servers/noctis/get", Some(query.to_string().into_bytes()))
            .await;
    assert_eq!(values(&found, "0020000D"), [pulled[0].study_instance_uid.as_str()], "{found}");
    let retrieve = json!({"Resources": [{"Study": pulled[0].study_instance_uid}], "Synchronous": true});
    orthanc(
        reqwest::Method::POST,
        orthanc_,
        "/dicom-web/servers/noctis/retrieve",
        Some(retrieve.to_string().into_bytes()),
    )
    .await;
    for file in &pulled {
        let lookup =
            orthanc(reqwest::Method::POST, orthanc_, "/tools/lookup", Some(file.sop_instance_uid.clone().into_bytes()))
                .await;
        let id = lookup[0]["ID"].as_str().unwrap_or_else(|| panic!("Orthanc holds {}: {lookup}", file.name)).to_owned();
        let held = reqwest::get(orthanc_.url(&format!("/instances/{id}/file")))
            .await
            .expect("Orthanc answers")
            .bytes()
            .await
            .expect("the file");
        let stored = world.api.storage.stored_object(&world.facility, file).await.expect("stored");
        assert!(held.as_ref() == stored.as_slice(), "{}: Orthanc holds what Noctis stored, byte for byte", file.name);
    }
}

/// Prints the receiver's refusals when the test fails, beside Orthanc's log.
struct ReceiverLogsOnPanic<'a>(&'a Receiver);

impl Drop for ReceiverLogsOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for line in self.0.logs().iter().filter(|l| l.contains("refused")) {
                eprintln!("receiver: {line}");
            }
        }
    }
}

async fn a_large_instance_streams_in_and_out_over_http_in_bounded_memory(kind: Kind) {
    let world = world(kind).await;
    // Larger than any buffer the intake or the body reader keeps, so holding it whole would show.
    let data = testdata::large(96);
    let file = &data.files[0];
    let body = multipart(&[std::fs::read(&file.path).expect("the file")]);
    let before = world.receiver.peak_rss_kib();
    let (status, answer) =
        post(&world.receiver.web_url("/dicomweb/studies"), Some(&world.staff), MULTIPART, body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let url = world.receiver.web_url(&format!(
        "/dicomweb/studies/{}/series/{}/instances/{}",
        file.study_instance_uid, file.series_instance_uid, file.sop_instance_uid
    ));
    let reply = get(&url, &world.staff).await;
    let content_type = reply.headers()["content-type"].to_str().expect("ASCII").to_owned();
    let received = parts(&content_type, &reply.bytes().await.expect("the body"));
    let stored = world.api.storage.stored_object(&world.facility, file).await.expect("stored");
    assert_eq!(received.len(), 1);
    assert!(received[0] == stored, "the stored file comes back whole");
    let grown = world.receiver.peak_rss_kib().saturating_sub(before);
    assert!(grown < 32 * 1024, "a 96 MB instance in and out took {grown} KiB more memory: it must stream");
}

/// The size a PNG's IHDR or a JPEG's start of frame declares: (columns, rows).
fn picture_size(content_type: &str, bytes: &[u8]) -> Option<(u32, u32)> {
    match content_type {
        "image/png" if bytes.get(..8) == Some(b"\x89PNG\r\n\x1a\n") => {
            let word = |at: usize| bytes.get(at..at + 4).map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
            Some((word(16)?, word(20)?))
        }
        "image/jpeg" => noctis_wire::bitstream::jpeg(bytes).map(|d| (d.columns, d.rows)),
        _ => None,
    }
}

async fn picture(url: &str, token: &str, accept: &str) -> (StatusCode, String, Vec<u8>) {
    let reply = reqwest::Client::new().get(url).bearer_auth(token).header("accept", accept).send().await;
    let reply = reply.expect("the receiver answers");
    let status = reply.status();
    let kind = reply.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, kind, reply.bytes().await.expect("a body").to_vec())
}

/// WADO-RS rendered: a stored frame decoded in each common syntax, through
/// the window asked for, is what pydicom (with pylibjpeg's codecs) decodes
/// through the same VOI; viewports and thumbnails fit their box; and a frame
/// that cannot be made into a picture is refused with its reason.
async fn frames_are_rendered_through_the_window_asked_for_and_thumbnails_fit_their_box(kind: Kind) {
    let world = world(kind).await;
    let samples = testdata::samples();
    let two_frames = testdata::pydicom_file("SC_rgb_rle_2frame.dcm");
    let mut files: Vec<String> = samples.files.iter().map(|f| f.path.display().to_string()).collect();
    files.push(two_frames.display().to_string());
    let stored = client(&world, &world.staff, "store", &files);
    assert!(stored["response"].get("00081198").is_none(), "{stored}");

    // name, window (ignored for colour), and whether the stored bitstream is lossless.
    let renderable = [
        ("CT_small.dcm", "40,400", true),
        ("MR_small.dcm", "600,1600", true),
        ("MR_small_implicit.dcm", "600,1600", true),
        ("MR_small_bigendian.dcm", "600,1600", true),
        ("MR_small_RLE.dcm", "600,1600", true),
        ("MR_small_jp2klossless.dcm", "600,1600", true),
        ("JPEG2000.dcm", "100,300", false),
        ("SC_rgb_rle.dcm", "128,256", true),
        ("SC_rgb_jpeg_gdcm.dcm", "128,256", true),
        ("SC_rgb_jpeg_dcmtk.dcm", "128,256", false),
    ];
    let mut measured = Vec::new();
    for (name, window, lossless) in renderable {
        let file = samples.files.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("sample {name}"));
        let mut args = uids_and_path(file);
        args.insert(3, "1".into());
        args.extend(["image/png".to_owned(), window.to_owned()]);
        let picture = client(&world, &world.staff, "rendered", &args);
        let (mean, max) = (picture["mean_error"].as_f64(), picture["max_error"].as_f64());
        measured.push(format!("{name}: {mean:?} {max:?}"));
        assert_eq!(picture["format"], "PNG", "{name}: {picture}");
        let (Some(mean), Some(max)) = (mean, max) else {
            panic!("{name}: the picture is not the frame's size: {picture}");
        };
        // Lossy bitstreams decode a little differently in different decoders.
        let fine = if lossless { max <= 1.0 } else { mean < 2.0 };
        assert!(fine, "{name} ({}): mean {mean:.2}, max {max}", file.transfer_syntax);
    }
    eprintln!("rendered vs pydicom (mean, max): {measured:#?}");

    // The second frame of a multi-frame instance, and the default JPEG.
    let uids = describe_file(&two_frames);
    let mut args = uids.clone();
    args.extend(["2".into(), two_frames.display().to_string(), "image/jpeg".into(), "128,256".into()]);
    let second = client(&world, &world.staff, "rendered", &args);
    assert_eq!(second["format"], "JPEG", "{second}");
    assert!(second["mean_error"].as_f64().is_some_and(|m| m < 3.0), "frame 2 as JPEG: {second}");

    // Viewports scale to fit, keeping the aspect ratio; thumbnails never grow.
    let ct = samples.files.iter().find(|f| f.name == "CT_small.dcm").expect("CT_small");
    let mr = samples.files.iter().find(|f| f.name == "MR_small.dcm").expect("MR_small");
    let instance = |file: &TestFile| {
        world.receiver.web_url(&format!(
            "/dicomweb/studies/{}/series/{}/instances/{}",
            file.study_instance_uid, file.series_instance_uid, file.sop_instance_uid
        ))
    };
    let lossy = samples.files.iter().find(|f| f.name == "JPEG2000.dcm").expect("JPEG2000");
    for (url, accept, size) in [
        (format!("{}/rendered?viewport=32,32", instance(ct)), "image/jpeg", (32, 32)),
        (format!("{}/rendered?viewport=512,512", instance(mr)), "image/png", (512, 512)),
        (format!("{}/rendered?viewport=100,100", instance(lossy)), "image/png", (25, 100)),
        (format!("{}/thumbnail", instance(ct)), "image/png", (128, 128)),
        (format!("{}/thumbnail", instance(mr)), "image/png", (64, 64)),
        (format!("{}/frames/1/thumbnail?viewport=16,16", instance(mr)), "image/jpeg", (16, 16)),
        (
            world.receiver.web_url(&format!(
                "/dicomweb/studies/{}/series/{}/thumbnail",
                ct.study_instance_uid, ct.series_instance_uid
            )),
            "image/*",
            (128, 128),
        ),
        (world.receiver.web_url(&format!("/dicomweb/studies/{}/thumbnail", ct.study_instance_uid)), "*/*", (128, 128)),
    ] {
        let (status, content_type, body) = picture(&url, &world.staff, accept).await;
        assert_eq!(status, StatusCode::OK, "{url}: {}", String::from_utf8_lossy(&body));
        let expected_type = if accept == "image/png" { "image/png" } else { "image/jpeg" };
        assert_eq!(content_type, expected_type, "{url}");
        assert_eq!(picture_size(&content_type, &body), Some(size), "{url}");
    }

    // What cannot be a picture is refused with a reason, as JSON.
    let jpeg_ls = samples.files.iter().find(|f| f.name == "MR_small_jpeg_ls_lossless.dcm").expect("JPEG-LS");
    let deflated = samples.files.iter().find(|f| f.name == "image_dfl.dcm").expect("deflated");
    for (url, accept, status) in [
        (format!("{}/rendered", instance(jpeg_ls)), "image/jpeg", StatusCode::NOT_ACCEPTABLE),
        (format!("{}/rendered", instance(deflated)), "image/jpeg", StatusCode::NOT_ACCEPTABLE),
        (format!("{}/rendered", instance(ct)), "image/gif", StatusCode::NOT_ACCEPTABLE),
        (format!("{}/frames/2/rendered", instance(ct)), "image/jpeg", StatusCode::BAD_REQUEST),
        (format!("{}/frames/1,2/rendered", instance(ct)), "image/jpeg", StatusCode::BAD_REQUEST),
        (format!("{}/rendered?viewport=0,10", instance(ct)), "image/jpeg", StatusCode::BAD_REQUEST),
        (format!("{}/rendered?window=40,400,cubic", instance(ct)), "image/jpeg", StatusCode::BAD_REQUEST),
        (format!("{}/rendered?quality=0", instance(ct)), "image/jpeg", StatusCode::BAD_REQUEST),
    ] {
        let (answered, content_type, body) = picture(&url, &world.staff, accept).await;
        assert_eq!(answered, status, "{url}: {}", String::from_utf8_lossy(&body));
        assert_eq!(content_type, "application/json", "{url}");
        let error: Value = serde_json::from_slice(&body).expect("a JSON error");
        assert!(error["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{url}: {error}");
    }

    // A JPEG frame whose header claims 60,000 × 60,000 pixels in a 100 × 100
    // instance is refused before any decoder allocates for it; what was
    // stored is still served as stored.
    let dir = tempfile::tempdir().expect("a directory");
    let bomb = dir.path().join("bomb.dcm");
    let make = "import sys, pydicom; from pydicom.encaps import encapsulate, generate_frames; \
        ds = pydicom.dcmread(sys.argv[1]); frame = bytearray(next(generate_frames(ds.PixelData, number_of_frames=1))); \
        at = frame.find(b'\\xff\\xc0'); frame[at + 5:at + 9] = (60000).to_bytes(2, 'big') * 2; \
        ds.PixelData = encapsulate([bytes(frame)]); ds.SOPInstanceUID = pydicom.uid.generate_uid(); \
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID; ds.save_as(sys.argv[2])";
    let source = samples.files.iter().find(|f| f.name == "SC_rgb_jpeg_dcmtk.dcm").expect("baseline JPEG");
    let python = noctis_e2e::workspace_root().join(".tools/venv/bin/python");
    let status = std::process::Command::new(python).args(["-c", make]).arg(&source.path).arg(&bomb).status();
    assert!(status.is_ok_and(|s| s.success()), "pydicom writes the lying frame");
    let stored = client(&world, &world.staff, "store", &[bomb.display().to_string()]);
    assert!(stored["response"].get("00081198").is_none(), "stored as received: {stored}");
    let uids = describe_file(&bomb);
    let base =
        world.receiver.web_url(&format!("/dicomweb/studies/{}/series/{}/instances/{}", uids[0], uids[1], uids[2]));
    let (status, _, body) = picture(&format!("{base}/rendered"), &world.staff, "image/jpeg").await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE, "{}", String::from_utf8_lossy(&body));
    assert!(
        String::from_utf8_lossy(&body).contains("60000"),
        "the reason names the claim: {}",
        String::from_utf8_lossy(&body)
    );
    let mut args = uids.clone();
    args.extend(["1".into(), bomb.display().to_string()]);
    let frames = client(&world, &world.staff, "frames", &args);
    assert_eq!(frames["frames"][0]["identical"], json!(true), "the frame is served as stored: {frames}");
}

/// Behind the stack's CloudFront the receivers see the balancer's address:
/// with the distribution's origin header, the viewer CloudFront names is the
/// peer the audit trail keeps; without it, the header proves nothing.
async fn behind_the_edge_the_audit_trail_names_the_viewer_cloudfront_names(kind: Kind) {
    const EDGE: &str = "the-stack-cloudfront-origin-secret";
    let world = world_with(kind, &[("NOCTIS_API__EDGE_SECRET", EDGE)]).await;
    let files = study(&world.data, "ACC-001");
    for (file, origin, viewer) in [(files[0], EDGE, "198.51.100.30:41000"), (files[1], "a guess", "192.0.2.99:41000")] {
        let body = multipart(&[std::fs::read(&file.path).expect("the file")]);
        let reply = reqwest::Client::new()
            .post(world.receiver.web_url("/dicomweb/studies"))
            .bearer_auth(&world.staff)
            .header("content-type", MULTIPART)
            .header("x-noctis-origin", origin)
            .header("cloudfront-viewer-address", viewer)
            .body(body)
            .send()
            .await
            .expect("the receiver answers");
        assert_eq!(reply.status(), StatusCode::OK, "{}", reply.text().await.unwrap_or_default());
    }
    assert_eq!(world.api.audit_peers("instance_stored").await, vec!["127.0.0.1", "198.51.100.30"]);
}
