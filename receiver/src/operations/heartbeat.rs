//! The receiver reports itself to the registry every few seconds: the API,
//! which cannot see receivers behind a load balancer, lists who reported
//! lately. A failed report is logged and tried again at the next beat; it
//! never touches an association.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use noctis_core::domain::{ReceiverStatus, now};
use noctis_core::ports::ReceiverRegistry;
use tokio::sync::oneshot;

use crate::operations::metrics::Metrics;

#[derive(Debug)]
pub struct Heartbeat {
    pub registry: Arc<dyn ReceiverRegistry>,
    pub interval: Duration,
    pub metrics: Arc<Metrics>,
    pub draining: Arc<AtomicBool>,
    pub status: ReceiverStatus,
}

impl Heartbeat {
    /// A new process's first status: its id, where it runs and when it began.
    pub fn status_at_start() -> ReceiverStatus {
        let at = now();
        ReceiverStatus {
            id: uuid::Uuid::new_v4(),
            // ECS and Docker set HOSTNAME to the task's or container's name.
            host: std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "receiver".to_owned()),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            started_at: at,
            reported_at: at,
            open_associations: 0,
            draining: false,
        }
    }

    /// Reports at once, then every interval, and a last time when `stop` fires.
    pub async fn run(mut self, mut stop: oneshot::Receiver<()>) {
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => self.beat().await,
                _ = &mut stop => {
                    self.beat().await;
                    return;
                }
            }
        }
    }

    async fn beat(&mut self) {
        self.status.reported_at = now();
        self.status.open_associations = u64::try_from(self.metrics.associations_active.get()).unwrap_or(0);
        self.status.draining = self.draining.load(Ordering::Relaxed);
        if let Err(e) = self.registry.report(&self.status).await {
            tracing::warn!(error = %e, "could not report to the receiver registry");
        }
    }
}
