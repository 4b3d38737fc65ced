//! The set of storage ports a binary runs on, chosen by configuration.

use std::sync::Arc;

use crate::config::{BackendKind, Config};
use crate::ports::{
    AuditLog, BanList, FacilityRegistry, ObjectStore, ReportStore, StoreError, StudyIndex, UserDirectory,
};

#[derive(Clone)]
pub struct Backend {
    pub facilities: Arc<dyn FacilityRegistry>,
    pub users: Arc<dyn UserDirectory>,
    pub studies: Arc<dyn StudyIndex>,
    pub reports: Arc<dyn ReportStore>,
    pub objects: Arc<dyn ObjectStore>,
    pub audit: Arc<dyn AuditLog>,
    pub bans: Arc<dyn BanList>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend").finish_non_exhaustive()
    }
}

impl Backend {
    pub async fn open(config: &Config) -> Result<Self, StoreError> {
        match config.storage.backend {
            BackendKind::Embedded => crate::embedded::open(&config.storage.data_dir).await,
            BackendKind::Aws => crate::aws::connect(&config.aws).await,
        }
    }
}
