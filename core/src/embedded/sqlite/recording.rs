//! Recording instances with group commit. Concurrent associations' instances
//! share one transaction, so one WAL fsync makes a whole batch durable, and
//! each caller is answered only once the transaction holding its instance has
//! committed. One association alone pays exactly what it paid before.

use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, params};
use tokio::sync::oneshot;

use super::{Database, execute_cached, optional_record, to_json};
use crate::domain::{AuditEvent, IndexRows, InstanceRecord, Recorded, apply_instance, listing_key, sortable_time};
use crate::ports::StoreError;

/// Instances waiting for the connection; whoever gets it next commits them all.
#[derive(Debug, Clone, Default)]
pub(super) struct GroupCommit {
    queue: Arc<Mutex<Vec<Queued>>>,
}

#[derive(Debug)]
struct Queued {
    record: InstanceRecord,
    audit: Option<AuditEvent>,
    reply: oneshot::Sender<Result<Recorded, StoreError>>,
}

impl GroupCommit {
    pub(super) async fn record(
        &self,
        db: &Database,
        record: InstanceRecord,
        audit: Option<AuditEvent>,
    ) -> Result<Recorded, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue.lock().unwrap_or_else(PoisonError::into_inner).push(Queued { record, audit, reply });
        let queue = self.queue.clone();
        // The batch is taken once the connection is ours: it holds our instance,
        // or nothing if a caller before us already committed it.
        db.call(move |conn| {
            let batch = std::mem::take(&mut *queue.lock().unwrap_or_else(PoisonError::into_inner));
            if !batch.is_empty() {
                commit(conn, batch);
            }
            Ok(())
        })
        .await?;
        answer.await.unwrap_or_else(|_| Err(StoreError::internal("the instance's index commit was abandoned")))
    }
}

/// One transaction for the batch, a savepoint per instance so that one
/// instance's failure leaves the others' rows in; every caller hears its own
/// outcome, or the commit's failure.
fn commit(conn: &mut Connection, batch: Vec<Queued>) {
    let outcomes = (|| -> Result<Vec<Result<Recorded, StoreError>>, rusqlite::Error> {
        // IMMEDIATE takes the write lock up front, so the read-modify-writes
        // below cannot interleave with another process's.
        let mut tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for queued in &batch {
            let savepoint = tx.savepoint()?;
            let outcome = index_instance(&savepoint, &queued.record, queued.audit.as_ref());
            if outcome.is_ok() {
                savepoint.commit()?;
            }
            outcomes.push(outcome);
        }
        tx.commit()?;
        Ok(outcomes)
    })();
    match outcomes {
        Ok(outcomes) => {
            for (queued, outcome) in batch.into_iter().zip(outcomes) {
                // A caller that went away (its association aborted) needs no answer.
                let _ = queued.reply.send(outcome);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, instances = batch.len(), "index commit failed");
            let shared = Arc::new(e);
            for queued in batch {
                let _ = queued.reply.send(Err(StoreError::backend(shared.clone())));
            }
        }
    }
}

/// The instance's rows, its study's and series' aggregates, the facility's
/// totals and daily activity, and the audit event, inside the caller's transaction.
fn index_instance(
    conn: &Connection,
    record: &InstanceRecord,
    audit: Option<&AuditEvent>,
) -> Result<Recorded, StoreError> {
    let study_id = record.study_id().to_string();
    let series_uid = record.series_instance_uid.as_str();
    let rows = IndexRows {
        study: optional_record(conn, "SELECT record FROM studies WHERE id = ?1", [&study_id])?,
        series: optional_record(
            conn,
            "SELECT record FROM series WHERE study_id = ?1 AND series_uid = ?2",
            params![study_id, series_uid],
        )?,
        instance: optional_record(
            conn,
            "SELECT record FROM instances WHERE study_id = ?1 AND series_uid = ?2 AND sop_uid = ?3",
            params![study_id, series_uid, record.sop_instance_uid.as_str()],
        )?,
    };
    let indexed = apply_instance(rows, record);
    let study = &indexed.study;
    execute_cached(
        conn,
        "INSERT INTO studies (id, facility_id, listing_key, record) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET record = excluded.record",
        params![
            study_id,
            study.facility_id.to_string(),
            listing_key(study.first_received_at, study.id),
            to_json(study)?
        ],
    )?;
    execute_cached(
        conn,
        "INSERT INTO series (study_id, series_uid, record) VALUES (?1, ?2, ?3)
         ON CONFLICT (study_id, series_uid) DO UPDATE SET record = excluded.record",
        params![study_id, series_uid, to_json(&indexed.series)?],
    )?;
    execute_cached(
        conn,
        "INSERT INTO instances (study_id, series_uid, sop_uid, record) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (study_id, series_uid, sop_uid) DO UPDATE SET record = excluded.record",
        params![study_id, series_uid, record.sop_instance_uid.as_str(), to_json(&indexed.instance)?],
    )?;
    let totals = indexed.totals;
    execute_cached(
        conn,
        "INSERT INTO facility_totals (facility_id, studies, instances, bytes, last_received_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (facility_id) DO UPDATE SET
            studies = studies + excluded.studies,
            instances = instances + excluded.instances,
            bytes = bytes + excluded.bytes,
            last_received_at = MAX(last_received_at, excluded.last_received_at)",
        params![
            record.facility_id.to_string(),
            totals.studies,
            totals.instances,
            totals.bytes,
            sortable_time(totals.received_at),
        ],
    )?;
    if totals.studies + totals.instances > 0 {
        execute_cached(
            conn,
            "INSERT INTO daily_activity (facility_id, day, studies, instances) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (day, facility_id) DO UPDATE SET
                studies = studies + excluded.studies,
                instances = instances + excluded.instances",
            params![
                record.facility_id.to_string(),
                totals.received_at.date_naive().to_string(),
                totals.studies,
                totals.instances,
            ],
        )?;
    }
    if let Some(event) = audit {
        super::audit::insert_event(conn, event)?;
    }
    Ok(indexed.recorded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Actor, AuditKind, FacilityId, now};
    use crate::embedded::sqlite::db_err;
    use crate::embedded::sqlite::studies::tests::record;

    #[tokio::test]
    async fn one_instance_failing_in_a_batch_leaves_the_others_committed() {
        let dir = tempfile::tempdir().expect("a directory");
        let db = Database::open(&dir.path().join("noctis.sqlite3")).await.expect("opens");
        let facility = FacilityId::new_random();
        let event = AuditEvent::new(AuditKind::InstanceStored, Actor::System, now()).for_facility(facility);
        let mut answers = Vec::new();
        let mut batch = Vec::new();
        // The middle one's audit event repeats the first's id: its insert fails.
        for (sop, audit) in [("1.2.3.1.1", Some(event.clone())), ("1.2.3.1.2", Some(event)), ("1.2.3.1.3", None)] {
            let (reply, answer) = oneshot::channel();
            batch.push(Queued { record: record(facility, "1.2.3", sop, 10), audit, reply });
            answers.push(answer);
        }
        let counts = db
            .call(move |conn| {
                commit(conn, batch);
                let count = |sql: &str| conn.query_row(sql, [], |row| row.get::<_, u64>(0)).map_err(db_err);
                Ok((count("SELECT COUNT(*) FROM instances")?, count("SELECT instances FROM facility_totals")?))
            })
            .await
            .expect("runs");
        let mut outcomes = Vec::new();
        for answer in answers {
            outcomes.push(answer.await.expect("answered").is_ok());
        }
        assert_eq!(outcomes, [true, false, true]);
        assert_eq!(counts, (2, 2), "the failed instance left no row and no count");
    }
}
