//! `make bench`: DICOMweb, Noctis (release build, embedded backend) beside
//! Orthanc's DICOMweb plugin from Debian, on the same 300 CT instances in one
//! run: STOW-RS instances/s (ten instances a request, one client) and WADO-RS
//! MB/s for the whole series; then one 1 GiB instance sent with STOW-RS and
//! retrieved with WADO-RS, with the receiver's peak memory; then the viewer's
//! time to first image for a 200-slice CT, from the click to pixels, in
//! headless Chromium through the console's origin. Prints figures and writes
//! target/bench/dicomweb.json. A measurement, never a pass/fail.

use std::time::Instant;

use noctis_e2e::api::{ADMIN, Api, PASSWORD, TOKEN_SECRET};
use noctis_e2e::api_server::ApiServer;
use noctis_e2e::bench::{file_set, send, text_values, write_report};
use noctis_e2e::orthanc::{DICOMWEB_PLUGIN, Orthanc};
use noctis_e2e::receiver::Receiver;
use noctis_e2e::receiver::SCP_AE_TITLE;
use noctis_e2e::storage::Storage;
use serde_json::json;

const INSTANCES: usize = 300;
const PER_REQUEST: usize = 10;
const LARGE_MB: u32 = 1024;
const BOUNDARY: &str = "noctis-bench";
const VIEWER_SLICES: usize = 200;
const VIEWER_RUNS: usize = 5;

