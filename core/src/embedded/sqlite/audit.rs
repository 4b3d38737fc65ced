use async_trait::async_trait;
use rusqlite::params;

use super::{Database, db_err, from_json, to_json};
use crate::domain::{AuditEvent, AuditQuery, KeyRange, Page, PageCollector, PageRequest, audit_sort_key};
use crate::ports::{AuditLog, StoreError};

#[derive(Debug, Clone)]
pub struct SqliteAuditLog {
    db: Database,
}

impl SqliteAuditLog {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Inserts one event; the study index calls it inside its own transaction.
pub(super) fn insert_event(conn: &rusqlite::Connection, event: &AuditEvent) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO audit_events (id, sort_key, facility_id, actor_key, record) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            event.id.to_string(),
            audit_sort_key(event),
            event.facility_id.map(|f| f.to_string()),
            event.actor.key(),
            to_json(event)?,
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl AuditLog for SqliteAuditLog {
    async fn append(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let event = event.clone();
        self.db.call(move |conn| insert_event(conn, &event)).await
    }

    async fn query(&self, query: &AuditQuery, page: &PageRequest) -> Result<Page<AuditEvent>, StoreError> {
        let query = query.clone();
        let page = page.clone();
        self.db
            .call(move |conn| {
                let range = KeyRange::new(Some(query.from), Some(query.to), page.after.as_ref());
                let mut collector = PageCollector::new(page.limit);
                let mut upper = range.upper.clone();
                loop {
                    let batch_size = collector.wanted().max(64);
                    let batch: Vec<(String, String)> = {
                        let mut stmt = conn
                            .prepare(
                                "SELECT sort_key, record FROM audit_events
                                 WHERE (?1 IS NULL OR facility_id = ?1)
                                   AND (?2 IS NULL OR actor_key = ?2)
                                   AND sort_key >= ?3 AND (?4 IS NULL OR sort_key < ?4)
                                 ORDER BY sort_key DESC LIMIT ?5",
                            )
                            .map_err(db_err)?;
                        let rows = stmt
                            .query_map(
                                params![
                                    query.facility_id.map(|f| f.to_string()),
                                    query.actor,
                                    range.lower,
                                    upper,
                                    batch_size
                                ],
                                |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
                            )
                            .map_err(db_err)?;
                        rows.collect::<Result<_, _>>().map_err(db_err)?
                    };
                    let exhausted = batch.len() < batch_size;
                    for (key, json) in batch {
                        let event: AuditEvent = from_json(&json)?;
                        if query.matches(&event) {
                            collector.push(key.clone(), event);
                        }
                        upper = Some(key);
                    }
                    if exhausted || collector.is_full() {
                        return Ok(collector.finish());
                    }
                }
            })
            .await
    }
}
