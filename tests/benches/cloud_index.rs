//! `make bench`: the cloud receive path on the AWS emulator, with DCMTK's
//! storescu as the sender and the release build of noctis-receiver. Prints,
//! never fails on:
//! - one association: instances/s and mean store time, beside a bare S3
//!   PutObject of the same bytes and a bare DynamoDB PutItem (the emulator's
//!   own time per request);
//! - eight associations into one study against eight into eight studies, and
//!   their ratio (hot-study contention shows as a ratio well below 1);
//! - store time as the index grows to 20,000 instances
//!   (`NOCTIS_BENCH_GROWTH_TO` sets another end). Each step sends 2,500 over
//!   eight associations, waits for the emulator to go idle (the settlements
//!   the step left running have finished), then times 100 more over one
//!   association and the emulator's own PutItem, and reads its memory. The
//!   one-association probe is what shows the index's growth: the
//!   eight-association figure is mostly the emulator's queue.
//!
//! Figures go to target/bench/cloud_index.json.

use std::path::PathBuf;
use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::primitives::ByteStream;
use noctis_e2e::bench::{FileSet, file_set, send, write_report};
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::Storage;

const ONE_STUDY: usize = 300;
const EIGHT: usize = 8;
const GROWTH_STEP: usize = 2_500;
const GROWTH_TO: usize = 20_000;
const PROBE: usize = 100;

fn copies(name: &'static str, n: usize) -> FileSet {
    file_set(name, &["--copies".into(), n.to_string()])
}

/// Mean store time (last byte to answer) over the instances stored since `before`.
async fn store_ms_since(receiver: &Receiver, before: (f64, f64)) -> (f64, (f64, f64)) {
    let sum = receiver.metric("noctis_receiver_store_seconds_sum").await;
    let count = receiver.metric("noctis_receiver_store_seconds_count").await;
    let mean = if count > before.1 { 1000.0 * (sum - before.0) / (count - before.1) } else { f64::NAN };
    (mean, (sum, count))
}

/// The emulator's own time for one small DynamoDB PutItem, mean of `n`, on
/// the index's table (so it grows with it).
async fn emulator_put_item_ms(storage: &Storage, table: &str, n: usize) -> f64 {
    let client = storage.aws_clients().await.dynamodb;
    let started = Instant::now();
    for i in 0..n {
        client
            .put_item()
            .table_name(table)
            .item("pk", AttributeValue::S(format!("bench-probe#{}", i % 10)))
            .item("sk", AttributeValue::S("probe".into()))
            .send()
            .await
            .expect("the emulator takes a PutItem");
    }
    1000.0 * started.elapsed().as_secs_f64() / n as f64
}

/// A bare PutObject of each file's bytes, one at a time.
async fn bare_put_per_s(storage: &Storage, bucket: &str, files: &[PathBuf]) -> f64 {
    let client = storage.aws_clients().await.s3;
    let started = Instant::now();
    for (i, file) in files.iter().enumerate() {
        let body = std::fs::read(file).expect("reads");
        client
            .put_object()
            .bucket(bucket)
            .key(format!("bench-bare/{i}"))
            .body(ByteStream::from(body))
            .send()
            .await
            .expect("the emulator takes a PutObject");
    }
    files.len() as f64 / started.elapsed().as_secs_f64()
}

fn emulator_rss_mib() -> f64 {
    emulator_pid().map(noctis_e2e::bench::peak_rss_mib).unwrap_or(f64::NAN)
}

fn emulator_pid() -> Option<u32> {
    let pidfile = noctis_e2e::workspace_root().join(".tools/moto.pid");
    std::fs::read_to_string(pidfile).ok().and_then(|pid| pid.trim().parse().ok())
}

