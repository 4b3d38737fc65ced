//! The reading workflow of a study: its status and priority.

use serde_json::json;

use super::UseCaseError;
use super::audit_trail::append;
use crate::domain::{Actor, AuditEvent, AuditKind, StudyChange, StudyId, StudySummary, Timestamp};
use crate::ports::{AuditLog, StudyIndex};

pub async fn update_workflow(
    index: &dyn StudyIndex,
    audit: &dyn AuditLog,
    actor: &Actor,
    before: &StudySummary,
    change: StudyChange,
    now: Timestamp,
) -> Result<StudySummary, UseCaseError> {
    let id: StudyId = before.id;
    let after = index.update_study(id, change).await?;
    append(
        audit,
        AuditEvent::new(AuditKind::StudyUpdated, actor.clone(), now).for_facility(after.facility_id).with_details(
            json!({
                "study_id": id,
                "before": {"status": before.status.as_str(), "priority": before.priority.as_str()},
                "after": {"status": after.status.as_str(), "priority": after.priority.as_str()},
            }),
        ),
    )
    .await;
    Ok(after)
}
