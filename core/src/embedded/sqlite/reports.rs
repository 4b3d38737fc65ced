use async_trait::async_trait;
use rusqlite::params;

use super::{Database, db_err, optional_record, to_json};
use crate::domain::{Report, StudyId};
use crate::ports::{ReportStore, StoreError};

#[derive(Debug, Clone)]
pub struct SqliteReportStore {
    db: Database,
}

impl SqliteReportStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ReportStore for SqliteReportStore {
    async fn get(&self, study: StudyId) -> Result<Option<Report>, StoreError> {
        self.db
            .call(move |conn| {
                optional_record(conn, "SELECT record FROM reports WHERE study_id = ?1", [study.to_string()])
            })
            .await
    }

    async fn save(&self, report: &Report) -> Result<Report, StoreError> {
        let expected = report.revision;
        let next = report.revised();
        self.db
            .call(move |conn| {
                let written = if expected == 0 {
                    conn.execute(
                        "INSERT INTO reports (study_id, revision, record) VALUES (?1, ?2, ?3) ON CONFLICT (study_id) DO NOTHING",
                        params![next.study_id.to_string(), next.revision, to_json(&next)?],
                    )
                } else {
                    conn.execute(
                        "UPDATE reports SET revision = ?2, record = ?3 WHERE study_id = ?1 AND revision = ?4",
                        params![next.study_id.to_string(), next.revision, to_json(&next)?, expected],
                    )
                }
                .map_err(db_err)?;
                if written == 0 {
                    return Err(StoreError::StaleRevision { expected });
                }
                Ok(next)
            })
            .await
    }
}
