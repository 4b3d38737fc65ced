//! HAProxy (Debian's) as the TCP load balancer in front of N receivers, as the
//! NLB is on AWS: TCP mode, a PROXY protocol v2 header naming the client on
//! every connection, and HTTP health checks on each receiver's `/healthz`.
//!
//! How it agrees with a receiver's shutdown (`dicom.shutdown_grace_secs`):
//! - a stopping receiver answers 503 on `/healthz` at once, and keeps accepting
//!   for `dicom.drain_delay_secs`: two failed checks a second apart
//!   ([`DETECTION_SECS`]) mark it down before its listener closes, and a connect
//!   refused all the same goes to another receiver (`retries`, `option redispatch`);
//! - established sessions on a server marked down are kept (no `on-marked-down
//!   shutdown-sessions`): the receiver itself ends them within its grace;
//! - idle timeouts exceed the receiver's (`dicom.idle_timeout_secs`, 300 s), so
//!   the balancer never cuts an association the receiver still serves.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::network::Host;

pub const DICOM_PORT: u16 = 11112;
pub const DICOM_TLS_PORT: u16 = 2762;
const HEALTH_PORT: u16 = 8081;
/// How long the balancer takes to mark a failing receiver down: `fall` checks
/// `inter` apart (see the configuration below).
pub const DETECTION_SECS: u64 = 2;

/// Where DICOM TLS ends, if the balancer offers it on [`DICOM_TLS_PORT`].
#[derive(Debug, Clone, Copy)]
pub enum Tls<'a> {
    Off,
    /// HAProxy holds the certificate (PEM chain then key, in one file) and
    /// passes plain DICOM on to the receivers, as an NLB TLS listener does.
    AtTheBalancer {
        certificate_and_key: &'a Path,
    },
    /// The stream passes through to the receivers' own TLS port (mutual TLS).
    InTheReceivers,
}

#[derive(Debug)]
pub struct Haproxy {
    child: Child,
    address: Ipv4Addr,
    stats_socket: PathBuf,
    _dir: tempfile::TempDir,
}

/// One receiver as the balancer sees it (`show stat`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerState {
    pub backend: String,
    pub name: String,
    /// `UP`, `DOWN`, `UP 1/2`, `DOWN 1/2`, `MAINT`, …
    pub status: String,
    /// Sessions open now.
    pub sessions: u64,
    /// Connects retried on this server, and connections dispatched away from it.
    pub retries: u64,
    pub redispatches: u64,
}

fn config(address: Ipv4Addr, receivers: &[Ipv4Addr], tls: Tls<'_>, stats_socket: &Path) -> String {
    let servers = |port: u16| -> String {
        receivers.iter().enumerate().map(|(i, r)| format!("    server receiver-{} {r}:{port}\n", i + 1)).collect()
    };
    let backend = |name: &str, port: u16| {
        format!(
            "backend {name}\n    balance roundrobin\n    option httpchk GET /healthz\n    http-check expect status 200\n    \
             default-server send-proxy-v2 check port {HEALTH_PORT} inter 1s fall 2 rise 2\n{}",
            servers(port)
        )
    };
    let mut text = format!(
        "global\n    stats socket {} mode 600 level admin\n    maxconn 4096\n\n\
         defaults\n    mode tcp\n    timeout connect 2s\n    timeout client 330s\n    timeout server 330s\n    \
         retries 3\n    option redispatch\n\n\
         frontend dicom\n    bind {address}:{DICOM_PORT}\n    default_backend receivers\n\n{}\n",
        stats_socket.display(),
        backend("receivers", DICOM_PORT)
    );
    match tls {
        Tls::Off => {}
        Tls::AtTheBalancer { certificate_and_key } => text.push_str(&format!(
            "frontend dicom_tls\n    bind {address}:{DICOM_TLS_PORT} ssl crt {}\n    default_backend receivers\n\n",
            certificate_and_key.display()
        )),
        Tls::InTheReceivers => text.push_str(&format!(
            "frontend dicom_tls\n    bind {address}:{DICOM_TLS_PORT}\n    default_backend receivers_tls\n\n{}\n",
            backend("receivers_tls", DICOM_TLS_PORT)
        )),
    }
    text
}

impl Haproxy {
    /// Starts HAProxy on `host` in front of `receivers` (their DICOM port
    /// 11112, TLS port 2762 and health port 8081) and waits for it to answer.
    pub async fn start(host: &Host, receivers: &[Ipv4Addr], tls: Tls<'_>) -> Self {
        let dir = tempfile::tempdir().expect("a directory");
        let stats_socket = dir.path().join("admin.sock");
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, config(host.address, receivers, tls, &stats_socket)).expect("writes the configuration");
        let child = host
            .command("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy runs (make test installs it)");
        let haproxy = Self { child, address: host.address, stats_socket, _dir: dir };
        crate::eventually(30, "HAProxy's stats socket", || async { haproxy.try_servers().await }).await;
        haproxy
    }

    pub fn dicom(&self) -> SocketAddr {
        SocketAddr::from((self.address, DICOM_PORT))
    }

    pub fn dicom_tls(&self) -> SocketAddr {
        SocketAddr::from((self.address, DICOM_TLS_PORT))
    }

    /// Every server of every backend, as the balancer sees it now.
    pub async fn servers(&self) -> Vec<ServerState> {
        self.try_servers().await.expect("HAProxy answers on its stats socket")
    }

    async fn try_servers(&self) -> Option<Vec<ServerState>> {
        let mut socket = tokio::net::UnixStream::connect(&self.stats_socket).await.ok()?;
        socket.write_all(b"show stat\n").await.ok()?;
        let mut csv = String::new();
        socket.read_to_string(&mut csv).await.ok()?;
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next()?.trim_start_matches("# ").split(',').collect();
        let column = |name: &str| header.iter().position(|h| *h == name);
        let (backend, name, status, sessions, retries, redispatches) = (
            column("pxname")?,
            column("svname")?,
            column("status")?,
            column("scur")?,
            column("wretr")?,
            column("wredis")?,
        );
        let number = |fields: &[&str], i: usize| fields.get(i).and_then(|v| v.parse().ok()).unwrap_or(0);
        Some(
            lines
                .map(|line| line.split(',').collect::<Vec<_>>())
                .filter(|f| f.get(name).is_some_and(|n| *n != "FRONTEND" && *n != "BACKEND"))
                .map(|f| ServerState {
                    backend: f[backend].to_owned(),
                    name: f[name].to_owned(),
                    status: f[status].to_owned(),
                    sessions: number(&f, sessions),
                    retries: number(&f, retries),
                    redispatches: number(&f, redispatches),
                })
                .collect(),
        )
    }

    /// Waits until every server of every backend is up.
    pub async fn wait_all_up(&self) {
        self.wait_for("every receiver up", |s| s.status == "UP").await;
    }

    /// Waits until `check` holds for every server of every backend.
    pub async fn wait_for(&self, what: &str, check: impl Fn(&ServerState) -> bool) {
        crate::eventually(60, &format!("HAProxy: {what}"), || async {
            let servers = self.servers().await;
            servers.iter().all(&check).then_some(())
        })
        .await;
    }

    /// Waits until the server named `name` (`receiver-2`) has `status` in every backend.
    pub async fn wait_for_server(&self, name: &str, status: &str) {
        crate::eventually(60, &format!("HAProxy: {name} {status}"), || async {
            let servers = self.servers().await;
            servers.iter().filter(|s| s.name == name).all(|s| s.status == status).then_some(())
        })
        .await;
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
