//! From sockets to byte streams: accepting and capping connections, the load
//! balancer's PROXY header and DICOM TLS.

pub mod connection;
pub mod listener;
pub mod proxy_protocol;
pub mod tls;
