//! Three receivers on hosts of their own behind HAProxy (TCP mode, PROXY
//! protocol v2, health checks on `/healthz`), facilities' modalities on further
//! hosts, all on the AWS backend on the shared emulator: what the NLB and the
//! receiver tasks do in production, with a real balancer and real addresses.

use std::collections::BTreeSet;
use std::time::Duration;

use noctis_core::domain::Facility;
use noctis_e2e::cluster::{Cluster, ClusterTls};
use noctis_e2e::dcmtk::{echoscu_from, storescu_from};
use noctis_e2e::python::{HeldAssociation, RetryingSender, SenderReport};
use noctis_e2e::receiver::SCP_AE_TITLE;
use noctis_e2e::testdata;

const RECEIVERS: u8 = 3;

fn assert_rejected(text: &str, result: &str, reason: &str) {
    assert!(text.contains(&format!("Result: {result}")), "{text}");
    assert!(text.contains(&format!("Reason: {reason}")), "{text}");
}

/// How many of the running receivers logged an association accepted from `peer`.
fn receivers_that_accepted(cluster: &Cluster, peer: std::net::Ipv4Addr) -> usize {
    let from = format!("\"peer\":\"{peer}:");
    cluster
        .receivers()
        .filter(|r| r.logs().iter().any(|l| l.contains("association accepted") && l.contains(&from)))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_balancer_every_receiver_sees_the_modalitys_own_address() {
    let mut cluster =
        Cluster::start(RECEIVERS, ClusterTls::Off, &[("NOCTIS_DICOM__LIMITS__MAX_PER_ADDRESS", "1")]).await;
    let facility = cluster.storage.facility_with_networks("Harbour Imaging", &[&cluster.block(96, 27)]).await;
    let ae = facility.ae_title.to_string();
    let (ct, mr) = (cluster.host("ct-room", 101), cluster.host("mr-room", 102));
    let outside = cluster.host("elsewhere", 201);
    let balancer = cluster.balancer.dicom();

    // Admission and allowed networks: each receiver in turn serves the rooms
    // inside the facility's network and refuses the host outside it, 1/1/3.
    for _ in 0..RECEIVERS {
        let run = echoscu_from(&ct, balancer, &ae, SCP_AE_TITLE, &[]);
        assert!(run.success, "inside the facility's network: {}", run.text);
        let run = echoscu_from(&outside, balancer, &ae, SCP_AE_TITLE, &[]);
        assert_rejected(&run.text, "Rejected Permanent", "Calling AE Title Not Recognized");
    }
    assert_eq!(receivers_that_accepted(&cluster, ct.address), usize::from(RECEIVERS), "each saw the room itself");
    assert_eq!(cluster.metric("noctis_receiver_associations_total{outcome=\"address_not_allowed\"}").await, 3.0);

    // Per-address caps (1 here) count each room apart: the balancer's own
    // address would have made them one.
    let ct_held: Vec<_> =
        (0..RECEIVERS).map(|_| HeldAssociation::open_from(&ct, balancer, &ae, SCP_AE_TITLE)).collect();
    let mr_held: Vec<_> =
        (0..RECEIVERS).map(|_| HeldAssociation::open_from(&mr, balancer, &ae, SCP_AE_TITLE)).collect();
    assert!(ct_held.iter().chain(&mr_held).all(|h| h.established), "one association per room per receiver");
    let run = echoscu_from(&ct, balancer, &ae, SCP_AE_TITLE, &[]);
    assert_rejected(&run.text, "Rejected Transient", "Local Limit Exceeded");
    assert_eq!(cluster.metric("noctis_receiver_associations_total{outcome=\"address_limit\"}").await, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_one_receiver_makes_is_honoured_by_every_receiver() {
    let settings = [("NOCTIS_DICOM__BANS__THRESHOLD", "3")];
    let mut cluster = Cluster::start(RECEIVERS, ClusterTls::Off, &settings).await;
    let facility = cluster.storage.facility("Harbour Imaging").await;
    let ae = facility.ae_title.to_string();
    let (prober, room) = (cluster.host("prober", 150), cluster.host("ct-room", 101));
    let balancer = cluster.balancer.dicom();

    // Three unknown titles, one per receiver: the third failure bans.
    for _ in 0..RECEIVERS {
        let run = echoscu_from(&prober, balancer, "GUESS", SCP_AE_TITLE, &[]);
        assert_rejected(&run.text, "Rejected Permanent", "Calling AE Title Not Recognized");
    }
    let bans = cluster.storage.ports.bans.list_active(noctis_core::domain::now()).await.expect("bans list");
    assert!(bans.iter().any(|b| b.address.to_string() == prober.address.to_string()), "the prober is banned: {bans:?}");

    // Now even the facility's own title from the prober's address is refused
    // by every receiver, while the room is served by every one.
    for _ in 0..RECEIVERS {
        let run = echoscu_from(&prober, balancer, &ae, SCP_AE_TITLE, &[]);
        assert_rejected(&run.text, "Rejected Transient", "Local Limit Exceeded");
        let run = echoscu_from(&room, balancer, &ae, SCP_AE_TITLE, &[]);
        assert!(run.success, "the ban is the prober's alone: {}", run.text);
    }
    for receiver in cluster.receivers() {
        let banned = receiver.metric("noctis_receiver_associations_total{outcome=\"banned\"}").await;
        assert_eq!(banned, 1.0, "each receiver refused the banned address once");
    }
    assert_eq!(receivers_that_accepted(&cluster, room.address), usize::from(RECEIVERS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dicom_tls_ended_at_the_balancer_reaches_the_receivers_with_the_modalitys_address() {
    let mut cluster = Cluster::start(RECEIVERS, ClusterTls::AtTheBalancer, &[]).await;
    let facility = cluster.storage.facility("Harbour Imaging").await;
    let ae = facility.ae_title.to_string();
    let room = cluster.host("ct-room", 101);
    let ca = cluster.pki().ca.display().to_string();
    let tls = cluster.balancer.dicom_tls();
    let ct = testdata::pydicom_file("CT_small.dcm");

    let run = storescu_from(&room, tls, &ae, SCP_AE_TITLE, &["+tla", "+cf", &ca], &[ct.as_path()]);
    assert_eq!(run.store_statuses(), vec!["Success"], "{}", run.text);
    assert_eq!(receivers_that_accepted(&cluster, room.address), 1, "the receiver saw the room, not the balancer");
    let plain = echoscu_from(&room, tls, &ae, SCP_AE_TITLE, &[]);
    assert!(
        !plain.success && !plain.text.contains("Association Accepted"),
        "plain DICOM on the TLS port: {}",
        plain.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_ended_in_the_receivers_passes_through_the_balancer() {
    let mut cluster = Cluster::start(RECEIVERS, ClusterTls::InTheReceivers, &[]).await;
    let facility = cluster.storage.facility("Harbour Imaging").await;
    let ae = facility.ae_title.to_string();
    let room = cluster.host("ct-room", 101);
    let pki = cluster.pki();
    let (ca, key, certificate) = (
        pki.ca.display().to_string(),
        pki.client_key.display().to_string(),
        pki.client_certificate.display().to_string(),
    );
    let tls = cluster.balancer.dicom_tls();
    let ct = testdata::pydicom_file("CT_small.dcm");

    let with_certificate = ["+tls", key.as_str(), certificate.as_str(), "+cf", ca.as_str()];
    let run = storescu_from(&room, tls, &ae, SCP_AE_TITLE, &with_certificate, &[ct.as_path()]);
    assert_eq!(run.store_statuses(), vec!["Success"], "{}\n{}", run.text, cluster.logs());
    assert_eq!(receivers_that_accepted(&cluster, room.address), 1, "the receiver saw the room, not the balancer");
    let anonymous = echoscu_from(&room, tls, &ae, SCP_AE_TITLE, &["+tla", "+cf", &ca]);
    assert!(!anonymous.success, "no client certificate, no association: {}", anonymous.text);
    assert!(cluster.metric("noctis_receiver_associations_total{outcome=\"tls_handshake_failed\"}").await >= 1.0);
}

/// Senders that never stop while every receiver is restarted in turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_loses_nothing_a_modality_was_told_was_stored() {
    const GRACE_SECS: u64 = 10;
    const BATCH: usize = 5;
    let grace = GRACE_SECS.to_string();
    let settings =
        [("NOCTIS_DICOM__SHUTDOWN_GRACE_SECS", grace.as_str()), ("NOCTIS_DICOM__ABANDONED_SETTLE_SECS", "5")];
    let mut cluster = Cluster::start(RECEIVERS, ClusterTls::Off, &settings).await;
    let ct = testdata::pydicom_file("CT_small.dcm");
    let mut sites = Vec::new();
    for i in 0..4u8 {
        let facility = cluster.storage.facility(&format!("Rolling Clinic {i}")).await;
        let host = cluster.host(&format!("modality-{i}"), 101 + i);
        sites.push((facility, host));
    }
    let balancer = cluster.balancer.dicom();
    let senders: Vec<_> = sites
        .iter()
        .map(|(f, host)| RetryingSender::start(host, balancer, f.ae_title.as_str(), SCP_AE_TITLE, &ct, BATCH))
        .collect();

    let roll_started = std::time::Instant::now();
    // Every sender has a batch settled before each step and after the last.
    let facilities: Vec<&Facility> = sites.iter().map(|(f, _)| f).collect();
    let mut floors = each_stored_a_batch(&cluster, &facilities, vec![0; sites.len()], BATCH).await;
    for index in 0..usize::from(RECEIVERS) {
        let status = cluster.restart(index, Duration::from_secs(GRACE_SECS + 15)).await;
        assert!(status.success(), "receiver-{} stops cleanly on SIGTERM: {status}", index + 1);
        floors = each_stored_a_batch(&cluster, &facilities, floors, BATCH).await;
    }
    let rolled_in = roll_started.elapsed();
    let reports: Vec<SenderReport> = senders.into_iter().map(RetryingSender::finish).collect();
    let servers = cluster.balancer.servers().await;
    let (retries, redispatches) = servers.iter().fold((0, 0), |(r, d), s| (r + s.retries, d + s.redispatches));
    println!(
        "rolling restart of {RECEIVERS} receivers in {:.1} s: {} instances acknowledged over {} associations; \
         senders saw {} refused and {} interrupted associations and resent {} instances; \
         the balancer retried {retries} connects and redispatched {redispatches}",
        rolled_in.as_secs_f64(),
        reports.iter().map(|r| r.acknowledged.len()).sum::<usize>(),
        reports.iter().map(|r| r.associations).sum::<u64>(),
        reports.iter().map(|r| r.refused).sum::<u64>(),
        reports.iter().map(|r| r.interrupted).sum::<u64>(),
        reports.iter().map(|r| r.resent).sum::<u64>(),
    );
    for ((facility, _), report) in sites.iter().zip(&reports) {
        println!(
            "  {}: {} acknowledged, {} associations ({} refused, {} interrupted), longest wait {:.1} s",
            facility.name,
            report.acknowledged.len(),
            report.associations,
            report.refused,
            report.interrupted,
            report.longest_wait
        );
    }

    let clients = cluster.storage.aws_clients().await;
    let bucket = cluster.storage.aws.as_ref().map(|c| c.bucket.clone()).expect("a bucket");
    for ((facility, _), report) in sites.iter().zip(&reports) {
        assert!(report.pending.is_empty(), "every instance was acknowledged in the end: {:?}", report.pending);
        let acknowledged: BTreeSet<&str> = report.acknowledged.iter().map(String::as_str).collect();
        assert_eq!(acknowledged.len(), report.acknowledged.len(), "each acknowledged once");

        // Indexed exactly once each, and counted so once settled.
        let detail = noctis_e2e::eventually(60, "the study settled", || async {
            let detail = cluster.storage.study(facility, &report.study).await?;
            (detail.study.instance_count == acknowledged.len() as u64).then_some(detail)
        })
        .await;
        let indexed: Vec<&str> = detail.instances.iter().map(|i| i.sop_instance_uid.as_str()).collect();
        assert_eq!(indexed.iter().copied().collect::<BTreeSet<_>>(), acknowledged, "indexed = acknowledged");
        assert_eq!(indexed.len(), acknowledged.len(), "no instance indexed twice");
        assert_eq!(detail.series.iter().map(|s| s.instance_count).sum::<u64>(), acknowledged.len() as u64);
        let totals = cluster.storage.ports.studies.facility_totals(facility.id).await.expect("reads");
        assert_eq!((totals.studies, totals.instances), (1, acknowledged.len() as u64), "counted once");

        // Stored: one object per acknowledged instance, and nothing else.
        let prefix = format!("{}/{}/", facility.id, report.study);
        let mut objects = BTreeSet::new();
        let mut pages = clients.s3.list_objects_v2().bucket(&bucket).prefix(&prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            objects.extend(page.expect("lists").contents().iter().filter_map(|o| o.key().map(str::to_owned)));
        }
        let expected: BTreeSet<String> = detail.instances.iter().map(|i| i.object_key.as_str().to_owned()).collect();
        assert_eq!(objects, expected, "{}: the objects are exactly the indexed instances", facility.name);
    }
    assert_eq!(cluster.storage.unfinished_writes().await, 0, "no upload left half-written");
}

/// Waits until each facility counts at least `batch` instances more than its
/// floor, and returns the new counts.
async fn each_stored_a_batch(cluster: &Cluster, facilities: &[&Facility], floors: Vec<u64>, batch: usize) -> Vec<u64> {
    noctis_e2e::eventually(120, "every sender stored a batch since the last step", || async {
        let mut counts = Vec::new();
        for (facility, floor) in facilities.iter().zip(&floors) {
            let totals = cluster.storage.ports.studies.facility_totals(facility.id).await.ok()?;
            if totals.instances < floor + batch as u64 {
                return None;
            }
            counts.push(totals.instances);
        }
        Some(counts)
    })
    .await
}
