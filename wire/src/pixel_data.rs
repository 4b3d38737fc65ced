//! Where a stored data set's top-level Pixel Data (7FE0,0010) begins, with
//! every element before it checked against the bytes present, nested
//! sequences included. What lies before it may then be handed to a parser
//! that trusts declared lengths (dicom-rs allocates them before reading):
//! none of them can exceed the bytes there are.

use dicom_core::Tag as DicomTag;
use dicom_core::VR;
use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_dictionary_std::StandardDataDictionary;

use crate::elements::{ElementHeader, Encoding, Tag, WalkError, Walker};

pub const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);
/// Deeper nesting than this is not a real data set.
const MAX_DEPTH: usize = 16;

/// What precedes the pixel data, once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Located {
    /// The Pixel Data element's header starts at `at`, its value at `value_at`.
    PixelData { at: usize, value_at: usize, header: ElementHeader },
    /// The data set ends without Pixel Data.
    NoPixelData,
}

/// Finds the top-level Pixel Data of `bytes` (a data set's start, in
/// `encoding`). `Truncated` means the bytes end before it: more may tell.
pub fn locate(bytes: &[u8], encoding: Encoding) -> Result<Located, WalkError> {
    let mut walker = Walker::new(bytes, encoding);
    loop {
        let at = walker.position();
        let Some(header) = walker.next_header()? else {
            return Ok(Located::NoPixelData);
        };
        if header.tag == PIXEL_DATA {
            return Ok(Located::PixelData { at, value_at: walker.position(), header });
        }
        check_value(&mut walker, header, encoding, 0)?;
    }
}

/// Steps over one element's value, walking into it when it is a sequence.
fn check_value(
    walker: &mut Walker<'_>,
    header: ElementHeader,
    encoding: Encoding,
    depth: usize,
) -> Result<(), WalkError> {
    if depth > MAX_DEPTH {
        return Err(WalkError::Malformed("sequences nested too deeply"));
    }
    if !is_sequence(header, encoding) {
        walker.value()?;
        return Ok(());
    }
    // PS3.5 6.2.2: a UN sequence of undefined length is Implicit VR Little Endian.
    let inner = if header.is_un() { Encoding::ImplicitLittle } else { encoding };
    // An item's bytes are all there is of it: an element running past them lies.
    let within = |e: WalkError| match e {
        WalkError::Truncated => WalkError::Malformed("an element longer than its item"),
        other => other,
    };
    for item in walker.items()? {
        let mut nested = Walker::new(item, inner);
        while let Some(element) = nested.next_header().map_err(within)? {
            check_value(&mut nested, element, inner, depth + 1).map_err(within)?;
        }
    }
    Ok(())
}

/// Explicit SQ, anything of undefined length (a sequence, or UN holding one),
/// or, in implicit VR, what the dictionary calls a sequence.
fn is_sequence(header: ElementHeader, encoding: Encoding) -> bool {
    match header.vr {
        Some(vr) => &vr == b"SQ" || header.length.is_none(),
        None if header.length.is_none() => true,
        None => {
            encoding == Encoding::ImplicitLittle
                && StandardDataDictionary
                    .by_tag(DicomTag(header.tag.0, header.tag.1))
                    .is_some_and(|entry| entry.vr().relaxed() == VR::SQ)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(tag: (u16, u16), vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        crate::elements::tests::explicit_le(tag.0, tag.1, vr, value)
    }

    fn item(content: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFE, 0xFF, 0x00, 0xE0];
        out.extend_from_slice(&(content.len() as u32).to_le_bytes());
        out.extend_from_slice(content);
        out
    }

    #[test]
    fn the_pixel_data_is_found_after_checked_elements_and_sequences() {
        let mut bytes = element((0x0008, 0x0018), b"UI", b"1.2.3\0");
        bytes.extend(element((0x0008, 0x1140), b"SQ", &item(&element((0x0008, 0x1155), b"UI", b"1.2\0"))));
        let at = bytes.len();
        bytes.extend(element((0x7FE0, 0x0010), b"OW", &[0, 1, 2, 3]));
        match locate(&bytes, Encoding::ExplicitLittle) {
            Ok(Located::PixelData { at: found, value_at, header }) => {
                assert_eq!((found, value_at, header.length), (at, at + 12, Some(4)));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(locate(&bytes[..at], Encoding::ExplicitLittle), Ok(Located::NoPixelData));
    }

    #[test]
    fn a_nested_length_past_its_sequence_is_refused_before_any_parser_sees_it() {
        // An item whose element declares 1 GiB inside a few bytes.
        let mut lying = element((0x0008, 0x1155), b"UI", b"1.2\0");
        lying[6..8].copy_from_slice(&0xFFFFu16.to_le_bytes());
        let mut bytes = element((0x0008, 0x1140), b"SQ", &item(&lying));
        bytes.extend(element((0x7FE0, 0x0010), b"OW", &[0, 1]));
        assert!(matches!(locate(&bytes, Encoding::ExplicitLittle), Err(WalkError::Malformed(_))));
        let mut huge = element((0x0009, 0x0010), b"OB", b"ab");
        huge[8..12].copy_from_slice(&0x4000_0000u32.to_le_bytes());
        assert_eq!(locate(&huge, Encoding::ExplicitLittle), Err(WalkError::Truncated));
    }
}
