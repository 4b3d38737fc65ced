//! Stopping the receiver (SIGTERM, as ECS and `docker stop` send it): the
//! association's own code ends it, never a cancelled task. The receiver's
//! shutdown is the same on both backends, so these run on the embedded one.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use noctis_e2e::raw_peer::{associate, read_pdu, send, send_an_instance, send_half_an_instance};
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::Storage;

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// PS3.8 9.3.1: PDU types.
const P_DATA_TF: u8 = 0x04;
const A_RELEASE_RQ: u8 = 0x05;
const A_RELEASE_RP: u8 = 0x06;
const A_ABORT: u8 = 0x07;

/// An A-RELEASE-RQ or -RP PDU: its type, length 4, four reserved bytes.
const fn release_pdu(pdu_type: u8) -> [u8; 10] {
    [pdu_type, 0, 0, 0, 0, 4, 0, 0, 0, 0]
}

/// A receiver with the given shutdown grace, and one association open on it.
struct Associated {
    storage: Storage,
    facility: noctis_core::domain::Facility,
    receiver: Receiver,
    stream: tokio::net::TcpStream,
}

impl Associated {
    async fn with_grace_secs(grace: &str) -> Self {
        let storage = Storage::embedded().await;
        let facility = storage.facility("Mercy Clinic").await;
        let receiver = Receiver::start_with(&storage, &[("NOCTIS_DICOM__SHUTDOWN_GRACE_SECS", grace)]);
        let stream = associate(LOCALHOST, receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE).await;
        Self { storage, facility, receiver, stream }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_asks_an_idle_association_to_release_and_exits_without_waiting_the_grace() {
    let Associated { storage: _storage, facility: _facility, receiver, mut stream } =
        Associated::with_grace_secs("120").await;
    receiver.send_sigterm();
    let asked = read_pdu(&mut stream, Duration::from_secs(30)).await.expect("a PDU from the stopping receiver");
    assert_eq!(asked.pdu_type, A_RELEASE_RQ, "an idle association is asked to release: {asked:?}");
    assert!(send(&mut stream, &release_pdu(A_RELEASE_RP)).await);
    let exit = receiver.exit_within(Duration::from_secs(60)).await.expect("it exits well within its 120 s grace");
    assert!(exit.success(), "{exit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_between_instances_is_answered_and_releases_by_itself() {
    let Associated { storage, facility, receiver, mut stream } = Associated::with_grace_secs("120").await;
    receiver.send_sigterm();
    let port = receiver.dicom_port;
    noctis_e2e::eventually(10, "the listener to close", || async {
        tokio::net::TcpStream::connect((LOCALHOST, port)).await.is_err().then_some(())
    })
    .await;
    // A modality mid-batch: each instance follows the last one's answer at once.
    for (message_id, sop) in [(1, "1.2.3.4.1"), (2, "1.2.3.4.2")] {
        assert!(send_an_instance(&mut stream, message_id, sop).await);
        let answer = read_pdu(&mut stream, Duration::from_secs(30)).await.expect("an answer");
        assert_eq!(answer.pdu_type, P_DATA_TF, "instance {message_id} is answered, not cut short: {answer:?}");
        assert_eq!(answer.status(), Some(0x0000), "instance {message_id} is stored");
    }
    assert!(send(&mut stream, &release_pdu(A_RELEASE_RQ)).await);
    let released = read_pdu(&mut stream, Duration::from_secs(30)).await.expect("an answer to the release");
    assert_eq!(released.pdu_type, A_RELEASE_RP, "{released:?}");
    let exit = receiver.exit_within(Duration::from_secs(60)).await.expect("it exits once the sender released");
    assert!(exit.success(), "{exit:?}");
    let study = storage.study(&facility, "1.2.3").await.expect("the study is indexed");
    assert_eq!(study.instances.len(), 2, "both instances were stored");
}

/// PS3.8 9.2 (Sta7): once it has asked for release, the receiver may no longer
/// send data, so a request that crossed its A-RELEASE-RQ goes unanswered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_crossing_the_release_request_is_neither_answered_nor_stored() {
    let Associated { storage, facility, receiver, mut stream } = Associated::with_grace_secs("120").await;
    receiver.send_sigterm();
    let asked = read_pdu(&mut stream, Duration::from_secs(30)).await.expect("a PDU from the stopping receiver");
    assert_eq!(asked.pdu_type, A_RELEASE_RQ, "{asked:?}");
    // Sent as if it had left before the request arrived, then release granted.
    assert!(send_an_instance(&mut stream, 1, "1.2.3.4.1").await);
    assert!(send(&mut stream, &release_pdu(A_RELEASE_RP)).await);
    let after = read_pdu(&mut stream, Duration::from_secs(30)).await;
    assert_eq!(after, None, "the connection closes with nothing more sent");
    let exit = receiver.exit_within(Duration::from_secs(60)).await.expect("it exits once released");
    assert!(exit.success(), "{exit:?}");
    assert!(storage.study(&facility, "1.2.3").await.is_none(), "the unanswered instance was not stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_stalled_past_the_grace_is_abandoned_and_the_association_aborted() {
    let Associated { storage, facility, receiver, mut stream } = Associated::with_grace_secs("1").await;
    send_half_an_instance(&mut stream, "1.2.826.0.1.3680043.2.9").await;
    noctis_e2e::eventually(10, "the instance to be mid-write", || async {
        (storage.unfinished_writes().await > 0).then_some(())
    })
    .await;
    // The sender stalls mid-instance, past the 1 s grace.
    receiver.send_sigterm();
    let ended = read_pdu(&mut stream, Duration::from_secs(30)).await.expect("a PDU from the stopping receiver");
    assert_eq!(ended.pdu_type, A_ABORT, "the stalled association is aborted: {ended:?}");
    let exit = receiver.exit_within(Duration::from_secs(30)).await.expect("it exits once it has aborted");
    assert!(exit.success(), "{exit:?}");
    assert_eq!(storage.unfinished_writes().await, 0, "the partial write was abandoned by the receiver itself");
    assert!(storage.study(&facility, "1.2.3").await.is_none(), "nothing was indexed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_the_drain_delay_health_says_stopping_and_new_associations_are_still_served() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("Mercy Clinic").await;
    // Long enough that a loaded machine still sees the 503 inside the delay.
    let receiver = Receiver::start_with(&storage, &[("NOCTIS_DICOM__DRAIN_DELAY_SECS", "10")]);
    let health = format!("http://127.0.0.1:{}/healthz", receiver.health_port);
    receiver.send_sigterm();
    noctis_e2e::eventually(10, "/healthz to answer 503", || async {
        let status = reqwest::get(&health).await.ok()?.status();
        (status == reqwest::StatusCode::SERVICE_UNAVAILABLE).then_some(())
    })
    .await;
    let run = noctis_e2e::dcmtk::echoscu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
    assert!(run.success, "a balancer that has not yet seen the 503 still gets an answer: {}", run.text);
    let exit = receiver.exit_within(Duration::from_secs(30)).await.expect("it exits once the delay is over");
    assert!(exit.success(), "{exit:?}");
}
