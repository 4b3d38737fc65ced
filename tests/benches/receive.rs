//! `make bench`: DCMTK's storescu sends the same file sets to DCMTK's storescp
//! (storing to disk) and to noctis-receiver (embedded ports), in one run.
//! Prints instances/s, MB/s and the ratio, and writes them to
//! target/bench/receive.json. A measurement, never a pass/fail.
//!
//! This machine's speed drifts by half within minutes, so each case runs in
//! rounds (`NOCTIS_BENCH_ROUNDS`, default 3): a fresh set of new instances per
//! round, sent to both receivers back to back, the first of the pair
//! alternating. Each round gives a ratio; the table shows their median, and
//! the rates of the round that gave it.

use std::process::{Child, Command, Stdio};

use noctis_e2e::bench::{FileSet, file_set, free_port, peak_rss_mib, send, wait_for_port, write_report};
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::Storage;

const SMALL_FILES: usize = 500;
const LARGE_FILES: usize = 100;
const LARGE_MB: usize = 5;
const CONCURRENT_SENDERS: usize = 16;
const ROUNDS: usize = 3;

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
    /// The median of the rounds' ratios; this row's rates are that round's.
    ratio: f64,
    round_ratios: Vec<f64>,
}

/// One pair of runs on a fresh file set: storescp's and Noctis' wall times.
fn round(set: &FileSet, senders: usize, noctis_first: bool, storescp: u16, noctis: u16, calling: &str) -> [f64; 2] {
    let run = |port| send(port, calling, SCP_AE_TITLE, &set.files, senders).as_secs_f64();
    if noctis_first {
        let noctis = run(noctis);
        [run(storescp), noctis]
    } else {
        let reference = run(storescp);
        [reference, run(noctis)]
    }
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
    let rounds = std::env::var("NOCTIS_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(ROUNDS).max(1);
    let calling = facility.ae_title.as_str();

    let small = || file_set("500 small CT", &["--copies".into(), SMALL_FILES.to_string()]);
    let large = || file_set("100 × ~5 MB", &["--large-set".into(), LARGE_FILES.to_string(), LARGE_MB.to_string()]);
    let cases: [(&dyn Fn() -> FileSet, usize); 4] =
        [(&small, 1), (&large, 1), (&small, CONCURRENT_SENDERS), (&large, CONCURRENT_SENDERS)];

    let mut rows = Vec::new();
    for (make_set, senders) in cases {
        let mut measured = Vec::new();
        for r in 0..rounds {
            let set = make_set();
            let [reference, noctis] = round(&set, senders, r % 2 == 1, storescp.port, receiver.dicom_port, calling);
            let (n, mb) = (set.files.len() as f64, set.bytes as f64 / 1e6);
            measured.push(Row {
                set: set.name.to_owned(),
                senders,
                instances: set.files.len(),
                megabytes: mb,
                storescp_instances_per_s: n / reference,
                storescp_mb_per_s: mb / reference,
                noctis_instances_per_s: n / noctis,
                noctis_mb_per_s: mb / noctis,
                ratio: reference / noctis,
                round_ratios: Vec::new(),
            });
        }
        let round_ratios: Vec<f64> = measured.iter().map(|row| row.ratio).collect();
        measured.sort_by(|a, b| a.ratio.total_cmp(&b.ratio));
        let mut median = measured.swap_remove(measured.len() / 2);
        println!("{} × {senders}: ratios by round {round_ratios:.2?}", median.set);
        median.round_ratios = round_ratios;
        rows.push(median);
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
    println!("(each row the median round of {rounds}, each round a fresh set of new instances)");
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
