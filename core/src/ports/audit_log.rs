use async_trait::async_trait;

use super::StoreError;
use crate::domain::{
    AssociationCounts, AuditEvent, AuditQuery, FacilityId, Page, PageRequest, RefusalCount, Timestamp,
};

/// The append-only audit trail.
#[async_trait]
pub trait AuditLog: Send + Sync + std::fmt::Debug {
    async fn append(&self, event: &AuditEvent) -> Result<(), StoreError>;

    /// A facility's associations accepted and refused on the UTC days from
    /// `from`'s to `to`'s, inclusive. `append` keeps daily counts of them, so
    /// this is one bounded read however many other events the trail holds.
    async fn association_counts(
        &self,
        facility: FacilityId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<AssociationCounts, StoreError>;

    /// Associations refused from `from`'s UTC hour to `to`'s, inclusive, by
    /// reason, most first; any facility or none (an unknown AE title). Kept by
    /// `append` per hour and reason, so this reads at most one row per hour
    /// and reason however many refusals a flood made.
    async fn refusals_by_reason(&self, from: Timestamp, to: Timestamp) -> Result<Vec<RefusalCount>, StoreError>;

    /// Events matching `query`, newest first.
    async fn query(&self, query: &AuditQuery, page: &PageRequest) -> Result<Page<AuditEvent>, StoreError>;
}
