//! What the Noctis binaries under test share as child processes: a clean
//! `NOCTIS_*` environment with JSON logs, and a reader that keeps every log
//! line and hands over the one announcing the listening ports.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde_json::Value;

/// `binary` with stdout piped, JSON logs, and no `NOCTIS_*` setting but the
/// ones the test adds: only what a test sets reaches the configuration.
pub fn noctis_command(binary: &Path) -> Command {
    noctis_environment(Command::new(binary))
}

/// Runs `noctis-api` (its debug build) with `args` on the storage `env`
/// points at, and returns what it printed for an operator: stdout without
/// its JSON log lines. A failed run fails the test with both streams.
pub fn run_noctis_api(env: &[(String, String)], args: &[&str]) -> Vec<String> {
    let mut command = noctis_command(&crate::workspace_binary("noctis-api"));
    command.env_remove("AWS_LAMBDA_RUNTIME_API").envs(env.iter().map(|(k, v)| (k, v))).args(args);
    let run = command.stdout(Stdio::piped()).stderr(Stdio::piped()).output().expect("noctis-api runs");
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(run.status.success(), "noctis-api {args:?}: {stdout}{}", String::from_utf8_lossy(&run.stderr));
    stdout.lines().filter(|line| !line.starts_with('{')).map(str::to_owned).collect()
}

/// Runs `noctis-api` with `args` as [`run_noctis_api`] does, expecting it to
/// fail; returns what it wrote on both streams.
pub fn run_noctis_api_failing(env: &[(String, String)], args: &[&str]) -> String {
    let mut command = noctis_command(&crate::workspace_binary("noctis-api"));
    command.env_remove("AWS_LAMBDA_RUNTIME_API").envs(env.iter().map(|(k, v)| (k, v))).args(args);
    let run = command.stdout(Stdio::piped()).stderr(Stdio::piped()).output().expect("noctis-api runs");
    let text = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(!run.status.success(), "noctis-api {args:?} was expected to fail: {text}");
    text
}

/// `command` (a Noctis binary, perhaps run on another host) set up as
/// [`noctis_command`] sets up a binary.
pub fn noctis_environment(mut command: Command) -> Command {
    command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    for (key, _) in std::env::vars() {
        if key.starts_with("NOCTIS_") {
            command.env_remove(key);
        }
    }
    command.env("NOCTIS_LOG__FORMAT", "json").env("NOCTIS_LOG__FILTER", "info");
    command
}

/// A spawned binary's log lines so far.
pub type Logs = Arc<Mutex<Vec<String>>>;

/// Spawns `command` and waits (60 s at most) for the JSON log line whose
/// message is `announcement`; panics with the logs so far if none comes.
pub fn spawn_and_wait_for(mut command: Command, announcement: &'static str) -> (Child, Value, Logs) {
    let mut child = command.spawn().expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let logs: Logs = Arc::new(Mutex::new(Vec::new()));
    let (announced_tx, announced_rx) = mpsc::channel();
    let sink = logs.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(json) = serde_json::from_str::<Value>(&line)
                && json["message"] == announcement
            {
                let _ = announced_tx.send(json);
            }
            if let Ok(mut logs) = sink.lock() {
                logs.push(line);
            }
        }
    });
    let Ok(announced) = announced_rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = child.kill();
        panic!("no \"{announcement}\" log line: {:?}", logs.lock().map(|l| l.join("\n")));
    };
    (child, announced, logs)
}

/// A port field of an announcement line.
pub fn port(announced: &Value, field: &str) -> Option<u16> {
    announced[field].as_u64().and_then(|p| u16::try_from(p).ok())
}
