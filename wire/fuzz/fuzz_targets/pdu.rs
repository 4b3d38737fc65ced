//! A peer's byte stream read as PDUs, the way the receiver reads it: header,
//! limit check, body, decode — until the bytes run out or one is refused.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use noctis_wire::pdu::{PDU_HEADER_LEN, PduHeader, decode};

const MAX_PDU_LENGTH: u32 = 262_144;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while rest.len() >= PDU_HEADER_LEN {
        let mut header = [0u8; PDU_HEADER_LEN];
        header.copy_from_slice(&rest[..PDU_HEADER_LEN]);
        let header = PduHeader::parse(header);
        if header.length > header.limit(MAX_PDU_LENGTH) {
            return;
        }
        let body = &rest[PDU_HEADER_LEN..];
        let Some(body) = body.get(..header.length as usize) else {
            return;
        };
        if decode(header, Bytes::copy_from_slice(body)).is_err() {
            return;
        }
        rest = &rest[PDU_HEADER_LEN + header.length as usize..];
    }
});
