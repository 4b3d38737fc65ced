//! `noctis-receiver` as a child process, as it runs in production.

use std::process::Child;

use crate::process::{Logs, noctis_command, port, spawn_and_wait_for};
use crate::storage::Storage;

pub const SCP_AE_TITLE: &str = "NOCTIS_SCP";

pub struct Receiver {
    child: Child,
    pub dicom_port: u16,
    /// The DICOM TLS port, when the test configured one.
    pub dicom_tls_port: Option<u16>,
    pub health_port: u16,
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
        let cwd = tempfile::tempdir().expect("a working directory");
        let mut command = noctis_command(binary);
        command
            .current_dir(cwd.path())
            .env("NOCTIS_DICOM__BIND", "127.0.0.1")
            .env("NOCTIS_DICOM__PORT", "0")
            .env("NOCTIS_DICOM__HEALTH_PORT", "0");
        command.envs(storage.env.iter().map(|(k, v)| (k, v))).envs(extra.iter().copied());
        let (child, announced, logs) = spawn_and_wait_for(command, "receiver listening");
        let (Some(dicom_port), Some(health_port)) = (port(&announced, "dicom_port"), port(&announced, "health_port"))
        else {
            panic!("the receiver announced no ports: {announced}");
        };
        let dicom_tls_port = port(&announced, "dicom_tls_port");
        Self { child, dicom_port, dicom_tls_port, health_port, logs, _cwd: cwd }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Log lines so far (JSON).
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub async fn metrics(&self) -> String {
        reqwest::get(format!("http://127.0.0.1:{}/metrics", self.health_port))
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
