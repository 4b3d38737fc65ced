//! The production topology on one machine: N receivers, each on a host of its
//! own, behind HAProxy on another host, all on one storage (the AWS backend on
//! the shared emulator, or one embedded data directory); facilities'
//! modalities run on further hosts of the same network.
//!
//! Addresses: the balancer is `.10`, receiver `i` (from 1) is `.20 + i`; tests
//! put facility hosts at `.100` and up.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::certificates::Pki;
use crate::haproxy::{self, Haproxy};
use crate::network::{Host, Network};
use crate::receiver::Receiver;
use crate::storage::{Kind, Storage};

/// Where DICOM TLS ends in a cluster (see [`haproxy::Tls`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterTls {
    Off,
    AtTheBalancer,
    /// With `client_ca`: modalities must hold a certificate the PKI issued.
    InTheReceivers,
}

#[derive(Debug)]
pub struct Cluster {
    pub balancer: Haproxy,
    receivers: Vec<(Host, Option<Receiver>)>,
    pub storage: Storage,
    /// The storage's variables, with the emulator as the hosts reach it.
    storage_env: Vec<(String, String)>,
    settings: Vec<(String, String)>,
    binary: PathBuf,
    /// Made only for a cluster that speaks TLS.
    pki: Option<Pki>,
    _files: tempfile::TempDir,
    /// Last: the hosts go once every process on them is gone.
    network: Network,
}

impl Cluster {
    /// Starts `count` receivers (debug build, AWS backend) with `settings`
    /// (beyond PROXY protocol and a drain delay, which they always have here) and the
    /// balancer, and waits until the balancer sees every receiver up.
    pub async fn start(count: u8, tls: ClusterTls, settings: &[(&str, &str)]) -> Self {
        let binary = crate::workspace_binary("noctis-receiver");
        Self::start_with(Kind::Aws, &binary, count, tls, settings).await
    }

    /// [`Cluster::start`] on `kind` of storage with the receiver `binary`.
    pub async fn start_with(kind: Kind, binary: &Path, count: u8, tls: ClusterTls, settings: &[(&str, &str)]) -> Self {
        let mut network = Network::new();
        let storage = Storage::new(kind).await;
        let mut storage_env = storage.env.clone();
        if let Some(emulator) = storage.aws.as_ref().and_then(|c| c.endpoint_url.clone()) {
            let offered = network.offer(&emulator).await;
            for (key, value) in &mut storage_env {
                if key == "NOCTIS_AWS__ENDPOINT_URL" {
                    value.clone_from(&offered);
                }
            }
        }

        let pki = (tls != ClusterTls::Off).then(Pki::new);
        let files = tempfile::tempdir().expect("a directory");
        let mut all: Vec<(String, String)> = vec![
            ("NOCTIS_DICOM__PROXY_PROTOCOL".into(), "true".into()),
            // Longer than HAProxy takes to see a 503 (two checks a second apart).
            ("NOCTIS_DICOM__DRAIN_DELAY_SECS".into(), haproxy::DETECTION_SECS.saturating_add(1).to_string()),
        ];
        if let (ClusterTls::InTheReceivers, Some(pki)) = (tls, &pki) {
            let path = |p: &std::path::Path| p.display().to_string();
            all.extend([
                ("NOCTIS_DICOM__TLS__PORT".into(), haproxy::DICOM_TLS_PORT.to_string()),
                ("NOCTIS_DICOM__TLS__CERTIFICATE".into(), path(&pki.server_certificate)),
                ("NOCTIS_DICOM__TLS__PRIVATE_KEY".into(), path(&pki.server_key)),
                ("NOCTIS_DICOM__TLS__CLIENT_CA".into(), path(&pki.ca)),
            ]);
        }
        all.extend(settings.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));

