//! A receiver process as it reports itself, so that the API, which never sees
//! the receivers (behind a load balancer, or another process), can say which
//! are alive.

use serde::{Deserialize, Serialize};

use super::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiverStatus {
    /// New at every process start.
    pub id: uuid::Uuid,
    /// The host or task the process runs on.
    pub host: String,
    pub version: String,
    pub started_at: Timestamp,
    pub reported_at: Timestamp,
    pub open_associations: u64,
    /// Shutting down: it accepts no new association.
    pub draining: bool,
}

impl ReceiverStatus {
    /// Whether the last report is recent enough to believe the receiver alive:
    /// two missed reports are allowed, for a slow store or a paused task.
    pub fn is_reporting(&self, now: Timestamp, interval: std::time::Duration) -> bool {
        let allowed = chrono::Duration::from_std(interval * 3).unwrap_or(chrono::Duration::MAX);
        now - self.reported_at <= allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receiver_is_reporting_until_it_misses_two_reports() {
        let at = crate::domain::now();
        let status = ReceiverStatus {
            id: uuid::Uuid::nil(),
            host: "a".into(),
            version: "1".into(),
            started_at: at,
            reported_at: at,
            open_associations: 0,
            draining: false,
        };
        let every = std::time::Duration::from_secs(15);
        assert!(status.is_reporting(at + chrono::Duration::seconds(45), every));
        assert!(!status.is_reporting(at + chrono::Duration::seconds(46), every));
    }
}
