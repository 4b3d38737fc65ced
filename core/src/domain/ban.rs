//! Bans: addresses that failed admission too often are refused for a while.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ban {
    pub address: IpAddr,
    pub reason: String,
    pub failures: u32,
    pub banned_at: Timestamp,
    pub expires_at: Timestamp,
}

/// `threshold` failures within one `window` ban the address for `ban_for`.
/// Windows are fixed (aligned to multiples of `window` since the epoch), which
/// every receiver computes the same way without coordination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BanPolicy {
    pub threshold: u32,
    pub window: Duration,
    pub ban_for: Duration,
}

impl BanPolicy {
    pub fn window_index(&self, at: Timestamp) -> i64 {
        let secs = self.window.as_secs().max(1) as i64;
        at.timestamp().div_euclid(secs)
    }

    pub fn window_end(&self, at: Timestamp) -> Timestamp {
        let secs = self.window.as_secs().max(1) as i64;
        let end = (self.window_index(at) + 1) * secs;
        chrono::DateTime::from_timestamp(end, 0).unwrap_or(at)
    }

    pub fn expiry(&self, at: Timestamp) -> Timestamp {
        at + chrono::Duration::from_std(self.ban_for).unwrap_or(chrono::Duration::MAX)
    }
}

/// What counting one failure led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureCount {
    pub failures_in_window: u32,
    /// Set when this failure crossed the threshold and created the ban.
    pub banned: Option<Ban>,
}
