//! The studies an association stores into are settled (`StudyIndex::settle`:
//! their counts recomputed from their instances) when it ends, before its
//! release is answered (for up to ten seconds), so a sender that has been
//! released finds its studies counted; and every few seconds while it lasts, in the background, so the
//! worklist follows a long transfer. A receiver killed before settling is
//! covered by the sweep (`operations::repair_sweep`).

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use noctis_core::domain::StudyId;
use noctis_core::ports::StudyIndex;
use tokio::time::Instant;

/// The studies this process is settling in the background: several
/// associations into one study need one settlement under way, not one each.
#[derive(Debug, Default)]
pub struct Settling(Mutex<HashSet<StudyId>>);

impl Settling {
    /// Claims `study`, unless a background settlement of it is under way.
    fn claim(&self, study: StudyId) -> bool {
        self.0.lock().map(|mut under_way| under_way.insert(study)).unwrap_or(false)
    }

    fn release(&self, study: StudyId) {
        if let Ok(mut under_way) = self.0.lock() {
            under_way.remove(&study);
        }
    }
}

/// Peers wait for a release answer for about 30 s (DCMTK's default): well
/// within that, the answer goes whether or not the settlement has finished.
const SETTLE_BEFORE_RELEASE: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct StoredStudies {
    index: Arc<dyn StudyIndex>,
    interval: Duration,
    settling: Arc<Settling>,
    studies: BTreeSet<StudyId>,
    last_settled: Instant,
}

impl StoredStudies {
    pub fn new(index: Arc<dyn StudyIndex>, interval: Duration, settling: Arc<Settling>) -> Self {
        Self { index, interval, settling, studies: BTreeSet::new(), last_settled: Instant::now() }
    }

    /// An instance of `study` was stored and answered.
    pub fn stored(&mut self, study: StudyId) {
        self.studies.insert(study);
        if self.last_settled.elapsed() < self.interval {
            return;
        }
        self.last_settled = Instant::now();
        let claimed: Vec<StudyId> = self.studies.iter().copied().filter(|s| self.settling.claim(*s)).collect();
        if claimed.is_empty() {
            return;
        }
        let (index, settling) = (self.index.clone(), self.settling.clone());
        tokio::spawn(async move {
            if let Err(e) = index.settle(&claimed).await {
                tracing::warn!(error = %e, "could not settle studies under way; the association's end will");
            }
            for study in claimed {
                settling.release(study);
            }
        });
    }

    /// The association is ending: settles every study it stored into. The
    /// release waits for it at most `SETTLE_BEFORE_RELEASE`; a settlement
    /// still running then (a large study's backlog) goes on after the answer.
    pub async fn settle(&mut self) {
        let studies: Vec<StudyId> = std::mem::take(&mut self.studies).into_iter().collect();
        if studies.is_empty() {
            return;
        }
        let index = self.index.clone();
        let count = studies.len();
        let settling = tokio::spawn(async move {
            if let Err(e) = index.settle(&studies).await {
                // Their instances are stored and indexed; only counts lag, until the sweep.
                tracing::error!(error = %e, studies = count, "could not settle the association's studies");
            }
        });
        if tokio::time::timeout(SETTLE_BEFORE_RELEASE, settling).await.is_err() {
            tracing::warn!(studies = count, "settling goes on after the association's end");
        }
    }
}
