//! Where a facility lets C-MOVE send its studies (PS3.4 C.4.2): its own DICOM
//! nodes, each an AE title at a host and port it registered. A C-MOVE naming
//! any other AE title is refused, so no one can make Noctis send a facility's
//! images anywhere the facility did not list.

use serde::{Deserialize, Serialize};

use super::AeTitle;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveDestination {
    pub ae_title: AeTitle,
    /// A DNS name or an IP address literal.
    pub host: String,
    pub port: u16,
}

/// A facility's destinations: at most `MAX`, AE titles distinct.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MoveDestinations(Vec<MoveDestination>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveDestinationError {
    #[error("{0:?} is not an AE title (1 to 16 characters, no backslash or control characters)")]
    AeTitle(String),
    #[error("{0:?} is not a host name or an IP address")]
    Host(String),
    #[error("the port must be 1 to 65535")]
    Port,
    #[error("{0} is listed twice")]
    Duplicate(String),
    #[error("at most {max} destinations", max = MoveDestinations::MAX)]
    TooMany,
}

impl MoveDestinations {
    pub const MAX: usize = 16;

    /// Parses (AE title, host, port) triples as an administrator typed them.
    pub fn parse(raw: &[(String, String, u32)]) -> Result<Self, MoveDestinationError> {
        if raw.len() > Self::MAX {
            return Err(MoveDestinationError::TooMany);
        }
        let mut destinations: Vec<MoveDestination> = Vec::with_capacity(raw.len());
        for (ae_title, host, port) in raw {
            let ae_title = AeTitle::parse(ae_title).map_err(|_| MoveDestinationError::AeTitle(ae_title.clone()))?;
            let host = host.trim();
            if !is_host(host) {
                return Err(MoveDestinationError::Host(host.to_owned()));
            }
            let port = u16::try_from(*port).ok().filter(|p| *p > 0).ok_or(MoveDestinationError::Port)?;
            if destinations.iter().any(|d| d.ae_title == ae_title) {
                return Err(MoveDestinationError::Duplicate(ae_title.to_string()));
            }
            destinations.push(MoveDestination { ae_title, host: host.to_ascii_lowercase(), port });
        }
        Ok(Self(destinations))
    }

    /// The destination registered as `ae_title` (compared as AE titles are).
    pub fn find(&self, ae_title: &str) -> Option<&MoveDestination> {
        let wanted = AeTitle::parse(ae_title).ok()?;
        self.0.iter().find(|d| d.ae_title == wanted)
    }

    pub fn as_slice(&self) -> &[MoveDestination] {
        &self.0
    }
}

/// An IP literal, or a DNS name of labels of letters, digits and inner hyphens.
fn is_host(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    !host.is_empty() && host.len() <= 253 && host.split('.').all(label_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(ae: &str, host: &str, port: u32) -> Result<MoveDestinations, MoveDestinationError> {
        MoveDestinations::parse(&[(ae.to_owned(), host.to_owned(), port)])
    }

    #[test]
    fn destinations_are_found_by_ae_title_as_titles_compare() {
        let destinations = one("ws_1", "Reading-Room.example.org", 104).expect("valid");
        let found = destinations.find(" WS_1 ").expect("found");
        assert_eq!((found.host.as_str(), found.port), ("reading-room.example.org", 104));
        assert!(destinations.find("WS_2").is_none());
        assert!(one("WS", "10.0.0.5", 11112).is_ok());
        assert!(one("WS", "fd00::5", 11112).is_ok());
    }

    #[test]
    fn hosts_ports_titles_and_duplicates_are_checked() {
        assert_eq!(one("WS", "http://x", 104), Err(MoveDestinationError::Host("http://x".into())));
        assert_eq!(one("WS", "-bad.example", 104), Err(MoveDestinationError::Host("-bad.example".into())));
        assert_eq!(one("WS", "", 104), Err(MoveDestinationError::Host(String::new())));
        assert_eq!(one("WS", "host", 0), Err(MoveDestinationError::Port));
        assert_eq!(one("WS", "host", 70_000), Err(MoveDestinationError::Port));
        assert!(matches!(one("", "host", 104), Err(MoveDestinationError::AeTitle(_))));
        let twice = [("WS".to_owned(), "a".to_owned(), 1), ("ws".to_owned(), "b".to_owned(), 2)];
        assert_eq!(MoveDestinations::parse(&twice), Err(MoveDestinationError::Duplicate("WS".into())));
        let many: Vec<_> = (0..17).map(|i| (format!("WS{i}"), "h".to_owned(), 104)).collect();
        assert_eq!(MoveDestinations::parse(&many), Err(MoveDestinationError::TooMany));
    }
}
