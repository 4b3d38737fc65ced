//! Repairs what a process that stopped part-way left behind, every period,
//! in any receiver (each repair is idempotent and safe to race):
//! - studies whose receiver was killed between answering "success" and
//!   settling them: their counts are settled;
//! - deletions whose process stopped between removing objects and removing
//!   rows: they are finished (`usecases::deletion`).

use std::sync::Arc;
use std::time::Duration;

use noctis_core::ports::{ObjectStore, StudyIndex};
use noctis_core::usecases::deletion::finish_interrupted;
use tokio::sync::oneshot;

#[derive(Debug)]
pub struct RepairSweep {
    pub index: Arc<dyn StudyIndex>,
    pub objects: Arc<dyn ObjectStore>,
    /// How often it runs, and how old an unsettled instance or a pending
    /// deletion must be to be taken as abandoned rather than in the hands of
    /// a live association or request.
    pub period: Duration,
}

impl RepairSweep {
    pub async fn run(self, mut stop: oneshot::Receiver<()>) {
        let mut ticker = tokio::time::interval(self.period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => self.sweep().await,
                _ = &mut stop => return,
            }
        }
    }

    async fn sweep(&self) {
        match self.index.settle_abandoned(self.period).await {
            Ok(0) => {}
            Ok(settled) => tracing::info!(settled, "settled studies an earlier receiver left unsettled"),
            Err(e) => tracing::warn!(error = %e, "could not sweep for unsettled studies"),
        }
        match finish_interrupted(self.index.as_ref(), self.objects.as_ref(), self.period).await {
            Ok(0) => {}
            Ok(finished) => tracing::info!(finished, "finished deletions an earlier process left unfinished"),
            Err(e) => tracing::warn!(error = %e, "could not sweep for unfinished deletions"),
        }
    }
}
