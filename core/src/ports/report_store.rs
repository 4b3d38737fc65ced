use async_trait::async_trait;

use super::StoreError;
use crate::domain::{Report, StudyId};

/// Reports, one per study, with their version history.
#[async_trait]
pub trait ReportStore: Send + Sync + std::fmt::Debug {
    async fn get(&self, study: StudyId) -> Result<Option<Report>, StoreError>;

    /// Writes `report` over the stored one if that is still at `report.revision`
    /// (0: none stored yet), like every other update; returns the stored record
    /// (revision bumped). `StaleRevision` when someone saved meanwhile.
    async fn save(&self, report: &Report) -> Result<Report, StoreError>;
}
