//! Reading an instance's header from the first bytes of its data set: enough to
//! place and index it (patient, study, series, instance) without the rest.
//!
//! Values are read as the dictionary's VR says, whatever VR they arrive with:
//! PS3.5 6.2.2 lets any element be sent as UN in explicit VR, and real files
//! (pydicom's `explicit_VR-UN.dcm`, `rtdose_rle.dcm`) carry identifying
//! attributes that way. Every attribute read here is text, and a UN value's
//! bytes are the text's bytes.

use std::io::Read;

use dicom_encoding::text::{SpecificCharacterSet, TextCodec};

use crate::elements::{Tag, WalkError, Walker};
use crate::transfer_syntax::DataSetEncoding;

/// What the header says, as far as it could be read. Text is trimmed of its
/// padding; values that are empty, or too long to be what they claim, are unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceHeader {
    pub sop_class_uid: Option<String>,
    pub sop_instance_uid: Option<String>,
    pub study_instance_uid: Option<String>,
    pub series_instance_uid: Option<String>,
    pub instance_number: Option<i32>,
    pub patient_name: Option<String>,
    pub patient_id: Option<String>,
    pub patient_birth_date: Option<String>,
    pub patient_sex: Option<String>,
    pub study_date: Option<String>,
    pub study_time: Option<String>,
    pub accession_number: Option<String>,
    pub study_id: Option<String>,
    pub study_description: Option<String>,
    pub referring_physician: Option<String>,
    pub modality: Option<String>,
    pub series_number: Option<i32>,
    pub series_description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderScan {
    pub header: InstanceHeader,
    /// True once nothing more can be learned: every attribute of interest has
    /// been passed, the data set ended, or it is malformed past this point.
    /// False when the bytes ran out first and more of them could tell more.
    pub complete: bool,
    /// Why the scan stopped early, when the data set is malformed.
    pub malformed: Option<&'static str>,
}

/// Study-level attributes and everything before them live in groups up to 0x0020.
const LAST_GROUP_OF_INTEREST: u16 = 0x0020;
/// Far beyond any attribute read here (PS3.5 6.2: UI 64 bytes, PN 64 characters
/// a component group): a longer value is not what it claims to be.
const MAX_TEXT_VALUE: usize = 1024;

pub(crate) const SPECIFIC_CHARACTER_SET: Tag = Tag(0x0008, 0x0005);
const SOP_CLASS_UID: Tag = Tag(0x0008, 0x0016);
const SOP_INSTANCE_UID: Tag = Tag(0x0008, 0x0018);
const STUDY_DATE: Tag = Tag(0x0008, 0x0020);
const STUDY_TIME: Tag = Tag(0x0008, 0x0030);
const ACCESSION_NUMBER: Tag = Tag(0x0008, 0x0050);
const MODALITY: Tag = Tag(0x0008, 0x0060);
const REFERRING_PHYSICIAN_NAME: Tag = Tag(0x0008, 0x0090);
const STUDY_DESCRIPTION: Tag = Tag(0x0008, 0x1030);
const SERIES_DESCRIPTION: Tag = Tag(0x0008, 0x103E);
const PATIENT_NAME: Tag = Tag(0x0010, 0x0010);
const PATIENT_ID: Tag = Tag(0x0010, 0x0020);
const PATIENT_BIRTH_DATE: Tag = Tag(0x0010, 0x0030);
const PATIENT_SEX: Tag = Tag(0x0010, 0x0040);
const STUDY_INSTANCE_UID: Tag = Tag(0x0020, 0x000D);
const SERIES_INSTANCE_UID: Tag = Tag(0x0020, 0x000E);
const SERIES_NUMBER: Tag = Tag(0x0020, 0x0011);
const STUDY_ID: Tag = Tag(0x0020, 0x0010);
const INSTANCE_NUMBER: Tag = Tag(0x0020, 0x0013);

