//! DIMSE command sets in and out (PS3.7 9.3, E.1). Command sets are always
//! Implicit VR Little Endian, whatever the presentation context says. Requests
//! are read with the bounded element walker: a command set is a peer's bytes.

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::entries::IMPLICIT_VR_LITTLE_ENDIAN;

use crate::elements::{Encoding, Tag, WalkError, Walker};

/// PS3.7 E.1: Command Field values.
pub mod field {
    pub const C_STORE_RQ: u16 = 0x0001;
    pub const C_GET_RQ: u16 = 0x0010;
    pub const C_FIND_RQ: u16 = 0x0020;
    pub const C_MOVE_RQ: u16 = 0x0021;
    pub const C_ECHO_RQ: u16 = 0x0030;
    pub const C_CANCEL_RQ: u16 = 0x0FFF;
    pub const N_EVENT_REPORT_RQ: u16 = 0x0100;
    pub const N_ACTION_RQ: u16 = 0x0130;
    /// A response's field is its request's with this bit set.
    pub const RESPONSE_BIT: u16 = 0x8000;
}

/// PS3.7 C.4 and Annex B status codes Noctis answers with.
pub mod status {
    pub const SUCCESS: u16 = 0x0000;
    /// Refused: SOP Class not supported.
    pub const SOP_CLASS_NOT_SUPPORTED: u16 = 0x0122;
    /// Unrecognized operation.
    pub const UNRECOGNIZED_OPERATION: u16 = 0x0211;
    /// Refused: Out of resources (storage failed).
    pub const OUT_OF_RESOURCES: u16 = 0xA700;
    /// Error: Data Set does not match SOP Class.
    pub const DATASET_MISMATCH: u16 = 0xA900;
    /// Error: Cannot understand.
    pub const CANNOT_UNDERSTAND: u16 = 0xC000;
    /// C-FIND failed: unable to process (PS3.4 C.4.1.1.4).
    pub const UNABLE_TO_PROCESS: u16 = 0xC001;
    /// C-FIND: matching terminated due to Cancel.
    pub const CANCELED: u16 = 0xFE00;
    /// C-FIND: a match follows; every key was supported.
    pub const PENDING: u16 = 0xFF00;
    /// C-FIND: a match follows; an optional key was not supported.
    pub const PENDING_WITH_UNSUPPORTED_KEYS: u16 = 0xFF01;
    /// N-ACTION: processing failure (PS3.7 C.4.2).
    pub const PROCESSING_FAILURE: u16 = 0x0110;
    /// N-ACTION: no such SOP Instance.
    pub const NO_SUCH_OBJECT_INSTANCE: u16 = 0x0112;
    /// N-ACTION: no such SOP Class.
    pub const NO_SUCH_SOP_CLASS: u16 = 0x0118;
    /// N-ACTION: a required attribute is missing.
    pub const MISSING_ATTRIBUTE: u16 = 0x0120;
    /// N-ACTION: no such action type.
    pub const NO_SUCH_ACTION: u16 = 0x0123;
    /// C-MOVE: refused, move destination unknown.
    pub const MOVE_DESTINATION_UNKNOWN: u16 = 0xA801;
    /// C-GET, C-MOVE: refused, out of resources – unable to perform sub-operations.
    pub const UNABLE_TO_PERFORM_SUB_OPERATIONS: u16 = 0xA702;
    /// C-GET: sub-operations complete, one or more failures or warnings.
    pub const SUB_OPERATIONS_WITH_FAILURES: u16 = 0xB000;

    /// PS3.7 C.1: 0xB000–0xBFFF and 0x0001 are warnings; the sub-operation stored it.
    pub fn is_warning(status: u16) -> bool {
        status == 0x0001 || (0xB000..=0xBFFF).contains(&status)
    }
}

/// PS3.7 E.1: (0000,0800) value meaning "no data set follows".
const NO_DATASET: u16 = 0x0101;

