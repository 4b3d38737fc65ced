//! Storage Commitment (PS3.4 J.3): the N-ACTION request's data set, read with
//! the bounded walker, and the N-EVENT-REPORT's data set with the result.

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::entries::{EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN};

use crate::elements::{Encoding, Tag, WalkError, Walker};
use crate::identifier::EncodeError;

/// A commitment request is a list of references: 4 MiB holds some 35,000.
pub const MAX_COMMITMENT_REQUEST_LEN: usize = 4 * 1024 * 1024;

const TRANSACTION_UID: Tag = Tag(0x0008, 0x1195);
const REFERENCED_SOP_SEQUENCE: Tag = Tag(0x0008, 0x1199);
const REFERENCED_SOP_CLASS_UID: Tag = Tag(0x0008, 0x1150);
const REFERENCED_SOP_INSTANCE_UID: Tag = Tag(0x0008, 0x1155);

/// One instance a modality asks the archive to commit to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub sop_class_uid: String,
    pub sop_instance_uid: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentRequest {
    pub transaction_uid: String,
    pub references: Vec<Reference>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitmentError {
    #[error(transparent)]
    Walk(#[from] WalkError),
    #[error("no Transaction UID")]
    NoTransactionUid,
    #[error("no Referenced SOP Sequence")]
    NoReferences,
    #[error("a Referenced SOP Sequence item without both UIDs")]
    IncompleteReference,
}

/// The request's Transaction UID and references, as the modality sent them.
pub fn decode_commitment_request(bytes: &[u8], encoding: Encoding) -> Result<CommitmentRequest, CommitmentError> {
    let mut walker = Walker::new(bytes, encoding);
    let (mut transaction_uid, mut references) = (None, None);
    while let Some(element) = walker.next_header()? {
        match element.tag {
            TRANSACTION_UID => transaction_uid = walker.value()?.map(ui).filter(|uid| !uid.is_empty()),
            REFERENCED_SOP_SEQUENCE => {
                let items = walker.items()?;
                let mut list = Vec::with_capacity(items.len());
                for item in items {
                    list.push(reference(item, encoding)?);
                }
                references = Some(list);
            }
            _ => {}
        }
    }
    Ok(CommitmentRequest {
        transaction_uid: transaction_uid.ok_or(CommitmentError::NoTransactionUid)?,
        references: references.ok_or(CommitmentError::NoReferences)?,
    })
}

fn reference(item: &[u8], encoding: Encoding) -> Result<Reference, CommitmentError> {
    let mut walker = Walker::new(item, encoding);
    let (mut class, mut instance) = (None, None);
    while let Some(element) = walker.next_header()? {
        match element.tag {
            REFERENCED_SOP_CLASS_UID => class = walker.value()?.map(ui),
            REFERENCED_SOP_INSTANCE_UID => instance = walker.value()?.map(ui),
            _ => {}
        }
    }
    match (class, instance) {
        (Some(sop_class_uid), Some(sop_instance_uid)) if !sop_class_uid.is_empty() && !sop_instance_uid.is_empty() => {
            Ok(Reference { sop_class_uid, sop_instance_uid })
        }
        _ => Err(CommitmentError::IncompleteReference),
    }
}

fn ui(value: &[u8]) -> String {
    String::from_utf8_lossy(value).trim_end_matches(['\0', ' ']).to_owned()
}

/// The N-EVENT-REPORT data set (PS3.4 J.3.3.1): the committed references, and
/// the failed ones each with its Failure Reason.
pub fn encode_commitment_result(
    transaction_uid: &str,
    committed: &[Reference],
    failed: &[(Reference, u16)],
    encoding: Encoding,
) -> Result<Vec<u8>, EncodeError> {
    let item = |reference: &Reference, reason: Option<u16>| {
        let mut item = InMemDicomObject::new_empty();
        item.put(DataElement::new(
            tags::REFERENCED_SOP_CLASS_UID,
            VR::UI,
            PrimitiveValue::from(reference.sop_class_uid.as_str()),
        ));
        item.put(DataElement::new(
            tags::REFERENCED_SOP_INSTANCE_UID,
            VR::UI,
            PrimitiveValue::from(reference.sop_instance_uid.as_str()),
        ));
        if let Some(reason) = reason {
            item.put(DataElement::new(tags::FAILURE_REASON, VR::US, PrimitiveValue::from(reason)));
        }
        item
    };
    let mut set = InMemDicomObject::new_empty();
    set.put(DataElement::new(tags::TRANSACTION_UID, VR::UI, PrimitiveValue::from(transaction_uid)));
    if !committed.is_empty() {
        let items: Vec<_> = committed.iter().map(|r| item(r, None)).collect();
        set.put(DataElement::new(tags::REFERENCED_SOP_SEQUENCE, VR::SQ, DataSetSequence::from(items)));
    }
    if !failed.is_empty() {
        let items: Vec<_> = failed.iter().map(|(r, reason)| item(r, Some(*reason))).collect();
        set.put(DataElement::new(tags::FAILED_SOP_SEQUENCE, VR::SQ, DataSetSequence::from(items)));
    }
    let ts = match encoding {
        Encoding::ImplicitLittle => IMPLICIT_VR_LITTLE_ENDIAN.erased(),
        _ => EXPLICIT_VR_LITTLE_ENDIAN.erased(),
    };
    let mut out = Vec::with_capacity(256);
    set.write_dataset_with_ts(&mut out, &ts).map_err(|e| EncodeError::new(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(n: u32) -> Reference {
        Reference { sop_class_uid: "1.2.840.10008.5.1.4.1.1.2".into(), sop_instance_uid: format!("1.2.3.{n}") }
    }

    /// A request as a modality encodes it: the result's encoder writes the same shape.
    fn request(encoding: Encoding, references: &[Reference]) -> Vec<u8> {
        encode_commitment_result("1.2.9.9", references, &[], encoding).expect("encodes")
    }

    #[test]
    fn a_request_reads_in_both_encodings() {
        for encoding in [Encoding::ImplicitLittle, Encoding::ExplicitLittle] {
            let request = decode_commitment_request(&request(encoding, &[reference(1), reference(2)]), encoding)
                .expect("decodes");
            assert_eq!(request.transaction_uid, "1.2.9.9");
            assert_eq!(request.references, [reference(1), reference(2)], "{encoding:?}");
        }
    }

    #[test]
    fn items_of_undefined_length_read_too() {
        let mut bytes = Vec::new();
        let element = |bytes: &mut Vec<u8>, group: u16, elem: u16, value: &[u8]| {
            bytes.extend_from_slice(&group.to_le_bytes());
            bytes.extend_from_slice(&elem.to_le_bytes());
            bytes.extend_from_slice(&(value.len() as u32).to_le_bytes());
            bytes.extend_from_slice(value);
        };
        element(&mut bytes, 0x0008, 0x1195, b"1.2.9.9\0");
        bytes.extend_from_slice(&[0x08, 0x00, 0x99, 0x11, 0xFF, 0xFF, 0xFF, 0xFF]);
        bytes.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        element(&mut bytes, 0x0008, 0x1150, b"1.2.840.10008.5.1.4.1.1.2\0");
        element(&mut bytes, 0x0008, 0x1155, b"1.2.3.1\0");
        bytes.extend_from_slice(&[0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
        bytes.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        let request = decode_commitment_request(&bytes, Encoding::ImplicitLittle).expect("decodes");
        assert_eq!(request.references, [reference(1)]);
        assert!(decode_commitment_request(&bytes[..bytes.len() - 4], Encoding::ImplicitLittle).is_err(), "cut short");
    }

    #[test]
    fn incomplete_requests_are_errors() {
        let encoded = request(Encoding::ExplicitLittle, &[]);
        assert_eq!(decode_commitment_request(&encoded, Encoding::ExplicitLittle), Err(CommitmentError::NoReferences));
        assert_eq!(decode_commitment_request(&[], Encoding::ExplicitLittle), Err(CommitmentError::NoTransactionUid));
    }

    #[test]
    fn a_result_lists_failures_with_their_reason() {
        let bytes =
            encode_commitment_result("1.2.9.9", &[reference(1)], &[(reference(2), 0x0112)], Encoding::ExplicitLittle)
                .expect("encodes");
        let set = InMemDicomObject::read_dataset_with_ts(bytes.as_slice(), &EXPLICIT_VR_LITTLE_ENDIAN.erased())
            .expect("reads");
        let failed = set.get(tags::FAILED_SOP_SEQUENCE).and_then(|e| e.items()).expect("a failed sequence");
        let reason = failed[0].get(tags::FAILURE_REASON).and_then(|e| e.to_int::<u16>().ok());
        assert_eq!(reason, Some(0x0112));
    }
}
