//! Caps, bans shared between receivers, and deactivation taking effect.

use noctis_core::domain::now;
use noctis_e2e::dcmtk::echoscu;
use noctis_e2e::python::HeldAssociation;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage};

noctis_e2e::on_both_backends!(
    exceeding_the_per_address_cap_is_refused_transiently,
    exceeding_the_per_facility_cap_is_refused_transiently,
    repeated_failures_ban_the_address_on_every_receiver,
    deactivation_takes_effect_within_the_cache_lifetime,
);

fn assert_local_limit(text: &str) {
    assert!(text.contains("Result: Rejected Transient"), "{text}");
    assert!(text.contains("Reason: Local Limit Exceeded"), "{text}");
}

async fn exceeding_the_per_address_cap_is_refused_transiently(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start_with(&storage, &[("NOCTIS_DICOM__LIMITS__MAX_PER_ADDRESS", "1")]);
    let held = HeldAssociation::open(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
    assert!(held.established);
    let run = echoscu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
    assert!(!run.success);
    assert_local_limit(&run.text);
    drop(held);
    receiver.wait_idle().await;
    let run = echoscu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
    assert!(run.success, "the slot is free again: {}", run.text);
}

async fn exceeding_the_per_facility_cap_is_refused_transiently(kind: Kind) {
    let storage = Storage::new(kind).await;
    let busy = storage.facility("Busy Clinic").await;
    let other = storage.facility("Other Clinic").await;
    let receiver = Receiver::start_with(&storage, &[("NOCTIS_DICOM__LIMITS__MAX_PER_FACILITY", "1")]);
    let held = HeldAssociation::open(receiver.dicom_port, busy.ae_title.as_str(), SCP_AE_TITLE);
    assert!(held.established);
    assert_local_limit(&echoscu(receiver.dicom_port, busy.ae_title.as_str(), SCP_AE_TITLE).text);
    let run = echoscu(receiver.dicom_port, other.ae_title.as_str(), SCP_AE_TITLE);
    assert!(run.success, "another facility is not affected: {}", run.text);
}

async fn repeated_failures_ban_the_address_on_every_receiver(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let settings = [("NOCTIS_DICOM__BANS__THRESHOLD", "3"), ("NOCTIS_DICOM__BANS__WINDOW_SECS", "3600")];
    let first = Receiver::start_with(&storage, &settings);
    let second = Receiver::start_with(&storage, &settings);
    for _ in 0..3 {
        let run = echoscu(first.dicom_port, "PROBER", SCP_AE_TITLE);
        assert!(run.text.contains("Calling AE Title Not Recognized"), "{}", run.text);
    }
    // Banned now, on the other receiver too, even with a registered title.
    let run = echoscu(second.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
    assert!(!run.success);
    assert_local_limit(&run.text);
    let bans = storage.ports.bans.list_active(now()).await.expect("bans list");
    assert_eq!(bans.len(), 1);
    assert_eq!(bans[0].address.to_string(), "127.0.0.1");
    assert!(storage.ports.bans.lift(bans[0].address).await.expect("lifts"));
    let run = echoscu(second.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
    assert!(run.success, "accepted once the ban is lifted: {}", run.text);
}

async fn deactivation_takes_effect_within_the_cache_lifetime(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start_with(&storage, &[("NOCTIS_DICOM__FACILITY_CACHE_SECS", "1")]);
    assert!(echoscu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE).success);
    storage.ports.facilities.set_active(facility.id, false, now()).await.expect("deactivates");
    let started = std::time::Instant::now();
    noctis_e2e::eventually(10, "the deactivation to reach the receiver", || async {
        let run = echoscu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
        run.text.contains("Calling AE Title Not Recognized").then_some(())
    })
    .await;
    // 1 s of cache lifetime plus room for a loaded machine to run echoscu.
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "refused within the 1 s cache lifetime");
}
