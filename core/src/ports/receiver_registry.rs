use async_trait::async_trait;

use super::StoreError;
use crate::domain::{ReceiverStatus, Timestamp};

/// Where receivers report themselves, every few seconds, and the API reads who
/// is alive. A report replaces the receiver's previous one.
#[async_trait]
pub trait ReceiverRegistry: Send + Sync + std::fmt::Debug {
    async fn report(&self, status: &ReceiverStatus) -> Result<(), StoreError>;

    /// The receivers whose last report is at or after `since`, newest first.
    /// Reports older than a day may be forgotten.
    async fn reported_since(&self, since: Timestamp) -> Result<Vec<ReceiverStatus>, StoreError>;
}
