//! `make bench`: C-FIND latency over 10,000 studies and C-GET throughput of a
//! 300-instance study, Noctis (embedded backend, release build) beside Orthanc
//! from Debian holding the same instances. Prints figures and writes them to
//! target/bench/query.json. A measurement, never a pass/fail.

use std::time::{Duration, Instant};

use noctis_e2e::bench::{file_set, send, text_values, write_report};
use noctis_e2e::orthanc::{ORTHANC_AE, Orthanc};
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::Storage;
use serde_json::{Value, json};

const STUDIES: usize = 10_000;
const STUDY_INSTANCES: usize = 300;
const SENDERS: usize = 4;
const FIND_REPEATS: usize = 20;
const GET_REPEATS: usize = 3;

fn find_timings(port: u16, calling: &str, called: &str, queries: &Value) -> Value {
    let run = noctis_e2e::python::run(
        "find_timing.py",
        &[port.to_string(), calling.to_owned(), called.to_owned(), FIND_REPEATS.to_string(), queries.to_string()],
    );
    assert!(run.success, "{}", run.stderr);
    run.json()
}

/// The median wall time of getscu retrieving `study` into a fresh directory.
fn get_time(port: u16, calling: &str, called: &str, study: &str) -> Duration {
    let mut times = Vec::new();
    for _ in 0..GET_REPEATS {
        let out = tempfile::tempdir().expect("a directory");
        let key = format!("StudyInstanceUID={study}");
        let started = Instant::now();
        let run = noctis_e2e::dcmtk::getscu(
            port,
            calling,
            called,
            &["-S", "-k", "QueryRetrieveLevel=STUDY", "-k", &key],
            out.path(),
        );
        let elapsed = started.elapsed();
        assert!(run.success, "{}", run.text);
        let received = std::fs::read_dir(out.path()).map(|d| d.count()).unwrap_or(0);
        assert_eq!(received, STUDY_INSTANCES, "getscu from {called} received every instance");
        times.push(elapsed);
    }
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let storage = runtime.block_on(Storage::embedded());
    let facility = runtime.block_on(storage.facility("Benchmark Imaging"));
    let calling = facility.ae_title.as_str().to_owned();
    let binary = noctis_e2e::workspace_binary_in("noctis-receiver", "release");
    let quiet = noctis_e2e::bench::QUIET_RECEIVER_LOGS;
    let receiver = Receiver::start_binary(&binary, &storage, &[("NOCTIS_LOG__FILTER", quiet)]);
    // The bench's calling AE title may store, find and get, as a facility may in Noctis.
    let orthanc =
        Orthanc::start(json!({"DicomModalities": {"bench": {"AET": calling, "Host": "127.0.0.1", "Port": 104,
        "AllowFind": true, "AllowGet": true, "AllowStore": true}}}));

    println!("generating {STUDIES} one-instance studies and one study of {STUDY_INSTANCES} CT instances …");
    let studies = file_set("studies", &["--studies".into(), STUDIES.to_string()]);
    let study = file_set("study", &["--copies".into(), STUDY_INSTANCES.to_string()]);
    let mut ingest = Vec::new();
    for (name, port, called) in
        [("noctis", receiver.dicom_port, SCP_AE_TITLE), ("orthanc", orthanc.dicom_port, ORTHANC_AE)]
    {
        let mut elapsed = send(port, &calling, called, &studies.files, SENDERS);
        elapsed += send(port, &calling, called, &study.files, SENDERS);
        let n = (studies.files.len() + study.files.len()) as f64;
        println!(
            "{name}: stored {n} instances in {:.1} s ({:.0} instances/s, {SENDERS} senders)",
            elapsed.as_secs_f64(),
            n / elapsed.as_secs_f64()
        );
        ingest.push(json!({"archive": name, "instances": n, "seconds": elapsed.as_secs_f64()}));
    }

    let middle = text_values(
        &studies.files[STUDIES / 2],
        &[dicom_dictionary_std::tags::STUDY_INSTANCE_UID, dicom_dictionary_std::tags::ACCESSION_NUMBER],
    );
    let (middle_uid, accession) = (middle[0].clone(), middle[1].clone());
    let queries = json!({
        "Study Instance UID, exact": {"StudyInstanceUID": middle_uid, "PatientName": ""},
        "Accession Number, exact": {"AccessionNumber": accession, "StudyInstanceUID": ""},
        "Patient's Name SMITH* (1 in 10)": {"PatientName": "SMITH*", "StudyInstanceUID": ""},
        "Study Date, one month (1 in 12)": {"StudyDate": "20240301-20240331", "StudyInstanceUID": ""},
    });
    let noctis_find = find_timings(receiver.dicom_port, &calling, SCP_AE_TITLE, &queries);
    let orthanc_find = find_timings(orthanc.dicom_port, &calling, ORTHANC_AE, &queries);

    println!();
    println!("C-FIND at the study level over {} studies, {FIND_REPEATS} runs each, one association:", STUDIES + 1);
    println!(
        "{:<34} {:>8} | {:>11} {:>8} | {:>11} {:>8}",
        "query", "matches", "noctis p50", "p95", "orthanc p50", "p95"
    );
    let names: Vec<String> = queries.as_object().map(|q| q.keys().cloned().collect()).unwrap_or_default();
    for name in &names {
        let (n, o) = (&noctis_find[name], &orthanc_find[name]);
        println!(
            "{:<34} {:>8} | {:>8.1} ms {:>5.1} ms | {:>8.1} ms {:>5.1} ms{}",
            name,
            n["matches"].as_u64().unwrap_or(0),
            n["median_ms"].as_f64().unwrap_or(0.0),
            n["p95_ms"].as_f64().unwrap_or(0.0),
            o["median_ms"].as_f64().unwrap_or(0.0),
            o["p95_ms"].as_f64().unwrap_or(0.0),
            if n["matches"] == o["matches"] { String::new() } else { format!("  (orthanc: {} matches)", o["matches"]) }
        );
    }

    let study_uid = text_values(&study.files[0], &[dicom_dictionary_std::tags::STUDY_INSTANCE_UID]).remove(0);
    let mb = study.bytes as f64 / 1e6;
    let noctis_get = get_time(receiver.dicom_port, &calling, SCP_AE_TITLE, &study_uid);
    let orthanc_get = get_time(orthanc.dicom_port, &calling, ORTHANC_AE, &study_uid);
    println!();
    println!(
        "C-GET of one study, {STUDY_INSTANCES} instances, {mb:.1} MB, getscu writing files (median of {GET_REPEATS}):"
    );
    for (name, time) in [("noctis", noctis_get), ("orthanc", orthanc_get)] {
        println!(
            "{name:<8} {:>6.2} s  {:>7.1} instances/s  {:>6.1} MB/s",
            time.as_secs_f64(),
            STUDY_INSTANCES as f64 / time.as_secs_f64(),
            mb / time.as_secs_f64()
        );
    }

    write_report(
        "query",
        &json!({
            "studies": STUDIES + 1,
            "ingest": ingest,
            "find": {"noctis": noctis_find, "orthanc": orthanc_find},
            "get": {
                "instances": STUDY_INSTANCES,
                "megabytes": mb,
                "noctis_seconds": noctis_get.as_secs_f64(),
                "orthanc_seconds": orthanc_get.as_secs_f64(),
            },
        }),
    );
}
