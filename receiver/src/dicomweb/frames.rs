//! WADO-RS frames (PS3.18 10.4.1.1.3): the pixel data of chosen frames of an
//! instance, as stored — native frames cut from the value, compressed ones
//! passed through as the bitstream the modality sent, with its transfer
//! syntax — one part per frame, in frame order. The file streams past; only
//! one frame's bytes are held.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use bytes::Bytes;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use noctis_core::domain::QueryLevel;
use noctis_core::ports::ObjectReader;

use super::error::{WebError, WebResult};
use super::media::{self, BodySender};
use super::metadata::frame_count;
use super::request::WebRequest;
use super::stored::{self, PixelData};
use super::{DicomWeb, wado};

/// A compressed frame larger than this is not an image anyone sent.
const MAX_FRAME_BYTES: u64 = 1024 * 1024 * 1024;
/// More fragments than this in one object is not a real encapsulation.
const MAX_FRAGMENTS: usize = 1 << 20;

pub async fn frames(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    accepts_octet_stream(&request.headers)?;
    let wanted = frame_list(request.ids.frames.as_deref().unwrap_or_default())?;
    let (_, _, instances) = wado::instances_named(&state, &request.caller, &request.ids, QueryLevel::Image).await?;
    let Some(instance) = instances.into_iter().next() else {
        return Err(WebError::NotFound);
    };
    let opened = stored::open(state.intake.objects.as_ref(), &instance).await?;
    let attributes = opened.header.attributes.ok_or_else(|| {
        WebError::NotAcceptable("this instance's attributes cannot be read, so neither can its frames".into())
    })?;
    // An instance without pixel data (a report, a presentation state) has no frames.
    let pixel_data = opened.header.pixel_data.ok_or(WebError::NotFound)?;
    let count = frame_count(Some(&attributes));
    if let Some(beyond) = wanted.iter().find(|n| **n > count) {
        return Err(WebError::BadRequest(format!("frame {beyond} of an instance with {count}")));
    }
    let layout = Layout::of(&attributes, pixel_data, count)?;
    let transfer_syntax = instance.transfer_syntax_uid.to_string();
    let boundary = uuid::Uuid::new_v4().simple().to_string();
    let (response, sender) =
        media::streamed(&format!("multipart/related; type=\"application/octet-stream\"; boundary={boundary}"));
    let part_boundary = boundary.clone();
    tokio::spawn(async move {
        let mut reader = opened.reader;
        let sent = match layout {
            Layout::Native { frame_bytes } => {
                native_frames(
                    &mut reader,
                    pixel_data.value_at,
                    frame_bytes,
                    &wanted,
                    &transfer_syntax,
                    &part_boundary,
                    &sender,
                )
                .await
            }
            Layout::Encapsulated => {
                encapsulated_frames(
                    &mut reader,
                    pixel_data.value_at,
                    count,
                    &wanted,
                    &transfer_syntax,
                    &part_boundary,
                    &sender,
                )
                .await
            }
        };
        match sent {
            Ok(()) => {
                let _ = sender.send(Ok(Bytes::from(format!("\r\n--{part_boundary}--\r\n")))).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "frames could not be cut from a stored instance");
                let _ = sender.send(Err(e)).await;
            }
        }
    });
    Ok(response)
}

/// `1,3,5` (1-based), in frame order without repeats.
fn frame_list(raw: &str) -> WebResult<Vec<u32>> {
    let mut frames = raw
        .split(',')
        .map(|n| n.trim().parse::<u32>().ok().filter(|n| *n >= 1))
        .collect::<Option<Vec<u32>>>()
        .ok_or_else(|| WebError::BadRequest("frames are listed as 1-based numbers: /frames/1,2,3".into()))?;
    frames.sort_unstable();
    frames.dedup();
    Ok(frames)
}

/// Frames are sent as stored: any Accept that takes octet streams (or anything) will do.
fn accepts_octet_stream(headers: &HeaderMap) -> WebResult<()> {
    let accept: Vec<&str> = headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).collect();
    let takes = |value: &str| {
        let value = value.to_ascii_lowercase();
        value.contains("*/*") || value.contains("application/octet-stream") || value.contains("multipart/related")
    };
    if accept.is_empty() || accept.iter().any(|v| takes(v)) {
        Ok(())
    } else {
        Err(WebError::NotAcceptable("frames are sent as stored, as application/octet-stream parts".into()))
    }
}

enum Layout {
    Native { frame_bytes: u64 },
    Encapsulated,
}

impl Layout {
    fn of(attributes: &InMemDicomObject, pixel_data: PixelData, count: u32) -> WebResult<Self> {
        let Some(length) = pixel_data.header.length else {
            return Ok(Layout::Encapsulated);
        };
        let number = |tag| attributes.element(tag).ok().and_then(|e| e.to_int::<u64>().ok());
        let (Some(rows), Some(columns), Some(bits)) =
            (number(tags::ROWS), number(tags::COLUMNS), number(tags::BITS_ALLOCATED))
        else {
            return Err(WebError::NotAcceptable("no Rows, Columns or Bits Allocated: frames cannot be cut".into()));
        };
        let samples = number(tags::SAMPLES_PER_PIXEL).unwrap_or(1);
        if bits % 8 != 0 && count > 1 {
            return Err(WebError::NotAcceptable("bit-packed frames are not cut apart; retrieve the instance".into()));
        }
        let frame_bytes = (rows * columns * samples * bits).div_ceil(8);
        if frame_bytes == 0 || frame_bytes.saturating_mul(u64::from(count)) > u64::from(length) {
            return Err(WebError::NotAcceptable("the pixel data is shorter than its frames".into()));
        }
        Ok(Layout::Native { frame_bytes })
    }
}