/// Scans `prefix`, the start of a data set encoded as `encoding`; `whole` says
/// the data set ends where `prefix` does. A deflated data set is inflated into
/// at most `inflate_limit` bytes. Never fails: what cannot be read is unset.
pub fn scan_header(prefix: &[u8], encoding: DataSetEncoding, whole: bool, inflate_limit: usize) -> HeaderScan {
    if encoding.deflated {
        // PS3.5 A.5: the stored bytes stay compressed; only this copy of the
        // prefix is inflated to read it, and never past the limit.
        let inflated = inflate_prefix(prefix, inflate_limit);
        let whole = whole && inflated.len() < inflate_limit;
        return scan_elements(&inflated, encoding, whole);
    }
    scan_elements(prefix, encoding, whole)
}

fn scan_elements(bytes: &[u8], encoding: DataSetEncoding, whole: bool) -> HeaderScan {
    let mut header = InstanceHeader::default();
    let mut charset = SpecificCharacterSet::default();
    let mut walker = Walker::new(bytes, encoding.elements);
    let stop = |header, complete, malformed| HeaderScan { header, complete, malformed };
    loop {
        let element = match walker.next_header() {
            Ok(Some(element)) => element,
            Ok(None) => return stop(header, whole, None),
            Err(WalkError::Truncated) => return stop(header, false, None),
            Err(WalkError::Malformed(why)) => return stop(header, true, Some(why)),
        };
        if element.tag.group() > LAST_GROUP_OF_INTEREST {
            return stop(header, true, None);
        }
        if !is_of_interest(element.tag) {
            continue;
        }
        match walker.value() {
            Ok(Some(value)) if value.len() <= MAX_TEXT_VALUE => {
                if element.tag == SPECIFIC_CHARACTER_SET {
                    charset = character_set(value).unwrap_or_default();
                } else {
                    record(&mut header, element.tag, &text(&charset, value));
                }
            }
            Ok(_) => {}
            Err(WalkError::Truncated) => return stop(header, false, None),
            Err(WalkError::Malformed(why)) => return stop(header, true, Some(why)),
        }
    }
}

fn is_of_interest(tag: Tag) -> bool {
    matches!(
        tag,
        SPECIFIC_CHARACTER_SET
            | SOP_CLASS_UID
            | SOP_INSTANCE_UID
            | STUDY_DATE
            | STUDY_TIME
            | ACCESSION_NUMBER
            | MODALITY
            | REFERRING_PHYSICIAN_NAME
            | STUDY_DESCRIPTION
            | SERIES_DESCRIPTION
            | PATIENT_NAME
            | PATIENT_ID
            | PATIENT_BIRTH_DATE
            | PATIENT_SEX
            | STUDY_INSTANCE_UID
            | SERIES_INSTANCE_UID
            | SERIES_NUMBER
            | STUDY_ID
            | INSTANCE_NUMBER
    )
}

/// PS3.3 C.12.1.1.2: the value may name several sets (code extensions); the
/// first one that is known decodes the values read here.
pub(crate) fn character_set(value: &[u8]) -> Option<SpecificCharacterSet> {
    let value = String::from_utf8_lossy(value);
    value.split('\\').map(|code| code.trim_matches([' ', '\0'])).find_map(|code| {
        if code.is_empty() { Some(SpecificCharacterSet::default()) } else { SpecificCharacterSet::from_code(code) }
    })
}

