//! `make bench`: load from our own generator (`noctis_e2e::load`, dicom-ul's
//! async client), against the release build of noctis-receiver. Prints, never
//! fails on:
//! - one receiver (embedded backend) under 200 concurrent associations, the
//!   default `dicom.limits.max_associations`: refused associations, p50/p99 store
//!   latency, a latency histogram, and the receiver's peak memory;
//! - one receiver against three behind HAProxy (embedded backend, one data
//!   directory, each receiver on a host of its own), and the throughput ratio;
//! - the AWS backend on the emulator against bare S3 PutObjects of the same
//!   bytes, one association and eight, with the emulator's own time per request.
//!
//! All load comes from one address, so the per-address and per-facility caps
//! are raised to the process cap here. Figures go to target/bench/load.json.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::primitives::ByteStream;
use noctis_e2e::bench::{FileSet, file_set, write_report};
use noctis_e2e::cluster::{Cluster, ClusterTls};
use noctis_e2e::load::{self, LoadReport, Target};
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage};

const CONCURRENT: usize = 200;
const PER_ASSOCIATION: usize = 5;
const BALANCED_ASSOCIATIONS: usize = 16;
const AWS_ONE: usize = 300;
const AWS_EIGHT: usize = 800;

const LIMITS: [(&str, &str); 4] = [
    ("NOCTIS_DICOM__LIMITS__MAX_PER_ADDRESS", "200"),
    ("NOCTIS_DICOM__LIMITS__MAX_PER_FACILITY", "200"),
    ("NOCTIS_DICOM__LIMITS__MAX_PENDING_PER_ADDRESS", "200"),
    // Quiet, but for the line announcing the ports.
    (
        "NOCTIS_LOG__FILTER",
        "warn,noctis_receiver=info,noctis_receiver::intake=warn,noctis_receiver::protocol::association=warn",
    ),
];

