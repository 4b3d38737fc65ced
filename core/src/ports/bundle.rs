use std::sync::Arc;

use super::{
    AuditLog, BanList, FacilityRegistry, ObjectStore, ReceiverRegistry, ReportStore, StudyIndex, UserDirectory,
};

/// One implementation of every port, as an adapter set provides them. Binaries
/// hold this; each component takes out only the ports it uses.
#[derive(Debug, Clone)]
pub struct Ports {
    pub facilities: Arc<dyn FacilityRegistry>,
    pub users: Arc<dyn UserDirectory>,
    pub studies: Arc<dyn StudyIndex>,
    pub reports: Arc<dyn ReportStore>,
    pub objects: Arc<dyn ObjectStore>,
    pub audit: Arc<dyn AuditLog>,
    pub bans: Arc<dyn BanList>,
    pub receivers: Arc<dyn ReceiverRegistry>,
}
