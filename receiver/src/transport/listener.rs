//! Accepting connections: one task per association, a process-wide cap, and a
//! bounded drain on shutdown (the shape of tokio's mini-redis server).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::protocol::association::AssociationServices;
use crate::shutdown::{Phase, Shutdown};
use crate::transport::connection::{self, Transport};
use crate::transport::tls::Acceptor;

#[derive(Debug)]
pub struct Listener {
    pub listener: TcpListener,
    /// The DICOM TLS port and its acceptor, when configured.
    pub tls: Option<(TcpListener, Acceptor)>,
    /// Connections on both ports start with a PROXY protocol v2 header.
    pub proxy_protocol: bool,
    pub shared: Arc<AssociationServices>,
    /// Connections held at once, refused ones included; past it they are closed
    /// unread, so a flood cannot exhaust memory or file descriptors.
    pub connections: Arc<Semaphore>,
    pub shutdown_grace: Duration,
}

impl Listener {
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut tasks = JoinSet::new();
        let (stop, stopping) = crate::shutdown::channel();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = self.listener.accept() => self.start(&mut tasks, accepted, None, &stopping).await,
                accepted = accept_tls(&self.tls) => {
                    let acceptor = self.tls.as_ref().map(|(_, acceptor)| acceptor.clone());
                    self.start(&mut tasks, accepted, acceptor, &stopping).await;
                }
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                () = &mut shutdown => break,
            }
        }
        drop(self.listener);
        drop(self.tls);
        stop.advance(Phase::Draining);
        let running = tasks.len();
        if running > 0 {
            tracing::info!(running, grace_secs = self.shutdown_grace.as_secs(), "releasing associations");
        }
        if drain(&mut tasks, self.shutdown_grace).await {
            return;
        }
        tracing::warn!(remaining = tasks.len(), "shutdown grace over; abandoning what is mid-instance");
        stop.advance(Phase::Aborting);
        if drain(&mut tasks, ABORT_DEADLINE).await {
            return;
        }
        // Only a store call that never returns gets here.
        tracing::error!(remaining = tasks.len(), "associations did not stop; cancelling them");
        tasks.shutdown().await;
    }
}

impl Listener {
    async fn start(
        &self,
        tasks: &mut JoinSet<()>,
        accepted: std::io::Result<(TcpStream, std::net::SocketAddr)>,
        tls: Option<Acceptor>,
        shutdown: &Shutdown,
    ) {
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Usually out of file descriptors: give running associations a moment to end.
                tracing::error!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                return;
            }
        };
        let Ok(connection) = self.connections.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "connection limit reached; closing");
            self.shared.metrics.association("connection_limit");
            return;
        };
        // Small command PDUs must not wait for Nagle (DCMTK peers stall without it).
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "could not set TCP_NODELAY");
        }
        let shared = self.shared.clone();
        let transport = Transport { proxy_protocol: self.proxy_protocol, tls };
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            connection::serve(stream, peer, transport, shared, shutdown).await;
            drop(connection);
        });
    }
}

/// How long associations get, after the grace, to abandon their instances
/// and abort.
const ABORT_DEADLINE: Duration = Duration::from_secs(10);

/// Waits for every task to end, up to `limit`; `true` when they all did.
async fn drain(tasks: &mut JoinSet<()>, limit: Duration) -> bool {
    tokio::time::timeout(limit, async { while tasks.join_next().await.is_some() {} }).await.is_ok()
}

/// The TLS port's next connection; never, when there is no TLS port.
async fn accept_tls(tls: &Option<(TcpListener, Acceptor)>) -> std::io::Result<(TcpStream, std::net::SocketAddr)> {
    match tls {
        Some((listener, _)) => listener.accept().await,
        None => std::future::pending().await,
    }
}
