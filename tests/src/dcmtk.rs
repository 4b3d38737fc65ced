//! DCMTK's `echoscu`, `storescu`, `findscu`, `getscu`, `movescu` and `storescp`
//! (Debian's dcmtk) as the modality or workstation.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

use crate::network::Host;

#[derive(Debug)]
pub struct Run {
    pub success: bool,
    pub text: String,
}

impl Run {
    fn from(output: Output) -> Self {
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        Self { success: output.status.success(), text }
    }

    /// Store responses DCMTK reported, in order ("Success", "Refused: OutOfResources", …).
    pub fn store_statuses(&self) -> Vec<String> {
        self.text
            .lines()
            .filter_map(|l| {
                l.split_once("Received Store Response (").map(|(_, rest)| rest.trim_end_matches(')').to_owned())
            })
            .collect()
    }
}

fn dcmtk(tool: &str) -> Command {
    nodelay(Command::new(tool))
}

/// A DCMTK tool run on another host.
fn on(host: &Host, tool: &str) -> Command {
    nodelay(host.command(tool))
}

fn nodelay(mut command: Command) -> Command {
    // Without TCP_NODELAY DCMTK's small PDUs wait on Nagle's algorithm.
    command.env("TCP_NODELAY", "1");
    command
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

pub fn echoscu(port: u16, calling: &str, called: &str) -> Run {
    echoscu_with(port, calling, called, &[])
}

/// `echoscu` with more options (`+tla`, `+cf CA.pem`, …).
pub fn echoscu_with(port: u16, calling: &str, called: &str, options: &[&str]) -> Run {
    associate(dcmtk("echoscu"), ECHO_TIMEOUTS, loopback(port), (calling, called), options, &[])
}

/// `echoscu` run on `host`, calling `target` (a balancer, another host).
pub fn echoscu_from(host: &Host, target: SocketAddr, calling: &str, called: &str, options: &[&str]) -> Run {
    associate(on(host, "echoscu"), ECHO_TIMEOUTS, target, (calling, called), options, &[])
}

/// Sends `files` in one association; `options` picks the proposed transfer
/// syntaxes (`-xs`, `-xw`, …).
pub fn storescu(port: u16, calling: &str, called: &str, options: &[&str], files: &[&Path]) -> Run {
    associate(dcmtk("storescu"), STORE_TIMEOUTS, loopback(port), (calling, called), options, files)
}

/// `storescu` run on `host`, sending to `target`.
pub fn storescu_from(
    host: &Host,
    target: SocketAddr,
    calling: &str,
    called: &str,
    options: &[&str],
    files: &[&Path],
) -> Run {
    associate(on(host, "storescu"), STORE_TIMEOUTS, target, (calling, called), options, files)
}

/// Runs an SCU `command` (`echoscu`, `storescu`) with the association
/// timeouts `timeouts` against `target`, sending `files` (if any).
fn associate(
    mut command: Command,
    timeouts: [&str; 6],
    target: SocketAddr,
    (calling, called): (&str, &str),
    options: &[&str],
    files: &[&Path],
) -> Run {
    let output = command
        .arg("-v")
        .args(timeouts)
        .args(["-aet", calling, "-aec", called])
        .args(options)
        .arg(target.ip().to_string())
        .arg(target.port().to_string())
        .args(files)
        .output()
        .expect("DCMTK runs (make test installs dcmtk)");
    Run::from(output)
}

const ECHO_TIMEOUTS: [&str; 6] = ["-to", "10", "-ta", "10", "-td", "30"];
const STORE_TIMEOUTS: [&str; 6] = ["-to", "30", "-ta", "30", "-td", "120"];

/// `findscu` with `options` (`-S`, `-k QueryRetrieveLevel=STUDY`, …), each
/// match extracted into `out` as `rsp0001.dcm`, `rsp0002.dcm`, ….
pub fn findscu(port: u16, calling: &str, called: &str, options: &[&str], out: &Path) -> Run {
    let output = dcmtk("findscu")
        .args(["-v", "-to", "30", "-ta", "30", "-td", "60", "-aet", calling, "-aec", called, "-X", "-od"])
        .arg(out)
        .args(options)
        .arg("127.0.0.1")
        .arg(port.to_string())
        .output()
        .expect("findscu runs (make test installs dcmtk)");
    Run::from(output)
}

/// `getscu` with `options` (`-S`, `-k StudyInstanceUID=…`, …): every instance
/// retrieved is stored as a file in `out`.
pub fn getscu(port: u16, calling: &str, called: &str, options: &[&str], out: &Path) -> Run {
    let output = dcmtk("getscu")
        .args(["-v", "-to", "30", "-ta", "30", "-td", "60", "-aet", calling, "-aec", called, "-od"])
        .arg(out)
        .args(options)
        .arg("127.0.0.1")
        .arg(port.to_string())
        .output()
        .expect("getscu runs (make test installs dcmtk)");
    Run::from(output)
}

/// `movescu` asking the receiver to send to `destination`; `options` as getscu's.
pub fn movescu(port: u16, calling: &str, called: &str, destination: &str, options: &[&str]) -> Run {
    let output = dcmtk("movescu")
        .args(["-v", "-to", "30", "-ta", "30", "-td", "60", "-aet", calling, "-aec", called, "-aem", destination])
        .args(options)
        .arg("127.0.0.1")
        .arg(port.to_string())
        .output()
        .expect("movescu runs (make test installs dcmtk)");
    Run::from(output)
}

/// DCMTK's `storescp` as a facility's workstation: listens on a free loopback
/// port as `ae_title`, accepts every transfer syntax, and writes each data set
/// exactly as received (`+B`) into `dir`.
#[derive(Debug)]
pub struct Storescp {
    child: std::process::Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Storescp {
    pub fn start(ae_title: &str) -> Self {
        let dir = tempfile::tempdir().expect("a directory");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = dcmtk("storescp")
            .args(["+xa", "+B", "-aet", ae_title, "-od"])
            .arg(dir.path())
            .arg(port.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("storescp runs (make test installs dcmtk)");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "storescp never listened");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Self { child, port, dir }
    }

    /// The files received so far.
    pub fn received(&self) -> Vec<std::path::PathBuf> {
        let mut files: Vec<_> =
            std::fs::read_dir(self.dir.path()).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        files.sort();
        files
    }
}

impl Drop for Storescp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `dcmdump` of a file: proves an independent reader can parse what was stored.
pub fn dcmdump(path: &Path) -> Run {
    Run::from(Command::new("dcmdump").arg("-q").arg(path).output().expect("dcmdump runs"))
}

/// The storescu option that proposes exactly this transfer syntax.
pub fn proposal_for(transfer_syntax: &str) -> &'static str {
    match transfer_syntax {
        "1.2.840.10008.1.2" => "-xi",
        "1.2.840.10008.1.2.1" => "-xe",
        "1.2.840.10008.1.2.1.99" => "-xd",
        "1.2.840.10008.1.2.2" => "-xb",
        "1.2.840.10008.1.2.4.50" => "-xy",
        "1.2.840.10008.1.2.4.51" => "-xx",
        "1.2.840.10008.1.2.4.70" => "-xs",
        "1.2.840.10008.1.2.4.80" => "-xt",
        "1.2.840.10008.1.2.4.81" => "-xu",
        "1.2.840.10008.1.2.4.90" => "-xv",
        "1.2.840.10008.1.2.4.91" => "-xw",
        "1.2.840.10008.1.2.5" => "-xr",
        other => panic!("no storescu proposal for {other}"),
    }
}
