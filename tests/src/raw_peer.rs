//! A peer that sends exactly the bytes a test chooses: what a hostile or broken
//! client does and no conformant toolkit will. PDUs are framed with dicom-ul's
//! own writer, so everything but the deliberate fault is well formed.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use dicom_ul::pdu::{AssociationRQ, PresentationContextProposed, UserVariableItem};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

pub const CT_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
pub const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
pub const VERIFICATION: &str = "1.2.840.10008.1.1";
pub const STUDY_ROOT_FIND: &str = "1.2.840.10008.5.1.4.1.2.2.1";
/// The presentation context `association_request` proposes Study Root C-FIND on.
pub const FIND_CONTEXT: u8 = 5;

/// A TCP connection to the receiver from `source` (any address of 127.0.0.0/8
/// stands for a distinct host on loopback).
pub async fn connect_from(source: IpAddr, port: u16) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.bind(SocketAddr::new(source, 0)).expect("binds the source address");
    socket.connect(SocketAddr::from(([127, 0, 0, 1], port))).await.expect("connects")
}

/// An A-ASSOCIATE-RQ proposing CT Image Storage, Verification and Study Root
/// C-FIND in Explicit VR LE.
pub fn association_request(calling: &str, called: &str, protocol_version: u16) -> Vec<u8> {
    let rq = AssociationRQ {
        protocol_version,
        calling_ae_title: calling.to_owned(),
        called_ae_title: called.to_owned(),
        application_context_name: "1.2.840.10008.3.1.1.1".to_owned(),
        presentation_contexts: vec![
            PresentationContextProposed {
                id: 1,
                abstract_syntax: CT_IMAGE_STORAGE.to_owned(),
                transfer_syntaxes: vec![EXPLICIT_VR_LE.to_owned()],
            },
            PresentationContextProposed {
                id: 3,
                abstract_syntax: VERIFICATION.to_owned(),
                transfer_syntaxes: vec![EXPLICIT_VR_LE.to_owned()],
            },
            PresentationContextProposed {
                id: FIND_CONTEXT,
                abstract_syntax: STUDY_ROOT_FIND.to_owned(),
                transfer_syntaxes: vec![EXPLICIT_VR_LE.to_owned()],
            },
        ],
        user_variables: vec![UserVariableItem::MaxLength(16_384)],
    };
    let mut out = Vec::new();
    dicom_ul::write_pdu(&mut out, &dicom_ul::pdu::Pdu::AssociationRQ(rq)).expect("encodes");
    out
}

/// One P-DATA-TF holding one PDV.
pub fn p_data(context_id: u8, is_command: bool, is_last: bool, data: &[u8]) -> Vec<u8> {
    let item_length = u32::try_from(data.len() + 2).expect("a PDV fits u32");
    let mut out = vec![0x04, 0];
    out.extend_from_slice(&(item_length + 4).to_be_bytes());
    out.extend_from_slice(&item_length.to_be_bytes());
    out.push(context_id);
    out.push(u8::from(is_command) | (u8::from(is_last) << 1));
    out.extend_from_slice(data);
    out
}

/// An element in Implicit VR Little Endian (command sets are always so).
pub fn implicit_element(group: u16, element: u16, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + value.len());
    out.extend_from_slice(&group.to_le_bytes());
    out.extend_from_slice(&element.to_le_bytes());
    out.extend_from_slice(&u32::try_from(value.len()).expect("fits").to_le_bytes());
    out.extend_from_slice(value);
    out
}

/// An element in Explicit VR Little Endian; `declared` overrides the length field.
pub fn explicit_element(group: u16, element: u16, vr: &[u8; 2], value: &[u8], declared: Option<u32>) -> Vec<u8> {
    let long = matches!(vr, b"OB" | b"OW" | b"UN" | b"SQ" | b"UT" | b"UC");
    let length = declared.unwrap_or(u32::try_from(value.len()).expect("fits"));
    let mut out = Vec::with_capacity(12 + value.len());
    out.extend_from_slice(&group.to_le_bytes());
    out.extend_from_slice(&element.to_le_bytes());
    out.extend_from_slice(vr);
    if long {
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&length.to_le_bytes());
    } else {
        out.extend_from_slice(&u16::try_from(length).expect("a short length").to_le_bytes());
    }
    out.extend_from_slice(value);
    out
}

/// A UID value, padded to even length as PS3.5 9.1 says.
fn uid(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    bytes
}

/// A C-STORE-RQ command set for `sop_instance` of CT Image Storage.
pub fn store_command(message_id: u16, sop_instance: &str) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(implicit_element(0x0000, 0x0002, &uid(CT_IMAGE_STORAGE)));
    body.extend(implicit_element(0x0000, 0x0100, &1u16.to_le_bytes()));
    body.extend(implicit_element(0x0000, 0x0110, &message_id.to_le_bytes()));
    body.extend(implicit_element(0x0000, 0x0700, &0u16.to_le_bytes()));
    body.extend(implicit_element(0x0000, 0x0800, &0u16.to_le_bytes()));
    body.extend(implicit_element(0x0000, 0x1000, &uid(sop_instance)));
    let mut out = implicit_element(0x0000, 0x0000, &u32::try_from(body.len()).expect("fits").to_le_bytes());
    out.extend(body);
    out
}

/// A Study Root C-FIND-RQ command set (a data set follows).
pub fn find_command(message_id: u16) -> Vec<u8> {
    let mut body = implicit_element(0x0000, 0x0002, &uid(STUDY_ROOT_FIND));
    body.extend(implicit_element(0x0000, 0x0100, &0x0020u16.to_le_bytes()));
    body.extend(implicit_element(0x0000, 0x0110, &message_id.to_le_bytes()));
    body.extend(implicit_element(0x0000, 0x0700, &0u16.to_le_bytes()));
    body.extend(implicit_element(0x0000, 0x0800, &0u16.to_le_bytes()));
    let mut out = implicit_element(0x0000, 0x0000, &u32::try_from(body.len()).expect("fits").to_le_bytes());
    out.extend(body);
    out
}

