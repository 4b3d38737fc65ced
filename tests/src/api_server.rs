//! `noctis-api serve` as its own process: the binary a deployment runs, with the
//! configuration a test hands it, reached over real HTTP.

use std::process::Child;

use crate::process::{noctis_command, port, spawn_and_wait_for};

pub struct ApiServer {
    child: Child,
    pub base_url: String,
}

impl std::fmt::Debug for ApiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiServer").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl ApiServer {
    /// Starts the API on a free loopback port with exactly `env` as its
    /// `NOCTIS_*` configuration (plus bind and port).
    pub fn start(env: &[(String, String)]) -> Self {
        Self::start_binary(&crate::workspace_binary("noctis-api"), env)
    }

    /// `start` with another build of the binary (the benchmarks' release build).
    pub fn start_binary(binary: &std::path::Path, env: &[(String, String)]) -> Self {
        let mut command = noctis_command(binary);
        command
            .env_remove("AWS_LAMBDA_RUNTIME_API")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("NOCTIS_API__BIND", "127.0.0.1")
            .env("NOCTIS_API__PORT", "0")
            .arg("serve");
        let (child, announced, _logs) = spawn_and_wait_for(command, "api listening");
        let port = port(&announced, "api_port").unwrap_or_else(|| panic!("the API announced no port: {announced}"));
        Self { child, base_url: format!("http://127.0.0.1:{port}") }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Sends SIGTERM and waits up to `within` for the process to exit.
    pub fn terminate(&mut self, within: std::time::Duration) -> Option<std::process::ExitStatus> {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
        }
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        None
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
