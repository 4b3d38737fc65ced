//! One association from A-ASSOCIATE-RQ to release or abort (PS3.8 9.1, PS3.7 9).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use dicom_ul::pdu::{AbortRQServiceProviderReason, AbortRQSource, AssociationAC, AssociationRQ, Pdu, UserVariableItem};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::commitment::CommitmentService;
use crate::intake::{IncomingInstance, Intake, Origin};
use crate::operations::metrics::Metrics;
use crate::policy::admission::Admission;
use crate::policy::limits::{AddressSlots, Slot};
use crate::protocol::negotiation::{AcceptedContext, VERIFICATION, negotiate, storage_scp_roles};
use crate::protocol::pdu_io::{Incoming, PduError, PduReader, PduWriter, Pdv};
use crate::query::QueryService;
use crate::retrieve::RetrieveService;
use crate::settlement::{Settling, StoredStudies};
use crate::shutdown::{Phase, Shutdown};
use noctis_core::domain::QueryModel;
use noctis_wire::command::{Command, CommandError, EncodeError, Reply, Response, field, status};
use noctis_wire::commitment::MAX_COMMITMENT_REQUEST_LEN;
use noctis_wire::identifier::MAX_IDENTIFIER_LEN;

mod commitment;
mod find;
mod get;
mod moving;

/// What every association of a receiver shares.
#[derive(Debug)]
pub struct AssociationServices {
    pub admission: Admission,
    pub store: Arc<Intake>,
    pub queries: Arc<QueryService>,
    pub retrieves: Arc<RetrieveService>,
    pub commitments: Arc<CommitmentService>,
    pub metrics: Arc<Metrics>,
    /// Connections per address that have not yet been admitted or refused.
    pub pending_per_address: Arc<AddressSlots>,
    pub max_pdu_length: u32,
    pub artim_timeout: Duration,
    pub idle_timeout: Duration,
    /// How often a long association settles the studies it stores into.
    pub settle_interval: Duration,
    pub settling: Arc<Settling>,
}

/// Command sets are a few hundred bytes; this bounds a peer that never ends one.
const MAX_COMMAND_LEN: usize = 64 * 1024;
const APPLICATION_CONTEXT: &str = "1.2.840.10008.3.1.1.1";
/// How long a stopping receiver waits for an association to fall silent before
/// it asks for release. A request crossing the A-RELEASE-RQ could no longer be
/// answered, and a sender between two instances pauses for milliseconds.
const QUIET_BEFORE_RELEASE: Duration = Duration::from_secs(2);

/// The two directions of a connection, plain TCP or TLS alike.
pub type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;
pub type WriteHalf = Box<dyn AsyncWrite + Send + Unpin>;

/// Serves one connection. `pending` is its place among its address's
/// connections awaiting admission, given back once admission has decided.
pub async fn serve(
    read: ReadHalf,
    write: WriteHalf,
    peer: SocketAddr,
    shared: Arc<AssociationServices>,
    pending: Slot<std::net::IpAddr>,
    shutdown: Shutdown,
) {
    let mut association = Association {
        reader: PduReader::new(read, shared.max_pdu_length),
        writer: PduWriter::new(write),
        peer,
        shutdown,
        contexts: HashMap::new(),
        storage_scp_roles: HashSet::new(),
        next_message_id: 1,
        stored: StoredStudies::new(shared.store.index.clone(), shared.settle_interval, shared.settling.clone()),
        shared,
    };
    association.run(pending).await;
    association.writer.shutdown().await;
}

struct Association {
    reader: PduReader<ReadHalf>,
    writer: PduWriter<WriteHalf>,
    peer: SocketAddr,
    shared: Arc<AssociationServices>,
    shutdown: Shutdown,
    /// What was agreed, by presentation context id.
    contexts: HashMap<u8, AcceptedContext>,
    /// Storage SOP classes the requester took the SCP role for: a C-GET's
    /// sub-operations go only to these.
    storage_scp_roles: HashSet<String>,
    /// The Message ID of the next request Noctis sends (C-GET sub-operations).
    next_message_id: u16,
    /// The studies this association stored into, settled when it ends.
    stored: StoredStudies,
}

