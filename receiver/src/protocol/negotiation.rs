//! Presentation context negotiation (PS3.8 9.3.2.2, PS3.7 D.3.3): Verification,
//! every storage SOP class in any transfer syntax Noctis can store as received
//! (it never transcodes, so it accepts the caller's encoding or none), and the
//! Patient Root and Study Root C-FIND and C-GET models and Storage Commitment
//! Push in either uncompressed little endian. A C-GET's requester stores what it retrieves on the same
//! association, for the storage SOP classes it asks the SCP role for.

use dicom_core::dictionary::{UidDictionary, UidType};
use dicom_dictionary_std::StandardSopClassDictionary;
use std::collections::HashSet;

use dicom_ul::pdu::{
    PresentationContextProposed, PresentationContextResult, PresentationContextResultReason, RequestorRoles,
    UserVariableItem,
};
use noctis_core::domain::{QueryModel, Uid};
use noctis_wire::command::field;

pub const VERIFICATION: &str = "1.2.840.10008.1.1";
/// PS3.4 C.6.1.1 and C.6.2.1: the FIND SOP classes of the two models.
pub const PATIENT_ROOT_FIND: &str = "1.2.840.10008.5.1.4.1.2.1.1";
pub const STUDY_ROOT_FIND: &str = "1.2.840.10008.5.1.4.1.2.2.1";
/// PS3.4 J.3: Storage Commitment Push Model, and its one well-known instance.
pub const STORAGE_COMMITMENT_PUSH: &str = "1.2.840.10008.1.20.1";
pub const STORAGE_COMMITMENT_INSTANCE: &str = "1.2.840.10008.1.20.1.1";
/// PS3.4 C.6.1.2 and C.6.2.2: the MOVE SOP classes of the two models.
pub const PATIENT_ROOT_MOVE: &str = "1.2.840.10008.5.1.4.1.2.1.2";
pub const STUDY_ROOT_MOVE: &str = "1.2.840.10008.5.1.4.1.2.2.2";
/// PS3.4 C.6.1.3 and C.6.2.3: the GET SOP classes of the two models.
pub const PATIENT_ROOT_GET: &str = "1.2.840.10008.5.1.4.1.2.1.3";
pub const STUDY_ROOT_GET: &str = "1.2.840.10008.5.1.4.1.2.2.3";
pub use noctis_wire::transfer_syntax::{DEFLATED_EXPLICIT_VR_LE, EXPLICIT_VR_BE, EXPLICIT_VR_LE, IMPLICIT_VR_LE};

/// Transfer syntaxes stored byte for byte (PS3.5 Annex A, PS3.6 Table A-1).
const STORABLE_TRANSFER_SYNTAXES: &[&str] = &[
    IMPLICIT_VR_LE,
    EXPLICIT_VR_LE,
    "1.2.840.10008.1.2.1.98", // Encapsulated Uncompressed Explicit VR Little Endian
    DEFLATED_EXPLICIT_VR_LE,
    EXPLICIT_VR_BE,
    "1.2.840.10008.1.2.4.50",  // JPEG Baseline (Process 1)
    "1.2.840.10008.1.2.4.51",  // JPEG Extended (Process 2 & 4)
    "1.2.840.10008.1.2.4.57",  // JPEG Lossless, Non-Hierarchical (Process 14)
    "1.2.840.10008.1.2.4.70",  // JPEG Lossless, First-Order Prediction
    "1.2.840.10008.1.2.4.80",  // JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81",  // JPEG-LS Near-Lossless
    "1.2.840.10008.1.2.4.90",  // JPEG 2000 Lossless Only
    "1.2.840.10008.1.2.4.91",  // JPEG 2000
    "1.2.840.10008.1.2.4.92",  // JPEG 2000 Part 2 Multi-component Lossless Only
    "1.2.840.10008.1.2.4.93",  // JPEG 2000 Part 2 Multi-component
    "1.2.840.10008.1.2.4.100", // MPEG2 Main Profile / Main Level
    "1.2.840.10008.1.2.4.101", // MPEG2 Main Profile / High Level
    "1.2.840.10008.1.2.4.102", // MPEG-4 AVC/H.264 High Profile / Level 4.1
    "1.2.840.10008.1.2.4.103", // MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1
    "1.2.840.10008.1.2.4.104", // MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video
    "1.2.840.10008.1.2.4.105", // MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video
    "1.2.840.10008.1.2.4.106", // MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2
    "1.2.840.10008.1.2.4.107", // HEVC/H.265 Main Profile / Level 5.1
    "1.2.840.10008.1.2.4.108", // HEVC/H.265 Main 10 Profile / Level 5.1
    "1.2.840.10008.1.2.4.110", // JPEG XL Lossless
    "1.2.840.10008.1.2.4.111", // JPEG XL JPEG Recompression
    "1.2.840.10008.1.2.4.112", // JPEG XL
    "1.2.840.10008.1.2.4.201", // High-Throughput JPEG 2000 Lossless Only
    "1.2.840.10008.1.2.4.202", // High-Throughput JPEG 2000 with RPCL Options Lossless Only
    "1.2.840.10008.1.2.4.203", // High-Throughput JPEG 2000
    "1.2.840.10008.1.2.5",     // RLE Lossless
    "1.2.840.10008.1.2.8.1",   // Deflated Image Frame Compression
];

