//! Frames cut from a stored instance's pixel data as the object streams past
//! (PS3.5 8.2 native, A.4 encapsulated): native frames at their offsets, a
//! compressed frame as its fragments' bytes. Only one chunk is held at a time;
//! where the bytes go is the caller's (`FrameSink`).

use bytes::Bytes;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use noctis_core::ports::ObjectReader;

use super::error::{WebError, WebResult};
use super::stored::{self, PixelData};

/// A compressed frame larger than this is not an image anyone sent.
const MAX_FRAME_BYTES: u64 = 1024 * 1024 * 1024;
/// More fragments than this in one object is not a real encapsulation.
const MAX_FRAGMENTS: usize = 1 << 20;
const CHUNK: u64 = 256 * 1024;

/// Where the wanted frames' bytes go, as they pass.
pub trait FrameSink {
    /// `frame` (1-based) begins.
    async fn begin(&mut self, frame: u32) -> std::io::Result<()>;
    /// The next of its bytes.
    async fn bytes(&mut self, bytes: Bytes) -> std::io::Result<()>;
}

#[derive(Debug, Clone, Copy)]
pub enum Layout {
    Native { frame_bytes: u64 },
    Encapsulated,
}

impl Layout {
    pub fn of(attributes: &InMemDicomObject, pixel_data: PixelData, count: u32) -> WebResult<Self> {
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

/// Walks `reader` (the file from its first byte) to the pixel data at
/// `value_at`, and hands `wanted` (1-based, ascending) frames' bytes to `sink`.
pub async fn cut(
    reader: &mut ObjectReader,
    layout: Layout,
    value_at: u64,
    count: u32,
    wanted: &[u32],
    sink: &mut impl FrameSink,
) -> std::io::Result<()> {
    match layout {
        Layout::Native { frame_bytes } => native_frames(reader, value_at, frame_bytes, wanted, sink).await,
        Layout::Encapsulated => encapsulated_frames(reader, value_at, count, wanted, sink).await,
    }
}

/// Copies `length` bytes from the reader to the sink, a chunk at a time.
async fn copy_out(reader: &mut ObjectReader, mut length: u64, sink: &mut impl FrameSink) -> std::io::Result<()> {
    while length > 0 {
        let step = length.min(CHUNK);
        sink.bytes(stored::read_exact(reader, step as usize).await?).await?;
        length -= step;
    }
    Ok(())
}

async fn native_frames(
    reader: &mut ObjectReader,
    value_at: u64,
    frame_bytes: u64,
    wanted: &[u32],
    sink: &mut impl FrameSink,
) -> std::io::Result<()> {
    let mut position = 0u64;
    for frame in wanted {
        let start = value_at + u64::from(frame - 1) * frame_bytes;
        stored::skip(reader, start - position).await?;
        sink.begin(*frame).await?;
        copy_out(reader, frame_bytes, sink).await?;
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
    sink: &mut impl FrameSink,
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
                sink.begin(frame).await?;
                current = Some(frame);
            }
            copy_out(reader, u64::from(length), sink).await?;
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
