//! C-MOVE on an established association (PS3.4 C.4.2): the instances go, as
//! stored, to one of the facility's registered destinations over an
//! association Noctis opens; the counts come back on the requester's. A move
//! to any AE title the facility did not register is refused with A801.

use noctis_core::domain::InstanceSummary;
use noctis_wire::command::{Command, Reply, StoreRequest, status};

use super::get::{SubOutcome, Target, outcome_of};
use super::{Association, AssociationError, request_model};
use crate::intake::Origin;
use crate::protocol::negotiation::AcceptedContext;
use crate::protocol::outbound::Outbound;

/// The destination of a C-MOVE under way; its association is dropped once
/// it fails, and the remaining sub-operations fail without trying.
#[derive(Debug)]
pub(super) struct Destination {
    outbound: Option<Outbound>,
    ae_title: String,
}

impl Destination {
    pub(super) fn ae_title(&self) -> &str {
        &self.ae_title
    }
}

impl Association {
    pub(super) async fn answer_move(
        &mut self,
        context: &AcceptedContext,
        command: &Command,
        identifier: &[u8],
        origin: &Origin,
    ) -> Result<(), AssociationError> {
        let model = match request_model(command, context, context.move_model()) {
            Ok(model) => model,
            Err(refusal) => return self.respond(context.id, command, refusal).await,
        };
        let wanted = command.move_destination.clone().unwrap_or_default();
        let Some(registered) = origin.facility.move_destinations.find(&wanted).cloned() else {
            let reply =
                Reply::failure(status::MOVE_DESTINATION_UNKNOWN, format!("{wanted} is not a destination of yours"));
            self.shared.metrics.retrieve(reply.status);
            return self.respond(context.id, command, reply).await;
        };
        let Some(plan) = self.plan_or_refuse(context, command, identifier, model, origin).await? else {
            return Ok(());
        };
        if plan.instances.is_empty() {
            // Nothing matched: nothing to connect for; the answer is zero sub-operations.
            let mut nowhere = Destination { outbound: None, ae_title: registered.ae_title.to_string() };
            return self.run_retrieve(context, command, plan, Target::Destination(&mut nowhere), origin).await;
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        for instance in &plan.instances {
            let pair = (instance.sop_class_uid.to_string(), instance.transfer_syntax_uid.to_string());
            if !pairs.contains(&pair) {
                pairs.push(pair);
            }
        }
        let calling = self.shared.admission.scp_ae_title.clone();
        let timeout = self.shared.artim_timeout;
        let outbound = match Outbound::open(&registered, &calling, &pairs, self.shared.max_pdu_length, timeout).await {
            Ok(outbound) => outbound,
            Err(e) => {
                tracing::warn!(destination = %registered.ae_title, host = %registered.host, error = %e, "could not associate with a move destination");
                let reply = Reply::failure(
                    status::UNABLE_TO_PERFORM_SUB_OPERATIONS,
                    format!("could not associate with {}", registered.ae_title),
                );
                self.shared.metrics.retrieve(reply.status);
                return self.respond(context.id, command, reply).await;
            }
        };
        let mut destination = Destination { outbound: Some(outbound), ae_title: registered.ae_title.to_string() };
        let answered = self.run_retrieve(context, command, plan, Target::Destination(&mut destination), origin).await;
        if let Some(outbound) = destination.outbound.take() {
            outbound.release().await;
        }
        answered
    }

    /// Sends one instance to the destination; a failure of the destination's
    /// association fails this sub-operation and every one after it.
    pub(super) async fn move_sub_operation(
        &mut self,
        destination: &mut Destination,
        instance: &InstanceSummary,
        command: &Command,
        origin: &Origin,
    ) -> SubOutcome {
        let Some(outbound) = destination.outbound.as_mut() else {
            return SubOutcome::Failed("the destination stopped answering");
        };
        let Some(context_id) =
            outbound.context_for(instance.sop_class_uid.as_str(), instance.transfer_syntax_uid.as_str())
        else {
            return SubOutcome::Failed("the destination accepts no context for the stored transfer syntax");
        };
        let mut object = match self.shared.retrieves.open_dataset(instance).await {
            Ok(object) => object,
            Err(e) => {
                tracing::error!(error = %e, sop_instance_uid = %instance.sop_instance_uid, "could not open a stored object");
                return SubOutcome::Failed("a stored object could not be read");
            }
        };
        let request = StoreRequest {
            message_id: 0,
            sop_class_uid: instance.sop_class_uid.to_string(),
            sop_instance_uid: instance.sop_instance_uid.to_string(),
            move_originator: Some((origin.calling_ae.to_string(), command.message_id)),
        };
        match outbound.store(context_id, request, &mut object).await {
            Ok(answer) => {
                self.shared.metrics.retrieved(answer);
                outcome_of(answer)
            }
            Err(e) => {
                tracing::warn!(destination = %destination.ae_title, error = %e, "a move destination stopped answering");
                destination.outbound = None;
                SubOutcome::Failed("the destination stopped answering")
            }
        }
    }
}
