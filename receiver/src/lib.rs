//! noctis-receiver: the DICOM Storage, Verification and Query (C-FIND) SCP.
//! Stateless: every instance goes to the object store and the index before
//! success is answered.
//!
//! `transport` turns sockets into byte streams, `protocol` speaks DICOM on them,
//! `policy` decides who may associate, `intake` takes each instance into
//! storage, `query` answers a facility's C-FIND from the index, `shutdown` is
//! the signal every association obeys, and `operations` is what the platform watches.

mod application;
mod intake;
mod operations;
mod policy;
mod protocol;
mod query;
mod shutdown;
mod transport;

pub use application::{Application, BuildError};
pub use operations::health_probe;