pub fn is_storable_transfer_syntax(uid: &str) -> bool {
    STORABLE_TRANSFER_SYNTAXES.contains(&uid)
}

/// True for the SOP classes of the Storage Service Class (PS3.4 Annex B): the
/// standard dictionary's SOP classes named "... Storage", less the services that
/// merely share the word.
pub fn is_storage_sop_class(uid: &str) -> bool {
    let Some(entry) = StandardSopClassDictionary.by_uid(uid) else {
        return false;
    };
    entry.r#type == UidType::SopClass
        && entry.name.contains("Storage")
        && !entry.name.starts_with("Storage Commitment")
        && !entry.name.starts_with("Storage Management")
        // DICOMDIR is a media file, never sent with C-STORE.
        && uid != "1.2.840.10008.1.3.10"
}

/// What was agreed for one presentation context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedContext {
    pub id: u8,
    pub abstract_syntax: String,
    pub transfer_syntax: Uid,
}

impl AcceptedContext {
    /// The information model of a C-FIND context.
    pub fn query_model(&self) -> Option<QueryModel> {
        query_model(&self.abstract_syntax)
    }

    pub fn is_storage_commitment(&self) -> bool {
        self.abstract_syntax == STORAGE_COMMITMENT_PUSH
    }

    /// Whether a request with this Command Field is served on this context:
    /// C-FIND, C-GET and C-MOVE on their models' contexts, N-ACTION on
    /// Storage Commitment's. (C-STORE and C-ECHO are handled apart.)
    pub fn takes(&self, command_field: u16) -> bool {
        match command_field {
            field::C_FIND_RQ => self.query_model().is_some(),
            field::C_GET_RQ => self.retrieve_model().is_some(),
            field::C_MOVE_RQ => self.move_model().is_some(),
            field::N_ACTION_RQ => self.is_storage_commitment(),
            _ => false,
        }
    }

    /// The information model of a C-MOVE context.
    pub fn move_model(&self) -> Option<QueryModel> {
        move_model(&self.abstract_syntax)
    }

    /// The information model of a C-GET context.
    pub fn retrieve_model(&self) -> Option<QueryModel> {
        retrieve_model(&self.abstract_syntax)
    }
}

pub fn move_model(abstract_syntax: &str) -> Option<QueryModel> {
    match abstract_syntax {
        PATIENT_ROOT_MOVE => Some(QueryModel::PatientRoot),
        STUDY_ROOT_MOVE => Some(QueryModel::StudyRoot),
        _ => None,
    }
}

pub fn retrieve_model(abstract_syntax: &str) -> Option<QueryModel> {
    match abstract_syntax {
        PATIENT_ROOT_GET => Some(QueryModel::PatientRoot),
        STUDY_ROOT_GET => Some(QueryModel::StudyRoot),
        _ => None,
    }
}

/// PS3.7 D.3.3.4: the storage SOP classes whose SCP role the requester asks
/// for (to receive a C-GET's sub-operations), each granted in the reply, and
/// the set of them. Other classes keep the default roles.
pub fn storage_scp_roles(requested: &[UserVariableItem]) -> (Vec<UserVariableItem>, HashSet<String>) {
    let mut replies = Vec::new();
    let mut classes = HashSet::new();
    for item in requested {
        if let UserVariableItem::ScuScpRoleSelectionSubItem(uid, roles) = item {
            let uid = trim_uid(uid);
            if roles.scp && is_storage_sop_class(uid) && classes.insert(uid.to_owned()) {
                replies.push(UserVariableItem::ScuScpRoleSelectionSubItem(
                    uid.to_owned(),
                    RequestorRoles { scu: roles.scu, scp: true },
                ));
            }
        }
    }
    (replies, classes)
}

