//! Storage Commitment Push on an established association (PS3.4 J.3): the
//! N-ACTION answered, then the result reported at once with N-EVENT-REPORT on
//! the same association. The verdicts come from the index as the request
//! arrives, so there is never a pending result to keep for a later one.

use noctis_wire::command::{Command, EventReportRequest, Reply};

use super::{Association, AssociationError};
use crate::intake::Origin;
use crate::protocol::negotiation::{AcceptedContext, STORAGE_COMMITMENT_INSTANCE, STORAGE_COMMITMENT_PUSH};

impl Association {
    pub(super) async fn answer_commitment(
        &mut self,
        context: &AcceptedContext,
        command: &Command,
        data: &[u8],
        origin: &Origin,
    ) -> Result<(), AssociationError> {
        let report = match self.shared.commitments.answer(command, data, context.transfer_syntax.as_str(), origin).await
        {
            Ok(report) => report,
            Err(refusal) => return self.respond_to_action(context.id, command, refusal).await,
        };
        self.respond_to_action(context.id, command, Reply::success()).await?;
        let message_id = self.take_message_id();
        let request = EventReportRequest {
            message_id,
            sop_class_uid: STORAGE_COMMITMENT_PUSH.to_owned(),
            sop_instance_uid: STORAGE_COMMITMENT_INSTANCE.to_owned(),
            event_type_id: report.event_type_id,
        };
        self.writer.send_command(context.id, &request.encode()?).await?;
        self.writer.send_data(context.id, &report.dataset).await?;
        let mut no_cancel = false;
        let answer = self.await_response(message_id, None, &mut no_cancel).await?;
        if answer != noctis_wire::command::status::SUCCESS {
            tracing::warn!(peer = %self.peer, status = format!("{answer:04X}"), "the commitment report was not accepted");
        }
        Ok(())
    }
}
