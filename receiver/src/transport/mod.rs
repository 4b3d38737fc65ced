//! From sockets to byte streams: accepting and capping connections, the load
//! balancer's PROXY header, DICOM TLS, and the shutdown every connection obeys.

pub mod connection;
pub mod listener;
pub mod proxy_protocol;
pub mod shutdown;
pub mod tls;
