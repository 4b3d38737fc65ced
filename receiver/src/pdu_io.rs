//! PDUs on the wire (PS3.8 9.3). P-DATA-TF is split here into its PDVs without
//! copying the data; every other PDU is parsed by `dicom_ul::read_pdu`.

use bytes::{Buf, Bytes, BytesMut};
use dicom_ul::pdu::{MAXIMUM_PDU_SIZE, PDataValueType, Pdu};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const PDU_HEADER_LEN: usize = 6;
const P_DATA_TF: u8 = 0x04;
/// Association negotiation PDUs are small; anything bigger is not one.
const MAX_CONTROL_PDU_LEN: u32 = 1024 * 1024;

/// One presentation data value, its bytes shared with the PDU buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdv {
    pub context_id: u8,
    pub is_command: bool,
    pub is_last: bool,
    pub data: Bytes,
}

#[derive(Debug)]
pub enum Incoming {
    Data(Vec<Pdv>),
    Other(Pdu),
}

#[derive(Debug, thiserror::Error)]
pub enum PduError {
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("a {pdu_type:#04x} PDU of {length} bytes exceeds the {limit}-byte limit")]
    TooLarge { pdu_type: u8, length: u32, limit: u32 },
    #[error("malformed PDU: {0}")]
    Malformed(String),
}

/// Reads PDUs, accepting P-DATA-TF up to `max_pdu_length` (what we advertised).
#[derive(Debug)]
pub struct PduReader<R> {
    inner: R,
    max_pdu_length: u32,
}

impl<R: AsyncRead + Unpin> PduReader<R> {
    pub fn new(inner: R, max_pdu_length: u32) -> Self {
        Self { inner, max_pdu_length }
    }

    /// The next PDU, or `None` when the peer closed the connection between PDUs.
    pub async fn next(&mut self) -> Result<Option<Incoming>, PduError> {
        let mut header = [0u8; PDU_HEADER_LEN];
        match self.inner.read_exact(&mut header[..1]).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        self.inner.read_exact(&mut header[1..]).await?;
        let pdu_type = header[0];
        let length = u32::from_be_bytes([header[2], header[3], header[4], header[5]]);
        let limit = if pdu_type == P_DATA_TF { self.max_pdu_length } else { MAX_CONTROL_PDU_LEN };
        if length > limit {
            return Err(PduError::TooLarge { pdu_type, length, limit });
        }
        let mut body = BytesMut::zeroed(length as usize);
        self.inner.read_exact(&mut body).await?;
        if pdu_type == P_DATA_TF {
            return split_pdvs(body.freeze()).map(|pdvs| Some(Incoming::Data(pdvs)));
        }
        let mut whole = BytesMut::with_capacity(PDU_HEADER_LEN + body.len());
        whole.extend_from_slice(&header);
        whole.extend_from_slice(&body);
        match dicom_ul::read_pdu(whole.freeze(), MAXIMUM_PDU_SIZE, false) {
            Ok(Some(pdu)) => Ok(Some(Incoming::Other(pdu))),
            Ok(None) => Err(PduError::Malformed("truncated PDU".into())),
            Err(e) => Err(PduError::Malformed(e.to_string())),
        }
    }
}

/// PS3.8 9.3.5.1: a P-DATA-TF body is a run of items, each a 4-byte length, a
/// presentation context ID, a message control header, then the fragment.
fn split_pdvs(mut body: Bytes) -> Result<Vec<Pdv>, PduError> {
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
        let data = body.split_to(item_length - 2);
        pdvs.push(Pdv { context_id, is_command: control & 0x01 != 0, is_last: control & 0x02 != 0, data });
    }
    if pdvs.is_empty() {
        return Err(PduError::Malformed("P-DATA-TF without a PDV".into()));
    }
    Ok(pdvs)
}

/// Writes PDUs, fragmenting command sets to the peer's maximum PDU length.
#[derive(Debug)]
pub struct PduWriter<W> {
    inner: W,
    /// The peer's maximum; 0 means no limit (PS3.8 D.1).
    peer_max_pdu_length: u32,
}

impl<W: AsyncWrite + Unpin> PduWriter<W> {
    pub fn new(inner: W) -> Self {
        Self { inner, peer_max_pdu_length: 0 }
    }

