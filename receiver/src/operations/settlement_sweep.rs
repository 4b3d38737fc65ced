//! Settles the studies whose receiver was killed between answering "success"
//! and settling them: every period, any receiver may (settling is idempotent
//! and safe to race), so the counts are repaired while one receiver runs.

use std::sync::Arc;
use std::time::Duration;

use noctis_core::ports::StudyIndex;
use tokio::sync::oneshot;

#[derive(Debug)]
pub struct SettlementSweep {
    pub index: Arc<dyn StudyIndex>,
    /// How often it runs, and how old an unsettled instance must be to be
    /// taken as abandoned rather than in the hands of a live association.
    pub period: Duration,
}

impl SettlementSweep {
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
    }
}
