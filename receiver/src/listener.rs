//! Accepting connections: one task per association, a process-wide cap, and a
//! bounded drain on shutdown (the shape of tokio's mini-redis server).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::association::{self, Shared};

#[derive(Debug)]
pub struct Listener {
    pub listener: TcpListener,
    pub shared: Arc<Shared>,
    /// Associations served at once; the next ones are refused with 2/3/2.
    pub slots: Arc<Semaphore>,
    /// Connections held at once, refused ones included; past it they are closed
    /// unread, so a flood cannot exhaust memory or file descriptors.
    pub connections: Arc<Semaphore>,
    pub shutdown_grace: Duration,
}

impl Listener {
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut tasks = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let Ok(connection) = self.connections.clone().try_acquire_owned() else {
                            tracing::warn!(%peer, "connection limit reached; closing");
                            continue;
                        };
                        // Small command PDUs must not wait for Nagle (DCMTK peers stall without it).
                        if let Err(e) = stream.set_nodelay(true) {
                            tracing::debug!(%peer, error = %e, "could not set TCP_NODELAY");
                        }
                        let slot = self.slots.clone().try_acquire_owned().ok();
                        let shared = self.shared.clone();
                        tasks.spawn(async move {
                            association::serve(stream, peer, shared, slot).await;
                            drop(connection);
                        });
                    }
                    Err(e) => {
                        // Usually out of file descriptors: give running associations a moment to end.
                        tracing::error!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                () = &mut shutdown => break,
            }
        }
        drop(self.listener);
        let running = tasks.len();
        if running > 0 {
            tracing::info!(running, grace_secs = self.shutdown_grace.as_secs(), "waiting for associations to finish");
        }
        let drained =
            tokio::time::timeout(self.shutdown_grace, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!(aborted = tasks.len(), "shutdown grace over; aborting the remaining associations");
            tasks.shutdown().await;
        }
    }
}
