//! Query identifiers (PS3.4 C.4.1.1.3): the data set a C-FIND request carries,
//! read with the bounded walker, and the data sets its responses carry.

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{DataElement, PrimitiveValue, VR, smallvec::SmallVec};
use dicom_dictionary_std::StandardDataDictionary;
use dicom_encoding::text::SpecificCharacterSet;
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::entries::{EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN};

use crate::elements::{Encoding, Tag, WalkError, Walker};
use crate::header::{SPECIFIC_CHARACTER_SET, character_set, text};

/// One key of an identifier: its tag and its value as text (empty for
/// universal matching; `None` for a sequence, which Noctis only returns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub tag: Tag,
    pub value: Option<String>,
}

/// Larger than any real identifier; a bigger one is refused unread.
pub const MAX_IDENTIFIER_LEN: usize = 64 * 1024;

/// The top-level keys of an identifier, text decoded in the character set it names.
pub fn decode_identifier(bytes: &[u8], encoding: Encoding) -> Result<Vec<Key>, WalkError> {
    let mut walker = Walker::new(bytes, encoding);
    let mut charset = SpecificCharacterSet::default();
    let mut keys = Vec::new();
    while let Some(element) = walker.next_header()? {
        let is_sequence = element.vr == Some(*b"SQ") || element.length.is_none();
        let value = walker.value()?;
        if element.tag == SPECIFIC_CHARACTER_SET {
            charset = value.and_then(character_set).unwrap_or_default();
            continue;
        }
        let value = match value {
            Some(bytes) if !is_sequence => Some(text(&charset, bytes).unwrap_or_default()),
            _ => None,
        };
        keys.push(Key { tag: element.tag, value });
    }
    Ok(keys)
}

/// A response identifier: each tag with its values (none: zero length), in
/// `encoding`, with Specific Character Set ISO_IR 192 (UTF-8) when any value
/// is not ASCII.
pub fn encode_identifier(elements: &[(Tag, Vec<String>)], encoding: Encoding) -> Result<Vec<u8>, EncodeError> {
    let mut set = InMemDicomObject::new_empty();
    let utf8 = elements.iter().flat_map(|(_, values)| values).any(|v| !v.is_ascii());
    if utf8 {
        set.put(DataElement::new(tag(SPECIFIC_CHARACTER_SET), VR::CS, PrimitiveValue::from("ISO_IR 192")));
    }
    for (at, values) in elements {
        let vr = StandardDataDictionary.by_tag(tag(*at)).map(|entry| entry.vr().relaxed()).unwrap_or(VR::UN);
        let value = match (vr, values.is_empty()) {
            (VR::SQ, _) => {
                set.put(DataElement::new(
                    tag(*at),
                    VR::SQ,
                    dicom_core::value::DataSetSequence::<InMemDicomObject>::empty(),
                ));
                continue;
            }
            (_, true) => PrimitiveValue::Empty,
            _ => PrimitiveValue::Strs(values.iter().cloned().collect::<SmallVec<_>>()),
        };
        set.put(DataElement::new(tag(*at), vr, value));
    }
    let ts = match encoding {
        Encoding::ImplicitLittle => IMPLICIT_VR_LITTLE_ENDIAN.erased(),
        _ => EXPLICIT_VR_LITTLE_ENDIAN.erased(),
    };
    let charset = if utf8 { SpecificCharacterSet::ISO_IR_192 } else { SpecificCharacterSet::default() };
    let mut out = Vec::with_capacity(256);
    set.write_dataset_with_ts_cs(&mut out, &ts, charset).map_err(|e| EncodeError(e.to_string()))?;
    Ok(out)
}

fn tag(Tag(group, element): Tag) -> dicom_core::Tag {
    dicom_core::Tag(group, element)
}

/// A response that could not be encoded: a bug in the elements, never input.
#[derive(Debug, thiserror::Error)]
#[error("could not encode a response identifier: {0}")]
pub struct EncodeError(String);

impl EncodeError {
    pub(crate) fn new(message: String) -> Self {
        Self(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: Tag = Tag(0x0010, 0x0010);
    const STUDY_UID: Tag = Tag(0x0020, 0x000D);
    const LEVEL: Tag = Tag(0x0008, 0x0052);

    #[test]
    fn a_response_reads_back_as_the_same_keys_in_both_encodings() {
        for encoding in [Encoding::ImplicitLittle, Encoding::ExplicitLittle] {
            let elements = vec![
                (LEVEL, vec!["STUDY".to_owned()]),
                (NAME, vec!["Müller^Anna".to_owned()]),
                (STUDY_UID, vec!["1.2.3".to_owned()]),
                (Tag(0x0008, 0x0061), vec!["CT".to_owned(), "MR".to_owned()]),
                (Tag(0x0008, 0x1030), vec![]),
            ];
            let bytes = encode_identifier(&elements, encoding).expect("encodes");
            let keys = decode_identifier(&bytes, encoding).expect("decodes");
            let value = |t: Tag| keys.iter().find(|k| k.tag == t).and_then(|k| k.value.clone());
            assert_eq!(value(NAME).as_deref(), Some("Müller^Anna"), "{encoding:?}: UTF-8 survives");
            assert_eq!(value(STUDY_UID).as_deref(), Some("1.2.3"));
            assert_eq!(value(Tag(0x0008, 0x0061)).as_deref(), Some("CT\\MR"));
            assert_eq!(value(Tag(0x0008, 0x1030)).as_deref(), Some(""), "a zero-length return key");
        }
    }

    #[test]
    fn a_sequence_key_is_kept_without_a_value_and_a_truncated_identifier_is_an_error() {
        let mut bytes =
            encode_identifier(&[(NAME, vec!["DOE*".to_owned()])], Encoding::ExplicitLittle).expect("encodes");
        // (0008,1032) Procedure Code Sequence, undefined length, empty.
        bytes.extend_from_slice(&[0x08, 0x00, 0x32, 0x10, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
        bytes.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        let keys = decode_identifier(&bytes, Encoding::ExplicitLittle).expect("decodes");
        assert_eq!(keys.last(), Some(&Key { tag: Tag(0x0008, 0x1032), value: None }));
        let cut = &bytes[..bytes.len() - 3];
        assert!(decode_identifier(cut, Encoding::ExplicitLittle).is_err());
    }

    #[test]
    fn a_declared_length_past_the_bytes_is_an_error_not_an_allocation() {
        let mut bytes = vec![0x10, 0x00, 0x10, 0x00];
        bytes.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        assert_eq!(decode_identifier(&bytes, Encoding::ImplicitLittle), Err(WalkError::Truncated));
    }
}
