//! The load balancer's part in front of a receiver: accepts on a loopback port,
//! connects to the receiver, sends a PROXY protocol v2 header naming `client` as
//! the source (as an NLB target group with proxy_protocol_v2 does), then relays.

use std::net::SocketAddr;

use ppp::v2::{Builder, Command, Protocol, Version};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug)]
pub struct Balancer {
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Balancer {
    pub async fn start(target_port: u16, client: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let task = tokio::spawn(async move {
            loop {
                // A connection reset before it was accepted fails `accept`;
                // the balancer goes on for everyone else.
                let Ok((mut inbound, _)) = listener.accept().await else { continue };
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target_port)).await else { return };
                    let _ = outbound.set_nodelay(true);
                    let _ = inbound.set_nodelay(true);
                    let target = SocketAddr::from(([10, 40, 8, 20], target_port));
                    let header =
                        Builder::with_addresses(Version::Two | Command::Proxy, Protocol::Stream, (client, target))
                            .build()
                            .expect("a PROXY header");
                    if outbound.write_all(&header).await.is_ok() {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { port, task }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
