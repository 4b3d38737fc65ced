//! `noctis-receiver` as a child process, as it runs in production.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use crate::storage::Storage;

pub const SCP_AE_TITLE: &str = "NOCTIS_SCP";

pub struct Receiver {
    child: Child,
    pub dicom_port: u16,
    /// The DICOM TLS port, when the test configured one.
    pub dicom_tls_port: Option<u16>,
    pub health_port: u16,
    logs: Arc<Mutex<Vec<String>>>,
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
        let mut command = Command::new(binary);
        command.current_dir(cwd.path()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        // Only what this test sets reaches the receiver's configuration.
        for (key, _) in std::env::vars() {
            if key.starts_with("NOCTIS_") {
                command.env_remove(key);
            }
        }
        command
            .env("NOCTIS_DICOM__BIND", "127.0.0.1")
            .env("NOCTIS_DICOM__PORT", "0")
            .env("NOCTIS_DICOM__HEALTH_PORT", "0")
            .env("NOCTIS_LOG__FORMAT", "json")
            .env("NOCTIS_LOG__FILTER", "info");
        for (key, value) in &storage.env {
            command.env(key, value);
        }
        for (key, value) in extra {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("the receiver starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (ports_tx, ports_rx) = mpsc::channel();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(json) = serde_json::from_str::<serde_json::Value>(&line)
                    && json["message"] == "receiver listening"
                {
                    let port = |k: &str| json[k].as_u64().map(|p| p as u16);
                    let _ = ports_tx.send((port("dicom_port"), port("health_port"), port("dicom_tls_port")));
                }
                if let Ok(mut logs) = sink.lock() {
                    logs.push(line);
                }
            }
        });
        let ports = ports_rx.recv_timeout(Duration::from_secs(60));
        let Ok((Some(dicom_port), Some(health_port), dicom_tls_port)) = ports else {
            let _ = child.kill();
            panic!("the receiver did not report its ports: {:?}", logs.lock().map(|l| l.join("\n")));
        };
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

    /// Sends SIGTERM and waits for the process to exit; returns its exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
        }
        self.child.wait().expect("the receiver exits")
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
