//! Who is really on the other end when the deployment's CloudFront
//! distribution sits in front: the distribution connects, and names the
//! viewer in `CloudFront-Viewer-Address`. That header is believed only on a
//! request that also carries the distribution's origin header with the
//! configured secret (`api.edge_secret`), which a client reaching the API or
//! the receivers another way cannot forge. Sign-in limits, bans and the audit
//! trail then see the viewer, not the edge.

use std::net::IpAddr;

use crate::config::Secret;

/// The header the distribution adds to every request it sends on.
pub const ORIGIN_HEADER: &str = "x-noctis-origin";
/// The viewer's address and port, as CloudFront sets it (`198.51.100.10:46532`,
/// an IPv6 address likewise followed by `:port`).
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

/// The viewer CloudFront names, when `origin` proves the request came through
/// it; `None` otherwise (the caller then keeps the connection's own peer).
pub fn viewer_address(secret: Option<&Secret>, origin: Option<&str>, viewer: Option<&str>) -> Option<IpAddr> {
    let (secret, origin) = (secret?, origin?);
    if !constant_time_eq(secret.expose().as_bytes(), origin.trim().as_bytes()) {
        return None;
    }
    let (address, port) = viewer?.trim().rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    address.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// Equal bytes, compared in time that depends only on the lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_viewer_is_believed_only_with_the_distributions_secret() {
        let secret = Secret::new("edge-secret-of-the-stack");
        let ours = Some("edge-secret-of-the-stack");
        let v4: IpAddr = "198.51.100.10".parse().expect("an address");
        assert_eq!(viewer_address(Some(&secret), ours, Some("198.51.100.10:46532")), Some(v4));
        let v6: IpAddr = "2001:db8::7".parse().expect("an address");
        assert_eq!(viewer_address(Some(&secret), ours, Some("2001:db8::7:443")), Some(v6));
        assert_eq!(viewer_address(Some(&secret), ours, Some("[2001:db8::7]:443")), Some(v6));
        // A forged or missing origin header, no secret configured, or a malformed viewer.
        assert_eq!(viewer_address(Some(&secret), Some("guess"), Some("198.51.100.10:1")), None);
        assert_eq!(viewer_address(Some(&secret), None, Some("198.51.100.10:1")), None);
        assert_eq!(viewer_address(None, ours, Some("198.51.100.10:1")), None);
        for bad in ["198.51.100.10", "not-an-address:80", "198.51.100.10:port", ""] {
            assert_eq!(viewer_address(Some(&secret), ours, Some(bad)), None, "{bad}");
        }
    }
}
