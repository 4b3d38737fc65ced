//! The receiver on the open internet: what an adversarial review sent it, each
//! case its regression test. Declared lengths cost no memory, one address cannot
//! take the slots others need, silence and garbage count toward a ban, and the
//! protocol version is checked. The receiver's own logic is the same on both
//! backends, so these run on the embedded one.

use std::net::IpAddr;
use std::time::Duration;

use noctis_core::domain::now;
use noctis_e2e::dcmtk::echoscu;
use noctis_e2e::raw_peer::{
    FIND_CONTEXT, associate, association_request, connect_from, explicit_element, find_command, p_data, read_pdu, send,
    send_half_an_instance, store_command, study_identifier,
};
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::Storage;

const ONE_GIB: u32 = 0x4000_0000;
/// What the receiver may grow by under these attacks: a few PDU and header
/// buffers per association, nowhere near one declared gigabyte.
const MAX_GROWTH_KIB: u64 = 64 * 1024;
const LOCALHOST: [u8; 4] = [127, 0, 0, 1];

fn address(octets: [u8; 4]) -> IpAddr {
    IpAddr::from(octets)
}

/// The first elements of a CT instance whose UIDs the receiver needs.
fn uid_elements(sop_instance: &str) -> Vec<u8> {
    let mut out = explicit_element(0x0008, 0x0016, b"UI", b"1.2.840.10008.5.1.4.1.1.2\0", None);
    out.extend(explicit_element(0x0008, 0x0018, b"UI", &padded(sop_instance), None));
    out
}

