//! The association Noctis opens as a Storage SCU to a facility's registered
//! C-MOVE destination (PS3.4 C.4.2.2): one presentation context for each
//! stored (SOP class, transfer syntax) pair, exactly as stored, C-STOREs one at
//! a time, released at the end.

use std::collections::HashMap;
use std::time::Duration;

use bytes::BytesMut;
use dicom_ul::pdu::{
    AbortRQSource, AssociationRQ, Pdu, PresentationContextProposed, PresentationContextResultReason, UserVariableItem,
};
use noctis_core::domain::{AeTitle, MoveDestination};
use noctis_wire::command::{Command, StoreRequest, field};
use tokio::io::AsyncRead;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::protocol::pdu_io::{Incoming, PduError, PduReader, PduWriter, SendObjectError};

/// PS3.8 9.3.2.2: presentation context IDs are the odd numbers 1 to 255.
const MAX_CONTEXTS: usize = 128;
const APPLICATION_CONTEXT: &str = "1.2.840.10008.3.1.1.1";
/// A response command set is a few hundred bytes.
const MAX_RESPONSE_LEN: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("could not connect: {0}")]
    Connect(std::io::Error),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the destination refused the association")]
    Rejected,
    #[error("the destination aborted")]
    Aborted,
    #[error("an unexpected {0} PDU from the destination")]
    Unexpected(String),
    #[error(transparent)]
    Pdu(#[from] PduError),
    #[error(transparent)]
    Command(#[from] noctis_wire::command::CommandError),
    #[error(transparent)]
    Encode(#[from] noctis_wire::command::EncodeError),
    #[error(transparent)]
    Object(#[from] SendObjectError),
}

/// An established association to a destination.
#[derive(Debug)]
pub struct Outbound {
    reader: PduReader<OwnedReadHalf>,
    writer: PduWriter<OwnedWriteHalf>,
    /// Accepted contexts by (SOP class, transfer syntax).
    contexts: HashMap<(String, String), u8>,
    next_message_id: u16,
    timeout: Duration,
}

impl Outbound {
    /// Connects to `destination` as `calling` and proposes `pairs` (SOP
    /// class, transfer syntax), the first 128 of them.
    pub async fn open(
        destination: &MoveDestination,
        calling: &AeTitle,
        pairs: &[(String, String)],
        max_pdu_length: u32,
        timeout: Duration,
    ) -> Result<Self, OutboundError> {
        let address = (destination.host.as_str(), destination.port);
        let stream = tokio::time::timeout(timeout, TcpStream::connect(address))
            .await
            .map_err(|_| OutboundError::Timeout(timeout))?
            .map_err(OutboundError::Connect)?;
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let (mut reader, mut writer) = (PduReader::new(read, max_pdu_length), PduWriter::new(write));
        let proposed: Vec<PresentationContextProposed> = pairs
            .iter()
            .take(MAX_CONTEXTS)
            .zip((1u8..=255).step_by(2))
            .map(|((class, ts), id)| PresentationContextProposed {
                id,
                abstract_syntax: class.clone(),
                transfer_syntaxes: vec![ts.clone()],
            })
            .collect();
        let request = AssociationRQ {
            protocol_version: 1,
            calling_ae_title: calling.to_string(),
            called_ae_title: destination.ae_title.to_string(),
            application_context_name: APPLICATION_CONTEXT.to_owned(),
            presentation_contexts: proposed.clone(),
            user_variables: vec![
                UserVariableItem::MaxLength(max_pdu_length),
                UserVariableItem::ImplementationClassUID(crate::intake::IMPLEMENTATION_CLASS_UID.to_owned()),
                UserVariableItem::ImplementationVersionName(crate::intake::IMPLEMENTATION_VERSION_NAME.to_owned()),
            ],
        };
        writer.send(&Pdu::AssociationRQ(request)).await?;
        let answer =
            tokio::time::timeout(timeout, reader.next()).await.map_err(|_| OutboundError::Timeout(timeout))??;
        let ac = match answer {
            Some(Incoming::Other(Pdu::AssociationAC(ac))) => ac,
            Some(Incoming::Other(Pdu::AssociationRJ(_))) => return Err(OutboundError::Rejected),
            Some(Incoming::Other(Pdu::AbortRQ { .. })) | None => return Err(OutboundError::Aborted),
            Some(Incoming::Other(other)) => {
                return Err(OutboundError::Unexpected(other.short_description().to_string()));
            }
            Some(Incoming::Data(_)) => return Err(OutboundError::Unexpected("P-DATA-TF".into())),
        };
        let peer_max = ac.user_variables.iter().find_map(|v| match v {
            UserVariableItem::MaxLength(length) => Some(*length),
            _ => None,
        });
        writer.set_peer_max_pdu_length(peer_max.unwrap_or(0));
        let contexts = ac
            .presentation_contexts
            .iter()
            .filter(|result| result.reason == PresentationContextResultReason::Acceptance)
            .filter_map(|result| {
                let proposal = proposed.iter().find(|p| p.id == result.id)?;
                Some(((proposal.abstract_syntax.clone(), proposal.transfer_syntaxes[0].clone()), result.id))
            })
            .collect();
        Ok(Self { reader, writer, contexts, next_message_id: 1, timeout })
    }

    /// The accepted context for a SOP class in a transfer syntax.
    pub fn context_for(&self, sop_class: &str, transfer_syntax: &str) -> Option<u8> {
        self.contexts.get(&(sop_class.to_owned(), transfer_syntax.to_owned())).copied()
    }

    /// Sends one C-STORE and returns the status the destination answered.
    pub async fn store<R: AsyncRead + Unpin + ?Sized>(
        &mut self,
        context_id: u8,
        mut request: StoreRequest,
        object: &mut R,
    ) -> Result<u16, OutboundError> {
        request.message_id = self.next_message_id;
        self.next_message_id = self.next_message_id.checked_add(1).unwrap_or(1);
        self.writer.send_command(context_id, &request.encode()?).await?;
        self.writer.send_object(context_id, object).await?;
        let mut command = BytesMut::new();
        loop {
            let next = tokio::time::timeout(self.timeout, self.reader.next())
                .await
                .map_err(|_| OutboundError::Timeout(self.timeout))??;
            let pdvs = match next {
                Some(Incoming::Data(pdvs)) => pdvs,
                Some(Incoming::Other(Pdu::AbortRQ { .. })) | None => return Err(OutboundError::Aborted),
                Some(Incoming::Other(other)) => {
                    return Err(OutboundError::Unexpected(other.short_description().to_string()));
                }
            };
            for pdv in pdvs.into_iter().filter(|pdv| pdv.is_command) {
                if command.len() + pdv.data.len() > MAX_RESPONSE_LEN {
                    return Err(OutboundError::Unexpected("an oversized command set".into()));
                }
                command.extend_from_slice(&pdv.data);
                if !pdv.is_last {
                    continue;
                }
                let response = Command::decode(&command)?;
                command.clear();
                if response.field == field::C_STORE_RQ | field::RESPONSE_BIT
                    && response.message_id == request.message_id
                {
                    return Ok(response.status.unwrap_or(noctis_wire::command::status::CANNOT_UNDERSTAND));
                }
                return Err(OutboundError::Unexpected(format!("command {:#06x}", response.field)));
            }
        }
    }

    /// Asks to release and waits (within the timeout) for the answer; aborts
    /// when none comes.
    pub async fn release(mut self) {
        if self.writer.send(&Pdu::ReleaseRQ).await.is_ok() {
            match tokio::time::timeout(self.timeout, self.reader.next()).await {
                Ok(Ok(Some(Incoming::Other(Pdu::ReleaseRP)))) => {}
                _ => {
                    let abort = Pdu::AbortRQ { source: AbortRQSource::ServiceUser };
                    let _ = self.writer.send(&abort).await;
                }
            }
        }
        self.writer.shutdown().await;
    }
}
