//! The API under `cargo lambda watch` (cargo-lambda from PyPI): the real Lambda
//! runtime loop, invoked over HTTP through its function-URL emulation, with the
//! first administrator created from the environment secret on first start; and
//! the same binary as the retention job (`NOCTIS_LAMBDA_JOB=retention`), invoked
//! with the event an EventBridge schedule sends.

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

/// `cargo lambda watch` of noctis-api with `env`; the port it serves on.
fn watch(env: &[(&str, &str)]) -> (Watch, u16) {
    let root = noctis_e2e::workspace_root();
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
        .envs(env.iter().copied())
        .env("NOCTIS_LOG__FILTER", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cargo lambda runs (make test installs it into .tools/venv)");
    (Watch(child), port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_function_serves_under_cargo_lambda_watch() {
    let data = tempfile::tempdir().expect("a data directory");
    let data_dir = data.path().display().to_string();
    let (_watch, port) = watch(&[
        ("NOCTIS_STORAGE__DATA_DIR", &data_dir),
        ("NOCTIS_API__BOOTSTRAP_ADMIN", "lambda.admin"),
        ("NOCTIS_ADMIN_PASSWORD", "a bootstrap secret of some length"),
    ]);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_retention_job_runs_when_its_schedule_invokes_it() {
    use noctis_core::domain::{RetentionPeriod, now};
    use noctis_e2e::api::{SeededInstance, seed_instance_received_at};
    let storage = noctis_e2e::storage::Storage::embedded().await;
    let registered = storage.facility("Scheduled Clinic").await;
    let with_period = noctis_core::domain::Facility { retention: RetentionPeriod::days(30).ok(), ..registered };
    let facility = storage.ports.facilities.update(&with_period, now()).await.expect("the period is set");
    let old =
        SeededInstance { study: "1.2.11.1", series: "1.2.11.1.1", sop: "1.2.11.1.1.1", modality: "CT", patient: "A^B" };
    let expired = seed_instance_received_at(&storage, facility.id, old, now() - chrono::Duration::days(45)).await;
    let new =
        SeededInstance { study: "1.2.11.2", series: "1.2.11.2.1", sop: "1.2.11.2.1.1", modality: "CT", patient: "C^D" };
    let kept = seed_instance_received_at(&storage, facility.id, new, now()).await;

    let mut env: Vec<(&str, &str)> = storage.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("NOCTIS_LAMBDA_JOB", "retention"));
    let (_watch, port) = watch(&env);
    // What an EventBridge rule's schedule sends (the job reads nothing of it).
    let event = json!({
        "version": "0", "id": "0e5a3e1c-4b1f-4c27-9d6e-6a0a2c7c1f00", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": "2026-12-04T02:30:00Z", "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/noctis-api-retention"], "detail": {}
    });
    let invoke = format!("http://127.0.0.1:{port}/2015-03-31/functions/noctis-api/invocations");
    let client = reqwest::Client::new();
    let summary = noctis_e2e::eventually(240, "the job to answer its invocation", || async {
        let reply = client.post(&invoke).json(&event).send().await.ok()?;
        if !reply.status().is_success() {
            return None;
        }
        reply.json::<Value>().await.ok()
    })
    .await;
    assert_eq!(summary["facilities"], 1, "{summary}");
    assert_eq!((summary["studies"].as_u64(), summary["instances"].as_u64()), (Some(1), Some(1)), "{summary}");
    assert!(storage.ports.studies.get_study(expired).await.expect("reads").is_none(), "past the period");
    assert!(storage.ports.studies.get_study(kept).await.expect("reads").is_some(), "inside it");
}