fn copies(name: &'static str, n: usize) -> FileSet {
    file_set(name, &["--copies".into(), n.to_string()])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn row(case: &str, report: &LoadReport) {
    println!(
        "{case:<48} {:>6} {:>7} {:>6} {:>9.1} {:>9.1} {:>9.1}",
        report.stored(),
        report.refused,
        report.broken,
        report.per_second(),
        ms(report.percentile(0.5)),
        ms(report.percentile(0.99)),
    );
}

fn figures(report: &LoadReport) -> serde_json::Value {
    serde_json::json!({
        "stored": report.stored(), "refused": report.refused, "broken": report.broken,
        "failures": report.failures.iter().map(|(s, n)| (format!("{s:04X}"), *n)).collect::<std::collections::BTreeMap<_, _>>(),
        "instances_per_s": report.per_second(), "mb_per_s": report.megabytes_per_second(),
        "p50_ms": ms(report.percentile(0.5)), "p99_ms": ms(report.percentile(0.99)),
    })
}

/// Bare PutObjects of `files`' bytes over `concurrency` connections.
async fn bare_puts_per_s(storage: &Storage, files: &[PathBuf], concurrency: usize) -> f64 {
    let client = storage.aws_clients().await.s3;
    let bucket = storage.aws.as_ref().map(|c| c.bucket.clone()).expect("a bucket");
    let started = Instant::now();
    let share = files.len().div_ceil(concurrency);
    let tasks: Vec<_> = files
        .chunks(share)
        .enumerate()
        .map(|(worker, part)| {
            let (client, bucket, part) = (client.clone(), bucket.clone(), part.to_vec());
            tokio::spawn(async move {
                for (i, file) in part.iter().enumerate() {
                    let body = tokio::fs::read(file).await.expect("reads");
                    client
                        .put_object()
                        .bucket(&bucket)
                        .key(format!("bench-bare/{worker}/{i}"))
                        .body(ByteStream::from(body))
                        .send()
                        .await
                        .expect("the emulator takes a PutObject");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a worker ends");
    }
    files.len() as f64 / started.elapsed().as_secs_f64()
}

/// The emulator's own time for one small DynamoDB PutItem, mean of `n`.
async fn emulator_put_item_ms(storage: &Storage, n: usize) -> f64 {
    let client = storage.aws_clients().await.dynamodb;
    let table = format!("{}studies", storage.aws.as_ref().map(|c| c.table_prefix.clone()).unwrap_or_default());
    let started = Instant::now();
    for i in 0..n {
        client
            .put_item()
            .table_name(&table)
            .item("pk", AttributeValue::S(format!("bench-probe#{}", i % 10)))
            .item("sk", AttributeValue::S("probe".into()))
            .send()
            .await
            .expect("the emulator takes a PutItem");
    }
    ms(started.elapsed()) / n as f64
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let binary = noctis_e2e::workspace_binary_in("noctis-receiver", "release");
    println!("generating file sets …");
    let concurrent_set = copies("1,000 CT", CONCURRENT * PER_ASSOCIATION);
    let concurrent = load::instances(&concurrent_set.files);
    let aws_set = copies("1,100 CT", AWS_ONE + AWS_EIGHT);
    let (aws_one, aws_eight) = aws_set.files.split_at(AWS_ONE);

    println!();
    println!(
        "{:<48} {:>6} {:>7} {:>6} {:>9} {:>9} {:>9}",
        "case", "stored", "refused", "broken", "inst/s", "p50 ms", "p99 ms"
    );

    // 1. One receiver, 200 associations at once.
    let storage = runtime.block_on(Storage::embedded());
    let facility = runtime.block_on(storage.facility("Load Imaging"));
    let receiver = Receiver::start_binary(&binary, &storage, &LIMITS);
    let target = |address| Target { address, calling: facility.ae_title.to_string(), called: SCP_AE_TITLE.into() };
    let direct = target(std::net::SocketAddr::from(([127, 0, 0, 1], receiver.dicom_port)));
    let many = runtime.block_on(load::run(&direct, &concurrent, CONCURRENT));
    row("1 receiver, 200 associations × 5 (embedded)", &many);
    let rss = receiver.peak_rss_kib() as f64 / 1024.0;
    println!("  receiver peak RSS {rss:.0} MiB; store latency histogram:");
    println!("{}", many.histogram());
    drop(receiver);

    // 2. One receiver and three behind HAProxy, same load.
    let mut balanced = Vec::new();
    for count in [1u8, 3] {
        let cluster = runtime.block_on(Cluster::start_with(Kind::Embedded, &binary, count, ClusterTls::Off, &LIMITS));
        let facility = runtime.block_on(cluster.storage.facility("Load Imaging"));
        let target = Target {
            address: cluster.balancer.dicom(),
            calling: facility.ae_title.to_string(),
            called: SCP_AE_TITLE.into(),
        };
        let report = runtime.block_on(load::run(&target, &concurrent, BALANCED_ASSOCIATIONS));
        row(&format!("{count} receiver(s) behind HAProxy, 16 associations"), &report);
        balanced.push(report);
    }
    let scale = balanced[1].per_second() / balanced[0].per_second();
    println!("  3 receivers vs 1: {scale:.2}× (one machine of 2 cores: the receivers share its CPUs and disk)");

    // 3. The AWS backend against bare PUTs of the same bytes.
    let (aws, one, eight, bare_one, bare_eight, put_item) = runtime.block_on(async {
        let storage = Storage::aws(None).await;
        let facility = storage.facility("Load Imaging").await;
        let receiver = Receiver::start_binary(&binary, &storage, &LIMITS);
        let target = Target {
            address: std::net::SocketAddr::from(([127, 0, 0, 1], receiver.dicom_port)),
            calling: facility.ae_title.to_string(),
            called: SCP_AE_TITLE.into(),
        };
        let bare_one = bare_puts_per_s(&storage, aws_one, 1).await;
        let bare_eight = bare_puts_per_s(&storage, aws_eight, 8).await;
        let put_item = emulator_put_item_ms(&storage, 100).await;
        let one = load::run(&target, &load::instances(aws_one), 1).await;
        let eight = load::run(&target, &load::instances(aws_eight), 8).await;
        (storage, one, eight, bare_one, bare_eight, put_item)
    });
    drop(aws);
    row("AWS backend (emulator), 1 association × 300", &one);
    row("AWS backend (emulator), 8 associations × 100", &eight);
    println!(
        "  bare S3 PutObject of the same bytes: {bare_one:.1}/s on 1 connection, {bare_eight:.1}/s on 8; \
         ratio {:.2} and {:.2}; the emulator's own PutItem: {put_item:.2} ms",
        one.per_second() / bare_one,
        eight.per_second() / bare_eight,
    );

    let report = serde_json::json!({
        "one_receiver_200_associations": figures(&many),
        "one_receiver_peak_rss_mib": rss,
        "haproxy_one_receiver": figures(&balanced[0]),
        "haproxy_three_receivers": figures(&balanced[1]),
        "three_vs_one": scale,
        "aws_one_association": figures(&one),
        "aws_eight_associations": figures(&eight),
        "bare_put_per_s": {"one": bare_one, "eight": bare_eight},
        "emulator_put_item_ms": put_item,
    });
    write_report("load", &report);
}