async fn part_head(sender: &BodySender, boundary: &str, transfer_syntax: &str) -> std::io::Result<()> {
    let head = format!(
        "\r\n--{boundary}\r\nContent-Type: application/octet-stream; transfer-syntax={transfer_syntax}\r\n\r\n"
    );
    send(sender, Bytes::from(head)).await
}

async fn send(sender: &BodySender, bytes: Bytes) -> std::io::Result<()> {
    sender.send(Ok(bytes)).await.map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client left"))
}

/// Copies `length` bytes from the reader to the body, a chunk at a time.
async fn copy_out(reader: &mut ObjectReader, mut length: u64, sender: &BodySender) -> std::io::Result<()> {
    const CHUNK: u64 = 256 * 1024;
    while length > 0 {
        let step = length.min(CHUNK);
        send(sender, stored::read_exact(reader, step as usize).await?).await?;
        length -= step;
    }
    Ok(())
}

async fn native_frames(
    reader: &mut ObjectReader,
    value_at: u64,
    frame_bytes: u64,
    wanted: &[u32],
    transfer_syntax: &str,
    boundary: &str,
    sender: &BodySender,
) -> std::io::Result<()> {
    let mut position = 0u64;
    for frame in wanted {
        let start = value_at + u64::from(frame - 1) * frame_bytes;
        stored::skip(reader, start - position).await?;
        part_head(sender, boundary, transfer_syntax).await?;
        copy_out(reader, frame_bytes, sender).await?;
        position = start + frame_bytes;
    }
    Ok(())
}

/// PS3.5 A.4: an item for the Basic Offset Table, then the fragments, then
/// the sequence delimiter. One frame is all fragments; as many fragments as
/// frames is one each; otherwise the offset table says where frames start.
async fn encapsulated_frames(
    reader: &mut ObjectReader,
    value_at: u64,
    count: u32,
    wanted: &[u32],
    transfer_syntax: &str,
    boundary: &str,
    sender: &BodySender,
) -> std::io::Result<()> {
    stored::skip(reader, value_at).await?;
    let malformed = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_owned());
    let table_length = item_length(reader).await?.ok_or_else(|| malformed("no offset table"))?;
    if table_length % 4 != 0 || u64::from(table_length) > u64::from(count) * 4 {
        return Err(malformed("an offset table that does not fit the frames"));
    }
    let table = stored::read_exact(reader, table_length as usize).await?;
    let offsets: Vec<u64> =
        table.chunks_exact(4).map(|c| u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]))).collect();
    // Walk fragment by fragment, sending those of wanted frames as they pass;
    // `position` is the offset from the first fragment's item, as the table's are.
    let mut fragments = 0usize;
    let mut position = 0u64;
    let mut wanted = wanted.iter().copied().peekable();
    let frame_of = |index: usize, offset: u64| -> u32 {
        if count == 1 {
            1
        } else if offsets.len() == count as usize && offsets.iter().skip(1).any(|o| *o > 0) {
            offsets.iter().take_while(|o| **o <= offset).count() as u32
        } else {
            index as u32 + 1
        }
    };
    let mut current: Option<u32> = None;
    while let Some(length) = item_length(reader).await? {
        if fragments >= MAX_FRAGMENTS || u64::from(length) > MAX_FRAME_BYTES {
            return Err(malformed("an encapsulation no image has"));
        }
        let frame = frame_of(fragments, position);
        fragments += 1;
        position += 8 + u64::from(length);
        while wanted.peek().is_some_and(|w| *w < frame) {
            wanted.next();
        }
        if wanted.peek() == Some(&frame) {
            if current != Some(frame) {
                part_head(sender, boundary, transfer_syntax).await?;
                current = Some(frame);
            }
            copy_out(reader, u64::from(length), sender).await?;
        } else {
            stored::skip(reader, u64::from(length)).await?;
            if wanted.peek().is_none() {
                return Ok(());
            }
        }
    }
    if count > 1 && fragments < count as usize && offsets.len() != count as usize {
        return Err(malformed("fewer fragments than frames and no offset table"));
    }
    Ok(())
}

/// The next item's length (PS3.5 7.5), or `None` at the sequence delimiter.
async fn item_length(reader: &mut ObjectReader) -> std::io::Result<Option<u32>> {
    let header = stored::read_exact(reader, 8).await?;
    let tag = (u16::from_le_bytes([header[0], header[1]]), u16::from_le_bytes([header[2], header[3]]));
    let length = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    match tag {
        (0xFFFE, 0xE000) if length != u32::MAX => Ok(Some(length)),
        (0xFFFE, 0xE0DD) => Ok(None),
        _ => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "not an item of encapsulated pixel data")),
    }
}
