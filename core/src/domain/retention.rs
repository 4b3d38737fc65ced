//! How long a facility's studies are kept: an optional period in days,
//! counted from a study's last receipt. A study older than its facility's
//! period is deleted by the retention job; a facility without one keeps
//! everything.

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// A retention period of 1 to `MAX_DAYS` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct RetentionPeriod(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a retention period must be 1 to {max} days", max = RetentionPeriod::MAX_DAYS)]
pub struct RetentionPeriodError;

impl RetentionPeriod {
    /// A hundred years: longer than any law asks images to be kept.
    pub const MAX_DAYS: u32 = 36_500;

    pub fn days(days: u64) -> Result<Self, RetentionPeriodError> {
        u32::try_from(days).ok().filter(|d| (1..=Self::MAX_DAYS).contains(d)).map(Self).ok_or(RetentionPeriodError)
    }

    pub fn as_days(&self) -> u32 {
        self.0
    }

    /// The last receipt a study may have at `now` and still be kept: one
    /// received at or before it has outlived the period.
    pub fn cutoff(&self, now: Timestamp) -> Timestamp {
        now - chrono::Duration::days(i64::from(self.0))
    }

    /// Whether a study last received at `last_received_at` is past the period at `now`.
    pub fn has_expired(&self, last_received_at: Timestamp, now: Timestamp) -> bool {
        last_received_at <= self.cutoff(now)
    }
}

impl TryFrom<u32> for RetentionPeriod {
    type Error = RetentionPeriodError;

    fn try_from(days: u32) -> Result<Self, Self::Error> {
        Self::days(u64::from(days))
    }
}

impl From<RetentionPeriod> for u32 {
    fn from(period: RetentionPeriod) -> Self {
        period.0
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_period_is_one_day_to_a_hundred_years() {
        assert_eq!(RetentionPeriod::days(0), Err(RetentionPeriodError));
        assert_eq!(RetentionPeriod::days(1).map(|p| p.as_days()), Ok(1));
        assert_eq!(RetentionPeriod::days(36_500).map(|p| p.as_days()), Ok(36_500));
        assert_eq!(RetentionPeriod::days(36_501), Err(RetentionPeriodError));
        assert_eq!(RetentionPeriod::days(u64::MAX), Err(RetentionPeriodError));
        assert!(serde_json::from_str::<RetentionPeriod>("0").is_err(), "deserialising checks it too");
        assert_eq!(serde_json::from_str::<RetentionPeriod>("30").ok(), RetentionPeriod::days(30).ok());
    }

    #[test]
    fn a_study_expires_once_its_last_receipt_is_a_whole_period_old() {
        let period = RetentionPeriod::days(30).expect("a period");
        let now = chrono::Utc.with_ymd_and_hms(2026, 3, 31, 12, 0, 0).unwrap();
        let exactly = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        assert!(period.has_expired(exactly, now));
        assert!(!period.has_expired(exactly + chrono::Duration::seconds(1), now));
        assert!(period.has_expired(exactly - chrono::Duration::days(400), now));
    }
}