pub fn query_model(abstract_syntax: &str) -> Option<QueryModel> {
    match abstract_syntax {
        PATIENT_ROOT_FIND => Some(QueryModel::PatientRoot),
        STUDY_ROOT_FIND => Some(QueryModel::StudyRoot),
        _ => None,
    }
}

/// Decides every proposed context on its own; unsupported ones are refused
/// without refusing the association (PS3.8 9.3.3.2).
pub fn negotiate(proposed: &[PresentationContextProposed]) -> (Vec<PresentationContextResult>, Vec<AcceptedContext>) {
    let mut results = Vec::with_capacity(proposed.len());
    let mut accepted = Vec::new();
    for context in proposed {
        let abstract_syntax = trim_uid(&context.abstract_syntax);
        let uncompressed_only =
            query_model(abstract_syntax).or(retrieve_model(abstract_syntax)).or(move_model(abstract_syntax)).is_some()
                || abstract_syntax == STORAGE_COMMITMENT_PUSH;
        let chosen = if uncompressed_only {
            Some(choose_query_transfer_syntax(&context.transfer_syntaxes))
        } else if abstract_syntax == VERIFICATION || is_storage_sop_class(abstract_syntax) {
            Some(choose_transfer_syntax(&context.transfer_syntaxes))
        } else {
            None
        };
        let (reason, transfer_syntax) = match chosen {
            None => (PresentationContextResultReason::AbstractSyntaxNotSupported, None),
            Some(Some(ts)) => (PresentationContextResultReason::Acceptance, Some(ts)),
            Some(None) => (PresentationContextResultReason::TransferSyntaxesNotSupported, None),
        };
        if let Some(ts) = &transfer_syntax {
            accepted.push(AcceptedContext {
                id: context.id,
                abstract_syntax: abstract_syntax.to_owned(),
                transfer_syntax: ts.clone(),
            });
        }
        results.push(PresentationContextResult {
            id: context.id,
            reason,
            // PS3.8 9.3.3.2: the field is present but not significant when refused.
            transfer_syntax: transfer_syntax.map(|ts| ts.to_string()).unwrap_or_else(|| IMPLICIT_VR_LE.to_owned()),
        });
    }
    (results, accepted)
}

/// The caller's first storable proposal, except that Implicit VR Little Endian
/// (which loses the VRs) is taken only when nothing else is offered.
fn choose_transfer_syntax(proposed: &[String]) -> Option<Uid> {
    let storable: Vec<&str> =
        proposed.iter().map(|ts| trim_uid(ts)).filter(|ts| is_storable_transfer_syntax(ts)).collect();
    let chosen = storable.iter().find(|ts| **ts != IMPLICIT_VR_LE).or_else(|| storable.first())?;
    Uid::parse(chosen).ok()
}

/// Identifiers are small: Explicit VR Little Endian when offered, else Implicit.
fn choose_query_transfer_syntax(proposed: &[String]) -> Option<Uid> {
    let offered = |wanted: &str| proposed.iter().any(|ts| trim_uid(ts) == wanted);
    [EXPLICIT_VR_LE, IMPLICIT_VR_LE].into_iter().find(|ts| offered(ts)).and_then(|ts| Uid::parse(ts).ok())
}