/// The parts of a request command set Noctis acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub field: u16,
    /// For C-CANCEL-RQ, which has none of its own, the message it cancels
    /// (Message ID Being Responded To, PS3.7 9.3.2.3); for a response, the
    /// request it answers.
    pub message_id: u16,
    /// A response's Status.
    pub status: Option<u16>,
    /// An N-ACTION's target (PS3.7 10.3.4): Requested SOP Class and Instance UIDs.
    pub requested_sop_class_uid: Option<String>,
    pub requested_sop_instance_uid: Option<String>,
    /// An N-ACTION's Action Type ID.
    pub action_type_id: Option<u16>,
    /// A C-MOVE's Move Destination (0000,0600): the AE title to send to.
    pub move_destination: Option<String>,
    pub affected_sop_class_uid: Option<String>,
    pub affected_sop_instance_uid: Option<String>,
    pub has_dataset: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("the command set cannot be decoded: {0}")]
    Decode(WalkError),
    #[error("the command set lacks {0}")]
    Missing(&'static str),
    #[error("the command set's {0} is not a 2-byte US")]
    Invalid(&'static str),
}

impl Command {
    pub fn decode(bytes: &[u8]) -> Result<Self, CommandError> {
        let mut walker = Walker::new(bytes, Encoding::ImplicitLittle);
        let (mut field, mut message_id, mut data_set_type) = (None, None, None);
        let (mut responded_to, mut response_status) = (None, None);
        let (mut requested_sop_class_uid, mut requested_sop_instance_uid, mut action_type_id) = (None, None, None);
        let mut move_destination = None;
        let (mut affected_sop_class_uid, mut affected_sop_instance_uid) = (None, None);
        while let Some(element) = walker.next_header().map_err(CommandError::Decode)? {
            let Some(value) = walker.value().map_err(CommandError::Decode)? else {
                return Err(CommandError::Decode(WalkError::Malformed("a command element of undefined length")));
            };
            match element.tag {
                COMMAND_FIELD => field = Some(us(value, "Command Field (0000,0100)")?),
                MESSAGE_ID => message_id = Some(us(value, "Message ID (0000,0110)")?),
                MESSAGE_ID_BEING_RESPONDED_TO => {
                    responded_to = Some(us(value, "Message ID Being Responded To (0000,0120)")?);
                }
                COMMAND_DATA_SET_TYPE => data_set_type = Some(us(value, "Command Data Set Type (0000,0800)")?),
                STATUS => response_status = Some(us(value, "Status (0000,0900)")?),
                REQUESTED_SOP_CLASS_UID => requested_sop_class_uid = Some(ui(value)),
                REQUESTED_SOP_INSTANCE_UID => requested_sop_instance_uid = Some(ui(value)),
                ACTION_TYPE_ID => action_type_id = Some(us(value, "Action Type ID (0000,1008)")?),
                MOVE_DESTINATION => {
                    move_destination = Some(String::from_utf8_lossy(value).trim_matches([' ', '\0']).to_owned());
                }
                AFFECTED_SOP_CLASS_UID => affected_sop_class_uid = Some(ui(value)),
                AFFECTED_SOP_INSTANCE_UID => affected_sop_instance_uid = Some(ui(value)),
                _ => {}
            }
        }
        let field = field.ok_or(CommandError::Missing("Command Field (0000,0100)"))?;
        let message_id = if field == field::C_CANCEL_RQ || field & field::RESPONSE_BIT != 0 {
            responded_to.ok_or(CommandError::Missing("Message ID Being Responded To (0000,0120)"))
        } else {
            message_id.ok_or(CommandError::Missing("Message ID (0000,0110)"))
        }?;
        Ok(Self {
            field,
            message_id,
            status: response_status,
            requested_sop_class_uid,
            requested_sop_instance_uid,
            action_type_id,
            move_destination,
            affected_sop_class_uid,
            affected_sop_instance_uid,
            has_dataset: data_set_type.ok_or(CommandError::Missing("Command Data Set Type (0000,0800)"))? != NO_DATASET,
        })
    }
}

const COMMAND_FIELD: Tag = Tag(0x0000, 0x0100);
const MESSAGE_ID: Tag = Tag(0x0000, 0x0110);
const MESSAGE_ID_BEING_RESPONDED_TO: Tag = Tag(0x0000, 0x0120);
const STATUS: Tag = Tag(0x0000, 0x0900);
const REQUESTED_SOP_CLASS_UID: Tag = Tag(0x0000, 0x0003);
const REQUESTED_SOP_INSTANCE_UID: Tag = Tag(0x0000, 0x1001);
const ACTION_TYPE_ID: Tag = Tag(0x0000, 0x1008);
const MOVE_DESTINATION: Tag = Tag(0x0000, 0x0600);
const COMMAND_DATA_SET_TYPE: Tag = Tag(0x0000, 0x0800);
const AFFECTED_SOP_CLASS_UID: Tag = Tag(0x0000, 0x0002);
const AFFECTED_SOP_INSTANCE_UID: Tag = Tag(0x0000, 0x1000);

/// A US value: two bytes, little endian.
fn us(value: &[u8], name: &'static str) -> Result<u16, CommandError> {
    match value {
        [low, high] => Ok(u16::from_le_bytes([*low, *high])),
        _ => Err(CommandError::Invalid(name)),
    }
}

/// A UI value, less its padding.
fn ui(value: &[u8]) -> String {
    String::from_utf8_lossy(value).trim_end_matches(['\0', ' ']).to_owned()
}

/// What a DIMSE response says: its Status and, for a failure, an Error
/// Comment (PS3.7 C.4) a modality's operator can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub comment: Option<String>,
}

