//! Receivers report themselves, and the API lists them: alive, how many
//! associations each holds, and draining once told to stop.

use noctis_e2e::api::Api;
use noctis_e2e::eventually;
use noctis_e2e::python::HeldAssociation;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::Kind;
use serde_json::Value;

noctis_e2e::on_both_backends!(a_running_receiver_is_listed_with_its_associations_and_its_shutdown);

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
