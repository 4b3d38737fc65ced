//! Noctis core: the domain, the use cases every front door shares, the storage
//! ports, and the two adapter sets that implement them (`aws` for production,
//! `embedded` for one node).

pub mod auth;
pub mod aws;
pub mod config;
pub mod domain;
pub mod embedded;
pub mod ports;
pub mod telemetry;
pub mod usecases;
pub mod wiring;

pub use config::Config;
pub use ports::Ports;
