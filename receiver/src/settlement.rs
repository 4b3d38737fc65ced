//! The studies an association stores into are settled (`StudyIndex::settle`:
//! their counts recomputed from their instances) when it ends, before its
//! release is answered, so a sender that has been released finds its studies
//! counted; and every few seconds while it lasts, in the background, so the
//! worklist follows a long transfer. A receiver killed before settling is
//! covered by the sweep (`operations::settlement_sweep`).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use noctis_core::domain::StudyId;
use noctis_core::ports::StudyIndex;
use tokio::time::Instant;

#[derive(Debug)]
pub struct StoredStudies {
    index: Arc<dyn StudyIndex>,
    interval: Duration,
    studies: BTreeSet<StudyId>,
    last_settled: Instant,
}

impl StoredStudies {
    pub fn new(index: Arc<dyn StudyIndex>, interval: Duration) -> Self {
        Self { index, interval, studies: BTreeSet::new(), last_settled: Instant::now() }
    }

    /// An instance of `study` was stored and answered.
    pub fn stored(&mut self, study: StudyId) {
        self.studies.insert(study);
        if self.last_settled.elapsed() >= self.interval {
            self.last_settled = Instant::now();
            let (index, studies) = (self.index.clone(), self.studies.iter().copied().collect::<Vec<_>>());
            tokio::spawn(async move {
                if let Err(e) = index.settle(&studies).await {
                    tracing::warn!(error = %e, "could not settle studies under way; the association's end will");
                }
            });
        }
    }

    /// The association is ending: settles every study it stored into.
    pub async fn settle(&mut self) {
        let studies: Vec<StudyId> = std::mem::take(&mut self.studies).into_iter().collect();
        if studies.is_empty() {
            return;
        }
        if let Err(e) = self.index.settle(&studies).await {
            // Their instances are stored and indexed; only counts lag, until the sweep.
            tracing::error!(error = %e, studies = studies.len(), "could not settle the association's studies");
        }
    }
}
