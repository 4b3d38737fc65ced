//! The DICOM Upper Layer and DIMSE on one association: PDUs, negotiation,
//! and the messages from A-ASSOCIATE-RQ to release; and the association
//! Noctis opens itself, to a facility's C-MOVE destination.

pub mod association;
pub mod negotiation;
pub mod outbound;
pub mod pdu_io;
