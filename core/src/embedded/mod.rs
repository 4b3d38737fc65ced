//! The single-node adapter set: objects as files under the data directory, the
//! registry and index in SQLite (WAL), so a receiver and an API process can share
//! one data directory.

mod files;
mod sqlite;

use std::path::Path;
use std::sync::Arc;

use files::FileObjectStore;
use sqlite::{
    Database, SqliteAuditLog, SqliteBanList, SqliteFacilityRegistry, SqliteReceiverRegistry, SqliteReportStore,
    SqliteStudyIndex, SqliteUserDirectory,
};

use crate::ports::Ports;
use crate::ports::StoreError;

/// Opens (creating if needed) the embedded backend in `data_dir`.
pub async fn open(data_dir: &Path) -> Result<Ports, StoreError> {
    tokio::fs::create_dir_all(data_dir).await.map_err(StoreError::backend)?;
    let db = Database::open(&data_dir.join("noctis.sqlite3")).await?;
    let objects = FileObjectStore::open(data_dir.join("objects")).await?;
    Ok(Ports {
        facilities: Arc::new(SqliteFacilityRegistry::new(db.clone())),
        users: Arc::new(SqliteUserDirectory::new(db.clone())),
        studies: Arc::new(SqliteStudyIndex::new(db.clone())),
        reports: Arc::new(SqliteReportStore::new(db.clone())),
        audit: Arc::new(SqliteAuditLog::new(db.clone())),
        bans: Arc::new(SqliteBanList::new(db.clone())),
        receivers: Arc::new(SqliteReceiverRegistry::new(db)),
        objects: Arc::new(objects),
    })
}
