//! Separate hosts on one machine: each is a network namespace with its own
//! address, joined to the others by a veth pair on a bridge, as machines on one
//! LAN segment are. The test process stays in the root namespace, which owns
//! the bridge's address (the hosts' gateway), and offers the hosts loopback
//! services (the AWS emulator) through a relay on that address.
//!
//! Needs root (`ip netns`, from iproute2), as `make test` runs here.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::net::{TcpListener, TcpStream};

/// Numbers this process's networks, so parallel tests never share names.
static NEXT_NETWORK: AtomicU32 = AtomicU32::new(0);

/// The prefix of every namespace a test makes: `noctis-<pid>-<network>-<host>`.
const NAMESPACE_PREFIX: &str = "noctis-";

fn ip(args: &[&str]) {
    let output = Command::new("ip").args(args).output().expect("`ip` runs (iproute2)");
    assert!(
        output.status.success(),
        "ip {}: {} (network namespaces need root, as make test runs)",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr).trim()
    );
}

fn ip_output(args: &[&str]) -> String {
    Command::new("ip").args(args).output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default()
}

fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Namespaces and bridges left by test processes that died without cleaning up
/// (their processes are killed first): a stale bridge would hold a subnet.
fn remove_leftovers() {
    for line in ip_output(&["netns", "list"]).lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        let owner = name.strip_prefix(NAMESPACE_PREFIX).and_then(|rest| rest.split('-').next());
        if let Some(pid) = owner.and_then(|p| p.parse::<u32>().ok())
            && !process_alive(pid)
        {
            kill_processes_in(name);
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
    for line in ip_output(&["-o", "link", "show", "type", "bridge"]).lines() {
        let name = line.split(':').nth(1).map(str::trim).unwrap_or_default();
        let owner = name.strip_prefix("nb").and_then(|rest| rest.split('-').next());
        if let Some(pid) = owner.and_then(|p| u32::from_str_radix(p, 16).ok())
            && !process_alive(pid)
        {
            let _ = Command::new("ip").args(["link", "del", name]).status();
        }
    }
}

fn kill_processes_in(namespace: &str) {
    for pid in ip_output(&["netns", "pids", namespace]).split_whitespace().filter_map(|p| p.parse::<i32>().ok()) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
}

/// A /24 on its own bridge. Hosts take addresses in it; `.1` is the gateway.
#[derive(Debug)]
pub struct Network {
    id: String,
    number: u32,
    bridge: String,
    subnet: [u8; 3],
    hosts: Vec<String>,
    relays: Vec<tokio::task::JoinHandle<()>>,
}

impl Network {
    pub fn new() -> Self {
        remove_leftovers();
        let pid = std::process::id();
        let number = NEXT_NETWORK.fetch_add(1, Ordering::Relaxed);
        let id = format!("{pid}-{number}");
        let bridge = format!("nb{pid:x}-{number:x}");
        // A /24 that no route uses yet.
        let subnet = (0..250u32)
            .map(|step| [10, 213, u8::try_from((pid + number * 37 + step) % 250 + 1).unwrap_or(1)])
            .find(|[a, b, c]| ip_output(&["-o", "route", "show", &format!("{a}.{b}.{c}.0/24")]).trim().is_empty())
            .expect("a free 10.213.x.0/24");
        // A bridge left to choose its own MAC takes its lowest port's, so it
        // would change as hosts join, and hosts that cached the gateway's
        // old MAC would lose it until their ARP entries went stale.
        let [_, _, c] = subnet;
        let mac = format!("02:6e:6f:{:02x}:{:02x}:{c:02x}", (pid >> 8) & 0xff, pid & 0xff);
        ip(&["link", "add", &bridge, "address", &mac, "type", "bridge"]);
        let network = Self { id, number, bridge, subnet, hosts: Vec::new(), relays: Vec::new() };
        ip(&["addr", "add", &format!("{}/24", network.gateway()), "dev", &network.bridge]);
        ip(&["link", "set", &network.bridge, "up"]);
        network
    }

    /// The root namespace's address on this network.
    pub fn gateway(&self) -> Ipv4Addr {
        self.address(1)
    }

    pub fn address(&self, last: u8) -> Ipv4Addr {
        let [a, b, c] = self.subnet;
        Ipv4Addr::new(a, b, c, last)
    }

    /// `a.b.c.first/bits`: a block of this network, for allowed networks.
    pub fn block(&self, first: u8, bits: u8) -> String {
        format!("{}/{bits}", self.address(first))
    }

    /// A new host at `.last`, named `name` for the logs.
    pub fn host(&mut self, name: &str, last: u8) -> Host {
        let namespace = format!("{NAMESPACE_PREFIX}{}-{name}", self.id);
        let veth = format!("nv{:x}-{:x}-{last:x}", std::process::id(), self.number);
        ip(&["netns", "add", &namespace]);
        ip(&["link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &namespace]);
        ip(&["link", "set", &veth, "master", &self.bridge, "up"]);
        let address = self.address(last);
        ip(&["-n", &namespace, "addr", "add", &format!("{address}/24"), "dev", "eth0"]);
        ip(&["-n", &namespace, "link", "set", "eth0", "up"]);
        ip(&["-n", &namespace, "link", "set", "lo", "up"]);
        self.hosts.push(namespace.clone());
        Host { namespace, address }
    }

    /// Offers the hosts a loopback `endpoint` (`http://127.0.0.1:port`) on the
    /// gateway's address; returns the endpoint as the hosts reach it.
    pub async fn offer(&mut self, endpoint: &str) -> String {
        let target: SocketAddr = endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("a loopback http://address:port endpoint");
        let listener = TcpListener::bind((self.gateway(), 0)).await.expect("a port on the gateway");
        let port = listener.local_addr().expect("an address").port();
        self.relays.push(tokio::spawn(async move {
            loop {
                // A connection reset before it was accepted fails `accept`;
                // the relay goes on for everyone else.
                let Ok((mut inbound, _)) = listener.accept().await else { continue };
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = outbound.set_nodelay(true);
                        let _ = inbound.set_nodelay(true);
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        }));
        format!("http://{}:{port}", self.gateway())
    }
}

impl Default for Network {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        for relay in &self.relays {
            relay.abort();
        }
        for namespace in &self.hosts {
            kill_processes_in(namespace);
            let _ = Command::new("ip").args(["netns", "del", namespace]).status();
        }
        let _ = Command::new("ip").args(["link", "del", &self.bridge]).status();
    }
}

/// One host: a network namespace with one address.
#[derive(Debug, Clone)]
pub struct Host {
    namespace: String,
    pub address: Ipv4Addr,
}

impl Host {
    /// `program` run on this host (`ip netns exec`, which execs it: the child's
    /// pid is the program's own, so signals reach it).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.namespace]).arg(program);
        command
    }

    pub fn socket(&self, port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(self.address), port)
    }
}
