use async_trait::async_trait;

use super::StoreError;
use crate::domain::{Report, StudyId};

/// Reports, one per study, with their version history.
#[async_trait]
pub trait ReportStore: Send + Sync + std::fmt::Debug {
    async fn get(&self, study: StudyId) -> Result<Option<Report>, StoreError>;

    /// Stores `report` if the stored one is still at `report.revision - 1` (or
    /// absent, for revision 1). `StaleRevision` when someone saved meanwhile.
    async fn put(&self, report: &Report) -> Result<(), StoreError>;
}