pub(crate) fn text(charset: &SpecificCharacterSet, value: &[u8]) -> Option<String> {
    let decoded = charset.decode(value).unwrap_or_else(|_| String::from_utf8_lossy(value).into_owned());
    let trimmed = decoded.trim_end_matches(['\0', ' ']).trim_start();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

fn record(header: &mut InstanceHeader, tag: Tag, text: &Option<String>) {
    let value = text.clone();
    let int = || text.as_deref().and_then(|s| s.trim().parse::<i32>().ok());
    match tag {
        SOP_CLASS_UID => header.sop_class_uid = value,
        SOP_INSTANCE_UID => header.sop_instance_uid = value,
        STUDY_INSTANCE_UID => header.study_instance_uid = value,
        SERIES_INSTANCE_UID => header.series_instance_uid = value,
        INSTANCE_NUMBER => header.instance_number = int(),
        PATIENT_NAME => header.patient_name = value,
        PATIENT_ID => header.patient_id = value,
        PATIENT_BIRTH_DATE => header.patient_birth_date = value,
        PATIENT_SEX => header.patient_sex = value,
        STUDY_DATE => header.study_date = value,
        STUDY_TIME => header.study_time = value,
        ACCESSION_NUMBER => header.accession_number = value,
        STUDY_ID => header.study_id = value,
        STUDY_DESCRIPTION => header.study_description = value,
        REFERRING_PHYSICIAN_NAME => header.referring_physician = value,
        MODALITY => header.modality = value,
        SERIES_NUMBER => header.series_number = int(),
        SERIES_DESCRIPTION => header.series_description = value,
        _ => {}
    }
}

/// Inflates as much of a truncated raw-deflate stream as its bytes allow, into
/// at most `limit` bytes (a small stream can inflate to gigabytes).
fn inflate_prefix(prefix: &[u8], limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut decoder = flate2::read::DeflateDecoder::new(prefix);
    let mut chunk = [0u8; 16 * 1024];
    while out.len() < limit {
        match decoder.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n.min(limit - out.len())]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer_syntax::{DEFLATED_EXPLICIT_VR_LE, EXPLICIT_VR_BE, EXPLICIT_VR_LE, IMPLICIT_VR_LE};
    use dicom_core::header::Header;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;
    use dicom_encoding::TransferSyntaxIndex;
    use dicom_object::InMemDicomObject;
    use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

    const LIMIT: usize = 1 << 20;

    fn elements() -> Vec<DataElement<InMemDicomObject>> {
        vec![
            DataElement::new(tags::SOP_CLASS_UID, VR::UI, PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.2")),
            DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, PrimitiveValue::from("1.2.3.4.5")),
            DataElement::new(tags::STUDY_DATE, VR::DA, PrimitiveValue::from("20261127")),
            DataElement::new(tags::ACCESSION_NUMBER, VR::SH, PrimitiveValue::from("ACC-9")),
            DataElement::new(tags::MODALITY, VR::CS, PrimitiveValue::from("CT")),
            DataElement::new(tags::PATIENT_NAME, VR::PN, PrimitiveValue::from("DOE^JANE")),
            DataElement::new(tags::PATIENT_ID, VR::LO, PrimitiveValue::from("P-77")),
            DataElement::new(tags::STUDY_INSTANCE_UID, VR::UI, PrimitiveValue::from("1.2.3")),
            DataElement::new(tags::SERIES_INSTANCE_UID, VR::UI, PrimitiveValue::from("1.2.3.4")),
            DataElement::new(tags::SERIES_NUMBER, VR::IS, PrimitiveValue::from("3")),
            DataElement::new(tags::INSTANCE_NUMBER, VR::IS, PrimitiveValue::from("12")),
            DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(2u16)),
            DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::from(vec![0u8; 4096])),
        ]
    }

    fn encode(elements: Vec<DataElement<InMemDicomObject>>, ts: &str) -> Vec<u8> {
        let obj = InMemDicomObject::from_element_iter(elements);
        let mut out = Vec::new();
        obj.write_dataset_with_ts(&mut out, TransferSyntaxRegistry.get(ts).expect("known syntax")).expect("encodes");
        out
    }

    fn assert_full_header(scan: &HeaderScan) {
        let h = &scan.header;
        assert_eq!(h.study_instance_uid.as_deref(), Some("1.2.3"));
        assert_eq!(h.series_instance_uid.as_deref(), Some("1.2.3.4"));
        assert_eq!(h.sop_instance_uid.as_deref(), Some("1.2.3.4.5"));
        assert_eq!(h.patient_name.as_deref(), Some("DOE^JANE"));
        assert_eq!(h.modality.as_deref(), Some("CT"));
        assert_eq!((h.series_number, h.instance_number), (Some(3), Some(12)));
    }

    #[test]
    fn the_header_is_read_in_each_uncompressed_encoding() {
        for ts in [IMPLICIT_VR_LE, EXPLICIT_VR_LE, EXPLICIT_VR_BE] {
            let bytes = encode(elements(), ts);
            let scan = scan_header(&bytes, DataSetEncoding::of(ts), true, LIMIT);
            assert!(scan.complete, "{ts}");
            assert_full_header(&scan);
        }
    }

    #[test]
    fn the_scan_stops_before_pixel_data_and_needs_no_more_bytes() {
        let bytes = encode(elements(), EXPLICIT_VR_LE);
        let scan = scan_header(&bytes[..bytes.len() - 2000], DataSetEncoding::of(EXPLICIT_VR_LE), false, LIMIT);
        assert!(scan.complete);
        assert_full_header(&scan);
    }

    #[test]
    fn a_prefix_cut_before_the_study_uid_is_incomplete() {
        let bytes = encode(elements(), EXPLICIT_VR_LE);
        let scan = scan_header(&bytes[..60], DataSetEncoding::of(EXPLICIT_VR_LE), false, LIMIT);
        assert!(!scan.complete);
        assert_eq!(scan.header.study_instance_uid, None);
    }

    #[test]
    fn a_deflated_data_set_is_read_through_bounded_inflation() {
        let plain = encode(elements(), EXPLICIT_VR_LE);
        let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, &plain).expect("compresses");
        let deflated = encoder.finish().expect("finishes");
        let scan = scan_header(&deflated, DataSetEncoding::of(DEFLATED_EXPLICIT_VR_LE), true, LIMIT);
        assert_full_header(&scan);
        assert_eq!(inflate_prefix(&deflated, 100).len(), 100, "inflation stops at the limit");
    }

    #[test]
    fn identifying_attributes_sent_as_un_are_read_with_their_dictionary_vr() {
        // PS3.5 6.2.2: explicit VR with UN for standard attributes, as in
        // pydicom's explicit_VR-UN.dcm.
        let un = |tag, text: &str| DataElement::new(tag, VR::UN, PrimitiveValue::from(text.as_bytes().to_vec()));
        let mut set = elements();
        set.retain(|e| ![tags::PATIENT_NAME, tags::STUDY_INSTANCE_UID, tags::SOP_INSTANCE_UID].contains(&e.tag()));
        set.push(un(tags::PATIENT_NAME, "DOE^JANE"));
        set.push(un(tags::STUDY_INSTANCE_UID, "1.2.3\0"));
        set.push(un(tags::SOP_INSTANCE_UID, "1.2.3.4.5\0"));
        let bytes = encode(set, EXPLICIT_VR_LE);
        let scan = scan_header(&bytes, DataSetEncoding::of(EXPLICIT_VR_LE), true, LIMIT);
        assert_full_header(&scan);
    }

    #[test]
    fn text_is_decoded_in_the_declared_character_set() {
        let mut set = elements();
        set.retain(|e| e.tag() != tags::PATIENT_NAME);
        set.push(DataElement::new(tags::SPECIFIC_CHARACTER_SET, VR::CS, PrimitiveValue::from("ISO_IR 100")));
        // "Müller" in Latin-1, written as raw bytes so the encoder cannot re-encode it.
        set.push(DataElement::new(tags::PATIENT_NAME, VR::UN, PrimitiveValue::from(b"M\xfcller^A ".to_vec())));
        let bytes = encode(set, EXPLICIT_VR_LE);
        let scan = scan_header(&bytes, DataSetEncoding::of(EXPLICIT_VR_LE), true, LIMIT);
        assert_eq!(scan.header.patient_name.as_deref(), Some("Müller^A"));
    }

    #[test]
    fn a_huge_declared_length_before_the_uids_is_incomplete_without_allocating() {
        let mut bytes = encode(elements()[..2].to_vec(), EXPLICIT_VR_LE);
        // (0009,1001) OB declaring 1 GiB, then only a few bytes.
        bytes.extend_from_slice(&[0x09, 0x00, 0x01, 0x10, b'O', b'B', 0, 0]);
        bytes.extend_from_slice(&0x4000_0000u32.to_le_bytes());
        bytes.extend_from_slice(&[0; 64]);
        let scan = scan_header(&bytes, DataSetEncoding::of(EXPLICIT_VR_LE), false, LIMIT);
        assert!(!scan.complete);
        assert_eq!(scan.header.sop_instance_uid.as_deref(), Some("1.2.3.4.5"));
    }

    #[test]
    fn garbage_yields_an_empty_header() {
        let scan = scan_header(&[0xde, 0xad, 0xbe, 0xef, 1, 2, 3], DataSetEncoding::of(EXPLICIT_VR_LE), true, LIMIT);
        assert_eq!(scan.header, InstanceHeader::default());
    }
}
