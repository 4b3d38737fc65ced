//! What a facility retrieves (C-GET and C-MOVE today, WADO-RS later): the
//! instances under the matches of its query, and the audit record of how the
//! retrieve went.

use serde_json::json;

use super::audit_trail::append;
use super::query::{FindError, Requester, StudyDetails, find_in};
use crate::domain::{AuditEvent, AuditKind, InstanceSummary, Query, QueryRow, Timestamp};
use crate::ports::{AuditLog, StudyIndex};

/// Every instance under the matches of `query` in the requester's facility,
/// study by study, each series' instances in instance-number order. At most
/// `limit` matches (studies, series or instances, by the query's level).
pub async fn instances_to_retrieve(
    index: &dyn StudyIndex,
    requester: Requester<'_>,
    query: &Query,
    limit: usize,
) -> Result<Vec<InstanceSummary>, FindError> {
    let mut details = StudyDetails::new(index);
    let rows = find_in(&mut details, requester.facility, query, limit).await?;
    let mut instances = Vec::new();
    for row in rows {
        match row {
            // Retrieval is by study and below; PATIENT is refused before this.
            QueryRow::Patient(_) => {}
            QueryRow::Study(study) => {
                if let Some(detail) = details.get(study.id).await? {
                    instances.extend(detail.instances.iter().cloned());
                }
            }
            QueryRow::Series(study, series) => {
                if let Some(detail) = details.get(study.id).await? {
                    let in_series = |i: &&InstanceSummary| i.series_instance_uid == series.series_instance_uid;
                    instances.extend(detail.instances.iter().filter(in_series).cloned());
                }
            }
            QueryRow::Image(_, _, instance) => instances.push(instance),
        }
    }
    instances.sort_by(|a, b| {
        (&a.series_instance_uid, a.instance_number, &a.sop_instance_uid).cmp(&(
            &b.series_instance_uid,
            b.instance_number,
            &b.sop_instance_uid,
        ))
    });
    Ok(instances)
}

/// How a retrieve ended, for the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetrieveOutcome {
    pub completed: u64,
    pub failed: u64,
    pub warning: u64,
    pub cancelled: bool,
    /// A C-MOVE's destination AE title; none for a C-GET.
    pub destination: Option<String>,
}

/// One audit event per retrieve: what was asked at which level, and how many
/// instances went out. UIDs and patient attributes stay out of it.
pub async fn record_retrieve(
    audit: &dyn AuditLog,
    requester: Requester<'_>,
    query: &Query,
    outcome: RetrieveOutcome,
    now: Timestamp,
) {
    let event = AuditEvent::new(AuditKind::DicomRetrieve, requester.actor.clone(), now)
        .for_facility(requester.facility)
        .from_peer(requester.peer)
        .with_details(json!({
            "level": query.level.as_str(),
            "calling_ae_title": requester.calling_ae_title(),
            "completed": outcome.completed,
            "failed": outcome.failed,
            "warning": outcome.warning,
            "cancelled": outcome.cancelled,
            "destination": outcome.destination,
        }));
    append(audit, event).await;
}
