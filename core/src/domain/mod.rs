//! The domain: values that cannot be invalid, and the rules between them. No I/O.

pub mod access;
mod ae_title;
mod audit;
mod ban;
mod deletion;
mod email;
mod facility;
mod ids;
mod indexing;
mod move_destination;
mod network;
mod object_key;
mod page;
mod query;
mod receiver;
mod registry_archive;
mod report;
mod retention;
mod study;
mod text;
mod uid;
mod user;

pub use ae_title::{AeTitle, AeTitleError};
pub use audit::{
    Actor, AssociationCounts, AuditEvent, AuditKind, AuditQuery, RefusalCount, audit_day, audit_hour, audit_sort_key,
};
pub use ban::{Ban, BanPolicy, FailureCount};
pub use deletion::{Deletion, DeletionCause, DeletionScope};
pub use email::{EmailAddress, EmailAddressError};
pub use facility::{Facility, FacilityDraft, FacilityName, FacilityNameError, LicenseNumber, LicenseNumberError};
pub use ids::{AuditEventId, FacilityId, ReportId, StudyId, UserId};
pub use indexing::{CountedInstance, IndexRows, IndexedRows, Recount, apply_instance, new_study, recount};
pub use move_destination::{MoveDestination, MoveDestinationError, MoveDestinations};
pub use network::{AllowedNetworks, NetworkError, canonical};
pub use object_key::{EXPORTS, InstanceIdentity, ObjectKey};
pub use page::{Cursor, CursorError, KeyRange, ListingOrder, Page, PageCollector, PageLimit, PageRequest};
pub use query::{Attribute, Condition, PatientRow, Query, QueryError, QueryLevel, QueryModel, QueryRow, ValueKind};
pub use receiver::ReceiverStatus;
pub use registry_archive::{ARCHIVE_FORMAT, ARCHIVE_VERSION, ArchiveCounts, ArchiveLine};
pub use report::{Intent, Report, ReportError, ReportStatus, ReportVersion};
pub use retention::{RetentionPeriod, RetentionPeriodError};
pub use study::{
    DailyActivity, FacilityTotals, InstanceRecord, InstanceSummary, Priority, Recorded, SeriesAttributes,
    SeriesSummary, StudyAttributes, StudyChange, StudyDetail, StudyFilter, StudyStatus, StudySummary, TotalsChange,
    listing_key,
};
pub use text::is_plain_text;
pub use uid::{Uid, UidError};
pub use user::{
    MIN_PASSWORD_LEN, PasswordError, PasswordHash, Role, RoleError, RoleName, User, Username, UsernameError,
};

/// Every time Noctis records is UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// Times are kept to the microsecond so both backends round-trip them exactly.
pub fn now() -> Timestamp {
    use chrono::{SubsecRound, Utc};
    Utc::now().trunc_subsecs(6)
}

/// A fixed-width UTC rendering whose string order is time order, used in keys.
pub fn sortable_time(at: Timestamp) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}
