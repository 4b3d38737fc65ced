//! Storage Commitment requests (PS3.4 J.3.2) translated into the commitment
//! use case, and its verdicts into the N-EVENT-REPORT's data set.

use std::sync::Arc;

use noctis_core::domain::now;
use noctis_core::ports::{AuditLog, StudyIndex};
use noctis_core::usecases::commitment::{CommitmentItem, commit};
use noctis_wire::command::{Command, Reply, status};
use noctis_wire::commitment::{CommitmentError, Reference, decode_commitment_request, encode_commitment_result};
use noctis_wire::transfer_syntax::DataSetEncoding;

use crate::intake::Origin;
use crate::protocol::negotiation::{STORAGE_COMMITMENT_INSTANCE, STORAGE_COMMITMENT_PUSH};

/// PS3.4 J.3.2: the one action, "Request Storage Commitment".
const REQUEST_STORAGE_COMMITMENT: u16 = 1;
/// PS3.4 J.3.3: all committed, or some failed.
const ALL_COMMITTED: u16 = 1;
const SOME_FAILED: u16 = 2;

#[derive(Debug)]
pub struct CommitmentService {
    pub index: Arc<dyn StudyIndex>,
    pub audit: Arc<dyn AuditLog>,
}

/// The result to report: its Event Type ID and encoded data set.
#[derive(Debug)]
pub struct CommitmentReport {
    pub event_type_id: u16,
    pub dataset: Vec<u8>,
}

impl CommitmentService {
    /// Rules on the N-ACTION `command` and its data set `bytes`, received in
    /// `transfer_syntax`, for the association's facility; or the N-ACTION
    /// failure to answer instead.
    pub async fn answer(
        &self,
        command: &Command,
        bytes: &[u8],
        transfer_syntax: &str,
        origin: &Origin,
    ) -> Result<CommitmentReport, Reply> {
        if command.requested_sop_class_uid.as_deref() != Some(STORAGE_COMMITMENT_PUSH) {
            return Err(Reply::failure(status::NO_SUCH_SOP_CLASS, "Storage Commitment Push Model only"));
        }
        if command.requested_sop_instance_uid.as_deref() != Some(STORAGE_COMMITMENT_INSTANCE) {
            return Err(Reply::failure(
                status::NO_SUCH_OBJECT_INSTANCE,
                "the well-known instance is 1.2.840.10008.1.20.1.1",
            ));
        }
        if command.action_type_id != Some(REQUEST_STORAGE_COMMITMENT) {
            return Err(Reply::failure(status::NO_SUCH_ACTION, "Action Type ID 1 only"));
        }
        let encoding = DataSetEncoding::of(transfer_syntax).elements;
        let request = decode_commitment_request(bytes, encoding).map_err(|e| match e {
            CommitmentError::Walk(_) => Reply::failure(status::PROCESSING_FAILURE, e.to_string()),
            _ => Reply::failure(status::MISSING_ATTRIBUTE, e.to_string()),
        })?;
        let items: Vec<CommitmentItem> = request
            .references
            .iter()
            .map(|r| CommitmentItem {
                sop_class_uid: r.sop_class_uid.clone(),
                sop_instance_uid: r.sop_instance_uid.clone(),
            })
            .collect();
        let requester = origin.requester();
        let verdicts =
            commit(self.index.as_ref(), self.audit.as_ref(), requester, &request.transaction_uid, &items, now()).await;
        let (mut committed, mut failed): (Vec<Reference>, Vec<(Reference, u16)>) = (Vec::new(), Vec::new());
        for (reference, verdict) in request.references.into_iter().zip(verdicts) {
            match verdict {
                None => committed.push(reference),
                Some(reason) => failed.push((reference, reason)),
            }
        }
        let event_type_id = if failed.is_empty() { ALL_COMMITTED } else { SOME_FAILED };
        let dataset =
            encode_commitment_result(&request.transaction_uid, &committed, &failed, encoding).map_err(|e| {
                tracing::error!(error = %e, "could not encode a commitment result");
                Reply::failure(status::PROCESSING_FAILURE, "the result could not be encoded")
            })?;
        Ok(CommitmentReport { event_type_id, dataset })
    }
}
