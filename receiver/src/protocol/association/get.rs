//! C-GET on an established association (PS3.4 C.4.3): each instance retrieved
//! is a C-STORE sub-operation back to the requester on the same association,
//! streamed from the store in its stored transfer syntax, never transcoded. A
//! C-CANCEL is heard between sub-operations and while one awaits its answer.

use noctis_core::domain::{InstanceSummary, QueryModel};
use noctis_core::usecases::retrieve::RetrieveOutcome;
use noctis_wire::command::{Command, Reply, Response, StoreRequest, SubOperations, status};
use noctis_wire::elements::Tag;
use noctis_wire::identifier::encode_identifier;
use noctis_wire::transfer_syntax::DataSetEncoding;

use super::moving::Destination;
use super::{Association, AssociationError, request_model};
use crate::intake::Origin;
use crate::protocol::negotiation::AcceptedContext;
use crate::protocol::pdu_io::SendObjectError;
use crate::retrieve::RetrievePlan;
use crate::shutdown::Phase;

const FAILED_SOP_INSTANCE_UID_LIST: Tag = Tag(0x0008, 0x0058);

/// Where a retrieve's sub-operations go: back on the requester's own
/// association (C-GET), or to a destination on one of ours (C-MOVE).
pub(super) enum Target<'a> {
    Requester,
    Destination(&'a mut Destination),
}

/// How one sub-operation ended; a failure says why, for the Error Comment.
pub(super) enum SubOutcome {
    Completed,
    Warning,
    Failed(&'static str),
}

/// What the receiving side's C-STORE status makes of a sub-operation.
pub(super) fn outcome_of(answer: u16) -> SubOutcome {
    match answer {
        status::SUCCESS => SubOutcome::Completed,
        warning if status::is_warning(warning) => SubOutcome::Warning,
        _ => SubOutcome::Failed("the receiving side refused an instance"),
    }
}

impl Association {
    /// Answers a C-GET: the sub-operations in turn, a pending response with
    /// the counts after each, then the final status (PS3.4 C.4.3.1.3.1).
    pub(super) async fn answer_get(
        &mut self,
        context: &AcceptedContext,
        command: &Command,
        identifier: &[u8],
        origin: &Origin,
    ) -> Result<(), AssociationError> {
        let model = match request_model(command, context, context.retrieve_model()) {
            Ok(model) => model,
            Err(refusal) => return self.respond(context.id, command, refusal).await,
        };
        match self.plan_or_refuse(context, command, identifier, model, origin).await? {
            Some(plan) => self.run_retrieve(context, command, plan, Target::Requester, origin).await,
            None => Ok(()),
        }
    }

    /// The instances a C-GET or C-MOVE retrieves; `None` once the refusal
    /// has been sent instead.
    pub(super) async fn plan_or_refuse(
        &mut self,
        context: &AcceptedContext,
        command: &Command,
        identifier: &[u8],
        model: QueryModel,
        origin: &Origin,
    ) -> Result<Option<RetrievePlan>, AssociationError> {
        match self.shared.retrieves.plan(identifier, model, context.transfer_syntax.as_str(), origin).await {
            Ok(plan) => Ok(Some(plan)),
            Err(reply) => {
                self.shared.metrics.retrieve(reply.status);
                self.respond(context.id, command, reply).await?;
                Ok(None)
            }
        }
    }

