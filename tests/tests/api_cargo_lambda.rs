//! The API under `cargo lambda watch` (cargo-lambda from PyPI): the real Lambda
//! runtime loop, invoked over HTTP through its function-URL emulation, with the
//! first administrator created from the environment secret on first start.

use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

struct Watch(Child);

impl Drop for Watch {
    fn drop(&mut self) {
        // cargo lambda runs the function as a child of its own: end the session's
        // group. (Not with kill(1): procps-ng 4.0.2 reads `kill -TERM -16255` as
        // a signal to pid -1, that is, to every process.)
        if let Ok(group) = i32::try_from(self.0.id()) {
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(group), nix::sys::signal::Signal::SIGTERM);
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_function_serves_under_cargo_lambda_watch() {
    let root = noctis_e2e::workspace_root();
    let data = tempfile::tempdir().expect("a data directory");
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a port");
    let path = format!("{}:{}", root.join(".tools/venv/bin").display(), std::env::var("PATH").unwrap_or_default());
    // In a session of its own, with no terminal: cargo lambda's file watcher
    // otherwise takes the controlling terminal's foreground, and whatever runs
    // the tests (make, CI) is stopped or terminated when that group goes away.
    let child = Command::new("setsid")
        .args(["cargo", "lambda", "watch", "--ignore-changes", "-A", "127.0.0.1", "-P", &port.to_string()])
        .current_dir(root.join("api-lambda"))
        .env("PATH", path)
        .env("NOCTIS_STORAGE__DATA_DIR", data.path())
        .env("NOCTIS_API__BOOTSTRAP_ADMIN", "lambda.admin")
        .env("NOCTIS_ADMIN_PASSWORD", "a bootstrap secret of some length")
        .env("NOCTIS_LOG__FILTER", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cargo lambda runs (make test installs it into .tools/venv)");
    let _watch = Watch(child);
    let base = format!("http://127.0.0.1:{port}/lambda-url/noctis-api");
    let client = reqwest::Client::new();
    let health = noctis_e2e::eventually(240, "the function to answer", || async {
        let reply = client.get(format!("{base}/healthz")).send().await.ok()?;
        reply.json::<Value>().await.ok()
    })
    .await;
    assert_eq!(health["status"], "ok");

    let login = json!({"username": "lambda.admin", "password": "a bootstrap secret of some length"});
    let reply = client.post(format!("{base}/api/v1/auth/login")).json(&login).send().await.expect("answers");
    assert_eq!(reply.status(), 200, "the administrator was created on first start");
    let token = reply.json::<Value>().await.expect("json")["token"].as_str().expect("a token").to_owned();
    let me = client.get(format!("{base}/api/v1/me")).bearer_auth(&token).send().await.expect("answers");
    assert_eq!(me.json::<Value>().await.expect("json")["role"], "administrator");
    let denied = client.get(format!("{base}/api/v1/users")).send().await.expect("answers");
    assert_eq!(denied.status(), 401);
}
