use std::fmt;

use serde::{Deserialize, Serialize};

use super::{FacilityId, Uid};

/// The prefix of study archives made for downloads, apart from instances.
pub const EXPORTS: &str = "exports/";

/// What an instance's key says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceIdentity {
    pub facility: FacilityId,
    pub study: Uid,
    pub series: Uid,
    pub sop_instance: Uid,
}

/// Where an instance lives in the object store: `facility/study/series/sop.dcm`.
/// Derived from identity alone, so a re-sent instance overwrites itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub fn for_instance(facility: FacilityId, study: &Uid, series: &Uid, sop_instance: &Uid) -> Self {
        Self(format!("{facility}/{study}/{series}/{sop_instance}.dcm"))
    }

    /// The facility, study, series and SOP instance a key `for_instance` built
    /// names; `None` for any other key (an export, or an object Noctis did
    /// not write).
    pub fn instance_identity(&self) -> Option<InstanceIdentity> {
        let mut parts = self.0.split('/');
        let (Some(facility), Some(study), Some(series), Some(file), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let identity = InstanceIdentity {
            facility: facility.parse().ok()?,
            study: Uid::parse(study).ok()?,
            series: Uid::parse(series).ok()?,
            sop_instance: Uid::parse(file.strip_suffix(".dcm")?).ok()?,
        };
        // Only the canonical spelling: a key that merely parses is not one Noctis wrote.
        let canonical =
            Self::for_instance(identity.facility, &identity.study, &identity.series, &identity.sop_instance);
        (canonical == *self).then_some(identity)
    }

    /// Where a study's zip for one download lives, on a store that serves
    /// downloads itself: `exports/<random>/<file name>`, so the browser saves it
    /// under that name. The bucket expires `exports/` after a day.
    pub fn for_export(token: uuid::Uuid, file_name: &str) -> Self {
        Self(format!("{EXPORTS}{token}/{file_name}"))
    }

    /// The media type the object is served as.
    pub fn content_type(&self) -> &'static str {
        if self.0.starts_with(EXPORTS) && self.0.ends_with(".zip") { "application/zip" } else { "application/dicom" }
    }

    /// Re-reads a key that an index row holds. Keys are only ever built by
    /// `for_instance`, so their characters are safe as path components.
    pub fn from_stored(key: String) -> Self {
        Self(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when every component is a UUID or a UID (digits and dots, not `.`/`..`).
    pub fn is_safe_path(&self) -> bool {
        self.0.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_nest_facility_study_series_and_instance() {
        let facility = FacilityId::from_uuid(uuid::Uuid::nil());
        let uid = |s: &str| Uid::parse(s).expect("valid uid");
        let key = ObjectKey::for_instance(facility, &uid("1.2.3"), &uid("1.2.3.4"), &uid("1.2.3.4.5"));
        assert_eq!(key.as_str(), "00000000-0000-0000-0000-000000000000/1.2.3/1.2.3.4/1.2.3.4.5.dcm");
        assert!(key.is_safe_path());
        assert!(!ObjectKey::from_stored("a/../b".into()).is_safe_path());
        assert_eq!(key.content_type(), "application/dicom");
        let identity = key.instance_identity().expect("an instance key");
        assert_eq!((identity.facility, identity.sop_instance.as_str()), (facility, "1.2.3.4.5"));
    }

    #[test]
    fn only_keys_noctis_writes_name_an_instance() {
        let facility = FacilityId::from_uuid(uuid::Uuid::from_u128(0xabcd_ef01_2345_6789_abcd_ef01_2345_6789));
        for key in [
            format!("{facility}/1.2.3/1.2.3.4/1.2.3.4.5"),
            format!("{facility}/1.2.3/1.2.3.4/1.2.3.4.5.dcm/x"),
            format!("{facility}/1.2.3/1.2.3.4.5.dcm"),
            format!("{}/1.2.3/1.2.3.4/1.2.3.4.5.dcm", facility.to_string().to_uppercase()),
            "not-a-uuid/1.2.3/1.2.3.4/1.2.3.4.5.dcm".into(),
            "exports/00000000-0000-0000-0000-000000000000/study-1.2.3.zip".into(),
        ] {
            assert_eq!(ObjectKey::from_stored(key.clone()).instance_identity(), None, "{key}");
        }
    }

    #[test]
    fn exports_live_apart_and_are_served_as_zips() {
        let key = ObjectKey::for_export(uuid::Uuid::nil(), "study-1.2.3.zip");
        assert_eq!(key.as_str(), "exports/00000000-0000-0000-0000-000000000000/study-1.2.3.zip");
        assert!(key.is_safe_path());
        assert_eq!(key.content_type(), "application/zip");
    }
}
