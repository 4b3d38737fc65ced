//! Reading the PROXY protocol v2 header (`noctis_wire::proxy`) off a connection,
//! before anything else, TLS included.

use std::net::SocketAddr;

use noctis_wire::proxy::{self, FIXED_LEN};
use tokio::io::{AsyncRead, AsyncReadExt};

pub use noctis_wire::proxy::ProxyHeaderError as InvalidHeader;

#[derive(Debug, thiserror::Error)]
pub enum ProxyHeaderError {
    #[error("connection closed or failed before a PROXY header: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Invalid(#[from] InvalidHeader),
}

/// Reads the header and returns the client's address (see `proxy::source`).
pub async fn read_source<S: AsyncRead + Unpin>(
    stream: &mut S,
    connected: SocketAddr,
) -> Result<SocketAddr, ProxyHeaderError> {
    let mut fixed = [0u8; FIXED_LEN];
    stream.read_exact(&mut fixed).await?;
    let payload = proxy::payload_length(&fixed)?;
    let mut header = fixed.to_vec();
    header.resize(FIXED_LEN + payload, 0);
    stream.read_exact(&mut header[FIXED_LEN..]).await?;
    Ok(proxy::source(&header, connected)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ppp::v2::{Builder, Command, Protocol, Type, Version};

    fn header(command: Command, source: &str, destination: &str) -> Vec<u8> {
        let addresses =
            (source.parse::<SocketAddr>().expect("source"), destination.parse::<SocketAddr>().expect("dest"));
        Builder::with_addresses(Version::Two | command, Protocol::Stream, addresses)
            .write_tlv(Type::NoOp, b"vpce-0123456789abcdef0")
            .and_then(Builder::build)
            .expect("a header")
    }

    fn connected() -> SocketAddr {
        "10.40.0.12:40000".parse().expect("an address")
    }

    #[tokio::test]
    async fn the_source_of_a_proxy_command_is_the_peer_and_what_follows_is_untouched() {
        for (source, destination) in
            [("203.0.113.9:51515", "10.40.8.20:11112"), ("[2001:db8::7]:40001", "[2001:db8::1]:11112")]
        {
            let mut bytes = header(Command::Proxy, source, destination);
            bytes.extend_from_slice(b"\x01\x00A-ASSOCIATE-RQ");
            let mut stream = &bytes[..];
            let peer = read_source(&mut stream, connected()).await.expect("a header");
            assert_eq!(peer, source.parse::<SocketAddr>().expect("an address"));
            assert_eq!(stream, b"\x01\x00A-ASSOCIATE-RQ", "the DICOM bytes after the header are left to read");
        }
    }

    #[tokio::test]
    async fn a_local_command_keeps_the_connected_address() {
        let bytes = header(Command::Local, "203.0.113.9:51515", "10.40.8.20:11112");
        assert_eq!(read_source(&mut &bytes[..], connected()).await.expect("a header"), connected());
    }

    #[tokio::test]
    async fn a_connection_without_a_header_is_refused() {
        // An A-ASSOCIATE-RQ where the header should be: what a modality sends
        // when it reaches the port directly rather than through the balancer.
        let mut bytes = vec![0x01, 0x00, 0x00, 0x00, 0x00, 0xcd, 0x00, 0x01];
        bytes.resize(0xcd + 6, b' ');
        assert!(matches!(
            read_source(&mut &bytes[..], connected()).await,
            Err(ProxyHeaderError::Invalid(InvalidHeader::Invalid(_)))
        ));
    }

    #[tokio::test]
    async fn a_truncated_header_or_an_absurd_length_is_refused() {
        let bytes = header(Command::Proxy, "203.0.113.9:51515", "10.40.8.20:11112");
        let cut = &bytes[..bytes.len() - 3];
        assert!(matches!(read_source(&mut &cut[..], connected()).await, Err(ProxyHeaderError::Io(_))));
        let mut long = bytes[..FIXED_LEN].to_vec();
        long[14..16].copy_from_slice(&60_000u16.to_be_bytes());
        assert!(matches!(
            read_source(&mut &long[..], connected()).await,
            Err(ProxyHeaderError::Invalid(InvalidHeader::TooLong(60_000)))
        ));
    }
}
