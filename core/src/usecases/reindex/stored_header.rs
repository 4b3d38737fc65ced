//! What a stored Part-10 file says of itself, read from its first bytes only:
//! a ranged read of a few kilobytes, more only when the header runs past them.

use noctis_wire::header::{InstanceHeader, scan_header};
use noctis_wire::part10::{PART10_PREFIX_LEN, dataset_offset, read_file_meta};
use noctis_wire::transfer_syntax::DataSetEncoding;

use crate::domain::ObjectKey;
use crate::ports::{ObjectStore, StoreError};

/// The reads tried in turn: most headers end within the first; a long
/// private group or an embedded icon can push one further.
const PREFIX_READS: [usize; 3] = [16 * 1024, 256 * 1024, 1024 * 1024];
/// How far a deflated data set is inflated to read its header.
const INFLATE_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHeader {
    pub transfer_syntax_uid: String,
    pub sop_class_uid: Option<String>,
    pub source_ae_title: Option<String>,
    pub header: InstanceHeader,
    /// How many bytes were read to learn it.
    pub bytes_read: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderRead {
    Read(Box<StoredHeader>),
    /// Gone between the listing and the read.
    Missing,
    /// Not a Part-10 file, or not one whose header can be read.
    Unreadable(&'static str),
}

pub async fn read_stored_header(objects: &dyn ObjectStore, key: &ObjectKey) -> Result<HeaderRead, StoreError> {
    for len in PREFIX_READS {
        let Some(prefix) = objects.read_prefix(key, len).await? else { return Ok(HeaderRead::Missing) };
        let whole = prefix.len() < len;
        match parse(&prefix, whole) {
            Parsed::Done(header) => return Ok(HeaderRead::Read(header)),
            Parsed::Unreadable(why) => return Ok(HeaderRead::Unreadable(why)),
            Parsed::NeedsMore if whole => return Ok(HeaderRead::Unreadable("the file ends inside its header")),
            Parsed::NeedsMore => {}
        }
    }
    Ok(HeaderRead::Unreadable("the header runs past the first megabyte"))
}

enum Parsed {
    Done(Box<StoredHeader>),
    NeedsMore,
    Unreadable(&'static str),
}

/// Reads `prefix`, the first bytes of a file; `whole` when the file ends there.
fn parse(prefix: &[u8], whole: bool) -> Parsed {
    let Some(start) = prefix.get(..PART10_PREFIX_LEN) else {
        return if whole { Parsed::Unreadable("shorter than a Part-10 preamble") } else { Parsed::NeedsMore };
    };
    let mut head = [0u8; PART10_PREFIX_LEN];
    head.copy_from_slice(start);
    let Ok(dataset_at) = dataset_offset(&head) else { return Parsed::Unreadable("not a Part-10 file") };
    let Some(meta_bytes) = prefix.get(PART10_PREFIX_LEN..dataset_at) else { return Parsed::NeedsMore };
    let Ok(meta) = read_file_meta(meta_bytes) else { return Parsed::Unreadable("its File Meta group is malformed") };
    let Some(transfer_syntax_uid) = meta.transfer_syntax_uid else {
        return Parsed::Unreadable("its File Meta group names no transfer syntax");
    };
    let dataset = prefix.get(dataset_at..).unwrap_or_default();
    let scan = scan_header(dataset, DataSetEncoding::of(&transfer_syntax_uid), whole, INFLATE_LIMIT);
    if !scan.complete {
        return Parsed::NeedsMore;
    }
    Parsed::Done(Box::new(StoredHeader {
        sop_class_uid: meta.media_storage_sop_class_uid.or(scan.header.sop_class_uid.clone()),
        source_ae_title: meta.source_application_entity_title,
        transfer_syntax_uid,
        header: scan.header,
        bytes_read: prefix.len(),
    }))
}
