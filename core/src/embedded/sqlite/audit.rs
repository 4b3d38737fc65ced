use async_trait::async_trait;
use rusqlite::params;

use super::{Database, db_err, execute_cached, from_json, to_json};
use crate::domain::{
    AssociationCounts, AuditEvent, AuditQuery, FacilityId, KeyRange, ListingOrder, Page, PageCollector, PageRequest,
    RefusalCount, Timestamp, audit_day, audit_hour, audit_sort_key,
};
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
    execute_cached(
        conn,
        "INSERT INTO audit_events (id, sort_key, facility_id, actor_key, record) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            event.id.to_string(),
            audit_sort_key(event),
            event.facility_id.map(|f| f.to_string()),
            event.actor.key(),
            to_json(event)?,
        ],
    )?;
    if let Some((facility, accepted)) = event.association_outcome() {
        execute_cached(
            conn,
            "INSERT INTO association_counts (facility_id, day, accepted, rejected) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (facility_id, day) DO UPDATE SET
                accepted = accepted + excluded.accepted, rejected = rejected + excluded.rejected",
            params![facility.to_string(), audit_day(event.at), u64::from(accepted), u64::from(!accepted)],
        )?;
    }
    if let Some(reason) = event.refusal_reason() {
        execute_cached(
            conn,
            "INSERT INTO refusal_counts (hour, reason, refusals) VALUES (?1, ?2, 1)
             ON CONFLICT (hour, reason) DO UPDATE SET refusals = refusals + 1",
            params![audit_hour(event.at), reason],
        )?;
    }
    Ok(())
}

#[async_trait]
impl AuditLog for SqliteAuditLog {
    async fn append(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let event = event.clone();
        self.db
            .call(move |conn| {
                let tx = conn.transaction().map_err(db_err)?;
                insert_event(&tx, &event)?;
                tx.commit().map_err(db_err)
            })
            .await
    }

    async fn association_counts(
        &self,
        facility: FacilityId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<AssociationCounts, StoreError> {
        self.db
            .call(move |conn| {
                conn.query_row(
                    "SELECT COALESCE(SUM(accepted), 0), COALESCE(SUM(rejected), 0) FROM association_counts
                     WHERE facility_id = ?1 AND day BETWEEN ?2 AND ?3",
                    params![facility.to_string(), audit_day(from), audit_day(to)],
                    |row| Ok(AssociationCounts { accepted: row.get(0)?, rejected: row.get(1)? }),
                )
                .map_err(db_err)
            })
            .await
    }

    async fn refusals_by_reason(&self, from: Timestamp, to: Timestamp) -> Result<Vec<RefusalCount>, StoreError> {
        self.db
            .call(move |conn| {
                let mut stmt = conn
                    .prepare(
                        "SELECT reason, SUM(refusals) FROM refusal_counts WHERE hour BETWEEN ?1 AND ?2
                         GROUP BY reason ORDER BY 2 DESC, reason",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![audit_hour(from), audit_hour(to)], |row| {
                        Ok(RefusalCount { reason: row.get(0)?, refusals: row.get(1)? })
                    })
                    .map_err(db_err)?;
                rows.collect::<Result<_, _>>().map_err(db_err)
            })
            .await
    }

    async fn query(&self, query: &AuditQuery, page: &PageRequest) -> Result<Page<AuditEvent>, StoreError> {
        let query = query.clone();
        let page = page.clone();
        self.db
            .call(move |conn| {
                let range =
                    KeyRange::new(Some(query.from), Some(query.to), page.after.as_ref(), ListingOrder::NewestFirst);
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

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::domain::{Actor, AuditKind, now};

    #[tokio::test]
    async fn a_data_directory_from_before_the_counts_gets_them_from_its_events() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("noctis.sqlite3");
        let facility = FacilityId::new_random();
        {
            let audit = SqliteAuditLog::new(Database::open(&path).await.expect("opens"));
            for kind in [AuditKind::AssociationAccepted, AuditKind::AssociationAccepted, AuditKind::AssociationRejected]
            {
                let event = AuditEvent::new(kind, Actor::System, now()).for_facility(facility);
                audit.append(&event).await.expect("appends");
            }
        }
        // As it was before migration 4: no counts table.
        let conn = Connection::open(&path).expect("opens directly");
        super::super::schema::roll_back(&conn, 3);
        drop(conn);
        let audit = SqliteAuditLog::new(Database::open(&path).await.expect("migrates"));
        let counts =
            audit.association_counts(facility, now() - chrono::Duration::days(1), now()).await.expect("counts");
        assert_eq!((counts.accepted, counts.rejected), (2, 1));
    }

    #[tokio::test]
    async fn a_data_directory_from_before_the_refusal_counts_gets_them_from_its_events() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("noctis.sqlite3");
        {
            let audit = SqliteAuditLog::new(Database::open(&path).await.expect("opens"));
            for reason in ["calling_ae_title_unknown", "calling_ae_title_unknown", "facility_inactive"] {
                let event = AuditEvent::new(AuditKind::AssociationRejected, Actor::System, now())
                    .with_details(serde_json::json!({ "reason": reason }));
                audit.append(&event).await.expect("appends");
            }
        }
        let conn = Connection::open(&path).expect("opens directly");
        super::super::schema::roll_back(&conn, 6);
        drop(conn);
        let audit = SqliteAuditLog::new(Database::open(&path).await.expect("migrates"));
        let counts = audit.refusals_by_reason(now() - chrono::Duration::hours(1), now()).await.expect("counts");
        let counts: Vec<_> = counts.iter().map(|c| (c.reason.as_str(), c.refusals)).collect();
        assert_eq!(counts, [("calling_ae_title_unknown", 2), ("facility_inactive", 1)]);
    }
}
