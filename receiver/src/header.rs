//! Reading an instance's header from the first bytes of its data set: enough to
//! index it (patient, study, series, instance) without holding the rest.

use std::borrow::Cow;
use std::io::Read;

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_encoding::TransferSyntaxIndex;
use dicom_parser::dataset::{DataSetReader, DataToken};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN;
use noctis_core::domain::{SeriesAttributes, StudyAttributes};

use crate::negotiation::DEFLATED_EXPLICIT_VR_LE;

/// What the header says, as far as it could be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceHeader {
    pub sop_class_uid: Option<String>,
    pub sop_instance_uid: Option<String>,
    pub study_instance_uid: Option<String>,
    pub series_instance_uid: Option<String>,
    pub instance_number: Option<i32>,
    pub study: StudyAttributes,
    pub series: SeriesAttributes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderScan {
    pub header: InstanceHeader,
    /// True once every attribute of interest has been passed (the scan reached a
    /// later group or the end of the data set); false when the bytes ran out first.
    pub complete: bool,
}

/// Study-level attributes and everything before them live in groups up to 0x0020.
const LAST_GROUP_OF_INTEREST: u16 = 0x0020;

/// Scans `prefix`, the start of a data set encoded in `transfer_syntax`. Never
/// fails: what cannot be read is left unset.
pub fn scan_header(prefix: &[u8], transfer_syntax: &str, whole_data_set: bool) -> HeaderScan {
    let bytes: Cow<'_, [u8]> = if transfer_syntax == DEFLATED_EXPLICIT_VR_LE {
        // PS3.5 A.5: the data set is a raw deflate stream; the stored bytes stay
        // compressed, only this copy of the prefix is inflated to read it.
        Cow::Owned(inflate_prefix(prefix))
    } else {
        Cow::Borrowed(prefix)
    };
    // Every encapsulated (compressed) syntax encodes the data set as explicit VR
    // little endian; syntaxes unknown to the registry are read that way too.
    let explicit_le = EXPLICIT_VR_LITTLE_ENDIAN.erased();
    let ts = match TransferSyntaxRegistry.get(transfer_syntax) {
        Some(ts) if transfer_syntax != DEFLATED_EXPLICIT_VR_LE => ts,
        _ => &explicit_le,
    };
    let mut header = InstanceHeader::default();
    let Ok(reader) = DataSetReader::new_with_ts(bytes.as_ref(), ts) else {
        return HeaderScan { header, complete: false };
    };
    let mut depth = 0usize;
    let mut pending: Option<Tag> = None;
    for token in reader {
        let Ok(token) = token else {
            // Out of bytes (or malformed): keep what was read so far.
            return HeaderScan { header, complete: false };
        };
        match token {
            DataToken::ElementHeader(h) if depth == 0 => {
                if h.tag.group() > LAST_GROUP_OF_INTEREST {
                    return HeaderScan { header, complete: true };
                }
                pending = Some(h.tag);
            }
            DataToken::SequenceStart { tag, .. } => {
                if depth == 0 && tag.group() > LAST_GROUP_OF_INTEREST {
                    return HeaderScan { header, complete: true };
                }
                depth += 1;
            }
            DataToken::PixelSequenceStart => return HeaderScan { header, complete: true },
            DataToken::SequenceEnd => depth = depth.saturating_sub(1),
            DataToken::PrimitiveValue(value) => {
                if let Some(tag) = pending.take() {
                    record(&mut header, tag, &value);
                }
            }
            _ => {}
        }
    }
    HeaderScan { header, complete: whole_data_set }
}

