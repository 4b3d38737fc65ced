//! `noctis-api serve` as its own process: the binary a deployment runs, with the
//! configuration a test hands it, reached over real HTTP.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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
        let mut command = Command::new(crate::workspace_binary("noctis-api"));
        command.stdout(Stdio::piped()).stderr(Stdio::inherit());
        for (key, _) in std::env::vars() {
            if key.starts_with("NOCTIS_") {
                command.env_remove(key);
            }
        }
        command.env_remove("AWS_LAMBDA_RUNTIME_API");
        for (key, value) in env {
            command.env(key, value);
        }
        command
            .env("NOCTIS_API__BIND", "127.0.0.1")
            .env("NOCTIS_API__PORT", "0")
            .env("NOCTIS_LOG__FORMAT", "json")
            .env("NOCTIS_LOG__FILTER", "info")
            .arg("serve");
        let mut child = command.spawn().expect("the API starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (port_tx, port_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(json) = serde_json::from_str::<serde_json::Value>(&line)
                    && json["message"] == "api listening"
                {
                    let _ = port_tx.send(json["api_port"].as_u64());
                }
            }
        });
        let Ok(Some(port)) = port_rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!("the API did not report its port");
        };
        Self { child, base_url: format!("http://127.0.0.1:{port}") }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
