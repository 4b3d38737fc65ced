use async_trait::async_trait;

use super::StoreError;
use crate::domain::{AuditEvent, AuditQuery, Page, PageRequest};

/// The append-only audit trail.
#[async_trait]
pub trait AuditLog: Send + Sync + std::fmt::Debug {
    async fn append(&self, event: &AuditEvent) -> Result<(), StoreError>;

    /// Events matching `query`, newest first.
    async fn query(&self, query: &AuditQuery, page: &PageRequest) -> Result<Page<AuditEvent>, StoreError>;
}