impl Reply {
    pub fn success() -> Self {
        Self { status: status::SUCCESS, comment: None }
    }

    pub fn refusal(status: u16) -> Self {
        Self { status, comment: None }
    }

    pub fn failure(status: u16, comment: impl Into<String>) -> Self {
        Self { status, comment: Some(comment.into()) }
    }
}

/// A response command set, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub field: u16,
    pub message_id_responded: u16,
    pub affected_sop_class_uid: Option<String>,
    pub affected_sop_instance_uid: Option<String>,
    pub status: u16,
    pub error_comment: Option<String>,
    /// A data set follows (a C-FIND match, a C-GET's failed instances).
    pub has_dataset: bool,
    /// A C-GET's sub-operation counts.
    pub sub_operations: Option<SubOperations>,
}

/// PS3.7 C.4.3.1: how a C-GET's sub-operations stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubOperations {
    /// Absent from a final response, except one ended by a cancel (PS3.4 C.4.3.1.3).
    pub remaining: Option<u16>,
    pub completed: u16,
    pub failed: u16,
    pub warning: u16,
}

impl Response {
    /// The response to `request` saying `reply`.
    pub fn answering(request: &Command, reply: Reply) -> Self {
        let response = Self::to(request, reply.status);
        match reply.comment {
            Some(comment) => response.with_comment(comment),
            None => response,
        }
    }

    /// The response to `request` with `status`.
    pub fn to(request: &Command, status: u16) -> Self {
        Self {
            field: request.field | field::RESPONSE_BIT,
            message_id_responded: request.message_id,
            affected_sop_class_uid: request.affected_sop_class_uid.clone(),
            affected_sop_instance_uid: request.affected_sop_instance_uid.clone(),
            status,
            error_comment: None,
            has_dataset: false,
            sub_operations: None,
        }
    }

    pub fn with_sub_operations(mut self, counts: SubOperations) -> Self {
        self.sub_operations = Some(counts);
        self
    }

    /// The response to an N-ACTION, which names the action's target as the
    /// affected SOP (PS3.7 10.3.4.1.2).
    pub fn to_action(request: &Command, status: u16) -> Self {
        Self {
            affected_sop_class_uid: request.requested_sop_class_uid.clone(),
            affected_sop_instance_uid: request.requested_sop_instance_uid.clone(),
            ..Self::to(request, status)
        }
    }

