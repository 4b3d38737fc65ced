//! pynetdicom scripts (tests/scripts/*.py) run with the test venv's Python.

use std::process::Command;

#[derive(Debug)]
pub struct Run {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `tests/scripts/<script>` with `args`; the scripts print JSON on stdout.
pub fn run(script: &str, args: &[String]) -> Run {
    let python = crate::workspace_root().join(".tools/venv/bin/python");
    let path = crate::workspace_root().join("tests/scripts").join(script);
    let output = Command::new(python).arg(path).args(args).output().expect("python runs");
    Run {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("script output is not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
}

/// A pynetdicom association held open until dropped.
#[derive(Debug)]
pub struct HeldAssociation {
    child: std::process::Child,
    pub established: bool,
}

impl HeldAssociation {
    pub fn open(port: u16, calling: &str, called: &str) -> Self {
        Self::open_after_storing(port, calling, called, &[]).0
    }

    /// Stores `files` on the association before holding it, and says with
    /// which status each was answered.
    pub fn open_after_storing(
        port: u16,
        calling: &str,
        called: &str,
        files: &[std::path::PathBuf],
    ) -> (Self, Vec<u16>) {
        let python = crate::workspace_root().join(".tools/venv/bin/python");
        Self::spawn(Command::new(python), &port.to_string(), calling, called, files)
    }

    /// An association held by a peer on `host` to `target` (a balancer).
    pub fn open_from(host: &crate::network::Host, target: std::net::SocketAddr, calling: &str, called: &str) -> Self {
        let python = crate::workspace_root().join(".tools/venv/bin/python");
        Self::spawn(host.command(python), &target.to_string(), calling, called, &[]).0
    }

    fn spawn(
        mut python: Command,
        address: &str,
        calling: &str,
        called: &str,
        files: &[std::path::PathBuf],
    ) -> (Self, Vec<u16>) {
        use std::io::BufRead;
        let script = crate::workspace_root().join("tests/scripts/peer.py");
        let mut child = python
            .arg(script)
            .args(["hold", address, calling, called])
            .args(files)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python runs");
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).expect("the peer reports");
        let report = serde_json::from_str::<serde_json::Value>(&line).unwrap_or_default();
        let statuses = report["statuses"]
            .as_array()
            .map(|all| all.iter().filter_map(|s| s.as_u64()).filter_map(|s| u16::try_from(s).ok()).collect())
            .unwrap_or_default();
        (Self { child, established: report["ready"] == true }, statuses)
    }
}

impl Drop for HeldAssociation {
    fn drop(&mut self) {
        // Closing stdin lets the peer release; it is killed if it lingers.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// `tests/scripts/sender.py` on a host: a modality that keeps sending batches
/// of copies of one file into a study of its own, and resends whatever was not
/// answered success, until told to finish.
#[derive(Debug)]
pub struct RetryingSender {
    /// Taken by `finish`.
    child: Option<std::process::Child>,
}

/// What a [`RetryingSender`] did (see `tests/scripts/sender.py`).
#[derive(Debug, serde::Deserialize)]
pub struct SenderReport {
    pub study: String,
    /// SOP Instance UIDs answered success.
    pub acknowledged: Vec<String>,
    /// Never answered success, even after finishing.
    pub pending: Vec<String>,
    pub associations: u64,
    /// Associations not established (rejected, reset, unreachable).
    pub refused: u64,
    /// Associations established that ended before their batch was answered.
    pub interrupted: u64,
    /// Instances sent again after an unanswered attempt.
    pub resent: u64,
    /// The longest time without an acknowledgement, in seconds.
    pub longest_wait: f64,
}

impl RetryingSender {
    pub fn start(
        host: &crate::network::Host,
        target: std::net::SocketAddr,
        calling: &str,
        called: &str,
        file: &std::path::Path,
        batch: usize,
    ) -> Self {
        let python = crate::workspace_root().join(".tools/venv/bin/python");
        let child = host
            .command(python)
            .arg(crate::workspace_root().join("tests/scripts/sender.py"))
            .args([&target.to_string(), calling, called])
            .arg(file)
            .arg(batch.to_string())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python runs");
        Self { child: Some(child) }
    }

    /// Tells the sender to finish (it sends what is pending) and reads its report.
    pub fn finish(mut self) -> SenderReport {
        let mut child = self.child.take().expect("a running sender");
        drop(child.stdin.take());
        let output = child.wait_with_output().expect("the sender ends");
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("the sender's report ({e}): {}", String::from_utf8_lossy(&output.stdout)))
    }
}

impl Drop for RetryingSender {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
