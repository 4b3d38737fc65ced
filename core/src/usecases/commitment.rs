//! Storage Commitment (PS3.4 J): whether the archive holds each instance a
//! facility's modality asks about. An instance is committed only when it is
//! indexed for that facility, which happens only after its object is durable;
//! anything else fails with the reason PS3.4 J.3.3.1.1 gives.

use serde_json::json;

use super::audit_trail::append;
use super::query::Requester;
use crate::domain::{AuditEvent, AuditKind, Timestamp, Uid};
use crate::ports::{AuditLog, StudyIndex};

/// PS3.4 J.3.3.1.1: Failure Reason values Noctis gives.
pub mod failure_reason {
    /// The archive could not look the instance up.
    pub const PROCESSING_FAILURE: u16 = 0x0110;
    /// Not stored for this facility (never received, or another facility's).
    pub const NO_SUCH_OBJECT_INSTANCE: u16 = 0x0112;
    /// Stored, but as another SOP class than the request names.
    pub const CLASS_INSTANCE_CONFLICT: u16 = 0x0119;
}

/// One requested instance, by the UIDs the request gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentItem {
    pub sop_class_uid: String,
    pub sop_instance_uid: String,
}

/// The verdict on each item, in the order asked: `None` committed, or the failure reason.
pub async fn commit(
    index: &dyn StudyIndex,
    audit: &dyn AuditLog,
    requester: Requester<'_>,
    transaction_uid: &str,
    items: &[CommitmentItem],
    now: Timestamp,
) -> Vec<Option<u16>> {
    let mut verdicts = Vec::with_capacity(items.len());
    for item in items {
        let Ok(uid) = Uid::parse(&item.sop_instance_uid) else {
            verdicts.push(Some(failure_reason::NO_SUCH_OBJECT_INSTANCE));
            continue;
        };
        verdicts.push(match index.find_instance(requester.facility, &uid).await {
            Ok(Some(instance)) if instance.sop_class_uid.as_str() == item.sop_class_uid => None,
            Ok(Some(_)) => Some(failure_reason::CLASS_INSTANCE_CONFLICT),
            Ok(None) => Some(failure_reason::NO_SUCH_OBJECT_INSTANCE),
            Err(e) => {
                tracing::error!(error = %e, "could not look up an instance for Storage Commitment");
                Some(failure_reason::PROCESSING_FAILURE)
            }
        });
    }
    let failed = verdicts.iter().filter(|v| v.is_some()).count();
    let event = AuditEvent::new(AuditKind::StorageCommitment, requester.actor.clone(), now)
        .for_facility(requester.facility)
        .from_peer(requester.peer)
        .with_details(json!({
            "transaction_uid": transaction_uid,
            "calling_ae_title": requester.calling_ae_title(),
            "committed": verdicts.len() - failed,
            "failed": failed,
        }));
    append(audit, event).await;
    verdicts
}
