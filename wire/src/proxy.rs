//! PROXY protocol v2 (HAProxy's proxy-protocol.txt, section 2.2): a load balancer
//! that does not keep the client's address puts it in a binary header at the
//! start of the connection. Parsed by `ppp` once all of its bytes are present.

use std::net::SocketAddr;

use ppp::v2::{Addresses, Command, Header, PROTOCOL_PREFIX};

/// 12-byte signature + version/command + family/protocol + 2-byte length.
pub const FIXED_LEN: usize = 16;
/// Addresses (at most 216 bytes for UNIX) plus the TLVs an NLB adds (VPC
/// endpoint id, a few dozen bytes): anything near 64 KiB is not a load balancer.
pub const MAX_PAYLOAD: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum ProxyHeaderError {
    #[error("not a PROXY protocol v2 header: {0}")]
    Invalid(#[from] ppp::v2::ParseError),
    #[error("PROXY header of {0} bytes is longer than a load balancer sends")]
    TooLong(usize),
}

/// From the fixed part of a header: how many payload bytes follow it.
pub fn payload_length(fixed: &[u8; FIXED_LEN]) -> Result<usize, ProxyHeaderError> {
    if !fixed.starts_with(PROTOCOL_PREFIX) {
        return Err(ppp::v2::ParseError::Prefix.into());
    }
    let payload = usize::from(u16::from_be_bytes([fixed[14], fixed[15]]));
    if payload > MAX_PAYLOAD {
        return Err(ProxyHeaderError::TooLong(payload));
    }
    Ok(payload)
}

/// The client's address from a whole header: the source of a PROXY command, or
/// `connected` for a LOCAL command (the balancer's own probe) and for address
/// families that carry no IP.
pub fn source(header: &[u8], connected: SocketAddr) -> Result<SocketAddr, ProxyHeaderError> {
    let parsed = Header::try_from(header)?;
    Ok(match (parsed.command, parsed.addresses) {
        (Command::Proxy, Addresses::IPv4(a)) => SocketAddr::from((a.source_address, a.source_port)),
        (Command::Proxy, Addresses::IPv6(a)) => SocketAddr::from((a.source_address, a.source_port)),
        _ => connected,
    })
}
