use serde::{Deserialize, Serialize};

use super::{AeTitle, AllowedNetworks, EmailAddress, FacilityId, MoveDestinations, RetentionPeriod, Timestamp};

/// A facility that may send images, admitted by its AE title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facility {
    pub id: FacilityId,
    pub name: FacilityName,
    pub address: String,
    pub phone: String,
    pub email: EmailAddress,
    pub license_number: LicenseNumber,
    pub ae_title: AeTitle,
    pub allowed_networks: AllowedNetworks,
    /// Its DICOM nodes a C-MOVE may send to; none, for a facility from before.
    #[serde(default)]
    pub move_destinations: MoveDestinations,
    /// How long its studies are kept after their last receipt; for ever when
    /// `None`, as for a facility from before.
    #[serde(default)]
    pub retention: Option<RetentionPeriod>,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Bumped by every update; an update naming a stale revision is refused, so two
    /// administrators editing at once cannot silently overwrite each other.
    pub revision: u64,
}

/// What an administrator supplies to register a facility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacilityDraft {
    pub name: FacilityName,
    pub address: String,
    pub phone: String,
    pub email: EmailAddress,
    pub license_number: LicenseNumber,
    pub allowed_networks: AllowedNetworks,
    pub move_destinations: MoveDestinations,
    pub retention: Option<RetentionPeriod>,
}

impl Facility {
    /// What an update writes over `stored`: `self` one revision on. Every
    /// adapter stores this, so the revision rule lives here once.
    pub fn revised(&self, now: Timestamp) -> Facility {
        Facility { revision: self.revision + 1, updated_at: now, ..self.clone() }
    }

    pub fn register(draft: FacilityDraft, ae_title: AeTitle, now: Timestamp) -> Self {
        Self {
            id: FacilityId::new_random(),
            name: draft.name,
            address: draft.address,
            phone: draft.phone,
            email: draft.email,
            license_number: draft.license_number,
            ae_title,
            allowed_networks: draft.allowed_networks,
            move_destinations: draft.move_destinations,
            retention: draft.retention,
            active: true,
            created_at: now,
            updated_at: now,
            revision: 1,
        }
    }
}

macro_rules! non_empty_text {
    ($(#[$doc:meta])* $name:ident, $error:ident, $what:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error("a {} must have 1 to {} characters", $what, $max)]
        pub struct $error;

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, $error> {
                let trimmed = raw.trim();
                let len = trimmed.chars().count();
                if len == 0 || len > $max || !super::text::is_plain_text(trimmed) {
                    return Err($error);
                }
                Ok(Self(trimmed.to_owned()))
            }
        }

        super::text::string_value!($name, $error);
    };
}

impl LicenseNumber {
    /// The form uniqueness is decided on: licence numbers differ only in case
    /// between the documents they are copied from, so "moh-1" and "MOH-1" are one.
    pub fn unique_key(&self) -> String {
        self.0.to_uppercase()
    }
}

non_empty_text!(
    /// A facility's display name, from which its AE title is generated.
    FacilityName, FacilityNameError, "facility name", 200
);
non_empty_text!(
    /// The facility's operating licence number, unique across Noctis.
    LicenseNumber, LicenseNumberError, "licence number", 64
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_licence_numbers_are_trimmed_and_bounded() {
        assert_eq!(FacilityName::parse("  Mercy  ").map(|n| n.to_string()), Ok("Mercy".into()));
        assert_eq!(FacilityName::parse("   "), Err(FacilityNameError));
        assert_eq!(FacilityName::parse(&"x".repeat(201)), Err(FacilityNameError));
        assert_eq!(LicenseNumber::parse("LIC\n1"), Err(LicenseNumberError));
        assert!(LicenseNumber::parse("MOH-2024-0042").is_ok());
        assert_eq!(FacilityName::parse("Mercy \u{202E}cinilC"), Err(FacilityNameError), "a bidi override");
    }
}
