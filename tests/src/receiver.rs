//! `noctis-receiver` as a child process, as it runs in production.

use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command};

use crate::network::Host;
use crate::process::{Logs, noctis_environment, port, spawn_and_wait_for};
use crate::storage::Storage;

pub const SCP_AE_TITLE: &str = "NOCTIS_SCP";

pub struct Receiver {
    child: Child,
    /// Where it listens: loopback, or its host's address.
    pub address: IpAddr,
    pub dicom_port: u16,
    /// The DICOM TLS port, when the test configured one.
    pub dicom_tls_port: Option<u16>,
    pub health_port: u16,
    /// DICOMweb's port, when the receiver serves it.
    pub web_port: Option<u16>,
    logs: Logs,
    _cwd: tempfile::TempDir,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver").field("dicom_port", &self.dicom_port).finish_non_exhaustive()
    }
}

impl Receiver {
    pub fn start(storage: &Storage) -> Self {
        Self::start_with(storage, &[])
    }

    /// Starts a receiver on free loopback ports with `storage`'s variables and
    /// `extra` (`("NOCTIS_DICOM__LIMITS__MAX_PER_ADDRESS", "1")`, …).
    pub fn start_with(storage: &Storage, extra: &[(&str, &str)]) -> Self {
        Self::start_binary(&crate::workspace_binary("noctis-receiver"), storage, extra)
    }

    pub fn start_binary(binary: &std::path::Path, storage: &Storage, extra: &[(&str, &str)]) -> Self {
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let mut settings =
            vec![("NOCTIS_DICOM__PORT", "0"), ("NOCTIS_DICOM__HEALTH_PORT", "0"), ("NOCTIS_DICOM__WEB_PORT", "0")];
        settings.extend_from_slice(extra);
        Self::spawn(Command::new(binary), loopback, &storage.env, &settings)
    }

    /// Starts `binary` on `host`, on the default ports (11112, and 8081 for
    /// health) of its address, with the storage variables `storage_env` (whose
    /// endpoint the host can reach) and `extra`.
    pub fn start_on(
        binary: &std::path::Path,
        host: &Host,
        storage_env: &[(String, String)],
        extra: &[(&str, &str)],
    ) -> Self {
        Self::spawn(host.command(binary), IpAddr::V4(host.address), storage_env, extra)
    }

    fn spawn(command: Command, address: IpAddr, storage_env: &[(String, String)], extra: &[(&str, &str)]) -> Self {
        let cwd = tempfile::tempdir().expect("a working directory");
        let mut command = noctis_environment(command);
        command.current_dir(cwd.path()).env("NOCTIS_DICOM__BIND", address.to_string());
        command.envs(storage_env.iter().map(|(k, v)| (k, v))).envs(extra.iter().copied());
        let (child, announced, logs) = spawn_and_wait_for(command, "receiver listening");
        let (Some(dicom_port), Some(health_port)) = (port(&announced, "dicom_port"), port(&announced, "health_port"))
        else {
            panic!("the receiver announced no ports: {announced}");
        };
        let dicom_tls_port = port(&announced, "dicom_tls_port");
        let web_port = port(&announced, "web_port");
        Self { child, address, dicom_port, dicom_tls_port, health_port, web_port, logs, _cwd: cwd }
    }

    /// A URL on the DICOMweb service (`/dicomweb/…`); a receiver without one fails the test.
    pub fn web_url(&self, path: &str) -> String {
        let port = self.web_port.expect("the receiver serves DICOMweb");
        format!("http://{}{path}", std::net::SocketAddr::new(self.address, port))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Log lines so far (JSON).
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub async fn metrics(&self) -> String {
        reqwest::get(format!("http://{}/metrics", std::net::SocketAddr::new(self.address, self.health_port)))
            .await
            .expect("metrics answer")
            .text()
            .await
            .expect("metrics text")
    }

    /// The value of one metric line (`name{labels}` exactly), 0 when absent.
    pub async fn metric(&self, series: &str) -> f64 {
        self.metrics()
            .await
            .lines()
            .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.trim().parse().ok()))
            .unwrap_or(0.0)
    }

    /// Waits until no association is in progress (the receiver has finished
    /// with everything a peer sent).
    pub async fn wait_idle(&self) {
        crate::eventually(30, "the receiver to become idle", || async {
            (self.metric("noctis_receiver_associations_active").await == 0.0).then_some(())
        })
        .await;
    }

    /// Peak resident memory so far, in KiB (Linux `VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// Kills the process at once (SIGKILL), as a crash or `kill -9` would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        self.send_sigterm();
        self.child.wait().expect("the receiver exits")
    }

    /// Sends SIGTERM and returns at once, so a test can act while it stops.
    pub fn send_sigterm(&self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
        }
    }

    /// The exit status once the process has exited, if it does within `limit`.
    pub async fn exit_within(mut self, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        None
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
