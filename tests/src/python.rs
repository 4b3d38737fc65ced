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
        use std::io::BufRead;
        let python = crate::workspace_root().join(".tools/venv/bin/python");
        let script = crate::workspace_root().join("tests/scripts/peer.py");
        let mut child = Command::new(python)
            .arg(script)
            .args(["hold", &port.to_string(), calling, called])
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