    /// Says a data set follows this response.
    pub fn with_dataset(mut self) -> Self {
        self.has_dataset = true;
        self
    }

    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        // PS3.7 C.4: Error Comment is LO, at most 64 characters.
        let mut comment: String = comment.into();
        comment.truncate(64);
        self.error_comment = Some(comment);
        self
    }

    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut elements = Vec::with_capacity(7);
        if let Some(uid) = &self.affected_sop_class_uid {
            elements.push(DataElement::new(tags::AFFECTED_SOP_CLASS_UID, VR::UI, PrimitiveValue::from(uid.as_str())));
        }
        elements.push(DataElement::new(tags::COMMAND_FIELD, VR::US, PrimitiveValue::from(self.field)));
        elements.push(DataElement::new(
            tags::MESSAGE_ID_BEING_RESPONDED_TO,
            VR::US,
            PrimitiveValue::from(self.message_id_responded),
        ));
        // PS3.7 E.1: any value but 0x0101 says a data set follows; 0x0000 is customary.
        let data_set_type = if self.has_dataset { 0x0000 } else { NO_DATASET };
        elements.push(DataElement::new(tags::COMMAND_DATA_SET_TYPE, VR::US, PrimitiveValue::from(data_set_type)));
        elements.push(DataElement::new(tags::STATUS, VR::US, PrimitiveValue::from(self.status)));
        if let Some(uid) = &self.affected_sop_instance_uid {
            elements.push(DataElement::new(
                tags::AFFECTED_SOP_INSTANCE_UID,
                VR::UI,
                PrimitiveValue::from(uid.as_str()),
            ));
        }
        if let Some(comment) = &self.error_comment {
            elements.push(DataElement::new(tags::ERROR_COMMENT, VR::LO, PrimitiveValue::from(comment.as_str())));
        }
        if let Some(counts) = self.sub_operations {
            if let Some(remaining) = counts.remaining {
                elements.push(DataElement::new(
                    tags::NUMBER_OF_REMAINING_SUBOPERATIONS,
                    VR::US,
                    PrimitiveValue::from(remaining),
                ));
            }
            for (tag, count) in [
                (tags::NUMBER_OF_COMPLETED_SUBOPERATIONS, counts.completed),
                (tags::NUMBER_OF_FAILED_SUBOPERATIONS, counts.failed),
                (tags::NUMBER_OF_WARNING_SUBOPERATIONS, counts.warning),
            ] {
                elements.push(DataElement::new(tag, VR::US, PrimitiveValue::from(count)));
            }
        }
        encode_command(elements)
    }
}

/// A C-STORE-RQ Noctis sends: a C-GET's or C-MOVE's sub-operation (PS3.7 9.3.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRequest {
    pub message_id: u16,
    pub sop_class_uid: String,
    pub sop_instance_uid: String,
    /// For a C-MOVE's: the AE title that asked for the move, and its message.
    pub move_originator: Option<(String, u16)>,
}

impl StoreRequest {
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut elements = vec![
            DataElement::new(tags::AFFECTED_SOP_CLASS_UID, VR::UI, PrimitiveValue::from(self.sop_class_uid.as_str())),
            DataElement::new(tags::COMMAND_FIELD, VR::US, PrimitiveValue::from(field::C_STORE_RQ)),
            DataElement::new(tags::MESSAGE_ID, VR::US, PrimitiveValue::from(self.message_id)),
            // PS3.7 9.3.1.1: MEDIUM.
            DataElement::new(tags::PRIORITY, VR::US, PrimitiveValue::from(0u16)),
            DataElement::new(tags::COMMAND_DATA_SET_TYPE, VR::US, PrimitiveValue::from(0u16)),
            DataElement::new(
                tags::AFFECTED_SOP_INSTANCE_UID,
                VR::UI,
                PrimitiveValue::from(self.sop_instance_uid.as_str()),
            ),
        ];
        if let Some((ae_title, message_id)) = &self.move_originator {
            elements.push(DataElement::new(
                tags::MOVE_ORIGINATOR_APPLICATION_ENTITY_TITLE,
                VR::AE,
                PrimitiveValue::from(ae_title.as_str()),
            ));
            elements.push(DataElement::new(
                tags::MOVE_ORIGINATOR_MESSAGE_ID,
                VR::US,
                PrimitiveValue::from(*message_id),
            ));
        }
        encode_command(elements)
    }
}

/// An N-EVENT-REPORT-RQ Noctis sends: a Storage Commitment result (PS3.7 10.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventReportRequest {
    pub message_id: u16,
    pub sop_class_uid: String,
    pub sop_instance_uid: String,
    pub event_type_id: u16,
}

