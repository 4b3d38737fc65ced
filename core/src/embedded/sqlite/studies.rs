use async_trait::async_trait;
use rusqlite::params;

use super::{Database, db_err, from_json, optional_record, records, to_json};
use crate::domain::{
    AuditEvent, IndexRows, InstanceRecord, InstanceSummary, KeyRange, Page, PageCollector, PageRequest, Recorded,
    SeriesSummary, StudyChange, StudyDetail, StudyFilter, StudyId, StudySummary, apply_instance, listing_key,
};
use crate::ports::{StoreError, StudyIndex};

#[derive(Debug, Clone)]
pub struct SqliteStudyIndex {
    db: Database,
}

impl SqliteStudyIndex {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl StudyIndex for SqliteStudyIndex {
    async fn record_instance(
        &self,
        instance: &InstanceRecord,
        audit: Option<&AuditEvent>,
    ) -> Result<Recorded, StoreError> {
        let record = instance.clone();
        let audit = audit.cloned();
        self.db
            .call(move |conn| {
                // IMMEDIATE takes the write lock up front, so the read-modify-write
                // below cannot interleave with another process's.
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(db_err)?;
                let study_id = record.study_id().to_string();
                let series_uid = record.series_instance_uid.as_str();
                let rows = IndexRows {
                    study: optional_record(&tx, "SELECT record FROM studies WHERE id = ?1", [&study_id])?,
                    series: optional_record(
                        &tx,
                        "SELECT record FROM series WHERE study_id = ?1 AND series_uid = ?2",
                        params![study_id, series_uid],
                    )?,
                    instance: optional_record(
                        &tx,
                        "SELECT record FROM instances WHERE study_id = ?1 AND series_uid = ?2 AND sop_uid = ?3",
                        params![study_id, series_uid, record.sop_instance_uid.as_str()],
                    )?,
                };
                let indexed = apply_instance(rows, &record);
                let study = &indexed.study;
                tx.execute(
                    "INSERT INTO studies (id, facility_id, listing_key, record) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO UPDATE SET record = excluded.record",
                    params![
                        study_id,
                        study.facility_id.to_string(),
                        listing_key(study.first_received_at, study.id),
                        to_json(study)?
                    ],
                )
                .map_err(db_err)?;
                tx.execute(
                    "INSERT INTO series (study_id, series_uid, record) VALUES (?1, ?2, ?3)
                     ON CONFLICT (study_id, series_uid) DO UPDATE SET record = excluded.record",
                    params![study_id, series_uid, to_json(&indexed.series)?],
                )
                .map_err(db_err)?;
                tx.execute(
                    "INSERT INTO instances (study_id, series_uid, sop_uid, record) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (study_id, series_uid, sop_uid) DO UPDATE SET record = excluded.record",
                    params![study_id, series_uid, record.sop_instance_uid.as_str(), to_json(&indexed.instance)?],
                )
                .map_err(db_err)?;
                if let Some(event) = &audit {
                    super::audit::insert_event(&tx, event)?;
                }
                tx.commit().map_err(db_err)?;
                Ok(indexed.recorded)
            })
            .await
    }

    async fn list_studies(&self, filter: &StudyFilter, page: &PageRequest) -> Result<Page<StudySummary>, StoreError> {
        let filter = filter.clone();
        let page = page.clone();
        self.db
            .call(move |conn| {
                let range = KeyRange::new(filter.received_from, filter.received_to, page.after.as_ref());
                let facility = filter.facility_id.map(|f| f.to_string());
                let mut collector = PageCollector::new(page.limit);
                let mut upper = range.upper.clone();
                // Candidates come in batches, newest first; the row filters run here
                // exactly as in the DynamoDB adapter.
                loop {
                    let batch: Vec<(String, String)> = {
                        let mut stmt = conn
                            .prepare(
                                "SELECT listing_key, record FROM studies
                                 WHERE (?1 IS NULL OR facility_id = ?1)
                                   AND (?2 IS NULL OR listing_key >= ?2)
                                   AND (?3 IS NULL OR listing_key < ?3)
                                 ORDER BY listing_key DESC LIMIT ?4",
                            )
                            .map_err(db_err)?;
                        let rows = stmt
                            .query_map(params![facility, range.lower, upper, collector.wanted().max(32)], |row| {
                                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                            })
                            .map_err(db_err)?;
                        rows.collect::<Result<_, _>>().map_err(db_err)?
                    };
                    let exhausted = batch.len() < collector.wanted().max(32);
                    for (key, json) in batch {
                        let study: StudySummary = from_json(&json)?;
                        if filter.matches_row(&study) {
                            collector.push(key.clone(), study);
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

    async fn get_study(&self, id: StudyId) -> Result<Option<StudyDetail>, StoreError> {
        self.db
            .call(move |conn| {
                let id = id.to_string();
                let Some(study) =
                    optional_record::<StudySummary>(conn, "SELECT record FROM studies WHERE id = ?1", [&id])?
                else {
                    return Ok(None);
                };
                let series: Vec<SeriesSummary> =
                    records(conn, "SELECT record FROM series WHERE study_id = ?1 ORDER BY series_uid", [&id])?;
                let instances: Vec<InstanceSummary> = records(
                    conn,
                    "SELECT record FROM instances WHERE study_id = ?1 ORDER BY series_uid, sop_uid",
                    [&id],
                )?;
                Ok(Some(StudyDetail { study, series, instances }))
            })
            .await
    }

    async fn update_study(&self, id: StudyId, change: StudyChange) -> Result<StudySummary, StoreError> {
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(db_err)?;
                let id = id.to_string();
                let mut study: StudySummary = optional_record(&tx, "SELECT record FROM studies WHERE id = ?1", [&id])?
                    .ok_or(StoreError::NotFound)?;
                change.apply(&mut study);
                tx.execute("UPDATE studies SET record = ?2 WHERE id = ?1", params![id, to_json(&study)?])
                    .map_err(db_err)?;
                tx.commit().map_err(db_err)?;
                Ok(study)
            })
            .await
    }
}