fn record(header: &mut InstanceHeader, tag: Tag, value: &dicom_core::PrimitiveValue) {
    let text = || {
        let s = value.to_str();
        let s = s.trim_end_matches(['\0', ' ']).trim_start();
        (!s.is_empty()).then(|| s.to_owned())
    };
    let int = || text().and_then(|s| s.parse::<i32>().ok());
    match tag {
        tags::SOP_CLASS_UID => header.sop_class_uid = text(),
        tags::SOP_INSTANCE_UID => header.sop_instance_uid = text(),
        tags::STUDY_INSTANCE_UID => header.study_instance_uid = text(),
        tags::SERIES_INSTANCE_UID => header.series_instance_uid = text(),
        tags::INSTANCE_NUMBER => header.instance_number = int(),
        tags::PATIENT_NAME => header.study.patient_name = text(),
        tags::PATIENT_ID => header.study.patient_id = text(),
        tags::PATIENT_BIRTH_DATE => header.study.patient_birth_date = text(),
        tags::PATIENT_SEX => header.study.patient_sex = text(),
        tags::STUDY_DATE => header.study.study_date = text(),
        tags::STUDY_TIME => header.study.study_time = text(),
        tags::ACCESSION_NUMBER => header.study.accession_number = text(),
        tags::STUDY_DESCRIPTION => header.study.study_description = text(),
        tags::REFERRING_PHYSICIAN_NAME => header.study.referring_physician = text(),
        tags::MODALITY => header.series.modality = text(),
        tags::SERIES_NUMBER => header.series.series_number = int(),
        tags::SERIES_DESCRIPTION => header.series.series_description = text(),
        _ => {}
    }
}

/// Inflates as much of a truncated raw-deflate stream as its bytes allow.
fn inflate_prefix(prefix: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(prefix.len() * 4);
    let mut decoder = flate2::read::DeflateDecoder::new(prefix);
    let mut chunk = [0u8; 16 * 1024];
    // Bounded: the inflated header is never needed beyond a few MiB.
    while out.len() < 8 * 1024 * 1024 {
        match decoder.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_object::InMemDicomObject;

    fn dataset(ts: &str) -> Vec<u8> {
        let obj = InMemDicomObject::from_element_iter([
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
        ]);
        let registry_ts = TransferSyntaxRegistry.get(ts).expect("known syntax");
        let mut out = Vec::new();
        obj.write_dataset_with_ts(&mut out, registry_ts).expect("encodes");
        out
    }

    fn assert_full_header(scan: &HeaderScan) {
        let h = &scan.header;
        assert_eq!(h.study_instance_uid.as_deref(), Some("1.2.3"));
        assert_eq!(h.series_instance_uid.as_deref(), Some("1.2.3.4"));
        assert_eq!(h.sop_instance_uid.as_deref(), Some("1.2.3.4.5"));
        assert_eq!(h.study.patient_name.as_deref(), Some("DOE^JANE"));
        assert_eq!(h.series.modality.as_deref(), Some("CT"));
        assert_eq!((h.series.series_number, h.instance_number), (Some(3), Some(12)));
    }

    #[test]
    fn the_header_is_read_in_each_uncompressed_encoding() {
        for ts in
            [crate::negotiation::IMPLICIT_VR_LE, crate::negotiation::EXPLICIT_VR_LE, crate::negotiation::EXPLICIT_VR_BE]
        {
            let bytes = dataset(ts);
            let scan = scan_header(&bytes, ts, true);
            assert!(scan.complete, "{ts}");
            assert_full_header(&scan);
        }
    }

    #[test]
    fn the_scan_stops_before_pixel_data_and_needs_no_more_bytes() {
        let bytes = dataset(crate::negotiation::EXPLICIT_VR_LE);
        // Cut in the middle of the pixel data: everything of interest came before it.
        let scan = scan_header(&bytes[..bytes.len() - 2000], crate::negotiation::EXPLICIT_VR_LE, false);
        assert!(scan.complete);
        assert_full_header(&scan);
    }

    #[test]
    fn a_prefix_cut_before_the_study_uid_is_incomplete() {
        let bytes = dataset(crate::negotiation::EXPLICIT_VR_LE);
        let scan = scan_header(&bytes[..60], crate::negotiation::EXPLICIT_VR_LE, false);
        assert!(!scan.complete);
        assert_eq!(scan.header.study_instance_uid, None);
    }

    #[test]
    fn a_deflated_data_set_is_read_through_inflation() {
        let plain = dataset(crate::negotiation::EXPLICIT_VR_LE);
        let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, &plain).expect("compresses");
        let deflated = encoder.finish().expect("finishes");
        let scan = scan_header(&deflated, DEFLATED_EXPLICIT_VR_LE, true);
        assert_full_header(&scan);
    }

    #[test]
    fn garbage_yields_an_empty_incomplete_header() {
        let scan = scan_header(&[0xde, 0xad, 0xbe, 0xef, 1, 2, 3], crate::negotiation::EXPLICIT_VR_LE, true);
        assert_eq!(scan.header, InstanceHeader::default());
    }
}
