//! Identifiers of the records Noctis keeps. Each is a UUID behind its own type so a
//! facility id can never be passed where a user id is expected.

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(uuid::Uuid);

        impl $name {
            pub fn new_random() -> Self {
                Self(uuid::Uuid::new_v4())
            }

            pub fn from_uuid(id: uuid::Uuid) -> Self {
                Self(id)
            }

            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A registered facility (hospital, clinic, imaging centre).
    FacilityId
);
uuid_id!(
    /// A person who signs in to the API.
    UserId
);
uuid_id!(
    /// A study as Noctis holds it: one per (facility, Study Instance UID).
    StudyId
);
uuid_id!(
    /// One entry of the audit trail.
    AuditEventId
);
uuid_id!(
    /// A report on a study.
    ReportId
);

impl StudyId {
    /// Study identity is (facility, Study Instance UID), so the id is derived from
    /// both: every receiver computes the same id without asking the database, and
    /// two facilities sending the same UID never share a study.
    pub fn for_study(facility: FacilityId, study_uid: &super::Uid) -> Self {
        const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6e6f_6374_6973_4000_8000_0000_0000_0001);
        let name = format!("{facility}/{study_uid}");
        Self(uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes()))
    }
}
