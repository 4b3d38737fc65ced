//! Deletions on the embedded index: the pending ones in their own table, and
//! a deletion's rows, aggregates, audit event and end in one transaction.

use rusqlite::{Connection, OptionalExtension, params};

use super::{db_err, optional_record, records, to_json};
use crate::domain::{
    AuditEvent, CountedInstance, Deletion, InstanceSummary, SeriesSummary, StudySummary, listing_key, recount,
    sortable_time,
};
use crate::ports::StoreError;

pub(super) fn begin(conn: &Connection, deletion: &Deletion) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO deletions (id, requested_at, record) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING",
        params![deletion.id.to_string(), sortable_time(deletion.requested_at), to_json(deletion)?],
    )
    .map_err(db_err)?;
    Ok(())
}

pub(super) fn pending(conn: &Connection) -> Result<Vec<Deletion>, StoreError> {
    records(conn, "SELECT record FROM deletions ORDER BY requested_at, id", [])
}

pub(super) fn finish(conn: &mut Connection, deletion: &Deletion, audit: &AuditEvent) -> Result<(), StoreError> {
    // IMMEDIATE: no instance of the study can be recorded between the read and the writes.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(db_err)?;
    let id = deletion.id.to_string();
    let begun = tx.query_row("SELECT 1 FROM deletions WHERE id = ?1", [&id], |_| Ok(())).optional().map_err(db_err)?;
    if begun.is_none() {
        return Ok(());
    }
    remove_rows(&tx, deletion)?;
    super::audit::insert_event(&tx, audit)?;
    tx.execute("DELETE FROM deletions WHERE id = ?1", [&id]).map_err(db_err)?;
    tx.commit().map_err(db_err)
}

/// The instances the deletion takes, and the aggregates recounted from what remains.
fn remove_rows(conn: &Connection, deletion: &Deletion) -> Result<(), StoreError> {
    let study_id = deletion.study.to_string();
    let Some(study) = optional_record::<StudySummary>(conn, "SELECT record FROM studies WHERE id = ?1", [&study_id])?
    else {
        return Ok(());
    };
    let instances: Vec<InstanceSummary> =
        records(conn, "SELECT record FROM instances WHERE study_id = ?1", [&study_id])?;
    let (taken, kept): (Vec<_>, Vec<_>) = instances.into_iter().partition(|i| deletion.takes(i));
    for instance in &taken {
        conn.execute(
            "DELETE FROM instances WHERE study_id = ?1 AND series_uid = ?2 AND sop_uid = ?3",
            params![study_id, instance.series_instance_uid.as_str(), instance.sop_instance_uid.as_str()],
        )
        .map_err(db_err)?;
    }
    let stored_series: Vec<SeriesSummary> =
        records(conn, "SELECT record FROM series WHERE study_id = ?1", [&study_id])?;
    // Series keep the attributes stored on their rows; instances carry none here.
    let kept: Vec<CountedInstance> =
        kept.into_iter().map(|summary| CountedInstance { summary, series: Default::default() }).collect();
    let counted = recount(&study, &stored_series, &kept);
    conn.execute("DELETE FROM series WHERE study_id = ?1", [&study_id]).map_err(db_err)?;
    if kept.is_empty() {
        conn.execute("DELETE FROM reports WHERE study_id = ?1", [&study_id]).map_err(db_err)?;
        conn.execute("DELETE FROM studies WHERE id = ?1", [&study_id]).map_err(db_err)?;
    } else {
        conn.execute(
            "UPDATE studies SET record = ?2, listing_key = ?3 WHERE id = ?1",
            params![study_id, to_json(&counted.study)?, listing_key(counted.study.first_received_at, counted.study.id)],
        )
        .map_err(db_err)?;
        for series in &counted.series {
            conn.execute(
                "INSERT INTO series (study_id, series_uid, record) VALUES (?1, ?2, ?3)",
                params![study_id, series.series_instance_uid.as_str(), to_json(series)?],
            )
            .map_err(db_err)?;
        }
    }
    let change = counted.totals;
    conn.execute(
        "UPDATE facility_totals SET studies = studies + ?2, instances = instances + ?3, bytes = bytes + ?4
         WHERE facility_id = ?1",
        params![study.facility_id.to_string(), change.studies, change.instances, change.bytes],
    )
    .map_err(db_err)?;
    Ok(())
}
