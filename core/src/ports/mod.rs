//! The ports: what the binaries need from storage, in the domain's words.
//! Each adapter (`crate::aws`, `crate::embedded`) implements all of them.

mod audit_log;
mod ban_list;
mod bundle;
mod error;
mod facility_registry;
mod object_store;
mod receiver_registry;
mod report_store;
pub(crate) mod retry;
mod study_index;
mod user_directory;

pub use audit_log::AuditLog;
pub use ban_list::BanList;
pub use bundle::Ports;
pub use error::{StoreError, Taken};
pub use facility_registry::FacilityRegistry;
pub use object_store::{ObjectReader, ObjectStore, ObjectWriter, StoredObject};
pub use receiver_registry::ReceiverRegistry;
pub use report_store::ReportStore;
pub use study_index::StudyIndex;
pub use user_directory::UserDirectory;