/// The DIMSE message being received on an association.
enum Message {
    Idle,
    /// Command fragments so far.
    Command {
        context_id: u8,
        bytes: BytesMut,
    },
    /// A C-STORE whose data set is arriving.
    Storing {
        context_id: u8,
        command: Command,
        instance: Box<IncomingInstance>,
    },
    /// A C-FIND or C-GET identifier, or an N-ACTION's data set, arriving;
    /// past the request's limit it is dropped and the request refused once it ends.
    Collecting {
        context_id: u8,
        command: Command,
        data: BytesMut,
        too_long: bool,
    },
    /// A request Noctis does not serve; its data set is read and dropped.
    Discarding {
        context_id: u8,
        command: Command,
    },
}

/// Why an established association ended.
enum End {
    Released,
    AbortedByPeer,
    Closed,
    /// We abort: protocol error, timeout, or a broken connection.
    Abort(AssociationError),
}

/// What makes Noctis abort an established association (A-ABORT, PS3.8 7.3).
#[derive(Debug, thiserror::Error)]
enum AssociationError {
    #[error("PDV on presentation context {0}, which was not accepted")]
    UnknownContext(u8),
    #[error("unexpected {kind} fragment on presentation context {context}")]
    UnexpectedFragment { kind: &'static str, context: u8 },
    #[error("a command set longer than {MAX_COMMAND_LEN} bytes")]
    CommandTooLong,
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error(transparent)]
    EncodeIdentifier(#[from] noctis_wire::identifier::EncodeError),
    #[error(transparent)]
    Pdu(#[from] PduError),
    #[error("silent for longer than the idle timeout")]
    IdleTimeout,
    #[error("unexpected {0} PDU")]
    UnexpectedPdu(String),
    #[error("the receiver is shutting down and its grace is over")]
    ShuttingDown,
    #[error("a new request while one was being answered (no asynchronous operations were agreed)")]
    RequestDuringOperation,
    #[error("the connection closed while a request was being answered")]
    ClosedMidOperation,
    #[error("a stored object could not be sent: {0}")]
    SubOperation(String),
    /// The peer asked to release while its answer was awaited; it was released.
    #[error("the peer released mid-operation")]
    ReleasedMidOperation,
    /// Not ours to abort: the peer did.
    #[error("the peer aborted")]
    AbortedByPeer,
}

impl Association {
    async fn run(&mut self, pending: Slot<std::net::IpAddr>) {
        let peer = self.peer;
        // ARTIM (PS3.8 9.1.5): the request must come promptly.
        let mut shutdown = self.shutdown.clone();
        let request = tokio::select! {
            request = tokio::time::timeout(self.shared.artim_timeout, self.reader.next()) => request,
            // Nothing has been agreed yet: closing is all a stopping receiver owes.
            () = shutdown.reached(Phase::Draining) => return,
        };
        let first = match request {
            Ok(Ok(Some(Incoming::Other(Pdu::AssociationRQ(rq))))) => rq,
            Ok(Ok(None)) => return,
            Ok(Ok(Some(_))) => {
                tracing::info!(%peer, "first PDU is not an A-ASSOCIATE-RQ");
                self.abort(AbortRQServiceProviderReason::UnexpectedPdu).await;
                self.shared.admission.count_failure(peer.ip(), "unexpected_pdu").await;
                return;
            }
            Ok(Err(e)) => {
                tracing::info!(%peer, error = %e, "unreadable association request");
                self.abort(AbortRQServiceProviderReason::UnrecognizedPdu).await;
                self.shared.admission.count_failure(peer.ip(), "malformed_pdu").await;
                return;
            }
            Err(_) => {
                tracing::info!(%peer, "no association request within the ARTIM timeout");
                self.shared.admission.count_failure(peer.ip(), "artim_expired").await;
                return;
            }
        };
        let decision = self.shared.admission.admit(&first, peer.ip()).await;
        drop(pending);
        let admitted = match decision {
            Ok(admitted) => admitted,
            Err(rejection) => {
                tracing::info!(%peer, calling_ae = first.calling_ae_title.trim(), reason = rejection.label(), "association rejected");
                self.shared.metrics.association(rejection.label());
                let _ = self.writer.send(&Pdu::AssociationRJ(rejection.pdu())).await;
                return;
            }
        };
        let contexts = match self.accept(&first).await {
            Ok(contexts) => contexts,
            Err(e) => {
                tracing::info!(%peer, error = %e, "could not send A-ASSOCIATE-AC");
                return;
            }
        };
        self.shared.metrics.association("accepted");
        self.shared.metrics.associations_active.inc();
        let origin = Origin::modality(admitted.facility.clone(), admitted.calling_ae.clone(), peer.ip());
        tracing::info!(%peer, calling_ae = %admitted.calling_ae, facility = %admitted.facility.id, "association accepted");
        let end = self.exchange(&contexts, &origin).await;
        self.shared.metrics.associations_active.dec();
        match end {
            End::Released => tracing::info!(%peer, "association released"),
            End::AbortedByPeer => tracing::info!(%peer, "association aborted by the peer"),
            End::Closed => tracing::info!(%peer, "connection closed without release"),
            End::Abort(reason) => {
                tracing::warn!(%peer, %reason, "aborting the association");
                self.abort(AbortRQServiceProviderReason::ReasonNotSpecified).await;
            }
        }
        drop(admitted);
    }

    /// Negotiates the presentation contexts and sends A-ASSOCIATE-AC.
    async fn accept(&mut self, rq: &AssociationRQ) -> Result<HashMap<u8, AcceptedContext>, PduError> {
        let (results, accepted) = negotiate(&rq.presentation_contexts);
        let peer_max = rq
            .user_variables
            .iter()
            .find_map(|v| match v {
                UserVariableItem::MaxLength(len) => Some(*len),
                _ => None,
            })
            .unwrap_or(0);
        self.writer.set_peer_max_pdu_length(peer_max);
        let (role_replies, roles) = storage_scp_roles(&rq.user_variables);
        self.storage_scp_roles = roles;
        let mut user_variables = vec![
            UserVariableItem::MaxLength(self.shared.max_pdu_length),
            UserVariableItem::ImplementationClassUID(crate::intake::IMPLEMENTATION_CLASS_UID.to_owned()),
            UserVariableItem::ImplementationVersionName(crate::intake::IMPLEMENTATION_VERSION_NAME.to_owned()),
        ];
        user_variables.extend(role_replies);
        let ac = AssociationAC {
            protocol_version: 1,
            calling_ae_title: rq.calling_ae_title.clone(),
            called_ae_title: rq.called_ae_title.clone(),
            application_context_name: APPLICATION_CONTEXT.to_owned(),
            presentation_contexts: results,
            user_variables,
        };
        self.writer.send(&Pdu::AssociationAC(ac)).await?;
        self.contexts = accepted.iter().map(|c| (c.id, c.clone())).collect();
        Ok(accepted.into_iter().map(|c| (c.id, c)).collect())
    }

    /// The established association: PDUs until release, abort or silence. On
    /// shutdown, the message under way is finished and answered, and release
    /// is asked for (PS3.8 7.2: either side may) once the peer has been quiet
    /// for `QUIET_BEFORE_RELEASE`; a peer that sends batches releases by
    /// itself first. Once the grace is over, whatever is left is abandoned and
    /// the association aborted.
    async fn exchange(&mut self, contexts: &HashMap<u8, AcceptedContext>, origin: &Origin) -> End {
        let mut message = Message::Idle;
        let mut release_requested = false;
        let mut shutdown = self.shutdown.clone();
        // A second handle: the quiet wait below and the abort watch are both pending at once.
        let mut draining = self.shutdown.clone();
        let end = loop {
            if matches!(message, Message::Idle) && !release_requested {
                // A peer already sending is heard first: asking it to release
                // mid-send would only collide.
                let begun = tokio::select! {
                    biased;
                    begun = tokio::time::timeout(self.shared.idle_timeout, self.reader.begin()) => begun,
                    () = async {
                        draining.reached(Phase::Draining).await;
                        tokio::time::sleep(QUIET_BEFORE_RELEASE).await;
                    } => {
                        if let Err(e) = self.writer.send(&Pdu::ReleaseRQ).await {
                            break End::Abort(e.into());
                        }
                        release_requested = true;
                        continue;
                    }
                    () = shutdown.reached(Phase::Aborting) => break End::Abort(AssociationError::ShuttingDown),
                };
                match begun {
                    Ok(Ok(true)) => {}
                    Ok(Ok(false)) => break End::Closed,
                    Ok(Err(e)) => break End::Abort(e.into()),
                    Err(_) => break End::Abort(AssociationError::IdleTimeout),
                }
            }
            let next = tokio::select! {
                next = tokio::time::timeout(self.shared.idle_timeout, self.reader.next()) => match next {
                    Ok(next) => next,
                    Err(_) => break End::Abort(AssociationError::IdleTimeout),
                },
                () = shutdown.reached(Phase::Aborting) => break End::Abort(AssociationError::ShuttingDown),
            };
            match next {
                // The peer began a request as we asked it to release. Having
                // asked, we may no longer send data (PS3.8 9.2, Sta7): it goes
                // unanswered and unstored, and the peer sends it again.
                Ok(Some(Incoming::Data(pdvs))) if release_requested => {
                    if pdvs.iter().any(|pdv| pdv.is_command) {
                        tracing::info!(peer = %self.peer, "a request crossed our release request; not answered");
                    }
                }
                Ok(Some(Incoming::Data(pdvs))) => match self.on_pdata(pdvs, &mut message, contexts, origin).await {
                    Ok(()) => {}
                    Err(AssociationError::AbortedByPeer) => break End::AbortedByPeer,
                    Err(AssociationError::ClosedMidOperation) => break End::Closed,
                    Err(AssociationError::ReleasedMidOperation) => break End::Released,
                    Err(reason) => break End::Abort(reason),
                },
                // Also a release collision (PS3.8 9.2.4): both asked; we answer.
                Ok(Some(Incoming::Other(Pdu::ReleaseRQ))) => {
                    self.stored.settle().await;
                    let _ = self.writer.send(&Pdu::ReleaseRP).await;
                    break End::Released;
                }
                Ok(Some(Incoming::Other(Pdu::ReleaseRP))) if release_requested => break End::Released,
                Ok(Some(Incoming::Other(Pdu::AbortRQ { .. }))) => break End::AbortedByPeer,
                Ok(Some(Incoming::Other(other))) => {
                    break End::Abort(AssociationError::UnexpectedPdu(other.short_description().to_string()));
                }
                Ok(None) => break End::Closed,
                Err(e) => break End::Abort(e.into()),
            }
        };
        // Whatever was mid-way is dropped whole, here and now rather than by
        // a destructor: no partial object remains.
        if let Message::Storing { instance, .. } = message {
            instance.abandon().await;
        }
        // However it ended, what was answered "success" is counted now
        // (after a release, this was done before answering it).
        self.stored.settle().await;
        end
    }
}

impl Association {
    async fn on_pdata(
        &mut self,
        pdvs: Vec<Pdv>,
        message: &mut Message,
        contexts: &HashMap<u8, AcceptedContext>,
        origin: &Origin,
    ) -> Result<(), AssociationError> {
        for pdv in pdvs {
            let context = contexts.get(&pdv.context_id).ok_or(AssociationError::UnknownContext(pdv.context_id))?;
            *message = self.on_pdv(pdv, std::mem::replace(message, Message::Idle), context, origin).await?;
        }
        Ok(())
    }

    /// Advances the message being received by one PDV (PS3.7 9.3.1: a command set,
    /// then its data set if it has one, each possibly in several fragments).
    async fn on_pdv(
        &mut self,
        pdv: Pdv,
        message: Message,
        context: &AcceptedContext,
        origin: &Origin,
    ) -> Result<Message, AssociationError> {
        match (message, pdv.is_command) {
            (Message::Idle, true) => {
                let bytes = BytesMut::from(pdv.data.as_ref());
                if pdv.is_last {
                    self.on_command(&bytes, context, origin).await
                } else {
                    Ok(Message::Command { context_id: pdv.context_id, bytes })
                }
            }
            (Message::Command { context_id, mut bytes }, true) if context_id == pdv.context_id => {
                if bytes.len() + pdv.data.len() > MAX_COMMAND_LEN {
                    return Err(AssociationError::CommandTooLong);
                }
                bytes.extend_from_slice(&pdv.data);
                if pdv.is_last {
                    self.on_command(&bytes, context, origin).await
                } else {
                    Ok(Message::Command { context_id, bytes })
                }
            }
            (Message::Storing { context_id, command, mut instance }, false) if context_id == pdv.context_id => {
                instance.push(pdv.data).await;
                if !pdv.is_last {
                    return Ok(Message::Storing { context_id, command, instance });
                }
                let (outcome, stored_into) = instance.finish().await;
                self.respond(context_id, &command, outcome).await?;
                if let Some(study) = stored_into {
                    self.stored.stored(study);
                }
                Ok(Message::Idle)
            }
            (Message::Collecting { context_id, command, mut data, mut too_long }, false)
                if context_id == pdv.context_id =>
            {
                let limit =
                    if command.field == field::N_ACTION_RQ { MAX_COMMITMENT_REQUEST_LEN } else { MAX_IDENTIFIER_LEN };
                if data.len() + pdv.data.len() > limit {
                    too_long = true;
                    data.clear();
                } else if !too_long {
                    data.extend_from_slice(&pdv.data);
                }
                if !pdv.is_last {
                    return Ok(Message::Collecting { context_id, command, data, too_long });
                }
                self.on_request_data(context, &command, &data, too_long, origin).await?;
                Ok(Message::Idle)
            }
            (Message::Discarding { context_id, command }, false) if context_id == pdv.context_id => {
                if !pdv.is_last {
                    return Ok(Message::Discarding { context_id, command });
                }
                let outcome = echo_or_refuse(&command, context);
                self.respond(context_id, &command, outcome).await?;
                Ok(Message::Idle)
            }
            (_, is_command) => Err(AssociationError::UnexpectedFragment {
                kind: if is_command { "command" } else { "data" },
                context: pdv.context_id,
            }),
        }
    }

    async fn on_command(
        &mut self,
        bytes: &[u8],
        context: &AcceptedContext,
        origin: &Origin,
    ) -> Result<Message, AssociationError> {
        // Without a decodable command there is no message ID to answer to.
        let command = Command::decode(bytes)?;
        let context_id = context.id;
        match command.field {
            field::C_STORE_RQ if command.has_dataset => {
                let instance = self.shared.store.begin(
                    command.clone(),
                    &context.abstract_syntax,
                    &context.transfer_syntax,
                    origin.clone(),
                );
                Ok(Message::Storing { context_id, command, instance: Box::new(instance) })
            }
            field::C_STORE_RQ => {
                let outcome = Reply::failure(status::CANNOT_UNDERSTAND, "C-STORE without a data set");
                self.respond(context_id, &command, outcome).await?;
                Ok(Message::Idle)
            }
            // The requests whose data set is collected whole before they are answered.
            request if context.takes(request) && command.has_dataset => {
                Ok(Message::Collecting { context_id, command, data: BytesMut::new(), too_long: false })
            }
            field::N_ACTION_RQ if context.takes(field::N_ACTION_RQ) => {
                let reply = Reply::failure(status::MISSING_ATTRIBUTE, "no Referenced SOP Sequence");
                self.respond_to_action(context_id, &command, reply).await?;
                Ok(Message::Idle)
            }
            request if context.takes(request) => {
                let outcome = Reply::failure(status::CANNOT_UNDERSTAND, "a request without an identifier");
                self.respond(context_id, &command, outcome).await?;
                Ok(Message::Idle)
            }
            // A cancel between requests came after its request's final
            // response (C-STORE cannot be cancelled once sent): nothing to stop.
            field::C_CANCEL_RQ => Ok(Message::Idle),
            _ if command.has_dataset => Ok(Message::Discarding { context_id, command }),
            _ => {
                let outcome = echo_or_refuse(&command, context);
                self.respond(context_id, &command, outcome).await?;
                Ok(Message::Idle)
            }
        }
    }

    /// A C-FIND, C-GET or N-ACTION whose data set has arrived whole.
    async fn on_request_data(
        &mut self,
        context: &AcceptedContext,
        command: &Command,
        data: &[u8],
        too_long: bool,
        origin: &Origin,
    ) -> Result<(), AssociationError> {
        match (command.field, too_long) {
            (field::N_ACTION_RQ, true) => {
                let reply = Reply::failure(status::PROCESSING_FAILURE, "a commitment request over 4 MiB");
                self.respond_to_action(context.id, command, reply).await
            }
            (field::N_ACTION_RQ, false) => self.answer_commitment(context, command, data, origin).await,
            (field::C_GET_RQ | field::C_MOVE_RQ, true) => {
                let reply = Reply::failure(status::DATASET_MISMATCH, "identifier longer than 64 KiB");
                self.shared.metrics.retrieve(reply.status);
                self.respond(context.id, command, reply).await
            }
            (field::C_GET_RQ, false) => self.answer_get(context, command, data, origin).await,
            (field::C_MOVE_RQ, false) => self.answer_move(context, command, data, origin).await,
            (_, true) => {
                let reply = Reply::failure(status::DATASET_MISMATCH, "identifier longer than 64 KiB");
                self.shared.metrics.query(reply.status);
                self.respond(context.id, command, reply).await
            }
            (_, false) => self.answer_find(context, command, data, origin).await,
        }
    }

    /// The status the peer answered our request `message_id` with (a C-GET
    /// sub-operation, a commitment report). A C-CANCEL of `cancellable` may
    /// come first: it is noted in `cancelled`, and the answer still awaited.
    async fn await_response(
        &mut self,
        message_id: u16,
        cancellable: Option<&Command>,
        cancelled: &mut bool,
    ) -> Result<u16, AssociationError> {
        let mut command = BytesMut::new();
        loop {
            let next = tokio::time::timeout(self.shared.idle_timeout, self.reader.next())
                .await
                .map_err(|_| AssociationError::IdleTimeout)??;
            let pdvs = match next {
                Some(Incoming::Data(pdvs)) => pdvs,
                Some(Incoming::Other(Pdu::AbortRQ { .. })) => return Err(AssociationError::AbortedByPeer),
                Some(Incoming::Other(Pdu::ReleaseRQ)) => {
                    self.stored.settle().await;
                    let _ = self.writer.send(&Pdu::ReleaseRP).await;
                    return Err(AssociationError::ReleasedMidOperation);
                }
                Some(Incoming::Other(other)) => {
                    return Err(AssociationError::UnexpectedPdu(other.short_description().to_string()));
                }
                None => return Err(AssociationError::ClosedMidOperation),
            };
            for pdv in pdvs {
                if !pdv.is_command {
                    return Err(AssociationError::UnexpectedFragment { kind: "data", context: pdv.context_id });
                }
                if command.len() + pdv.data.len() > MAX_COMMAND_LEN {
                    return Err(AssociationError::CommandTooLong);
                }
                command.extend_from_slice(&pdv.data);
                if !pdv.is_last {
                    continue;
                }
                let received = Command::decode(&command)?;
                command.clear();
                match (received.field, cancellable) {
                    (field::C_CANCEL_RQ, Some(request)) if received.message_id == request.message_id => {
                        *cancelled = true;
                    }
                    (field::C_CANCEL_RQ, _) => {}
                    (answer, _) if answer & field::RESPONSE_BIT != 0 && received.message_id == message_id => {
                        // A response without a Status cannot say it did anything.
                        return Ok(received.status.unwrap_or(status::CANNOT_UNDERSTAND));
                    }
                    _ => return Err(AssociationError::RequestDuringOperation),
                }
            }
        }
    }

    /// The Message ID for the next request Noctis sends on this association.
    fn take_message_id(&mut self) -> u16 {
        let id = self.next_message_id;
        self.next_message_id = self.next_message_id.checked_add(1).unwrap_or(1);
        id
    }

    async fn respond_to_action(
        &mut self,
        context_id: u8,
        command: &Command,
        reply: Reply,
    ) -> Result<(), AssociationError> {
        let mut response = Response::to_action(command, reply.status);
        if let Some(comment) = reply.comment {
            tracing::warn!(peer = %self.peer, status = format!("{:04X}", reply.status), comment, "N-ACTION refused");
            response = response.with_comment(comment);
        }
        self.writer.send_command(context_id, &response.encode()?).await?;
        Ok(())
    }

    async fn respond(&mut self, context_id: u8, command: &Command, reply: Reply) -> Result<(), AssociationError> {
        if reply.status != status::SUCCESS {
            tracing::warn!(
                peer = %self.peer,
                command = format!("{:#06x}", command.field),
                status = format!("{:04X}", reply.status),
                comment = reply.comment.as_deref().unwrap_or(""),
                "request refused"
            );
        }
        let response = Response::answering(command, reply);
        self.writer.send_command(context_id, &response.encode()?).await?;
        Ok(())
    }

    async fn abort(&mut self, reason: AbortRQServiceProviderReason) {
        let _ = self.writer.send(&Pdu::AbortRQ { source: AbortRQSource::ServiceProvider(reason) }).await;
    }
}

/// The information model a C-FIND or C-GET is asked in (`model`, from its
/// context), or the refusal when it has none or the command names another class.
fn request_model(command: &Command, context: &AcceptedContext, model: Option<QueryModel>) -> Result<QueryModel, Reply> {
    let model = model.ok_or(Reply::refusal(status::SOP_CLASS_NOT_SUPPORTED))?;
    if command.affected_sop_class_uid.as_deref() != Some(context.abstract_syntax.as_str()) {
        return Err(Reply::failure(status::DATASET_MISMATCH, "Affected SOP Class differs from the context"));
    }
    Ok(model)
}

/// The answer to anything else: C-ECHO on the Verification context is
/// verified (PS3.7 9.1.5); FIND, GET or MOVE off their contexts are refused
/// as a SOP class this SCP does not serve, anything else as an operation it
/// does not know.
fn echo_or_refuse(command: &Command, context: &AcceptedContext) -> Reply {
    match command.field {
        field::C_ECHO_RQ if context.abstract_syntax == VERIFICATION && !command.has_dataset => Reply::success(),
        field::C_ECHO_RQ | field::C_FIND_RQ | field::C_GET_RQ | field::C_MOVE_RQ => {
            Reply::refusal(status::SOP_CLASS_NOT_SUPPORTED)
        }
        _ => Reply::refusal(status::UNRECOGNIZED_OPERATION),
    }
}
