//! noctis-receiver: the DICOM Storage, Verification, Storage Commitment, Query
//! (C-FIND) and Retrieve (C-GET, C-MOVE) SCP. Stateless: every instance goes
//! to the object store and the index before success is answered.
//!
//! `dicomweb` serves the same intake, queries and retrieves over HTTP (PS3.18).
//! `transport` turns sockets into byte streams, `protocol` speaks DICOM on them,
//! `policy` decides who may associate, `intake` takes each instance into
//! storage, `query` answers a facility's C-FIND from the index, `retrieve`
//! plans its C-GET and C-MOVE and opens what they send, `commitment` rules on
//! what a modality asks the archive to hold, `settlement` brings the counts of
//! the studies an association stored into up to date, `shutdown` is the signal every
//! association obeys, and `operations` is what the platform watches.

mod application;
mod commitment;
mod dicomweb;
mod intake;
mod operations;
mod policy;
mod protocol;
mod query;
mod retrieve;
mod settlement;
mod shutdown;
mod transport;

pub use application::{Application, BuildError};
pub use operations::health_probe;
