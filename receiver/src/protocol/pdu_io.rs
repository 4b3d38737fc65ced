//! PDUs on the wire (PS3.8 9.3), read and written over a connection. Framing and
//! decoding are `noctis_wire::pdu`'s; this module only moves the bytes, and
//! grows a PDU's buffer as its bytes arrive rather than by what its header
//! declares (a peer may declare a megabyte and send one byte a minute).

use bytes::BytesMut;
use dicom_ul::pdu::{PDataValueType, Pdu};
use noctis_wire::pdu::{self, PDU_HEADER_LEN, PduHeader};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

pub use noctis_wire::pdu::{Incoming, Pdv};

/// The first read of a PDU body is at most this big; the buffer then doubles.
const FIRST_READ: usize = 64 * 1024;
/// The largest data PDV we send (a fragment of a data set streamed from storage).
const MAX_DATA_PDV: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum PduError {
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Wire(#[from] pdu::PduError),
}

/// Reads PDUs, accepting P-DATA-TF up to `max_pdu_length` (what we advertised).
#[derive(Debug)]
pub struct PduReader<R> {
    inner: R,
    max_pdu_length: u32,
    /// The first byte of the next PDU, once `begin` has seen it.
    first: Option<u8>,
}

impl<R: AsyncRead + Unpin> PduReader<R> {
    pub fn new(inner: R, max_pdu_length: u32) -> Self {
        Self { inner, max_pdu_length, first: None }
    }

    /// Waits until the next PDU begins; `false` when the peer closed the
    /// connection instead. Cancel-safe, unlike `next`: a caller may give up
    /// waiting (to ask for release) without losing a byte.
    pub async fn begin(&mut self) -> Result<bool, PduError> {
        if self.first.is_some() {
            return Ok(true);
        }
        let mut one = [0u8; 1];
        if self.inner.read(&mut one).await? == 0 {
            return Ok(false);
        }
        self.first = Some(one[0]);
        Ok(true)
    }

    /// The next PDU, or `None` when the peer closed the connection between PDUs.
    pub async fn next(&mut self) -> Result<Option<Incoming>, PduError> {
        let begun = self.begin().await?;
        let (true, Some(first)) = (begun, self.first.take()) else {
            return Ok(None);
        };
        let mut header = [0u8; PDU_HEADER_LEN];
        header[0] = first;
        self.inner.read_exact(&mut header[1..]).await?;
        let header = PduHeader::parse(header);
        let limit = header.limit(self.max_pdu_length);
        if header.length > limit {
            return Err(pdu::PduError::TooLarge { pdu_type: header.pdu_type, length: header.length, limit }.into());
        }
        let body = self.read_body(header.length as usize).await?;
        Ok(Some(pdu::decode(header, body.freeze())?))
    }

    /// Reads exactly `length` bytes, never holding more room than twice what arrived.
    async fn read_body(&mut self, length: usize) -> Result<BytesMut, PduError> {
        let mut body = BytesMut::with_capacity(length.min(FIRST_READ));
        while body.len() < length {
            if body.len() == body.capacity() {
                body.reserve((length - body.len()).min(body.len().max(FIRST_READ)));
            }
            let room = (length - body.len()).min(body.capacity() - body.len());
            let read = (&mut self.inner).take(room as u64).read_buf(&mut body).await?;
            if read == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
            }
        }
        Ok(body)
    }
}

/// Streaming a stored object failed: reading it, or sending it.
#[derive(Debug, thiserror::Error)]
pub enum SendObjectError {
    #[error("reading the stored object: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Send(#[from] PduError),
}

