//! Where a Part-10 file's data set starts (PS3.10 7.1): after the 128-byte
//! preamble, `DICM`, and the File Meta group whose length its first element
//! gives; and what that group says of the data set. A C-STORE sends only the
//! data set; a STOW-RS part is a whole file.

use crate::elements::{Encoding, Tag, WalkError, Walker};

/// Preamble, prefix, and (0002,0000) UL in explicit VR: enough to find the start.
pub const PART10_PREFIX_LEN: usize = 128 + 4 + 12;
/// Far more than any File Meta group; a larger one is not a file Noctis wrote.
const MAX_META_GROUP_LEN: u32 = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Part10Error {
    #[error("not a Part-10 file: no DICM prefix or File Meta Group Length")]
    NotPart10,
    #[error("a File Meta group of {0} bytes")]
    MetaTooLong(u32),
}

/// The offset of the data set, read from the first `PART10_PREFIX_LEN` bytes.
pub fn dataset_offset(prefix: &[u8; PART10_PREFIX_LEN]) -> Result<usize, Part10Error> {
    let group_length_element = &prefix[132..];
    if &prefix[128..132] != b"DICM" || group_length_element[..8] != [0x02, 0x00, 0x00, 0x00, b'U', b'L', 4, 0] {
        return Err(Part10Error::NotPart10);
    }
    let length = u32::from_le_bytes([
        group_length_element[8],
        group_length_element[9],
        group_length_element[10],
        group_length_element[11],
    ]);
    if length > MAX_META_GROUP_LEN {
        return Err(Part10Error::MetaTooLong(length));
    }
    Ok(PART10_PREFIX_LEN + length as usize)
}

/// What a File Meta group says the file holds (PS3.10 Table 7.1-1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileMeta {
    pub media_storage_sop_class_uid: Option<String>,
    pub media_storage_sop_instance_uid: Option<String>,
    pub transfer_syntax_uid: Option<String>,
    /// (0002,0016): the AE title that sent it, as Noctis writes it on receipt.
    pub source_application_entity_title: Option<String>,
}

/// Reads the File Meta group `meta` (the bytes after its group length
/// element, always explicit VR little endian), within the bytes present.
pub fn read_file_meta(meta: &[u8]) -> Result<FileMeta, WalkError> {
    let mut walker = Walker::new(meta, Encoding::ExplicitLittle);
    let mut found = FileMeta::default();
    while let Some(header) = walker.next_header()? {
        if header.tag.group() != 0x0002 {
            return Err(WalkError::Malformed("an element outside the File Meta group"));
        }
        let slot = match header.tag {
            Tag(0x0002, 0x0002) => &mut found.media_storage_sop_class_uid,
            Tag(0x0002, 0x0003) => &mut found.media_storage_sop_instance_uid,
            Tag(0x0002, 0x0010) => &mut found.transfer_syntax_uid,
            Tag(0x0002, 0x0016) => &mut found.source_application_entity_title,
            _ => continue,
        };
        // A UI is padded with NUL, an AE with spaces (PS3.5 6.2); both trim alike.
        *slot = walker.value()?.map(uid_text).map(|text| text.trim().to_owned()).filter(|text| !text.is_empty());
    }
    Ok(found)
}

/// A UI value as text: PS3.5 6.2 pads it to even length with NUL.
fn uid_text(value: &[u8]) -> String {
    String::from_utf8_lossy(value).trim_end_matches(['\0', ' ']).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(tag: (u16, u16), vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        crate::elements::tests::explicit_le(tag.0, tag.1, vr, value)
    }

    #[test]
    fn the_file_meta_names_class_instance_and_transfer_syntax() {
        let mut meta = element((0x0002, 0x0001), b"OB", &[0, 1]);
        meta.extend(element((0x0002, 0x0002), b"UI", b"1.2.840.10008.5.1.4.1.1.2\0"));
        meta.extend(element((0x0002, 0x0003), b"UI", b"1.2.3.4"));
        meta.extend(element((0x0002, 0x0010), b"UI", b"1.2.840.10008.1.2.1\0"));
        meta.extend(element((0x0002, 0x0013), b"SH", b"OTHER "));
        meta.extend(element((0x0002, 0x0016), b"AE", b"CT_ROOM_1 "));
        let found = read_file_meta(&meta).expect("a meta group");
        assert_eq!(found.source_application_entity_title.as_deref(), Some("CT_ROOM_1"));
        assert_eq!(found.media_storage_sop_class_uid.as_deref(), Some("1.2.840.10008.5.1.4.1.1.2"));
        assert_eq!(found.media_storage_sop_instance_uid.as_deref(), Some("1.2.3.4"));
        assert_eq!(found.transfer_syntax_uid.as_deref(), Some("1.2.840.10008.1.2.1"));
    }

    #[test]
    fn a_meta_group_that_lies_about_its_lengths_is_refused() {
        let mut meta = element((0x0002, 0x0010), b"UI", b"1.2.840.10008.1.2.1\0");
        meta.truncate(meta.len() - 4);
        assert_eq!(read_file_meta(&meta), Err(WalkError::Truncated));
        let outside = element((0x0008, 0x0018), b"UI", b"1.2");
        assert!(matches!(read_file_meta(&outside), Err(WalkError::Malformed(_))));
    }

    fn prefix(group_length: u32) -> [u8; PART10_PREFIX_LEN] {
        let mut bytes = [0u8; PART10_PREFIX_LEN];
        bytes[128..132].copy_from_slice(b"DICM");
        bytes[132..140].copy_from_slice(&[0x02, 0x00, 0x00, 0x00, b'U', b'L', 4, 0]);
        bytes[140..].copy_from_slice(&group_length.to_le_bytes());
        bytes
    }

    #[test]
    fn the_data_set_starts_after_the_meta_group() {
        assert_eq!(dataset_offset(&prefix(198)), Ok(144 + 198));
    }

    #[test]
    fn anything_else_is_refused() {
        let mut wrong = prefix(10);
        wrong[128] = b'X';
        assert_eq!(dataset_offset(&wrong), Err(Part10Error::NotPart10));
        assert_eq!(dataset_offset(&prefix(u32::MAX)), Err(Part10Error::MetaTooLong(u32::MAX)));
    }
}
