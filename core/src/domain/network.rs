use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// The source networks a facility's modalities may connect from. Empty means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AllowedNetworks(Vec<IpNet>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a network in CIDR notation (for example 203.0.113.0/24)")]
pub struct NetworkError(pub String);

impl AllowedNetworks {
    pub fn parse<S: AsRef<str>>(cidrs: &[S]) -> Result<Self, NetworkError> {
        cidrs
            .iter()
            .map(|raw| {
                let raw = raw.as_ref().trim();
                raw.parse::<IpNet>()
                    // A bare address is a network of one.
                    .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| NetworkError(raw.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn any() -> Self {
        Self(Vec::new())
    }

    pub fn is_unrestricted(&self) -> bool {
        self.0.is_empty()
    }

    pub fn permits(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        self.0.is_empty() || self.0.iter().any(|net| net.contains(&addr))
    }

    pub fn networks(&self) -> &[IpNet] {
        &self.0
    }
}

/// IPv4 peers reach dual-stack sockets as `::ffff:a.b.c.d`; compare them as IPv4.
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s} is an address"))
    }

    #[test]
    fn networks_admit_only_their_addresses() {
        let nets = AllowedNetworks::parse(&["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"]).expect("valid");
        assert!(nets.permits(ip("203.0.113.200")));
        assert!(nets.permits(ip("::ffff:203.0.113.9")));
        assert!(nets.permits(ip("2001:db8::1")));
        assert!(nets.permits(ip("198.51.100.7")));
        assert!(!nets.permits(ip("198.51.100.8")));
        assert!(!nets.permits(ip("10.0.0.1")));
        assert!(AllowedNetworks::any().permits(ip("10.0.0.1")));
    }

    #[test]
    fn malformed_networks_are_named_in_the_error() {
        assert_eq!(AllowedNetworks::parse(&["10.0.0.0/8", "10.0.0.0/33"]), Err(NetworkError("10.0.0.0/33".into())));
        assert!(AllowedNetworks::parse(&["hospital.example"]).is_err());
    }
}
