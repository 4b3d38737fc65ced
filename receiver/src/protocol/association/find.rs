//! C-FIND on an established association (PS3.4 C.4.1): the matches as pending
//! responses, a C-CANCEL heard between them.

use std::time::Duration;

use dicom_ul::pdu::Pdu;
use noctis_wire::command::{Command, Reply, Response, field, status};

use super::{Association, AssociationError, request_model};
use crate::intake::Origin;
use crate::protocol::negotiation::AcceptedContext;
use crate::protocol::pdu_io::Incoming;
use crate::query::FindAnswer;

impl Association {
    /// Answers a C-FIND: each match as a pending response with its identifier,
    /// then the final status. A C-CANCEL already received is honoured between
    /// matches (PS3.4 C.4.1.2.3): the rest are dropped and FE00 ends it.
    pub(super) async fn answer_find(
        &mut self,
        context: &AcceptedContext,
        command: &Command,
        identifier: &[u8],
        origin: &Origin,
    ) -> Result<(), AssociationError> {
        let model = match request_model(command, context, context.query_model()) {
            Ok(model) => model,
            Err(refusal) => return self.respond(context.id, command, refusal).await,
        };
        let answer = self.shared.queries.find(identifier, model, context.transfer_syntax.as_str(), origin).await;
        let (identifiers, pending_status) = match answer {
            FindAnswer::Matches { identifiers, pending_status } => (identifiers, pending_status),
            FindAnswer::Refused(reply) => {
                self.shared.metrics.query(reply.status);
                return self.respond(context.id, command, reply).await;
            }
        };
        for identifier in identifiers {
            if self.cancel_arrived(command).await? {
                self.shared.metrics.query(status::CANCELED);
                return self.respond(context.id, command, Reply::refusal(status::CANCELED)).await;
            }
            let pending = Response::to(command, pending_status).with_dataset();
            self.writer.send_command(context.id, &pending.encode()?).await?;
            self.writer.send_data(context.id, &identifier).await?;
        }
        self.shared.metrics.query(status::SUCCESS);
        self.respond(context.id, command, Reply::success()).await
    }

    /// Whether the peer has asked to cancel `command`. Only what has already
    /// arrived is read: answering never waits on the peer.
    pub(super) async fn cancel_arrived(&mut self, command: &Command) -> Result<bool, AssociationError> {
        match tokio::time::timeout(Duration::ZERO, self.reader.begin()).await {
            Err(_) => return Ok(false),
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => return Err(AssociationError::ClosedMidOperation),
            Ok(Err(e)) => return Err(e.into()),
        }
        let next = tokio::time::timeout(self.shared.idle_timeout, self.reader.next())
            .await
            .map_err(|_| AssociationError::IdleTimeout)??;
        match next {
            // Without asynchronous operations, only a C-CANCEL may come now (PS3.7 9.3.2.3).
            Some(Incoming::Data(pdvs)) => match pdvs.as_slice() {
                [pdv] if pdv.is_command && pdv.is_last => {
                    let cancel = Command::decode(&pdv.data)?;
                    if cancel.field != field::C_CANCEL_RQ {
                        return Err(AssociationError::RequestDuringOperation);
                    }
                    // A cancel of another message has nothing to stop.
                    Ok(cancel.message_id == command.message_id)
                }
                _ => Err(AssociationError::RequestDuringOperation),
            },
            Some(Incoming::Other(Pdu::AbortRQ { .. })) => Err(AssociationError::AbortedByPeer),
            Some(Incoming::Other(other)) => Err(AssociationError::UnexpectedPdu(other.short_description().to_string())),
            None => Err(AssociationError::ClosedMidOperation),
        }
    }
}