    pub fn set_peer_max_pdu_length(&mut self, length: u32) {
        self.peer_max_pdu_length = length;
    }

    pub async fn send(&mut self, pdu: &Pdu) -> Result<(), PduError> {
        let mut out = Vec::with_capacity(256);
        dicom_ul::write_pdu(&mut out, pdu).map_err(|e| PduError::Malformed(e.to_string()))?;
        self.inner.write_all(&out).await?;
        self.inner.flush().await?;
        Ok(())
    }

    /// Sends a command set on `context_id` as one or more PDVs.
    pub async fn send_command(&mut self, context_id: u8, command: &[u8]) -> Result<(), PduError> {
        // Each P-DATA-TF carries one PDV: 4 (length) + 2 (id, control) bytes of overhead.
        let room = match self.peer_max_pdu_length {
            0 => command.len().max(1),
            max => (max as usize).saturating_sub(6).max(1),
        };
        let fragments: Vec<&[u8]> = command.chunks(room).collect();
        let count = fragments.len();
        for (i, fragment) in fragments.into_iter().enumerate() {
            let pdu = Pdu::PData {
                data: vec![dicom_ul::pdu::PDataValue {
                    presentation_context_id: context_id,
                    value_type: PDataValueType::Command,
                    is_last: i + 1 == count,
                    data: fragment.to_vec(),
                }],
            };
            self.send(&pdu).await?;
        }
        Ok(())
    }

    pub async fn shutdown(&mut self) {
        let _ = self.inner.shutdown().await;
    }
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

    #[tokio::test]
    async fn p_data_is_split_into_its_pdvs() {
        let mut body = pdv(1, 0b11, b"command");
        body.extend(pdv(1, 0b00, b"data-1"));
        body.extend(pdv(1, 0b10, b"data-2"));
        let mut wire = vec![P_DATA_TF, 0];
        wire.extend_from_slice(&(body.len() as u32).to_be_bytes());
        wire.extend(body);
        let mut reader = PduReader::new(wire.as_slice(), 16_384);
        let Some(Incoming::Data(pdvs)) = reader.next().await.expect("reads") else {
            panic!("expected P-DATA");
        };
        let summary: Vec<_> = pdvs.iter().map(|p| (p.is_command, p.is_last, p.data.as_ref())).collect();
        assert_eq!(summary, [(true, true, &b"command"[..]), (false, false, b"data-1"), (false, true, b"data-2")]);
        assert!(reader.next().await.expect("clean end").is_none());
    }

    #[tokio::test]
    async fn oversized_and_malformed_pdus_are_errors() {
        let wire = [P_DATA_TF, 0, 0, 1, 0, 0];
        let err = PduReader::new(&wire[..], 4096).next().await.expect_err("too large");
        assert!(matches!(err, PduError::TooLarge { length: 65536, .. }), "{err:?}");

        let mut bad = vec![P_DATA_TF, 0, 0, 0, 0, 8];
        bad.extend_from_slice(&[0, 0, 0, 200, 1, 3, 0, 0]);
        let err = PduReader::new(bad.as_slice(), 4096).next().await.expect_err("bad item");
        assert!(matches!(err, PduError::Malformed(_)), "{err:?}");

        let cut = [P_DATA_TF, 0, 0, 0, 0, 20, 1, 2];
        assert!(PduReader::new(&cut[..], 4096).next().await.is_err(), "truncated body");
    }

    #[tokio::test]
    async fn commands_are_fragmented_to_the_peer_maximum() {
        let mut wire = Vec::new();
        let mut writer = PduWriter::new(&mut wire);
        writer.set_peer_max_pdu_length(16);
        writer.send_command(3, &[7u8; 25]).await.expect("sends");
        let mut reader = PduReader::new(wire.as_slice(), 16_384);
        let mut fragments = Vec::new();
        while let Some(Incoming::Data(pdvs)) = reader.next().await.expect("reads") {
            fragments.extend(pdvs.into_iter().map(|p| (p.context_id, p.is_command, p.is_last, p.data.len())));
        }
        assert_eq!(fragments, [(3, true, false, 10), (3, true, false, 10), (3, true, true, 5)]);
    }
}
