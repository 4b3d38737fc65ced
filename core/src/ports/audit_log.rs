use async_trait::async_trait;

use super::StoreError;
use crate::domain::{AssociationCounts, AuditEvent, AuditQuery, FacilityId, Page, PageRequest, Timestamp};

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

    /// Events matching `query`, newest first.
    async fn query(&self, query: &AuditQuery, page: &PageRequest) -> Result<Page<AuditEvent>, StoreError>;
}
