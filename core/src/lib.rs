//! Noctis core: the domain, the storage ports both binaries use, and the two
//! adapter sets that implement them (`aws` for production, `embedded` for one node).

pub mod aws;
pub mod backend;
pub mod config;
pub mod domain;
pub mod embedded;
pub mod facilities;
pub mod ports;
pub mod telemetry;

pub use backend::Backend;
pub use config::Config;
