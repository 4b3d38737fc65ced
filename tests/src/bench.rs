//! What the benchmarks (`make bench`) share: generated file sets, storescu
//! senders, and the ports and memory of the processes they measure.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A receiver's log filter for timing runs: its readiness announcement, and
/// warnings, but no line per instance or association.
pub const QUIET_RECEIVER_LOGS: &str =
    "warn,noctis_receiver=info,noctis_receiver::intake=warn,noctis_receiver::protocol::association=warn";

/// Files made by `tests/scripts/testdata.py` with `args`, sorted by name.
#[derive(Debug)]
pub struct FileSet {
    pub name: &'static str,
    pub files: Vec<PathBuf>,
    pub bytes: u64,
    _dir: tempfile::TempDir,
}

pub fn file_set(name: &'static str, args: &[String]) -> FileSet {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let status = Command::new(crate::workspace_root().join(".tools/venv/bin/python"))
        .arg(crate::workspace_root().join("tests/scripts/testdata.py"))
        .arg(dir.path())
        .args(args)
        .status()
        .expect("python runs");
    assert!(status.success(), "testdata.py failed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("lists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dcm"))
        .collect();
    files.sort();
    let bytes = files.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum();
    FileSet { name, files, bytes, _dir: dir }
}

/// Sends `files` to `called` on `port`, split over `senders` concurrent
/// storescu processes; returns the wall time.
pub fn send(port: u16, calling: &str, called: &str, files: &[PathBuf], senders: usize) -> Duration {
    let chunk = files.len().div_ceil(senders);
    let started = Instant::now();
    let children: Vec<Child> = files
        .chunks(chunk)
        .map(|part| {
            Command::new("storescu")
                .env("TCP_NODELAY", "1")
                .args(["-xe", "-aet", calling, "-aec", called, "127.0.0.1"])
                .arg(port.to_string())
                .args(part)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("storescu runs")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("storescu finishes");
        assert!(output.status.success(), "storescu failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    started.elapsed()
}

pub fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0)
        .unwrap_or(0.0)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Waits until something listens on `port` (a process just started).
pub fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "port {port} never opened");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Writes `report` to target/bench/`name`.json and says where.
pub fn write_report(name: &str, report: &serde_json::Value) {
    let out = crate::workspace_root().join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    let path = out.join(format!("{name}.json"));
    if std::fs::write(&path, serde_json::to_string_pretty(report).unwrap_or_default()).is_ok() {
        println!("written to {}", path.display());
    }
}

/// The text of each of `tags` in a generated file (empty where absent), as
/// the benchmarks name what they query and retrieve.
pub fn text_values(path: &std::path::Path, tags: &[dicom_core::Tag]) -> Vec<String> {
    let object = dicom_object::open_file(path).expect("a generated file");
    tags.iter()
        .map(|tag| {
            object
                .element(*tag)
                .ok()
                .and_then(|e| e.to_str().ok())
                .map(|s| s.trim_end_matches('\0').to_owned())
                .unwrap_or_default()
        })
        .collect()
}
