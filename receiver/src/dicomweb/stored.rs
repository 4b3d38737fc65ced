//! A stored instance read back for WADO-RS: its attributes up to the pixel
//! data (metadata), and where its pixel data lies (frames). Only the file's
//! start is held, at most `MAX_HEADER_BYTES`; the rest streams past.

use bytes::{Bytes, BytesMut};
use dicom_object::{InMemDicomObject, OpenFileOptions};
use noctis_core::domain::InstanceSummary;
use noctis_core::ports::{ObjectReader, ObjectStore};
use noctis_wire::elements::{ElementHeader, WalkError};
use noctis_wire::part10::{PART10_PREFIX_LEN, dataset_offset};
use noctis_wire::pixel_data::{Located, locate};
use noctis_wire::transfer_syntax::DataSetEncoding;
use tokio::io::AsyncReadExt;

use super::error::WebError;

/// Far more than the attributes before any real image's pixel data.
const MAX_HEADER_BYTES: usize = 8 * 1024 * 1024;
const READ_STEP: usize = 64 * 1024;

/// What the file's start says.
#[derive(Debug)]
pub struct StoredHeader {
    /// Every attribute before the pixel data; `None` when they could not be
    /// read (a deflated data set, or one malformed as received).
    pub attributes: Option<InMemDicomObject>,
    /// The Pixel Data element, by offsets into the file.
    pub pixel_data: Option<PixelData>,
}

#[derive(Debug, Clone, Copy)]
pub struct PixelData {
    /// Where its value starts in the file.
    pub value_at: u64,
    pub header: ElementHeader,
}

/// The object, its start read.
pub struct OpenedObject {
    pub header: StoredHeader,
    /// The whole file from its first byte: what was held, then the rest.
    pub reader: ObjectReader,
}

/// Opens `instance`'s object and reads its start until the pixel data (or
/// the end, or the bound).
pub async fn open(objects: &dyn ObjectStore, instance: &InstanceSummary) -> Result<OpenedObject, WebError> {
    let mut reader = objects.read(&instance.object_key).await?.ok_or_else(|| {
        tracing::error!(object = %instance.object_key, "an indexed instance has no object");
        WebError::Unavailable
    })?;
    let encoding = DataSetEncoding::of(instance.transfer_syntax_uid.as_str());
    let mut held = BytesMut::with_capacity(READ_STEP);
    let mut ended = false;
    let found = loop {
        if !ended {
            let before = held.len();
            let read = (&mut reader).take(READ_STEP as u64).read_buf(&mut held).await.map_err(|e| {
                tracing::error!(error = %e, "could not read a stored instance");
                WebError::Unavailable
            })?;
            ended = read == 0 || held.len() == before;
        }
        match scan(&held, encoding, ended) {
            Scan::More if held.len() < MAX_HEADER_BYTES && !ended => continue,
            Scan::More => break None,
            Scan::Found(found) => break Some(found),
        }
    };
    let header = match found {
        Some((dataset_at, Located::PixelData { at, value_at, header })) => StoredHeader {
            attributes: parse(&held[..dataset_at + at], encoding),
            pixel_data: Some(PixelData { value_at: (dataset_at + value_at) as u64, header }),
        },
        Some((_, Located::NoPixelData)) => StoredHeader { attributes: parse(&held, encoding), pixel_data: None },
        None => {
            tracing::warn!(object = %instance.object_key, "a stored instance's attributes could not be read");
            StoredHeader { attributes: None, pixel_data: None }
        }
    };
    let reader = Box::new(std::io::Cursor::new(held.freeze()).chain(reader));
    Ok(OpenedObject { header, reader })
}

enum Scan {
    More,
    /// The data set's offset in the file, and what precedes its pixel data.
    Found((usize, Located)),
}

fn scan(held: &[u8], encoding: DataSetEncoding, ended: bool) -> Scan {
    let Some(prefix) = held.get(..PART10_PREFIX_LEN) else {
        return Scan::More;
    };
    let mut head = [0u8; PART10_PREFIX_LEN];
    head.copy_from_slice(prefix);
    let Ok(dataset_at) = dataset_offset(&head) else {
        return Scan::More;
    };
    let Some(dataset) = held.get(dataset_at..) else {
        return Scan::More;
    };
    if encoding.deflated {
        // The walk cannot see inside a deflate stream: no attributes, no frames.
        return if ended { Scan::Found((dataset_at, Located::NoPixelData)) } else { Scan::More };
    }
    match locate(dataset, encoding.elements) {
        Ok(found @ Located::PixelData { .. }) => Scan::Found((dataset_at, found)),
        // The walk ended where the bytes read so far end: only the object's end ends the data set.
        Ok(Located::NoPixelData) if ended => Scan::Found((dataset_at, Located::NoPixelData)),
        Ok(Located::NoPixelData) | Err(WalkError::Truncated) => Scan::More,
        Err(WalkError::Malformed(why)) => {
            tracing::warn!(why, "a stored data set is malformed before its pixel data");
            Scan::More
        }
    }
}

/// The attributes of a checked file start (every length in it fits the bytes).
fn parse(file: &[u8], encoding: DataSetEncoding) -> Option<InMemDicomObject> {
    if encoding.deflated {
        return None;
    }
    let body = file.get(128..)?;
    match OpenFileOptions::new().from_reader(body) {
        Ok(object) => Some(object.into_inner()),
        Err(e) => {
            tracing::warn!(error = %e, "a stored instance's attributes could not be parsed");
            None
        }
    }
}

/// Reads exactly `length` bytes at the reader's position (a value the file
/// declared, bounded by the caller).
pub async fn read_exact(reader: &mut ObjectReader, length: usize) -> std::io::Result<Bytes> {
    let mut out = vec![0u8; length];
    reader.read_exact(&mut out).await?;
    Ok(Bytes::from(out))
}

/// Steps over `length` bytes.
pub async fn skip(reader: &mut ObjectReader, length: u64) -> std::io::Result<()> {
    let skipped = tokio::io::copy(&mut (&mut *reader).take(length), &mut tokio::io::sink()).await?;
    if skipped < length {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the object ends early"));
    }
    Ok(())
}
