//! The retention job: every study whose last receipt is older than its
//! facility's retention period is deleted, as an administrator's deletion of
//! the study would be (objects and rows together, resumable, audited), with
//! the system as the actor and the period in the audit event.
//!
//! A study is judged on what the index holds when it is reached, so one that
//! received an instance since the listing is kept; an instance arriving
//! while its study is deleted is kept too, as with any deletion
//! (`Deletion::takes`). A dry run lists the same studies and deletes nothing.

use serde::Serialize;

use super::UseCaseError;
use super::deletion::begin_and_carry_out;
use crate::domain::{
    Actor, Deletion, DeletionCause, DeletionScope, Facility, FacilityId, PageLimit, PageRequest, RetentionPeriod,
    StudyFilter, StudyId, StudySummary, Timestamp, Uid,
};
use crate::ports::{FacilityRegistry, ObjectStore, StudyIndex};

/// The ports the job touches.
#[derive(Debug, Clone, Copy)]
pub struct RetentionPorts<'a> {
    pub facilities: &'a dyn FacilityRegistry,
    pub index: &'a dyn StudyIndex,
    pub objects: &'a dyn ObjectStore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionMode {
    /// Lists what would be deleted; changes nothing.
    DryRun,
    Delete,
}

/// A study past its facility's period: deleted, or on a dry run, to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiredStudy {
    pub facility_id: FacilityId,
    pub study_id: StudyId,
    pub study_instance_uid: Uid,
    pub last_received_at: Timestamp,
    pub retention_days: u32,
    pub instances: u64,
    pub bytes: u64,
}

/// What one run found, over every facility.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetentionSummary {
    /// Facilities with a retention period.
    pub facilities: usize,
    pub studies: usize,
    pub instances: u64,
    pub bytes: u64,
}

/// Applies every facility's retention period at `now`, telling `each` of
/// every expired study as it is deleted (or, on a dry run, found). The first
/// failure stops the run; what it began is finished by the sweep, and the
/// next run goes on from what is left.
pub async fn apply_retention(
    ports: RetentionPorts<'_>,
    mode: RetentionMode,
    now: Timestamp,
    each: &mut (dyn FnMut(&ExpiredStudy) + Send),
) -> Result<RetentionSummary, UseCaseError> {
    let mut summary = RetentionSummary::default();
    for facility in ports.facilities.list().await? {
        let Some(period) = facility.retention else { continue };
        summary.facilities += 1;
        for candidate in expired_studies(ports.index, &facility, period, now).await? {
            let Some(expired) = expire(ports, mode, &candidate, period, now).await? else { continue };
            summary.studies += 1;
            summary.instances = summary.instances.saturating_add(expired.instances);
            summary.bytes = summary.bytes.saturating_add(expired.bytes);
            each(&expired);
        }
    }
    Ok(summary)
}

/// The facility's studies last received at or before the period's cutoff.
/// The listing is keyed by first receipt, never later than the last, so its
/// range holds every one; only identifiers are kept.
async fn expired_studies(
    index: &dyn StudyIndex,
    facility: &Facility,
    period: RetentionPeriod,
    now: Timestamp,
) -> Result<Vec<StudyId>, UseCaseError> {
    let cutoff = period.cutoff(now);
    // The listing's upper bound is exclusive; a study received at the cutoff itself has expired.
    let filter = StudyFilter {
        facility_id: Some(facility.id),
        received_to: Some(cutoff + chrono::Duration::microseconds(1)),
        ..StudyFilter::default()
    };
    let mut page = PageRequest::first(PageLimit::new(PageLimit::MAX).unwrap_or(PageLimit::DEFAULT));
    let mut ids = Vec::new();
    loop {
        let listed = index.list_studies(&filter, &page).await?;
        ids.extend(
            listed.items.iter().filter(|s: &&StudySummary| period.has_expired(s.last_received_at, now)).map(|s| s.id),
        );
        match listed.next_cursor {
            Some(after) => page.after = Some(after),
            None => return Ok(ids),
        }
    }
}

/// Deletes one study if, as the index holds it now, it is still past the period.
async fn expire(
    ports: RetentionPorts<'_>,
    mode: RetentionMode,
    study: &StudyId,
    period: RetentionPeriod,
    now: Timestamp,
) -> Result<Option<ExpiredStudy>, UseCaseError> {
    let Some(detail) = ports.index.get_study(*study).await? else { return Ok(None) };
    let summary = &detail.study;
    if !period.has_expired(summary.last_received_at, now) {
        return Ok(None);
    }
    let expired = ExpiredStudy {
        facility_id: summary.facility_id,
        study_id: summary.id,
        study_instance_uid: summary.study_instance_uid.clone(),
        last_received_at: summary.last_received_at,
        retention_days: period.as_days(),
        instances: detail.instances.len() as u64,
        bytes: detail.instances.iter().fold(0u64, |sum, i| sum.saturating_add(i.size_bytes)),
    };
    if mode == RetentionMode::Delete {
        let deletion = Deletion {
            id: uuid::Uuid::new_v4(),
            study: summary.id,
            facility_id: summary.facility_id,
            study_instance_uid: summary.study_instance_uid.clone(),
            scope: DeletionScope::Study,
            requested_by: Actor::System,
            requested_at: now,
            instances: expired.instances,
            bytes: expired.bytes,
            cause: DeletionCause::Expired { retention: period },
        };
        begin_and_carry_out(ports.index, ports.objects, &deletion).await?;
    }
    Ok(Some(expired))
}
