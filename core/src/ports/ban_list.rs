use std::net::IpAddr;

use async_trait::async_trait;

use super::StoreError;
use crate::domain::{Ban, BanPolicy, FailureCount, Timestamp};

/// Failed-admission counts and the bans they lead to, shared by every receiver.
#[async_trait]
pub trait BanList: Send + Sync + std::fmt::Debug {
    /// Counts one failure for `address` in the policy's current window; the
    /// failure that reaches the threshold bans the address.
    async fn record_failure(
        &self,
        address: IpAddr,
        reason: &str,
        policy: &BanPolicy,
        at: Timestamp,
    ) -> Result<FailureCount, StoreError>;

    /// The ban in force on `address` at `at`, if any.
    async fn active_ban(&self, address: IpAddr, at: Timestamp) -> Result<Option<Ban>, StoreError>;

    /// Bans in force at `at`, soonest to expire first.
    async fn list_active(&self, at: Timestamp) -> Result<Vec<Ban>, StoreError>;

    /// Writes `ban` as it was in force elsewhere (restoring a registry
    /// archive), over any ban of the same address.
    async fn restore(&self, ban: &Ban) -> Result<(), StoreError>;

    /// Lifts the ban and forgets the failures counted toward it. `false`, and
    /// nothing changed (failures counted so far included), when there was none.
    async fn lift(&self, address: IpAddr) -> Result<bool, StoreError>;
}
