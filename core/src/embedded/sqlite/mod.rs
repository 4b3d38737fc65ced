//! SQLite: one file, WAL journal, `synchronous = FULL` so a committed row survives
//! power loss before a modality is told "success". Each table keeps the domain
//! record as JSON next to the columns that are indexed or held unique.

mod audit;
mod bans;
mod deletions;
mod facilities;
mod receivers;
mod recording;
mod reports;
mod schema;
mod studies;
mod users;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

pub use audit::SqliteAuditLog;
pub use bans::SqliteBanList;
pub use facilities::SqliteFacilityRegistry;
pub use receivers::SqliteReceiverRegistry;
pub use reports::SqliteReportStore;
pub use studies::SqliteStudyIndex;
pub use users::SqliteUserDirectory;

use crate::ports::{StoreError, Taken};

/// A connection shared by the adapters of one process. Calls run on tokio's
/// blocking pool; other processes on the same file wait on SQLite's lock.
#[derive(Debug, Clone)]
pub struct Database {
    conn: Arc<Mutex<Connection>>,
}

impl Database {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let path = path.to_owned();
        let conn = tokio::task::spawn_blocking(move || -> Result<Connection, StoreError> {
            let mut conn = Connection::open(&path).map_err(StoreError::backend)?;
            conn.busy_timeout(Duration::from_secs(30)).map_err(StoreError::backend)?;
            // Room for every statement the receive path and the API repeat.
            conn.set_prepared_statement_cache_capacity(64);
            conn.pragma_update(None, "journal_mode", "WAL").map_err(StoreError::backend)?;
            conn.pragma_update(None, "synchronous", "FULL").map_err(StoreError::backend)?;
            schema::migrate(&mut conn)?;
            Ok(conn)
        })
        .await
        .map_err(StoreError::backend)??;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Runs `work` with the connection on the blocking pool.
    pub(crate) async fn call<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| StoreError::internal("database lock poisoned"))?;
            work(&mut guard)
        })
        .await
        .map_err(StoreError::backend)?
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::corrupt)
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(StoreError::corrupt)
}

pub(crate) fn optional_record<T: serde::de::DeserializeOwned>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Option<T>, StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.query_row(params, |row| row.get::<_, String>(0)).optional())
        .map_err(db_err)?
        .map(|json| from_json(&json))
        .transpose()
}

/// Runs a statement kept prepared on the connection, so the receive path's
/// statements are parsed once per connection rather than once per instance.
pub(crate) fn execute_cached(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<usize, StoreError> {
    conn.prepare_cached(sql).and_then(|mut stmt| stmt.execute(params)).map_err(db_err)
}

pub(crate) fn records<T: serde::de::DeserializeOwned>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_err)?;
    let rows = stmt.query_map(params, |row| row.get::<_, String>(0)).map_err(db_err)?;
    rows.map(|json| from_json(&json.map_err(db_err)?)).collect()
}

fn db_err(err: rusqlite::Error) -> StoreError {
    StoreError::backend(err)
}

/// Maps a UNIQUE violation on one of the given columns (`table.column`) to the
/// value it protects; anything else is a backend error.
fn unique_violation(err: rusqlite::Error, columns: &[(&str, Taken)]) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, Some(message)) = &err
        && failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
        && let Some((_, taken)) = columns.iter().find(|(column, _)| message.ends_with(column))
    {
        return StoreError::Conflict(*taken);
    }
    db_err(err)
}
