//! How connections reach the receiver: through a load balancer that names the
//! client in a PROXY protocol v2 header, and as DICOM over TLS (PS3.15 B.1) on
//! the TLS port — with DCMTK as the modality.

use noctis_e2e::balancer::Balancer;
use noctis_e2e::certificates::Pki;
use noctis_e2e::dcmtk::{echoscu, echoscu_with, storescu};
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::Storage;
use noctis_e2e::testdata;

fn path(p: &std::path::Path) -> String {
    p.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_the_balancer_admission_sees_the_client_named_in_the_proxy_header() {
    let storage = Storage::embedded().await;
    let facility = storage.facility_with_networks("Harbour Imaging", &["203.0.113.0/24"]).await;
    let ae = facility.ae_title.to_string();
    let receiver = Receiver::start_with(&storage, &[("NOCTIS_DICOM__PROXY_PROTOCOL", "true")]);

    let inside = Balancer::start(receiver.dicom_port, "203.0.113.9:40001".parse().expect("an address")).await;
    let run = echoscu(inside.port, &ae, SCP_AE_TITLE);
    assert!(run.success, "a client inside the facility's network is served: {}", run.text);
    let accepted = receiver.logs().into_iter().find(|l| l.contains("association accepted")).expect("logged");
    assert!(accepted.contains("203.0.113.9:40001"), "the peer is the client, not the balancer: {accepted}");

    let outside = Balancer::start(receiver.dicom_port, "198.51.100.7:40002".parse().expect("an address")).await;
    let run = echoscu(outside.port, &ae, SCP_AE_TITLE);
    assert!(run.text.contains("Calling AE Title Not Recognized"), "outside the networks: 1/1/3: {}", run.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_a_proxy_header_is_required_a_connection_without_one_is_closed() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("Harbour Imaging").await;
    let receiver = Receiver::start_with(&storage, &[("NOCTIS_DICOM__PROXY_PROTOCOL", "true")]);
    // Straight to the port, as someone bypassing the balancer would.
    let run = echoscu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE);
    assert!(!run.success, "{}", run.text);
    assert!(!run.text.contains("Association Accepted"), "{}", run.text);
    assert_eq!(receiver.metric("noctis_receiver_associations_total{outcome=\"no_proxy_header\"}").await, 1.0);
}

fn tls_receiver(storage: &Storage, pki: &Pki, client_ca: bool) -> Receiver {
    let (certificate, key, ca) = (path(&pki.server_certificate), path(&pki.server_key), path(&pki.ca));
    let mut settings = vec![
        ("NOCTIS_DICOM__TLS__PORT", "0"),
        ("NOCTIS_DICOM__TLS__CERTIFICATE", certificate.as_str()),
        ("NOCTIS_DICOM__TLS__PRIVATE_KEY", key.as_str()),
    ];
    if client_ca {
        settings.push(("NOCTIS_DICOM__TLS__CLIENT_CA", ca.as_str()));
    }
    Receiver::start_with(storage, &settings)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dcmtk_echoes_and_stores_over_tls_and_plain_dicom_on_the_tls_port_is_refused() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("City General Hospital").await;
    let ae = facility.ae_title.to_string();
    let pki = Pki::new();
    let receiver = tls_receiver(&storage, &pki, false);
    let tls_port = receiver.dicom_tls_port.expect("a TLS port");
    let ca = path(&pki.ca);
    // Anonymous client, server verified against the test CA (BCP 195 profile, DCMTK's default).
    let tls = ["+tla", "+cf", ca.as_str()];

    let run = echoscu_with(tls_port, &ae, SCP_AE_TITLE, &tls);
    assert!(run.success, "C-ECHO over TLS: {}", run.text);

    let data = testdata::samples();
    let ct = data.files.iter().find(|f| f.name == "CT_small.dcm").expect("a sample");
    let mut options = tls.to_vec();
    options.push("-xe");
    let run = storescu(tls_port, &ae, SCP_AE_TITLE, &options, &[ct.path.as_path()]);
    assert_eq!(run.store_statuses(), ["Success"], "{}", run.text);
    assert!(storage.stored_object(&facility, ct).await.is_some(), "stored like any other instance");

    let plain = echoscu(tls_port, &ae, SCP_AE_TITLE);
    assert!(!plain.success, "plain DICOM on the TLS port: {}", plain.text);
    let untrusted = echoscu_with(tls_port, &ae, SCP_AE_TITLE, &["+tla"]);
    assert!(!untrusted.success, "a client that cannot verify the server does not go on: {}", untrusted.text);
    assert!(
        receiver.metric("noctis_receiver_associations_total{outcome=\"tls_handshake_failed\"}").await >= 1.0,
        "failed handshakes are counted"
    );
    assert!(echoscu(receiver.dicom_port, &ae, SCP_AE_TITLE).success, "the plain port goes on serving");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_client_ca_only_modalities_holding_its_certificates_are_served() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("City General Hospital").await;
    let ae = facility.ae_title.to_string();
    let pki = Pki::new();
    let receiver = tls_receiver(&storage, &pki, true);
    let tls_port = receiver.dicom_tls_port.expect("a TLS port");
    let (ca, key, certificate) = (path(&pki.ca), path(&pki.client_key), path(&pki.client_certificate));

    let anonymous = echoscu_with(tls_port, &ae, SCP_AE_TITLE, &["+tla", "+cf", &ca]);
    assert!(!anonymous.success, "no client certificate, no association: {}", anonymous.text);
    let run = echoscu_with(tls_port, &ae, SCP_AE_TITLE, &["+tls", &key, &certificate, "+cf", &ca]);
    assert!(run.success, "mutual TLS: {}", run.text);
}