/// A C-CANCEL-RQ for `message_id` (PS3.7 9.3.2.3: it carries no Message ID of its own).
pub fn cancel_command(message_id: u16) -> Vec<u8> {
    let mut body = implicit_element(0x0000, 0x0100, &0x0FFFu16.to_le_bytes());
    body.extend(implicit_element(0x0000, 0x0120, &message_id.to_le_bytes()));
    body.extend(implicit_element(0x0000, 0x0800, &0x0101u16.to_le_bytes()));
    let mut out = implicit_element(0x0000, 0x0000, &u32::try_from(body.len()).expect("fits").to_le_bytes());
    out.extend(body);
    out
}

/// A study-level identifier in Explicit VR LE asking for every study's UID.
pub fn study_identifier() -> Vec<u8> {
    let mut out = explicit_element(0x0008, 0x0052, b"CS", b"STUDY ", None);
    out.extend(explicit_element(0x0020, 0x000D, b"UI", b"", None));
    out
}

/// One PDU as it came: its type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPdu {
    pub pdu_type: u8,
    pub body: Vec<u8>,
}

impl RawPdu {
    /// The Status (0000,0900) of a response command carried in this P-DATA-TF.
    pub fn status(&self) -> Option<u16> {
        let data = self.body.get(6..)?;
        let mut at = 0;
        while at + 8 <= data.len() {
            let tag = (u16::from_le_bytes([data[at], data[at + 1]]), u16::from_le_bytes([data[at + 2], data[at + 3]]));
            let length = u32::from_le_bytes([data[at + 4], data[at + 5], data[at + 6], data[at + 7]]) as usize;
            if tag == (0x0000, 0x0900) && length == 2 {
                return Some(u16::from_le_bytes([data[at + 8], data[at + 9]]));
            }
            at += 8 + length;
        }
        None
    }
}

/// The next PDU, or `None` when the connection closed (or `within` ran out).
pub async fn read_pdu(stream: &mut TcpStream, within: Duration) -> Option<RawPdu> {
    tokio::time::timeout(within, async {
        let mut header = [0u8; 6];
        stream.read_exact(&mut header).await.ok()?;
        let length = u32::from_be_bytes([header[2], header[3], header[4], header[5]]) as usize;
        let mut body = vec![0u8; length.min(1 << 20)];
        stream.read_exact(&mut body).await.ok()?;
        Some(RawPdu { pdu_type: header[0], body })
    })
    .await
    .ok()
    .flatten()
}

/// Writes `bytes`; `false` when the receiver has already closed the connection.
pub async fn send(stream: &mut TcpStream, bytes: &[u8]) -> bool {
    stream.write_all(bytes).await.is_ok()
}

/// An established association (A-ASSOCIATE-AC received) from `source`.
pub async fn associate(source: IpAddr, port: u16, calling: &str, called: &str) -> TcpStream {
    let mut stream = connect_from(source, port).await;
    assert!(send(&mut stream, &association_request(calling, called, 1)).await);
    let reply = read_pdu(&mut stream, Duration::from_secs(10)).await.expect("an answer to the request");
    assert_eq!(reply.pdu_type, 0x02, "A-ASSOCIATE-AC expected, got {reply:?}");
    stream
}

/// A CT instance's data set (study `1.2.3`, series `1.2.3.4`) up to its Pixel
/// Data header, which declares `pixel_bytes`.
fn instance_up_to_pixels(sop_instance: &str, pixel_bytes: u32) -> Vec<u8> {
    let mut data = explicit_element(0x0008, 0x0016, b"UI", &uid(CT_IMAGE_STORAGE), None);
    data.extend(explicit_element(0x0008, 0x0018, b"UI", &uid(sop_instance), None));
    data.extend(explicit_element(0x0020, 0x000D, b"UI", &uid("1.2.3"), None));
    data.extend(explicit_element(0x0020, 0x000E, b"UI", &uid("1.2.3.4"), None));
    data.extend(explicit_element(0x7FE0, 0x0010, b"OB", &[], Some(pixel_bytes)));
    data
}

/// Sends a whole small CT instance (study `1.2.3`, series `1.2.3.4`, 64 bytes
/// of pixels) on an established association, without reading the answer.
pub async fn send_an_instance(stream: &mut TcpStream, message_id: u16, sop_instance: &str) -> bool {
    let mut data = instance_up_to_pixels(sop_instance, 64);
    data.extend_from_slice(&[0u8; 64]);
    send(stream, &p_data(1, true, true, &store_command(message_id, sop_instance))).await
        && send(stream, &p_data(1, false, true, &data)).await
}

/// Sends the first 2.5 MB of an 8 MiB CT instance (study `1.2.3`, series
/// `1.2.3.4`) on an established association and stops there: past the
/// embedded store's 1 MiB write buffer, so the partial write exists.
pub async fn send_half_an_instance(stream: &mut TcpStream, sop_instance: &str) {
    assert!(send(stream, &p_data(1, true, true, &store_command(1, sop_instance))).await);
    let data = instance_up_to_pixels(sop_instance, 8 * 1024 * 1024);
    assert!(send(stream, &p_data(1, false, false, &data)).await);
    let chunk = vec![0u8; 16_000];
    for _ in 0..160 {
        assert!(send(stream, &p_data(1, false, false, &chunk)).await);
    }
}
