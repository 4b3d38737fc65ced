//! PDU framing (PS3.8 9.3): the 6-byte header, P-DATA-TF split into its PDVs
//! without copying, and every other PDU parsed by `dicom_ul::read_pdu` from a
//! buffer that already holds all of its bytes.

use bytes::{Buf, Bytes, BytesMut};
use dicom_ul::pdu::{MAXIMUM_PDU_SIZE, Pdu};

pub const PDU_HEADER_LEN: usize = 6;
pub const P_DATA_TF: u8 = 0x04;
/// Association negotiation PDUs are small (tens of KiB for 128 contexts with
/// many transfer syntaxes each); anything bigger is not one. A reader grows its
/// buffer as the bytes arrive, so a declared length costs nothing by itself.
pub const MAX_CONTROL_PDU_LEN: u32 = 1024 * 1024;

/// A PDU's type and the length of the body that follows the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PduHeader {
    pub pdu_type: u8,
    pub length: u32,
}

impl PduHeader {
    pub fn parse(bytes: [u8; PDU_HEADER_LEN]) -> Self {
        Self { pdu_type: bytes[0], length: u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]) }
    }

    /// The largest body this PDU type may declare: the P-DATA-TF size we
    /// advertised, or the control-PDU bound.
    pub fn limit(&self, max_pdu_length: u32) -> u32 {
        if self.pdu_type == P_DATA_TF { max_pdu_length } else { MAX_CONTROL_PDU_LEN }
    }
}

/// One presentation data value, its bytes shared with the PDU buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdv {
    pub context_id: u8,
    pub is_command: bool,
    pub is_last: bool,
    pub data: Bytes,
}

/// A whole PDU.
#[derive(Debug)]
pub enum Incoming {
    Data(Vec<Pdv>),
    Other(Pdu),
}

#[derive(Debug, thiserror::Error)]
pub enum PduError {
    #[error("a {pdu_type:#04x} PDU of {length} bytes exceeds the {limit}-byte limit")]
    TooLarge { pdu_type: u8, length: u32, limit: u32 },
    #[error("malformed PDU: {0}")]
    Malformed(String),
}

/// Decodes a PDU from its header and its whole body.
pub fn decode(header: PduHeader, body: Bytes) -> Result<Incoming, PduError> {
    if header.pdu_type == P_DATA_TF {
        return split_pdvs(body).map(Incoming::Data);
    }
    let mut whole = BytesMut::with_capacity(PDU_HEADER_LEN + body.len());
    whole.extend_from_slice(&[header.pdu_type, 0]);
    whole.extend_from_slice(&header.length.to_be_bytes());
    whole.extend_from_slice(&body);
    match dicom_ul::read_pdu(whole.freeze(), MAXIMUM_PDU_SIZE, false) {
        Ok(Some(pdu)) => Ok(Incoming::Other(pdu)),
        Ok(None) => Err(PduError::Malformed("truncated PDU".into())),
        Err(e) => Err(PduError::Malformed(e.to_string())),
    }
}

/// PS3.8 9.3.5.1: a P-DATA-TF body is a run of items, each a 4-byte length, a
/// presentation context ID, a message control header, then the fragment.
pub fn split_pdvs(mut body: Bytes) -> Result<Vec<Pdv>, PduError> {
    let mut pdvs = Vec::with_capacity(2);
    while body.has_remaining() {
        if body.remaining() < 6 {
            return Err(PduError::Malformed("PDV item shorter than its header".into()));
        }
        let item_length = body.get_u32() as usize;
        if item_length < 2 || item_length > body.remaining() {
            return Err(PduError::Malformed(format!("PDV item length {item_length} does not fit the PDU")));
        }
        let context_id = body.get_u8();
        let control = body.get_u8();
        // PS3.8 E.2: bits 2-7 of the message control header are reserved (0).
        if control & 0xFC != 0 {
            return Err(PduError::Malformed(format!("PDV message control header {control:#04x}")));
        }
        let data = body.split_to(item_length - 2);
        pdvs.push(Pdv { context_id, is_command: control & 0x01 != 0, is_last: control & 0x02 != 0, data });
    }
    if pdvs.is_empty() {
        return Err(PduError::Malformed("P-DATA-TF without a PDV".into()));
    }
    Ok(pdvs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdv(context: u8, control: u8, data: &[u8]) -> Vec<u8> {
        let mut out = ((data.len() + 2) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&[context, control]);
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn p_data_is_split_into_its_pdvs() {
        let mut body = pdv(1, 0b11, b"command");
        body.extend(pdv(1, 0b00, b"data-1"));
        body.extend(pdv(1, 0b10, b"data-2"));
        let pdvs = split_pdvs(Bytes::from(body)).expect("splits");
        let summary: Vec<_> = pdvs.iter().map(|p| (p.is_command, p.is_last, p.data.as_ref())).collect();
        assert_eq!(summary, [(true, true, &b"command"[..]), (false, false, b"data-1"), (false, true, b"data-2")]);
    }

    #[test]
    fn malformed_items_are_errors() {
        assert!(split_pdvs(Bytes::from_static(&[0, 0, 0, 200, 1, 3, 0, 0])).is_err(), "length past the body");
        assert!(split_pdvs(Bytes::from_static(&[0, 0, 0, 1, 1])).is_err(), "shorter than a header");
        assert!(split_pdvs(Bytes::from_static(&[0, 0, 0, 2, 1, 0x13])).is_err(), "reserved control bits");
        assert!(split_pdvs(Bytes::new()).is_err(), "no PDV");
    }

    #[test]
    fn control_pdus_have_their_own_bound() {
        let header = PduHeader::parse([0x01, 0, 0, 0x10, 0, 0]);
        assert_eq!(header.length, 0x0010_0000);
        assert_eq!(header.limit(16_384), MAX_CONTROL_PDU_LEN);
        assert_eq!(PduHeader::parse([P_DATA_TF, 0, 0, 0, 0, 9]).limit(16_384), 16_384);
    }

    #[test]
    fn a_release_request_decodes() {
        let header = PduHeader::parse([0x05, 0, 0, 0, 0, 4]);
        let pdu = decode(header, Bytes::from_static(&[0, 0, 0, 0])).expect("decodes");
        assert!(matches!(pdu, Incoming::Other(Pdu::ReleaseRQ)));
    }
}
