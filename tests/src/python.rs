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
