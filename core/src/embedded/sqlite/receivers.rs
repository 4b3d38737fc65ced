use async_trait::async_trait;
use rusqlite::params;

use super::{Database, db_err, records, to_json};
use crate::domain::{ReceiverStatus, Timestamp, sortable_time};
use crate::ports::{ReceiverRegistry, StoreError};

/// One row per receiver process, replaced at each report; rows a day old are
/// dropped as reports come in.
#[derive(Debug, Clone)]
pub struct SqliteReceiverRegistry {
    db: Database,
}

impl SqliteReceiverRegistry {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ReceiverRegistry for SqliteReceiverRegistry {
    async fn report(&self, status: &ReceiverStatus) -> Result<(), StoreError> {
        let id = status.id.to_string();
        let reported_at = sortable_time(status.reported_at);
        let forget_before = sortable_time(status.reported_at - chrono::Duration::days(1));
        let record = to_json(status)?;
        self.db
            .call(move |conn| {
                conn.execute(
                    "INSERT INTO receivers (id, reported_at, record) VALUES (?1, ?2, ?3)
                     ON CONFLICT (id) DO UPDATE SET reported_at = excluded.reported_at, record = excluded.record",
                    params![id, reported_at, record],
                )
                .map_err(db_err)?;
                conn.execute("DELETE FROM receivers WHERE reported_at < ?1", params![forget_before]).map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn reported_since(&self, since: Timestamp) -> Result<Vec<ReceiverStatus>, StoreError> {
        self.db
            .call(move |conn| {
                records(
                    conn,
                    "SELECT record FROM receivers WHERE reported_at >= ?1 ORDER BY reported_at DESC, id",
                    [sortable_time(since)],
                )
            })
            .await
    }
}