impl EventReportRequest {
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        encode_command(vec![
            DataElement::new(tags::AFFECTED_SOP_CLASS_UID, VR::UI, PrimitiveValue::from(self.sop_class_uid.as_str())),
            DataElement::new(tags::COMMAND_FIELD, VR::US, PrimitiveValue::from(field::N_EVENT_REPORT_RQ)),
            DataElement::new(tags::MESSAGE_ID, VR::US, PrimitiveValue::from(self.message_id)),
            DataElement::new(tags::COMMAND_DATA_SET_TYPE, VR::US, PrimitiveValue::from(0u16)),
            DataElement::new(
                tags::AFFECTED_SOP_INSTANCE_UID,
                VR::UI,
                PrimitiveValue::from(self.sop_instance_uid.as_str()),
            ),
            DataElement::new(tags::EVENT_TYPE_ID, VR::US, PrimitiveValue::from(self.event_type_id)),
        ])
    }
}

/// A command set of `elements` with its group length, in Implicit VR LE.
fn encode_command(elements: Vec<DataElement<InMemDicomObject>>) -> Result<Vec<u8>, EncodeError> {
    let set = InMemDicomObject::command_from_element_iter(elements);
    let mut out = Vec::with_capacity(160);
    set.write_dataset_with_ts(&mut out, &IMPLICIT_VR_LITTLE_ENDIAN.erased()).map_err(|e| EncodeError(e.to_string()))?;
    Ok(out)
}

/// A command set that could not be encoded: a bug in the elements, never input.
#[derive(Debug, thiserror::Error)]
#[error("could not encode a command set: {0}")]
pub struct EncodeError(String);

#[cfg(test)]
mod tests {
    use super::*;