    /// The sub-operations of a C-GET or C-MOVE in turn, a pending response
    /// with the counts after each, then the final status (PS3.4 C.4.2.1.3.1,
    /// C.4.3.1.3.1).
    pub(super) async fn run_retrieve(
        &mut self,
        context: &AcceptedContext,
        command: &Command,
        plan: RetrievePlan,
        mut target: Target<'_>,
        origin: &Origin,
    ) -> Result<(), AssociationError> {
        // PS3.7 C.4.3: the counts are US.
        let Ok(total) = u16::try_from(plan.instances.len()) else {
            let reply =
                Reply::failure(status::UNABLE_TO_PERFORM_SUB_OPERATIONS, "over 65535 instances: retrieve by series");
            self.shared.metrics.retrieve(reply.status);
            return self.respond(context.id, command, reply).await;
        };
        let mut counts = SubOperations { remaining: Some(total), ..SubOperations::default() };
        let mut failed = Vec::new();
        let mut first_failure = None;
        let mut cancelled = false;
        for (sent, instance) in plan.instances.iter().enumerate() {
            if self.aborting() {
                return Err(AssociationError::ShuttingDown);
            }
            if cancelled || self.cancel_arrived(command).await? {
                cancelled = true;
                break;
            }
            let outcome = match &mut target {
                Target::Requester => self.store_sub_operation(instance, command, &mut cancelled).await?,
                Target::Destination(outbound) => self.move_sub_operation(outbound, instance, command, origin).await,
            };
            match outcome {
                SubOutcome::Completed => counts.completed += 1,
                SubOutcome::Warning => counts.warning += 1,
                SubOutcome::Failed(why) => {
                    counts.failed += 1;
                    first_failure.get_or_insert(why);
                    failed.push(instance.sop_instance_uid.to_string());
                }
            }
            let remaining = total - u16::try_from(sent + 1).unwrap_or(total);
            counts.remaining = Some(remaining);
            if remaining > 0 && !cancelled {
                let pending = Response::to(command, status::PENDING).with_sub_operations(counts);
                self.writer.send_command(context.id, &pending.encode()?).await?;
            }
        }
        let final_status = match (cancelled, counts.failed, counts.completed + counts.warning) {
            (true, _, _) => status::CANCELED,
            (false, 0, _) if counts.warning == 0 => status::SUCCESS,
            (false, _, 0) => status::UNABLE_TO_PERFORM_SUB_OPERATIONS,
            _ => status::SUB_OPERATIONS_WITH_FAILURES,
        };
        if !cancelled {
            counts.remaining = None;
        }
        let mut response = Response::to(command, final_status).with_sub_operations(counts);
        if let Some(why) = first_failure {
            response = response.with_comment(why);
        }
        let failed_list = if failed.is_empty() {
            None
        } else {
            let encoding = DataSetEncoding::of(context.transfer_syntax.as_str()).elements;
            Some(encode_identifier(&[(FAILED_SOP_INSTANCE_UID_LIST, failed)], encoding)?)
        };
        if failed_list.is_some() {
            response = response.with_dataset();
        }
        self.writer.send_command(context.id, &response.encode()?).await?;
        if let Some(list) = failed_list {
            self.writer.send_data(context.id, &list).await?;
        }
        self.shared.metrics.retrieve(final_status);
        let outcome = RetrieveOutcome {
            completed: counts.completed.into(),
            failed: counts.failed.into(),
            warning: counts.warning.into(),
            cancelled,
            destination: match &target {
                Target::Requester => None,
                Target::Destination(outbound) => Some(outbound.ae_title().to_owned()),
            },
        };
        self.shared.retrieves.record(origin, &plan.query, outcome).await;
        Ok(())
    }

    /// Sends one instance as a C-STORE-RQ and waits for its answer. Failures
    /// before the first byte is sent are the sub-operation's; one after it
    /// (the store failing mid-object) leaves a data set half sent, which only
    /// an abort can end.
    async fn store_sub_operation(
        &mut self,
        instance: &InstanceSummary,
        get: &Command,
        cancelled: &mut bool,
    ) -> Result<SubOutcome, AssociationError> {
        let Some(context_id) = self.sub_operation_context(instance) else {
            return Ok(SubOutcome::Failed("no context accepts the stored transfer syntax"));
        };
        let mut object = match self.shared.retrieves.open_dataset(instance).await {
            Ok(object) => object,
            Err(e) => {
                tracing::error!(error = %e, sop_instance_uid = %instance.sop_instance_uid, "could not open a stored object");
                return Ok(SubOutcome::Failed("a stored object could not be read"));
            }
        };
        let message_id = self.take_message_id();
        let request = StoreRequest {
            message_id,
            sop_class_uid: instance.sop_class_uid.to_string(),
            sop_instance_uid: instance.sop_instance_uid.to_string(),
            move_originator: None,
        };
        self.writer.send_command(context_id, &request.encode()?).await?;
        self.writer.send_object(context_id, &mut object).await.map_err(|e| match e {
            SendObjectError::Read(e) => AssociationError::SubOperation(e.to_string()),
            SendObjectError::Send(e) => AssociationError::Pdu(e),
        })?;
        let answer = self.await_response(message_id, Some(get), cancelled).await?;
        self.shared.metrics.retrieved(answer);
        Ok(outcome_of(answer))
    }

    /// A context of the instance's SOP class, in its stored transfer syntax,
    /// for which the requester took the storage SCP role.
    fn sub_operation_context(&self, instance: &InstanceSummary) -> Option<u8> {
        let class = instance.sop_class_uid.as_str();
        if !self.storage_scp_roles.contains(class) {
            return None;
        }
        self.contexts
            .values()
            .filter(|c| c.abstract_syntax == class && c.transfer_syntax == instance.transfer_syntax_uid)
            .map(|c| c.id)
            .min()
    }

    /// Whether the grace for stopping is over (checked between sub-operations).
    fn aborting(&self) -> bool {
        self.shutdown.has_reached(Phase::Aborting)
    }
}