/// Up to `room` bytes of `object`; empty at its end.
async fn read_fragment<R: AsyncRead + Unpin + ?Sized>(object: &mut R, room: usize) -> std::io::Result<Vec<u8>> {
    let mut fragment = Vec::with_capacity(room);
    object.take(room as u64).read_to_end(&mut fragment).await?;
    Ok(fragment)
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
        dicom_ul::write_pdu(&mut out, pdu).map_err(|e| pdu::PduError::Malformed(e.to_string()))?;
        self.inner.write_all(&out).await?;
        self.inner.flush().await?;
        Ok(())
    }

    /// Sends a command set on `context_id` as one or more PDVs.
    pub async fn send_command(&mut self, context_id: u8, command: &[u8]) -> Result<(), PduError> {
        self.send_fragments(context_id, PDataValueType::Command, command).await
    }

    /// Sends a data set (a C-FIND match) on `context_id` as one or more PDVs.
    pub async fn send_data(&mut self, context_id: u8, data: &[u8]) -> Result<(), PduError> {
        self.send_fragments(context_id, PDataValueType::Data, data).await
    }

    async fn send_fragments(
        &mut self,
        context_id: u8,
        value_type: PDataValueType,
        bytes: &[u8],
    ) -> Result<(), PduError> {
        // Each P-DATA-TF carries one PDV: 4 (length) + 2 (id, control) bytes of overhead.
        let room = match self.peer_max_pdu_length {
            0 => bytes.len().max(1),
            max => (max as usize).saturating_sub(6).max(1),
        };
        let fragments: Vec<&[u8]> = bytes.chunks(room).collect();
        let count = fragments.len();
        for (i, fragment) in fragments.into_iter().enumerate() {
            let pdu = Pdu::PData {
                data: vec![dicom_ul::pdu::PDataValue {
                    presentation_context_id: context_id,
                    value_type: value_type.clone(),
                    is_last: i + 1 == count,
                    data: fragment.to_vec(),
                }],
            };
            self.send(&pdu).await?;
        }
        Ok(())
    }

    /// The most data one PDV carries to this peer: its maximum, less the PDV
    /// overhead, but never over `MAX_DATA_PDV`. A peer declaring no limit, or
    /// 4 GiB, must not make us hold a buffer that size.
    pub fn max_pdv_data(&self) -> usize {
        match self.peer_max_pdu_length {
            0 => MAX_DATA_PDV,
            max => (max as usize).saturating_sub(6).clamp(1, MAX_DATA_PDV),
        }
    }

    /// Streams a data set from `object` to its end as data PDVs on
    /// `context_id`: two fragments in memory at most, the one sent and the
    /// one read ahead to know whether it is the last.
    pub async fn send_object<R: AsyncRead + Unpin + ?Sized>(
        &mut self,
        context_id: u8,
        object: &mut R,
    ) -> Result<(), SendObjectError> {
        let room = self.max_pdv_data();
        let mut current = read_fragment(object, room).await?;
        loop {
            let next = read_fragment(object, room).await?;
            let last = next.is_empty();
            self.send_data_fragment(context_id, &current, last).await?;
            if last {
                return Ok(());
            }
            current = next;
        }
    }

    /// Sends one data PDV (a fragment of a data set streamed from storage).
    pub async fn send_data_fragment(&mut self, context_id: u8, data: &[u8], is_last: bool) -> Result<(), PduError> {
        let pdu = Pdu::PData {
            data: vec![dicom_ul::pdu::PDataValue {
                presentation_context_id: context_id,
                value_type: PDataValueType::Data,
                is_last,
                data: data.to_vec(),
            }],
        };
        self.send(&pdu).await
    }

    pub async fn shutdown(&mut self) {
        let _ = self.inner.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use noctis_wire::pdu::P_DATA_TF;

    fn pdv(context: u8, control: u8, data: &[u8]) -> Vec<u8> {
        let mut out = ((data.len() + 2) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&[context, control]);
        out.extend_from_slice(data);
        out
    }

    #[tokio::test]
    async fn p_data_is_read_whole_then_the_stream_ends_cleanly() {
        let mut body = pdv(1, 0b11, b"command");
        body.extend(pdv(1, 0b10, b"data"));
        let mut wire = vec![P_DATA_TF, 0];
        wire.extend_from_slice(&(body.len() as u32).to_be_bytes());
        wire.extend(body);
        let mut reader = PduReader::new(wire.as_slice(), 16_384);
        let Some(Incoming::Data(pdvs)) = reader.next().await.expect("reads") else {
            panic!("expected P-DATA");
        };
        assert_eq!(pdvs.len(), 2);
        assert!(reader.next().await.expect("clean end").is_none());
    }

    #[tokio::test]
    async fn oversized_and_truncated_pdus_are_errors() {
        let wire = [P_DATA_TF, 0, 0, 1, 0, 0];
        let err = PduReader::new(&wire[..], 4096).next().await.expect_err("too large");
        assert!(matches!(err, PduError::Wire(pdu::PduError::TooLarge { length: 65536, .. })), "{err:?}");
        let cut = [P_DATA_TF, 0, 0, 0, 0, 20, 1, 2];
        assert!(PduReader::new(&cut[..], 4096).next().await.is_err(), "truncated body");
    }

    #[test]
    fn data_fragments_follow_the_peer_maximum_but_never_its_declared_gigabytes() {
        let mut writer = PduWriter::new(Vec::<u8>::new());
        assert_eq!(writer.max_pdv_data(), MAX_DATA_PDV, "no limit declared");
        writer.set_peer_max_pdu_length(16_384);
        assert_eq!(writer.max_pdv_data(), 16_378);
        writer.set_peer_max_pdu_length(u32::MAX);
        assert_eq!(writer.max_pdv_data(), MAX_DATA_PDV);
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
