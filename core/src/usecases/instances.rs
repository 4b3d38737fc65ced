//! Recording a received instance: the step after its object is durable and
//! before the sender is told "success".

use std::net::IpAddr;

use serde_json::json;

use crate::domain::{Actor, AuditEvent, AuditKind, InstanceRecord, Recorded};
use crate::ports::{StoreError, StudyIndex};

/// Indexes `record` and its audit event (by `actor`: the modality, or the
/// user who sent it over HTTP) in one commit, so the trail and the
/// index never disagree. A failure leaves a whole object no index row points
/// to; the sender, told of the failure, sends again and the same key is
/// overwritten.
pub async fn record_instance(
    index: &dyn StudyIndex,
    record: &InstanceRecord,
    actor: Actor,
    peer: IpAddr,
) -> Result<Recorded, StoreError> {
    let event = AuditEvent::new(AuditKind::InstanceStored, actor, record.received_at)
        .for_facility(record.facility_id)
        .from_peer(peer)
        .with_details(json!({
            "study_instance_uid": record.study_instance_uid,
            "series_instance_uid": record.series_instance_uid,
            "sop_instance_uid": record.sop_instance_uid,
            "bytes": record.size_bytes,
            "transfer_syntax": record.transfer_syntax_uid,
        }));
    index.record_instance(record, Some(&event)).await
}