fn padded(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_set_declaring_a_gigabyte_is_refused_without_allocating_it() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let before = receiver.peak_rss_kib();
    let mut peers = Vec::new();
    for _ in 0..4 {
        let mut stream =
            associate(address(LOCALHOST), receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE).await;
        // 72 bytes whose (0000,0002) declares 1 GiB.
        let mut command = store_command(1, "1.2.3.4");
        command[16..20].copy_from_slice(&ONE_GIB.to_le_bytes());
        command.truncate(72);
        assert!(send(&mut stream, &p_data(1, true, true, &command)).await);
        peers.push(stream);
    }
    for stream in &mut peers {
        let answer = read_pdu(stream, Duration::from_secs(10)).await.expect("an answer");
        assert_eq!(answer.pdu_type, 0x07, "an undecodable command set aborts the association: {answer:?}");
    }
    let grown = receiver.peak_rss_kib().saturating_sub(before);
    eprintln!("peak RSS growth: {grown} KiB");
    assert!(grown < MAX_GROWTH_KIB, "peak RSS grew by {grown} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_element_declaring_a_gigabyte_is_refused_with_c000_without_allocating_it() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let before = receiver.peak_rss_kib();
    let mut peers = Vec::new();
    for i in 0..4 {
        let mut stream =
            associate(address(LOCALHOST), receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE).await;
        let sop = format!("1.2.3.{i}");
        assert!(send(&mut stream, &p_data(1, true, true, &store_command(1, &sop))).await);
        let mut data = uid_elements(&sop);
        data.extend(explicit_element(0x0009, 0x1001, b"OB", &[0; 64], Some(ONE_GIB)));
        assert!(send(&mut stream, &p_data(1, false, true, &data)).await);
        peers.push(stream);
    }
    for stream in &mut peers {
        let answer = read_pdu(stream, Duration::from_secs(10)).await.expect("a C-STORE response");
        assert_eq!(answer.status(), Some(0xC000), "no Study UID can be read: {answer:?}");
    }
    let grown = receiver.peak_rss_kib().saturating_sub(before);
    eprintln!("peak RSS growth: {grown} KiB");
    assert!(grown < MAX_GROWTH_KIB, "peak RSS grew by {grown} KiB");
    assert_eq!(storage.unfinished_writes().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_element_before_the_uids_is_refused_at_the_header_bound_in_bounded_memory() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let before = receiver.peak_rss_kib();
    let mut senders = Vec::new();
    // Eight associations, each a 15 MiB private element before the Study UID.
    for i in 0..8 {
        let port = receiver.dicom_port;
        let calling = facility.ae_title.to_string();
        senders.push(tokio::spawn(async move {
            let mut stream = associate(address(LOCALHOST), port, &calling, SCP_AE_TITLE).await;
            let sop = format!("1.2.3.{i}");
            assert!(send(&mut stream, &p_data(1, true, true, &store_command(1, &sop))).await);
            let mut first = uid_elements(&sop);
            first.extend(explicit_element(0x0009, 0x1001, b"OB", &[], Some(15 * 1024 * 1024)));
            assert!(send(&mut stream, &p_data(1, false, false, &first)).await);
            let chunk = vec![0x55u8; 16_000];
            for _ in 0..(15 * 1024 * 1024 / chunk.len()) {
                assert!(send(&mut stream, &p_data(1, false, false, &chunk)).await);
            }
            let mut last = explicit_element(0x0020, 0x000D, b"UI", b"1.2.3\0", None);
            last.extend(explicit_element(0x0020, 0x000E, b"UI", b"1.2.3.4\0", None));
            assert!(send(&mut stream, &p_data(1, false, true, &last)).await);
            read_pdu(&mut stream, Duration::from_secs(30)).await.and_then(|pdu| pdu.status())
        }));
    }
    for sender in senders {
        assert_eq!(sender.await.expect("a sender"), Some(0xC000), "refused: the UIDs lie past the header bound");
    }
    let grown = receiver.peak_rss_kib().saturating_sub(before);
    eprintln!("peak RSS growth: {grown} KiB");
    assert!(grown < MAX_GROWTH_KIB, "peak RSS grew by {grown} KiB for eight 15 MiB headers");
    assert_eq!(storage.unfinished_writes().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holding_silent_connections_does_not_lock_out_other_facilities() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start_with(
        &storage,
        &[("NOCTIS_DICOM__LIMITS__MAX_ASSOCIATIONS", "20"), ("NOCTIS_DICOM__ARTIM_TIMEOUT_SECS", "30")],
    );
    // 205 connections from one address, each sending one byte and then nothing.
    let attacker = address([127, 0, 0, 66]);
    let mut held = Vec::new();
    for _ in 0..205 {
        let mut stream = connect_from(attacker, receiver.dicom_port).await;
        let _ = send(&mut stream, &[0x01]).await;
        held.push(stream);
    }
    // Every legitimate association from elsewhere still gets in.
    for _ in 0..21 {
        let run = echoscu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
        assert!(run.success, "a modality at another address is admitted: {}", run.text);
    }
    // Past the per-address pending cap each is closed unread; a burst that outruns
    // those closes meets the process-wide connection cap first, also closed unread.
    let pending_cap = receiver.metric("noctis_receiver_associations_total{outcome=\"address_pending_limit\"}").await;
    let connection_cap = receiver.metric("noctis_receiver_associations_total{outcome=\"connection_limit\"}").await;
    let closed = pending_cap + connection_cap;
    assert!(
        closed >= 205.0 - 16.0,
        "connections past the pending cap are closed at once ({pending_cap} at the address cap, {connection_cap} at the process cap)"
    );
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_past_artim_and_malformed_requests_count_toward_a_ban() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start_with(
        &storage,
        &[("NOCTIS_DICOM__ARTIM_TIMEOUT_SECS", "1"), ("NOCTIS_DICOM__BANS__THRESHOLD", "4")],
    );
    let prober = address([127, 0, 0, 77]);
    // Two silent connections (ARTIM expires) and two garbage requests.
    let mut silent = Vec::new();
    for _ in 0..2 {
        silent.push(connect_from(prober, receiver.dicom_port).await);
    }
    for _ in 0..2 {
        let mut stream = connect_from(prober, receiver.dicom_port).await;
        assert!(send(&mut stream, &[0x01, 0, 0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef]).await);
        let answer = read_pdu(&mut stream, Duration::from_secs(10)).await.expect("an answer");
        assert_eq!(answer.pdu_type, 0x07, "a malformed request is aborted");
    }
    let ban = noctis_e2e::eventually(20, "the prober to be banned", || async {
        let bans = storage.ports.bans.list_active(now()).await.expect("bans list");
        bans.into_iter().find(|ban| ban.address == prober)
    })
    .await;
    assert!(ban.failures >= 4, "{ban:?}");
    let run = echoscu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
    assert!(run.success, "the ban is the prober's alone: {}", run.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_protocol_version_1_is_rejected_1_2_2() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    for version in [0x0000u16, 0x0002] {
        let mut stream = connect_from(address(LOCALHOST), receiver.dicom_port).await;
        assert!(send(&mut stream, &association_request(facility.ae_title.as_str(), SCP_AE_TITLE, version)).await);
        let answer = read_pdu(&mut stream, Duration::from_secs(10)).await.expect("an answer");
        assert_eq!(answer.pdu_type, 0x03, "A-ASSOCIATE-RJ for version {version:#06x}: {answer:?}");
        // PS3.8 9.3.4: reserved, result, source, reason.
        assert_eq!(&answer.body[1..4], &[1, 2, 2], "permanent, ACSE, protocol version not supported");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_facility_retrying_does_not_get_its_address_banned() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start_with(
        &storage,
        &[("NOCTIS_DICOM__BANS__THRESHOLD", "2"), ("NOCTIS_DICOM__FACILITY_CACHE_SECS", "0")],
    );
    storage.ports.facilities.set_active(facility.id, false, now()).await.expect("deactivates");
    for _ in 0..4 {
        let run = echoscu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
        assert!(run.text.contains("Calling AE Title Not Recognized"), "{}", run.text);
    }
    assert!(storage.ports.bans.list_active(now()).await.expect("bans list").is_empty());
    storage.ports.facilities.set_active(facility.id, true, now()).await.expect("reactivates");
    let run = echoscu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
    assert!(run.success, "admitted at once after reactivation: {}", run.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_killed_mid_instance_leaves_no_partial_write() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let mut stream = associate(address(LOCALHOST), receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE).await;
    send_half_an_instance(&mut stream, "1.2.3.9").await;
    noctis_e2e::eventually(10, "the instance to be mid-write", || async {
        (storage.unfinished_writes().await > 0).then_some(())
    })
    .await;
    receiver.kill();
    // The instance was an unnamed file in its series' folder: the filesystem
    // freed it with the process. (Where a staging file is used instead, the
    // next start removes it: the object store's own tests.)
    assert_eq!(storage.unfinished_writes().await, 0, "kill -9 mid-instance left a partial write");
    assert!(storage.study(&facility, "1.2.3").await.is_none(), "nothing was indexed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identifying_attributes_sent_as_un_are_indexed_with_their_dictionary_vr() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let mut stream = associate(address(LOCALHOST), receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE).await;
    assert!(send(&mut stream, &p_data(1, true, true, &store_command(1, "1.2.826.0.1.3680043.2.1"))).await);
    // PS3.5 6.2.2: SOP Instance UID, Patient's Name and Study UID as UN.
    let mut data = explicit_element(0x0008, 0x0016, b"UI", b"1.2.840.10008.5.1.4.1.1.2\0", None);
    data.extend(explicit_element(0x0008, 0x0018, b"UN", b"1.2.826.0.1.3680043.2.1\0", None));
    data.extend(explicit_element(0x0010, 0x0010, b"UN", b"COM^MON ", None));
    data.extend(explicit_element(0x0020, 0x000D, b"UN", b"1.2.826.0.1.3680043.2\0", None));
    data.extend(explicit_element(0x0020, 0x000E, b"UI", b"1.2.826.0.1.3680043.2.9\0", None));
    assert!(send(&mut stream, &p_data(1, false, true, &data)).await);
    let answer = read_pdu(&mut stream, Duration::from_secs(10)).await.expect("a C-STORE response");
    assert_eq!(answer.status(), Some(0x0000), "{answer:?}");
    let detail = storage.study(&facility, "1.2.826.0.1.3680043.2").await.expect("indexed under the UN Study UID");
    assert_eq!(detail.study.attributes.patient_name.as_deref(), Some("COM^MON"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_set_with_nonsense_lengths_is_refused_in_bounded_memory() {
    // pydicom's SC_rgb_jpeg.dcm: 4 KB whose data set, read as its transfer
    // syntax says, declares a 1.3 GB element. It once cost the receiver 1.2 GB.
    let file = noctis_e2e::testdata::pydicom_file("SC_rgb_jpeg.dcm");
    let bytes = std::fs::read(&file).expect("pydicom's test file (make test installs pydicom)");
    // PS3.10 7.1: preamble, DICM, then (0002,0000) UL holding the meta group's length.
    let meta_length = u32::from_le_bytes([bytes[140], bytes[141], bytes[142], bytes[143]]) as usize;
    let data_set = &bytes[144 + meta_length..];
    let storage = Storage::embedded().await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let before = receiver.peak_rss_kib();
    let mut stream = associate(address(LOCALHOST), receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE).await;
    assert!(send(&mut stream, &p_data(1, true, true, &store_command(1, "1.2.3.4"))).await);
    assert!(send(&mut stream, &p_data(1, false, true, data_set)).await);
    let answer = read_pdu(&mut stream, Duration::from_secs(10)).await.expect("a C-STORE response");
    assert_eq!(answer.status(), Some(0xC000), "{answer:?}");
    let grown = receiver.peak_rss_kib().saturating_sub(before);
    eprintln!("peak RSS growth: {grown} KiB");
    assert!(grown < MAX_GROWTH_KIB, "peak RSS grew by {grown} KiB");
}

/// The final status of the C-FIND answered on `stream` (pending matches skipped).
async fn find_status(stream: &mut tokio::net::TcpStream) -> u16 {
    loop {
        let pdu = read_pdu(stream, Duration::from_secs(10)).await.expect("a response, not a closed association");
        assert_eq!(pdu.pdu_type, 0x04, "P-DATA-TF expected, got {pdu:?}");
        match pdu.status() {
            Some(0xFF00 | 0xFF01) | None => continue,
            Some(status) => return status,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_identifiers_that_lie_or_overflow_are_refused_with_a900_and_the_association_goes_on() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let before = receiver.peak_rss_kib();
    let mut stream = associate(address(LOCALHOST), receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE).await;

    // An element declaring 1 GiB inside a 100-byte identifier.
    let mut lying = study_identifier();
    lying.extend(explicit_element(0x0009, 0x1001, b"OB", &[0; 64], Some(ONE_GIB)));
    assert!(send(&mut stream, &p_data(FIND_CONTEXT, true, true, &find_command(1))).await);
    assert!(send(&mut stream, &p_data(FIND_CONTEXT, false, true, &lying)).await);
    assert_eq!(find_status(&mut stream).await, 0xA900);

    // 80 KiB of identifier in 16 KiB PDVs: over the 64 KiB bound.
    assert!(send(&mut stream, &p_data(FIND_CONTEXT, true, true, &find_command(2))).await);
    let mut oversized = study_identifier();
    oversized.extend(explicit_element(0x0009, 0x1002, b"OB", &vec![0; 80 * 1024], None));
    let fragments: Vec<&[u8]> = oversized.chunks(16 * 1024).collect();
    for (i, fragment) in fragments.iter().enumerate() {
        assert!(send(&mut stream, &p_data(FIND_CONTEXT, false, i + 1 == fragments.len(), fragment)).await);
    }
    assert_eq!(find_status(&mut stream).await, 0xA900);

    // Still the same association: a well-formed query is answered.
    assert!(send(&mut stream, &p_data(FIND_CONTEXT, true, true, &find_command(3))).await);
    assert!(send(&mut stream, &p_data(FIND_CONTEXT, false, true, &study_identifier())).await);
    assert_eq!(find_status(&mut stream).await, 0x0000);
    let grown = receiver.peak_rss_kib().saturating_sub(before);
    assert!(grown < MAX_GROWTH_KIB, "peak RSS grew by {grown} KiB");
}
