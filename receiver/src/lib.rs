//! noctis-receiver: the DICOM Storage and Verification SCP. Stateless: every
//! instance goes to the object store and the index before success is answered.

pub mod admission;
pub mod application;
pub mod association;
pub mod connection;
pub mod facility_cache;
pub mod health;
pub mod health_probe;
pub mod limits;
pub mod listener;
pub mod metrics;
pub mod negotiation;
pub mod pdu_io;
pub mod proxy_protocol;
pub mod shutdown;
pub mod store;
pub mod tls;

pub use application::Application;