/// The emulator's CPU time so far, in clock ticks (utime + stime of /proc/PID/stat).
fn emulator_cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses: utime is the 12th, stime the 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Waits until the emulator has spent under 5 ticks of CPU (5 % of a core at
/// Linux's usual 100 Hz) in a second: the settlements a step left behind are
/// done. Gives up after ten minutes; returns the time it took.
fn wait_for_an_idle_emulator() -> std::time::Duration {
    let started = Instant::now();
    let Some(pid) = emulator_pid() else { return std::time::Duration::ZERO };
    let mut before = emulator_cpu_ticks(pid);
    while started.elapsed() < std::time::Duration::from_secs(600) {
        std::thread::sleep(std::time::Duration::from_secs(1));
        let now = emulator_cpu_ticks(pid);
        match (before, now) {
            (Some(before), Some(now)) if now.saturating_sub(before) < 5 => break,
            (_, None) => break,
            _ => before = now,
        }
    }
    started.elapsed()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let storage = runtime.block_on(Storage::aws(None));
    let facility = runtime.block_on(storage.facility("Benchmark Imaging"));
    let env: std::collections::HashMap<String, String> = storage.env.iter().cloned().collect();
    let (bucket, table) = (env["NOCTIS_AWS__BUCKET"].clone(), format!("{}studies", env["NOCTIS_AWS__TABLE_PREFIX"]));
    let binary = noctis_e2e::workspace_binary_in("noctis-receiver", "release");
    let quiet = noctis_e2e::bench::QUIET_RECEIVER_LOGS;
    // The sweep for abandoned marks queries a sparse index, which the emulator
    // answers by scanning the whole table: kept out of these figures.
    let receiver = Receiver::start_binary(
        &binary,
        &storage,
        &[("NOCTIS_LOG__FILTER", quiet), ("NOCTIS_DICOM__ABANDONED_SETTLE_SECS", "3600")],
    );
    let ae = facility.ae_title.as_str();

    println!("generating file sets …");
    let single = copies("1 study of 300", ONE_STUDY);
    let hot = copies("1 study of 2,400", ONE_STUDY * EIGHT);
    let spread: Vec<FileSet> = (0..EIGHT).map(|_| copies("1 study of 300", ONE_STUDY)).collect();
    let spread_files: Vec<PathBuf> = spread.iter().flat_map(|s| s.files.clone()).collect();

    let mut metrics = (0.0, 0.0);
    let probe_start = runtime.block_on(emulator_put_item_ms(&storage, &table, 100));
    // Each row is printed as soon as it is measured.
    println!();
    println!("{:<44} {:>10} {:>14}", "case", "inst/s", "mean store ms");
    let bare = runtime.block_on(bare_put_per_s(&storage, &bucket, &single.files));
    println!("{:<44} {:>10.1} {:>14}", "bare S3 PutObject, same bytes, sequential", bare, "-");
    let one = send(receiver.dicom_port, ae, SCP_AE_TITLE, &single.files, 1);
    let (one_ms, after) = runtime.block_on(store_ms_since(&receiver, metrics));
    metrics = after;
    let one_rate = single.files.len() as f64 / one.as_secs_f64();
    println!("{:<44} {:>10.1} {:>14.2}", "1 association, 300 instances", one_rate, one_ms);

    // Each storescu takes one whole study: 300 files per sender, in order.
    let eight_studies = send(receiver.dicom_port, ae, SCP_AE_TITLE, &spread_files, EIGHT);
    let (spread_ms, after) = runtime.block_on(store_ms_since(&receiver, metrics));
    metrics = after;
    let spread_rate = spread_files.len() as f64 / eight_studies.as_secs_f64();
    println!("{:<44} {:>10.1} {:>14.2}", "8 associations into 8 studies (2,400)", spread_rate, spread_ms);
    let one_study = send(receiver.dicom_port, ae, SCP_AE_TITLE, &hot.files, EIGHT);
    let (hot_ms, after) = runtime.block_on(store_ms_since(&receiver, metrics));
    metrics = after;
    let hot_rate = hot.files.len() as f64 / one_study.as_secs_f64();
    println!("{:<44} {:>10.1} {:>14.2}", "8 associations into 1 study (2,400)", hot_rate, hot_ms);
    println!(
        "one association vs bare PUT: {:.2}; one study vs eight: {:.2}; emulator PutItem at start {probe_start:.2} ms",
        one_rate / bare,
        hot_rate / spread_rate
    );

    // Growth: more studies of 2,500 until 20,000 are indexed, each followed
    // by a one-association probe once the emulator is idle again.
    println!();
    println!(
        "{:>9} {:>12} {:>12} {:>9} {:>14} {:>12} {:>12}",
        "indexed", "8 assoc i/s", "8 assoc ms", "idle in", "1 assoc ms", "emu PutItem", "emu peak RSS"
    );
    let mut indexed = single.files.len() + spread_files.len() + hot.files.len();
    let mut growth = Vec::new();
    let growth_to = std::env::var("NOCTIS_BENCH_GROWTH_TO").ok().and_then(|v| v.parse().ok()).unwrap_or(GROWTH_TO);
    while indexed < growth_to {
        let step = copies("2,500 more", GROWTH_STEP);
        let took = send(receiver.dicom_port, ae, SCP_AE_TITLE, &step.files, EIGHT);
        let (ms, after) = runtime.block_on(store_ms_since(&receiver, metrics));
        metrics = after;
        let idle_after = wait_for_an_idle_emulator();
        let probe_set = copies("100 more", PROBE);
        send(receiver.dicom_port, ae, SCP_AE_TITLE, &probe_set.files, 1);
        let (probe_ms, after) = runtime.block_on(store_ms_since(&receiver, metrics));
        metrics = after;
        indexed += step.files.len() + probe_set.files.len();
        let put_item = runtime.block_on(emulator_put_item_ms(&storage, &table, 100));
        let rss = emulator_rss_mib();
        let rate = step.files.len() as f64 / took.as_secs_f64();
        let idle_s = idle_after.as_secs_f64();
        println!(
            "{indexed:>9} {rate:>12.1} {ms:>12.1} {idle_s:>8.0}s {probe_ms:>14.2} {put_item:>9.2} ms {rss:>8.0} MiB"
        );
        growth.push(serde_json::json!({
            "indexed": indexed, "instances_per_s": rate, "mean_store_ms": ms, "idle_after_s": idle_s,
            "one_association_store_ms": probe_ms, "emulator_put_item_ms": put_item, "emulator_peak_rss_mib": rss,
        }));
    }
    println!("(the 8-association rows use one storescu per 1/8 of the files; DCMTK with TCP_NODELAY=1;");
    println!(" the sweep for abandoned marks was off: the emulator answers an index query by scanning the table)");

    let report = serde_json::json!({
        "bare_put_per_s": bare,
        "one_association": {"instances_per_s": one_rate, "mean_store_ms": one_ms},
        "eight_into_eight_studies": {"instances_per_s": spread_rate, "mean_store_ms": spread_ms},
        "eight_into_one_study": {"instances_per_s": hot_rate, "mean_store_ms": hot_ms},
        "emulator_put_item_ms_at_start": probe_start,
        "growth": growth,
        "receiver_peak_rss_mib": receiver.peak_rss_kib() as f64 / 1024.0,
    });
    write_report("cloud_index", &report);
}
