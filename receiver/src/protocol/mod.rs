//! The DICOM Upper Layer and DIMSE on one association: PDUs, negotiation,
//! and the messages from A-ASSOCIATE-RQ to release.

pub mod association;
pub mod negotiation;
pub mod pdu_io;