        let balancer_host = network.host("balancer", 10);
        let mut receivers = Vec::new();
        for i in 1..=count {
            let host = network.host(&format!("receiver-{i}"), 20 + i);
            let receiver = start_receiver(binary, &host, &storage_env, &all);
            receivers.push((host, Some(receiver)));
        }
        let addresses: Vec<Ipv4Addr> = receivers.iter().map(|(h, _)| h.address).collect();
        let combined = files.path().join("balancer.pem");
        let balancer_tls = match tls {
            ClusterTls::Off => haproxy::Tls::Off,
            ClusterTls::InTheReceivers => haproxy::Tls::InTheReceivers,
            ClusterTls::AtTheBalancer => {
                let pki = pki.as_ref().expect("a PKI for TLS");
                let read = |p: &std::path::Path| std::fs::read_to_string(p).expect("reads the PKI");
                let pem = format!("{}{}", read(&pki.server_certificate), read(&pki.server_key));
                std::fs::write(&combined, pem).expect("writes the balancer's certificate");
                haproxy::Tls::AtTheBalancer { certificate_and_key: &combined }
            }
        };
        let balancer = Haproxy::start(&balancer_host, &addresses, balancer_tls).await;
        balancer.wait_all_up().await;
        let binary = binary.to_owned();
        Self { balancer, receivers, storage, storage_env, settings: all, binary, pki, _files: files, network }
    }

    /// The throwaway PKI of a cluster started with TLS.
    pub fn pki(&self) -> &Pki {
        self.pki.as_ref().expect("a cluster started with TLS")
    }

    /// A further host (a facility's modality) at `.last`.
    pub fn host(&mut self, name: &str, last: u8) -> Host {
        self.network.host(name, last)
    }

    /// `a.b.c.first/bits` of the cluster's network.
    pub fn block(&self, first: u8, bits: u8) -> String {
        self.network.block(first, bits)
    }

    /// The receivers running now, in order.
    pub fn receivers(&self) -> impl Iterator<Item = &Receiver> {
        self.receivers.iter().filter_map(|(_, r)| r.as_ref())
    }

    /// The running receivers' log lines, for a failing assertion's message.
    pub fn logs(&self) -> String {
        self.receivers().flat_map(|r| r.logs()).collect::<Vec<_>>().join("\n")
    }

    /// One metric summed over the running receivers.
    pub async fn metric(&self, series: &str) -> f64 {
        let mut sum = 0.0;
        for receiver in self.receivers() {
            sum += receiver.metric(series).await;
        }
        sum
    }

    /// One step of a rolling restart: SIGTERM receiver `index` (from 0), wait
    /// for it to exit and for the balancer to see it down, start its successor
    /// on the same host, and wait for the balancer to see it up. Returns how
    /// the old one exited.
    pub async fn restart(&mut self, index: usize, exit_within: Duration) -> std::process::ExitStatus {
        let name = format!("receiver-{}", index + 1);
        let old = self.receivers[index].1.take().expect("a running receiver");
        old.send_sigterm();
        let status = old.exit_within(exit_within).await.unwrap_or_else(|| panic!("{name} exits within its grace"));
        self.balancer.wait_for_server(&name, "DOWN").await;
        let settings: Vec<(&str, &str)> = self.settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let successor = start_receiver(&self.binary, &self.receivers[index].0, &self.storage_env, &settings);
        self.receivers[index].1 = Some(successor);
        self.balancer.wait_for_server(&name, "UP").await;
        status
    }
}

impl Drop for Cluster {
    /// A failing test shows what went wrong inside the receivers.
    fn drop(&mut self) {
        if std::thread::panicking() {
            for line in self.receivers().flat_map(|r| r.logs()) {
                if !line.contains("\"level\":\"INFO\"") {
                    eprintln!("{line}");
                }
            }
        }
    }
}

fn start_receiver<K: AsRef<str>, V: AsRef<str>>(
    binary: &Path,
    host: &Host,
    storage_env: &[(String, String)],
    settings: &[(K, V)],
) -> Receiver {
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
    Receiver::start_on(binary, host, storage_env, &settings)
}