fn multipart(files: &[std::path::PathBuf]) -> Vec<u8> {
    let mut body = Vec::new();
    for file in files {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n").as_bytes());
        body.extend_from_slice(&std::fs::read(file).expect("a generated file"));
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// STOW-RS of `files` to `url`, `PER_REQUEST` a request; seconds taken.
async fn stow(client: &reqwest::Client, url: &str, token: Option<&str>, files: &[std::path::PathBuf]) -> f64 {
    let bodies: Vec<Vec<u8>> = files.chunks(PER_REQUEST).map(multipart).collect();
    let started = Instant::now();
    for body in bodies {
        let mut request = client
            .post(url)
            .header("content-type", format!("multipart/related; type=\"application/dicom\"; boundary={BOUNDARY}"))
            .header("accept", "application/dicom+json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let status = request.send().await.expect("an answer").status();
        assert!(status.is_success(), "STOW-RS answered {status}");
    }
    started.elapsed().as_secs_f64()
}

/// WADO-RS of `url` read to its end; (seconds, bytes).
async fn wado(client: &reqwest::Client, url: &str, token: Option<&str>) -> (f64, u64) {
    let started = Instant::now();
    let mut request = client.get(url).header("accept", "multipart/related; type=\"application/dicom\"");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let mut reply = request.send().await.expect("an answer");
    assert!(reply.status().is_success(), "WADO-RS answered {}", reply.status());
    let mut bytes = 0u64;
    while let Some(chunk) = reply.chunk().await.expect("the body") {
        bytes += chunk.len() as u64;
    }
    (started.elapsed().as_secs_f64(), bytes)
}

fn uids(path: &std::path::Path) -> (String, String, String) {
    use dicom_dictionary_std::tags;
    let [study, series, instance]: [String; 3] =
        text_values(path, &[tags::STUDY_INSTANCE_UID, tags::SERIES_INSTANCE_UID, tags::SOP_INSTANCE_UID])
            .try_into()
            .unwrap_or_default();
    (study, series, instance)
}

#[tokio::main]
async fn main() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("Bench Clinic").await;
    let binary = noctis_e2e::workspace_binary_in("noctis-receiver", "release");
    let receiver = Receiver::start_binary(
        &binary,
        &storage,
        // The announcement of its ports is the one info line wanted.
        &[
            ("NOCTIS_LOG__FILTER", "warn,noctis_receiver=info,noctis_receiver::intake=warn,tower_http=warn"),
            ("NOCTIS_API__TOKEN_SECRET", TOKEN_SECRET),
        ],
    );
    let api = Api::start_on(storage, ADMIN).await;
    let token = api.user_token("bench.staff", "facility_user", Some(facility.id)).await;
    let orthanc =
        Orthanc::start(json!({"Plugins": [DICOMWEB_PLUGIN], "DicomWeb": {"Enable": true, "Root": "/dicom-web/"}}));
    let client = reqwest::Client::new();

    println!("generating {INSTANCES} CT instances of one series …");
    let set = file_set("series", &["--copies".into(), INSTANCES.to_string()]);
    let (study, series, _) = uids(&set.files[0]);
    let megabytes = set.bytes as f64 / 1e6;
    let targets =
        [("noctis", receiver.web_url("/dicomweb"), Some(token.as_str())), ("orthanc", orthanc.url("/dicom-web"), None)];
    let mut rows = Vec::new();
    println!();
    println!("{:<8} {:>14} {:>14} {:>10}", "archive", "STOW inst/s", "WADO MB/s", "WADO s");
    for (name, base, token) in &targets {
        let stored = stow(&client, &format!("{base}/studies"), *token, &set.files).await;
        let (seconds, bytes) = wado(&client, &format!("{base}/studies/{study}/series/{series}"), *token).await;
        let stow_rate = set.files.len() as f64 / stored;
        let wado_rate = bytes as f64 / 1e6 / seconds;
        println!("{name:<8} {stow_rate:>14.0} {wado_rate:>14.1} {seconds:>10.2}");
        rows.push(
            json!({"archive": name, "stow_instances_per_second": stow_rate, "wado_megabytes_per_second": wado_rate,
            "wado_seconds": seconds, "wado_bytes": bytes}),
        );
    }
    println!("({INSTANCES} instances, {megabytes:.1} MB; STOW-RS {PER_REQUEST} instances a request, one client)");

    println!();
    println!("generating one {LARGE_MB} MB instance …");
    let large = file_set("large", &["--large".into(), LARGE_MB.to_string(), "large.dcm".into()]);
    let (study, series, instance) = uids(&large.files[0]);
    let before = receiver.peak_rss_kib();
    let stored = stow(&client, &receiver.web_url("/dicomweb/studies"), Some(&token), &large.files).await;
    let url = receiver.web_url(&format!("/dicomweb/studies/{study}/series/{series}/instances/{instance}"));
    let (retrieved, bytes) = wado(&client, &url, Some(&token)).await;
    let peak = receiver.peak_rss_kib();
    let mb = large.bytes as f64 / 1e6;
    println!(
        "noctis: {mb:.0} MB stored in {stored:.1} s ({:.0} MB/s), retrieved in {retrieved:.1} s ({:.0} MB/s); \
         peak RSS {:.1} MiB before, {:.1} MiB after",
        mb / stored,
        bytes as f64 / 1e6 / retrieved,
        before as f64 / 1024.0,
        peak as f64 / 1024.0
    );

    println!();
    println!("generating a {VIEWER_SLICES}-slice CT and sending it with storescu …");
    let ct = file_set("ct", &["--copies".into(), VIEWER_SLICES.to_string()]);
    send(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE, &ct.files, 4);
    let (ct_study, _, _) = uids(&ct.files[0]);
    let study_id = noctis_core::domain::StudyId::for_study(
        facility.id,
        &noctis_core::domain::Uid::parse(&ct_study).expect("a generated UID"),
    );
    let mut env = api.storage.env.clone();
    let root = noctis_e2e::workspace_root();
    env.extend([
        ("NOCTIS_API__TOKEN_SECRET".to_owned(), TOKEN_SECRET.to_owned()),
        ("NOCTIS_API__CONSOLE_DIR".to_owned(), root.join("api-lambda/web/dist").display().to_string()),
        ("NOCTIS_API__DICOMWEB_UPSTREAM".to_owned(), receiver.web_url("")),
    ]);
    let server = ApiServer::start_binary(&noctis_e2e::workspace_binary_in("noctis-api", "release"), &env);
    let run = std::process::Command::new(root.join(".tools/browser/bin/python"))
        .arg("first_image.py")
        .args([&server.base_url, "bench.staff", PASSWORD, &study_id.to_string(), &VIEWER_RUNS.to_string()])
        .current_dir(root.join("tests/browser"))
        .output()
        .expect("python runs");
    let first_image: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap_or_else(|_| {
        panic!("first_image.py: {}", String::from_utf8_lossy(&run.stderr));
    });
    let mut times: Vec<f64> =
        first_image["milliseconds"].as_array().into_iter().flatten().filter_map(|t| t.as_f64()).collect();
    times.sort_by(f64::total_cmp);
    println!(
        "viewer: time to first image of a {VIEWER_SLICES}-slice CT, click to pixels, {VIEWER_RUNS} fresh browser contexts: \
         median {:.0} ms, min {:.0} ms, max {:.0} ms",
        times.get(times.len() / 2).copied().unwrap_or(f64::NAN),
        times.first().copied().unwrap_or(f64::NAN),
        times.last().copied().unwrap_or(f64::NAN),
    );
    write_report(
        "dicomweb",
        &json!({"series": rows, "instances": INSTANCES, "megabytes": megabytes,
            "large": {"megabytes": mb, "stow_seconds": stored, "wado_seconds": retrieved,
                "peak_rss_kib_before": before, "peak_rss_kib_after": peak},
            "viewer_first_image_ms": times, "viewer_slices": VIEWER_SLICES}),
    );
}
