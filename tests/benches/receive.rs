//! `make bench`: DCMTK's storescu sends the same file sets to DCMTK's storescp
//! (storing to disk) and to noctis-receiver (embedded ports), in one run.
//! Prints instances/s, MB/s and the ratio, and writes them to
//! target/bench/receive.json. A measurement, never a pass/fail.

use std::process::{Child, Command, Stdio};

use noctis_e2e::bench::{file_set, free_port, peak_rss_mib, send, wait_for_port, write_report};
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::Storage;

const SMALL_FILES: usize = 500;
const LARGE_FILES: usize = 100;
const LARGE_MB: usize = 5;
const CONCURRENT_SENDERS: usize = 16;

struct Storescp {
    child: Child,
    port: u16,
    _out: tempfile::TempDir,
}

impl Storescp {
    fn start() -> Self {
        let out = tempfile::tempdir().expect("an output directory");
        let port = free_port();
        let child = Command::new("storescp")
            .env("TCP_NODELAY", "1")
            .args(["--fork", "-aet", SCP_AE_TITLE, "-od"])
            .arg(out.path())
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("storescp runs");
        wait_for_port(port);
        Self { child, port, _out: out }
    }
}

impl Drop for Storescp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(serde::Serialize)]
struct Row {
    set: String,
    senders: usize,
    instances: usize,
    megabytes: f64,
    storescp_instances_per_s: f64,
    storescp_mb_per_s: f64,
    noctis_instances_per_s: f64,
    noctis_mb_per_s: f64,
    ratio: f64,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let storage = runtime.block_on(Storage::embedded());
    let facility = runtime.block_on(storage.facility("Benchmark Imaging"));
    let binary = noctis_e2e::workspace_binary_in("noctis-receiver", "release");
    // Per-instance logs off, as a busy production receiver would run; start-up still reported.
    let quiet = noctis_e2e::bench::QUIET_RECEIVER_LOGS;
    let receiver = Receiver::start_binary(&binary, &storage, &[("NOCTIS_LOG__FILTER", quiet)]);
    let storescp = Storescp::start();

    println!("generating file sets …");
    let small = file_set("500 small CT", &["--copies".into(), SMALL_FILES.to_string()]);
    let large = file_set("100 × ~5 MB", &["--large-set".into(), LARGE_FILES.to_string(), LARGE_MB.to_string()]);

    let mut rows = Vec::new();
    for (set, senders) in [(&small, 1), (&large, 1), (&small, CONCURRENT_SENDERS), (&large, CONCURRENT_SENDERS)] {
        // storescp first, then Noctis, on the same files.
        let reference = send(storescp.port, facility.ae_title.as_str(), SCP_AE_TITLE, &set.files, senders);
        let noctis = send(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE, &set.files, senders);
        let mb = set.bytes as f64 / 1e6;
        let n = set.files.len() as f64;
        rows.push(Row {
            set: set.name.to_owned(),
            senders,
            instances: set.files.len(),
            megabytes: mb,
            storescp_instances_per_s: n / reference.as_secs_f64(),
            storescp_mb_per_s: mb / reference.as_secs_f64(),
            noctis_instances_per_s: n / noctis.as_secs_f64(),
            noctis_mb_per_s: mb / noctis.as_secs_f64(),
            ratio: reference.as_secs_f64() / noctis.as_secs_f64(),
        });
    }

    println!();
    println!(
        "{:<14} {:>7} {:>9} {:>9} | {:>12} {:>9} | {:>12} {:>9} | {:>6}",
        "file set", "senders", "instances", "MB", "storescp i/s", "MB/s", "noctis i/s", "MB/s", "ratio"
    );
    for r in &rows {
        println!(
            "{:<14} {:>7} {:>9} {:>9.1} | {:>12.1} {:>9.1} | {:>12.1} {:>9.1} | {:>6.2}",
            r.set,
            r.senders,
            r.instances,
            r.megabytes,
            r.storescp_instances_per_s,
            r.storescp_mb_per_s,
            r.noctis_instances_per_s,
            r.noctis_mb_per_s,
            r.ratio
        );
    }
    let noctis_rss = receiver.peak_rss_kib() as f64 / 1024.0;
    let store_sum = runtime.block_on(receiver.metric("noctis_receiver_store_seconds_sum"));
    let store_count = runtime.block_on(receiver.metric("noctis_receiver_store_seconds_count"));
    if store_count > 0.0 {
        println!(
            "noctis store latency (object durable + indexed, after the last byte): mean {:.2} ms over {store_count} instances",
            1000.0 * store_sum / store_count
        );
    }
    let storescp_rss = peak_rss_mib(storescp.child.id());
    println!();
    println!(
        "peak RSS: noctis-receiver {noctis_rss:.1} MiB; storescp parent {storescp_rss:.1} MiB (its forked children not counted)"
    );
    println!("noctis fsyncs every object and index commit before answering; storescp does not fsync.");

    let report =
        serde_json::json!({"rows": rows, "noctis_peak_rss_mib": noctis_rss, "storescp_peak_rss_mib": storescp_rss});
    write_report("receive", &report);
}
