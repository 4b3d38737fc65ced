//! Who may associate, as DCMTK's echoscu sees it.

use noctis_core::domain::now;
use noctis_e2e::dcmtk::echoscu;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage};

noctis_e2e::on_both_backends!(
    a_registered_facility_is_verified,
    an_unknown_calling_ae_is_rejected_before_negotiation,
    a_wrong_called_ae_is_rejected,
    a_deactivated_facility_is_refused,
    a_facility_outside_its_networks_is_refused,
);

async fn a_registered_facility_is_verified(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("City General Hospital").await;
    let receiver = Receiver::start(&storage);
    let run = echoscu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
    assert!(run.success, "{}", run.text);
    assert!(run.text.contains("Received Echo Response (Success)"), "{}", run.text);
    // Called AE titles compare case-insensitively.
    let run = echoscu(receiver.dicom_port, facility.ae_title.as_str(), "noctis_scp");
    assert!(run.success, "{}", run.text);
}

async fn an_unknown_calling_ae_is_rejected_before_negotiation(kind: Kind) {
    let storage = Storage::new(kind).await;
    let receiver = Receiver::start(&storage);
    let run = echoscu(receiver.dicom_port, "NOBODY", SCP_AE_TITLE);
    assert!(!run.success);
    assert_rejection(&run.text, "Permanent", "Service User", "Calling AE Title Not Recognized");
    let rejected = audit_reasons(&storage).await;
    assert_eq!(rejected, ["calling_ae_not_recognised"]);
}

async fn a_wrong_called_ae_is_rejected(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let run = echoscu(receiver.dicom_port, facility.ae_title.as_str(), "SOMEONE_ELSE");
    assert!(!run.success);
    assert_rejection(&run.text, "Permanent", "Service User", "Called AE Title Not Recognized");
}

async fn a_deactivated_facility_is_refused(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    storage.ports.facilities.set_active(facility.id, false, now()).await.expect("deactivates");
    let receiver = Receiver::start(&storage);
    let run = echoscu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
    assert!(!run.success);
    assert_rejection(&run.text, "Permanent", "Service User", "Calling AE Title Not Recognized");
    assert_eq!(audit_reasons(&storage).await, ["facility_inactive"]);
}

async fn a_facility_outside_its_networks_is_refused(kind: Kind) {
    let storage = Storage::new(kind).await;
    let outside = storage.facility_with_networks("Remote Clinic", &["203.0.113.0/24"]).await;
    let inside = storage.facility_with_networks("Local Clinic", &["127.0.0.0/8"]).await;
    let receiver = Receiver::start(&storage);
    let run = echoscu(receiver.dicom_port, outside.ae_title.as_str(), SCP_AE_TITLE);
    assert_rejection(&run.text, "Permanent", "Service User", "Calling AE Title Not Recognized");
    let run = echoscu(receiver.dicom_port, inside.ae_title.as_str(), SCP_AE_TITLE);
    assert!(run.success, "{}", run.text);
}

/// DCMTK prints the A-ASSOCIATE-RJ it received, e.g. "Result: Rejected
/// Permanent, Source: Service User" and "Reason: Calling AE Title Not Recognized".
fn assert_rejection(text: &str, result: &str, source: &str, reason: &str) {
    assert!(text.contains(&format!("Result: Rejected {result}, Source: {source}")), "{text}");
    assert!(text.contains(&format!("Reason: {reason}")), "{text}");
}

async fn audit_reasons(storage: &Storage) -> Vec<String> {
    use noctis_core::domain::{AuditKind, AuditQuery, PageLimit, PageRequest};
    let query = AuditQuery {
        from: now() - chrono::Duration::hours(1),
        to: now() + chrono::Duration::hours(1),
        facility_id: None,
        actor: None,
        kind: Some(AuditKind::AssociationRejected),
    };
    let page = storage
        .ports
        .audit
        .query(&query, &PageRequest::first(PageLimit::new(100).expect("limit")))
        .await
        .expect("audit reads");
    page.items.iter().map(|e| e.details["reason"].as_str().expect("a rejection names its reason").to_owned()).collect()
}
