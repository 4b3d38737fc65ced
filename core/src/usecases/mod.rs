//! The operations every front door shares: the HTTP API, the command line, the
//! DICOM association and, later, DICOMweb each translate a request into one of
//! these calls and its result into a response. A use case takes only the ports
//! it needs, checks everything before it writes anything, and leaves an audit
//! event for every change it makes.

pub mod activity;
pub mod archive;
mod audit_trail;
pub mod backup;
pub mod bans;
pub mod commitment;
pub mod deletion;
mod error;
pub mod facilities;
pub mod instances;
pub mod own_password;
pub mod query;
pub mod reindex;
pub mod relocation;
pub mod reports;
pub mod retention;
pub mod retrieve;
pub mod sign_in;
pub mod studies;
pub mod users;

pub use error::UseCaseError;