fn trim_uid(uid: &str) -> &str {
    uid.trim_end_matches(['\0', ' '])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn propose(id: u8, abstract_syntax: &str, ts: &[&str]) -> PresentationContextProposed {
        PresentationContextProposed {
            id,
            abstract_syntax: abstract_syntax.into(),
            transfer_syntaxes: ts.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn storage_classes_come_from_the_standard_dictionary() {
        for storage in [
            "1.2.840.10008.5.1.4.1.1.2",      // CT Image Storage
            "1.2.840.10008.5.1.4.1.1.4",      // MR Image Storage
            "1.2.840.10008.5.1.4.1.1.7",      // Secondary Capture
            "1.2.840.10008.5.1.4.1.1.88.22",  // Enhanced SR
            "1.2.840.10008.5.1.4.1.1.104.1",  // Encapsulated PDF
            "1.2.840.10008.5.1.4.1.1.1.2",    // Digital Mammography - For Presentation
            "1.2.840.10008.5.1.4.1.1.66",     // Raw Data
            "1.2.840.10008.5.1.4.1.1.481.1",  // RT Image
            "1.2.840.10008.5.1.4.1.1.77.1.6", // VL Whole Slide Microscopy
        ] {
            assert!(is_storage_sop_class(storage), "{storage}");
        }
        for other in [
            VERIFICATION,
            "1.2.840.10008.1.20.1",        // Storage Commitment Push Model
            "1.2.840.10008.5.1.4.1.2.2.1", // Study Root Q/R FIND
            "1.2.840.10008.5.1.4.31",      // Modality Worklist FIND
            "1.2.840.10008.1.3.10",        // Media Storage Directory Storage
            "1.2.3.4.5",
        ] {
            assert!(!is_storage_sop_class(other), "{other}");
        }
    }

    #[test]
    fn the_storage_scp_role_is_granted_for_storage_classes_only() {
        let role = |uid: &str, scp| {
            UserVariableItem::ScuScpRoleSelectionSubItem(uid.to_owned(), RequestorRoles { scu: false, scp })
        };
        let (replies, classes) = storage_scp_roles(&[
            role("1.2.840.10008.5.1.4.1.1.2", true),
            role("1.2.840.10008.5.1.4.1.1.4", false),
            role(STUDY_ROOT_FIND, true),
            UserVariableItem::MaxLength(16_384),
        ]);
        assert_eq!(replies, [role("1.2.840.10008.5.1.4.1.1.2", true)]);
        assert_eq!(classes, HashSet::from(["1.2.840.10008.5.1.4.1.1.2".to_owned()]));
    }

    #[test]
    fn each_context_is_decided_on_its_own() {
        let (results, accepted) = negotiate(&[
            propose(1, VERIFICATION, &[IMPLICIT_VR_LE]),
            propose(3, "1.2.840.10008.5.1.4.1.1.2", &[IMPLICIT_VR_LE, EXPLICIT_VR_LE]),
            // Modality Worklist: not served.
            propose(5, "1.2.840.10008.5.1.4.31", &[EXPLICIT_VR_LE]),
            propose(7, "1.2.840.10008.5.1.4.1.1.4", &["1.2.840.10008.1.2.4.90\0"]),
            propose(9, "1.2.840.10008.5.1.4.1.1.4", &["1.2.3.4.5.6"]),
            propose(11, STUDY_ROOT_FIND, &[IMPLICIT_VR_LE, EXPLICIT_VR_LE]),
            propose(13, PATIENT_ROOT_FIND, &[IMPLICIT_VR_LE]),
            propose(15, STUDY_ROOT_FIND, &["1.2.840.10008.1.2.4.90"]),
            propose(17, STUDY_ROOT_GET, &[IMPLICIT_VR_LE]),
            propose(19, STORAGE_COMMITMENT_PUSH, &[EXPLICIT_VR_LE]),
        ]);
        let reasons: Vec<_> = results.iter().map(|r| (r.id, r.reason.clone())).collect();
        use PresentationContextResultReason::*;
        assert_eq!(
            reasons,
            [
                (1, Acceptance),
                (3, Acceptance),
                (5, AbstractSyntaxNotSupported),
                (7, Acceptance),
                (9, TransferSyntaxesNotSupported),
                (11, Acceptance),
                (13, Acceptance),
                (15, TransferSyntaxesNotSupported),
                (17, Acceptance),
                (19, Acceptance),
            ]
        );
        let chosen: Vec<_> = accepted.iter().map(|a| (a.id, a.transfer_syntax.as_str())).collect();
        assert_eq!(
            chosen,
            [
                (1, IMPLICIT_VR_LE),
                (3, EXPLICIT_VR_LE),
                (7, "1.2.840.10008.1.2.4.90"),
                (11, EXPLICIT_VR_LE),
                (13, IMPLICIT_VR_LE),
                (17, IMPLICIT_VR_LE),
                (19, EXPLICIT_VR_LE)
            ]
        );
    }
}
