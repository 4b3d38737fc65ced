//! What was received per UTC day, for the dashboard: read from the daily
//! counts the index keeps as instances are recorded, never by walking studies.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::UseCaseError;
use crate::domain::{DailyActivity, FacilityId, Timestamp};
use crate::ports::StudyIndex;

/// How many whole UTC days, ending today, are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityWindow(u16);

impl ActivityWindow {
    /// A quarter: longer views belong to reporting, not to a dashboard.
    pub const MAX_DAYS: u16 = 92;
    pub const WEEK: ActivityWindow = ActivityWindow(7);

    pub fn parse(days: u32) -> Result<Self, UseCaseError> {
        match u16::try_from(days) {
            Ok(days) if (1..=Self::MAX_DAYS).contains(&days) => Ok(Self(days)),
            _ => Err(UseCaseError::invalid("days", format!("days is between 1 and {}", Self::MAX_DAYS))),
        }
    }

    /// The first and last day of the window that ends on `now`'s UTC day.
    pub fn days_ending(self, now: Timestamp) -> (NaiveDate, NaiveDate) {
        let to = now.date_naive();
        (to - chrono::Duration::days(i64::from(self.0) - 1), to)
    }
}

/// New studies and new instances on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCounts {
    pub day: NaiveDate,
    pub studies: u64,
    pub instances: u64,
}

/// Every day of a window, oldest first, zeros included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Every facility in scope together.
    pub overall: Vec<DayCounts>,
    /// Each facility that sent anything in the window, by id.
    pub facilities: Vec<(FacilityId, Vec<DayCounts>)>,
}

/// What `scope` (one facility, or all when `None`) received on each day of
/// `window`.
pub async fn received_per_day(
    index: &dyn StudyIndex,
    scope: Option<FacilityId>,
    window: ActivityWindow,
    now: Timestamp,
) -> Result<Activity, UseCaseError> {
    let (from, to) = window.days_ending(now);
    let rows = index.daily_activity(scope, from, to).await?;
    Ok(fill_days(&rows, from, to))
}

/// Spreads stored rows (days with something only) over every day of the window.
fn fill_days(rows: &[DailyActivity], from: NaiveDate, to: NaiveDate) -> Activity {
    let days: Vec<NaiveDate> = from.iter_days().take_while(|day| *day <= to).collect();
    let zeros = || days.iter().map(|&day| DayCounts { day, studies: 0, instances: 0 }).collect::<Vec<_>>();
    let mut overall = zeros();
    let mut facilities: BTreeMap<FacilityId, Vec<DayCounts>> = BTreeMap::new();
    for row in rows {
        let Some(at) = days.iter().position(|day| *day == row.day) else {
            continue;
        };
        for counts in [&mut overall[at], &mut facilities.entry(row.facility_id).or_insert_with(zeros)[at]] {
            counts.studies += row.studies;
            counts.instances += row.instances;
        }
    }
    Activity { from, to, overall, facilities: facilities.into_iter().collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a day")
    }

    #[test]
    fn a_window_is_one_to_a_quarter_of_days_ending_today() {
        assert!(ActivityWindow::parse(0).is_err());
        assert!(ActivityWindow::parse(93).is_err());
        assert!(ActivityWindow::parse(u32::MAX).is_err());
        let now = "2026-03-01T00:30:00Z".parse().expect("a time");
        assert_eq!(ActivityWindow::parse(1).expect("1").days_ending(now), (day("2026-03-01"), day("2026-03-01")));
        assert_eq!(ActivityWindow::WEEK.days_ending(now), (day("2026-02-23"), day("2026-03-01")));
    }

    #[test]
    fn every_day_of_the_window_is_filled_and_facilities_add_up() {
        let (a, b) = (FacilityId::new_random(), FacilityId::new_random());
        let rows = [
            DailyActivity { facility_id: a, day: day("2026-02-27"), studies: 1, instances: 3 },
            DailyActivity { facility_id: b, day: day("2026-02-27"), studies: 2, instances: 5 },
            DailyActivity { facility_id: a, day: day("2026-03-01"), studies: 0, instances: 4 },
        ];
        let activity = fill_days(&rows, day("2026-02-27"), day("2026-03-01"));
        let counts = |days: &[DayCounts]| days.iter().map(|d| (d.studies, d.instances)).collect::<Vec<_>>();
        assert_eq!(counts(&activity.overall), [(3, 8), (0, 0), (0, 4)]);
        assert_eq!(
            activity.overall.iter().map(|d| d.day).collect::<Vec<_>>(),
            [day("2026-02-27"), day("2026-02-28"), day("2026-03-01")]
        );
        let by_facility: BTreeMap<_, _> = activity.facilities.iter().map(|(id, days)| (*id, counts(days))).collect();
        assert_eq!(by_facility[&a], [(1, 3), (0, 0), (0, 4)]);
        assert_eq!(by_facility[&b], [(2, 5), (0, 0), (0, 0)]);
    }
}