    fn request(field: u16, message_id: u16, with_data: bool) -> Vec<u8> {
        let elements = vec![
            DataElement::new(tags::AFFECTED_SOP_CLASS_UID, VR::UI, PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.2\0")),
            DataElement::new(tags::COMMAND_FIELD, VR::US, PrimitiveValue::from(field)),
            DataElement::new(tags::MESSAGE_ID, VR::US, PrimitiveValue::from(message_id)),
            DataElement::new(tags::PRIORITY, VR::US, PrimitiveValue::from(0u16)),
            DataElement::new(
                tags::COMMAND_DATA_SET_TYPE,
                VR::US,
                PrimitiveValue::from(if with_data { 0u16 } else { NO_DATASET }),
            ),
            DataElement::new(tags::AFFECTED_SOP_INSTANCE_UID, VR::UI, PrimitiveValue::from("1.2.3.4")),
        ];
        let mut out = Vec::new();
        InMemDicomObject::command_from_element_iter(elements)
            .write_dataset_with_ts(&mut out, &IMPLICIT_VR_LITTLE_ENDIAN.erased())
            .expect("encodes");
        out
    }

    #[test]
    fn a_store_request_decodes_with_its_uids_and_message_id() {
        let command = Command::decode(&request(field::C_STORE_RQ, 7, true)).expect("decodes");
        assert_eq!(command.field, field::C_STORE_RQ);
        assert_eq!(command.message_id, 7);
        assert_eq!(command.affected_sop_class_uid.as_deref(), Some("1.2.840.10008.5.1.4.1.1.2"));
        assert_eq!(command.affected_sop_instance_uid.as_deref(), Some("1.2.3.4"));
        assert!(command.has_dataset);
    }

    #[test]
    fn a_response_echoes_the_message_id_and_round_trips() {
        let command = Command::decode(&request(field::C_ECHO_RQ, 42, false)).expect("decodes");
        assert!(!command.has_dataset);
        let bytes = Response::to(&command, status::SUCCESS).encode().expect("encodes");
        let set = InMemDicomObject::read_dataset_with_ts(bytes.as_slice(), &IMPLICIT_VR_LITTLE_ENDIAN.erased())
            .expect("reads");
        let int = |tag| set.get(tag).and_then(|e| e.to_int::<u32>().ok());
        assert_eq!(int(tags::COMMAND_FIELD), Some(0x8030));
        assert_eq!(int(tags::MESSAGE_ID_BEING_RESPONDED_TO), Some(42));
        assert_eq!(int(tags::STATUS), Some(0));
        // (0000,0000) counts every byte after itself.
        assert_eq!(int(tags::COMMAND_GROUP_LENGTH), Some(bytes.len() as u32 - 12));
    }

    #[test]
    fn an_element_declaring_more_than_the_command_holds_is_refused_without_allocating() {
        // 72 bytes declaring (0000,0002) of 1 GiB: dicom-rs allocated the 1 GiB.
        let mut bytes = request(field::C_STORE_RQ, 1, true);
        bytes[16..20].copy_from_slice(&0x4000_0000u32.to_le_bytes());
        let error = Command::decode(&bytes).expect_err("refused");
        assert!(matches!(error, CommandError::Decode(WalkError::Truncated)), "{error}");
    }

    #[test]
    fn a_command_field_of_the_wrong_size_is_invalid() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&[0x00, 0x00, 0x00, 0x01, 4, 0, 0, 0, 1, 0, 0, 0]);
        assert!(matches!(Command::decode(&bytes), Err(CommandError::Invalid(_))));
    }

    #[test]
    fn a_cancel_names_the_message_it_cancels() {
        let elements = vec![
            DataElement::new(tags::COMMAND_FIELD, VR::US, PrimitiveValue::from(field::C_CANCEL_RQ)),
            DataElement::new(tags::MESSAGE_ID_BEING_RESPONDED_TO, VR::US, PrimitiveValue::from(9u16)),
            DataElement::new(tags::COMMAND_DATA_SET_TYPE, VR::US, PrimitiveValue::from(NO_DATASET)),
        ];
        let mut bytes = Vec::new();
        InMemDicomObject::command_from_element_iter(elements)
            .write_dataset_with_ts(&mut bytes, &IMPLICIT_VR_LITTLE_ENDIAN.erased())
            .expect("encodes");
        let cancel = Command::decode(&bytes).expect("decodes without a Message ID of its own");
        assert_eq!((cancel.field, cancel.message_id), (field::C_CANCEL_RQ, 9));
    }

    #[test]
    fn a_response_with_a_data_set_says_so() {
        let command = Command::decode(&request(field::C_FIND_RQ, 3, true)).expect("decodes");
        let bytes = Response::to(&command, status::PENDING).with_dataset().encode().expect("encodes");
        let set = InMemDicomObject::read_dataset_with_ts(bytes.as_slice(), &IMPLICIT_VR_LITTLE_ENDIAN.erased())
            .expect("reads");
        assert_eq!(set.get(tags::COMMAND_DATA_SET_TYPE).and_then(|e| e.to_int::<u16>().ok()), Some(0));
    }

    #[test]
    fn a_store_request_we_send_reads_back_and_its_response_names_it() {
        let request = StoreRequest {
            message_id: 5,
            sop_class_uid: "1.2.840.10008.5.1.4.1.1.2".into(),
            sop_instance_uid: "1.2.3.4".into(),
            move_originator: Some(("WS_1".into(), 9)),
        };
        let decoded = Command::decode(&request.encode().expect("encodes")).expect("decodes");
        assert_eq!((decoded.field, decoded.message_id, decoded.has_dataset), (field::C_STORE_RQ, 5, true));
        assert_eq!(decoded.affected_sop_instance_uid.as_deref(), Some("1.2.3.4"));
        let response = Response::to(&decoded, 0xB007).encode().expect("encodes");
        let answer = Command::decode(&response).expect("a response decodes");
        assert_eq!((answer.field, answer.message_id, answer.status), (0x8001, 5, Some(0xB007)));
        assert!(status::is_warning(0xB007) && !status::is_warning(0xA700));
    }

    #[test]
    fn sub_operation_counts_are_sent_when_given() {
        let command = Command::decode(&request(field::C_GET_RQ, 2, true)).expect("decodes");
        let counts = SubOperations { remaining: Some(3), completed: 2, failed: 1, warning: 0 };
        let bytes = Response::to(&command, status::PENDING).with_sub_operations(counts).encode().expect("encodes");
        let set = InMemDicomObject::read_dataset_with_ts(bytes.as_slice(), &IMPLICIT_VR_LITTLE_ENDIAN.erased())
            .expect("reads");
        let int = |tag| set.get(tag).and_then(|e| e.to_int::<u16>().ok());
        assert_eq!(int(tags::NUMBER_OF_REMAINING_SUBOPERATIONS), Some(3));
        assert_eq!(int(tags::NUMBER_OF_FAILED_SUBOPERATIONS), Some(1));
    }

    #[test]
    fn garbage_is_a_decode_error_not_a_panic() {
        assert!(Command::decode(&[0xff; 7]).is_err());
        assert!(Command::decode(&[]).is_err());
    }
}
