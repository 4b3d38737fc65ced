//! Receivers report themselves, and the API lists them: alive, how many
//! associations each holds, and draining once told to stop.

use noctis_core::domain::now;
use noctis_e2e::api::Api;
use noctis_e2e::dcmtk::echoscu;
use noctis_e2e::eventually;
use noctis_e2e::python::HeldAssociation;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::Kind;
use serde_json::Value;

noctis_e2e::on_both_backends!(
    a_running_receiver_is_listed_with_its_associations_and_its_shutdown,
    refused_associations_are_counted_by_reason,
);

async fn a_running_receiver_is_listed_with_its_associations_and_its_shutdown(kind: Kind) {
    let api = Api::start(kind).await;
    let facility = api.storage.facility("Heartbeat Clinic").await;
    let receiver = Receiver::start_with(&api.storage, &[("NOCTIS_DICOM__HEARTBEAT_SECS", "1")]);
    let listed = || async {
        let reply = api.get("/api/v1/receivers", &api.admin).await;
        reply.json.as_array().cloned().unwrap_or_default()
    };
    let first: Value =
        eventually(10, "the receiver's first report", || async { listed().await.into_iter().next() }).await;
    assert_eq!(first["reporting"], true);
    assert_eq!(first["draining"], false);
    assert_eq!(first["open_associations"], 0);
    assert_eq!(first["version"], env!("CARGO_PKG_VERSION"));

    let held = HeldAssociation::open(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
    assert!(held.established);
    eventually(10, "a report counting the open association", || async {
        listed().await.into_iter().find(|r| r["open_associations"] == 1).map(|_| ())
    })
    .await;
    drop(held);

    receiver.send_sigterm();
    eventually(20, "a last report saying it drains", || async {
        listed().await.into_iter().find(|r| r["id"] == first["id"] && r["draining"] == true).map(|_| ())
    })
    .await;
    let radiologist = api.user_token("dr.ops", "radiologist", None).await;
    assert_eq!(api.get("/api/v1/receivers", &radiologist).await.status, axum::http::StatusCode::FORBIDDEN);
}

async fn refused_associations_are_counted_by_reason(kind: Kind) {
    let api = Api::start(kind).await;
    let facility = api.storage.facility("Closed Clinic").await;
    let receiver = Receiver::start_with(&api.storage, &[("NOCTIS_DICOM__FACILITY_CACHE_SECS", "0")]);
    for _ in 0..2 {
        assert!(!echoscu(receiver.dicom_port, "NOBODY_HERE", SCP_AE_TITLE).success);
    }
    api.storage.ports.facilities.set_active(facility.id, false, now()).await.expect("deactivates");
    assert!(!echoscu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE).success);
    let expected = serde_json::json!([
        {"reason": "calling_ae_not_recognised", "refusals": 2},
        {"reason": "facility_inactive", "refusals": 1},
    ]);
    let counted = eventually(10, "the three refusals to be counted", || async {
        let reply = api.get("/api/v1/audit/refusals", &api.admin).await;
        (reply.json["reasons"] == expected).then_some(reply.json)
    })
    .await;
    let since: chrono::DateTime<chrono::Utc> = counted["since"].as_str().and_then(|s| s.parse().ok()).expect("since");
    let hours = (chrono::Utc::now() - since).num_minutes() as f64 / 60.0;
    assert!((23.0..=24.0).contains(&hours), "the window starts 23 to 24 hours back: {since}");
}
