use async_trait::async_trait;
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};

use super::recording::GroupCommit;
use super::{Database, db_err, from_json, optional_record, records, to_json};
use crate::domain::{
    AuditEvent, DailyActivity, Deletion, FacilityId, FacilityTotals, InstanceRecord, InstanceSummary, KeyRange,
    ListingOrder, Page, PageCollector, PageRequest, Recorded, SeriesSummary, StudyChange, StudyDetail, StudyFilter,
    StudyId, StudySummary, Uid,
};
use crate::ports::{StoreError, StudyIndex};

#[derive(Debug, Clone)]
pub struct SqliteStudyIndex {
    db: Database,
    commits: GroupCommit,
}

impl SqliteStudyIndex {
    pub fn new(db: Database) -> Self {
        Self { db, commits: GroupCommit::default() }
    }
}

#[async_trait]
impl StudyIndex for SqliteStudyIndex {
    async fn record_instance(
        &self,
        instance: &InstanceRecord,
        audit: Option<&AuditEvent>,
    ) -> Result<Recorded, StoreError> {
        self.commits.record(&self.db, instance.clone(), audit.cloned()).await
    }

    async fn list_studies(&self, filter: &StudyFilter, page: &PageRequest) -> Result<Page<StudySummary>, StoreError> {
        let filter = filter.clone();
        let page = page.clone();
        self.db
            .call(move |conn| {
                let order = filter.order;
                let mut range = KeyRange::new(filter.received_from, filter.received_to, page.after.as_ref(), order);
                let facility = filter.facility_id.map(|f| f.to_string());
                let mut collector = PageCollector::new(page.limit);
                let sql = format!(
                    "SELECT listing_key, record FROM studies
                     WHERE (?1 IS NULL OR facility_id = ?1)
                       AND (?2 IS NULL OR listing_key >= ?2)
                       AND (?3 IS NULL OR listing_key < ?3)
                     ORDER BY listing_key {} LIMIT ?4",
                    match order {
                        ListingOrder::NewestFirst => "DESC",
                        ListingOrder::OldestFirst => "ASC",
                    }
                );
                // Candidates come in batches in listing order; the row filters run
                // here exactly as in the DynamoDB adapter.
                loop {
                    if range.is_empty() {
                        return Ok(collector.finish());
                    }
                    let wanted = collector.wanted().max(32);
                    let batch: Vec<(String, String)> = {
                        let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
                        let rows = stmt
                            .query_map(params![facility, range.lower, range.upper, wanted], |row| {
                                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                            })
                            .map_err(db_err)?;
                        rows.collect::<Result<_, _>>().map_err(db_err)?
                    };
                    let exhausted = batch.len() < wanted;
                    for (key, json) in batch {
                        // `>=` reads the lower bound itself, which a cursor has moved past.
                        if !range.admits(&key) {
                            continue;
                        }
                        let study: StudySummary = from_json(&json)?;
                        if filter.matches_row(&study) {
                            collector.push(key.clone(), study);
                        }
                        range.move_past(&key, order);
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

    async fn find_instance(
        &self,
        facility: FacilityId,
        sop_instance_uid: &Uid,
    ) -> Result<Option<InstanceSummary>, StoreError> {
        let (facility, sop) = (facility.to_string(), sop_instance_uid.to_string());
        self.db
            .call(move |conn| {
                optional_record::<InstanceSummary>(
                    conn,
                    "SELECT instances.record FROM instances JOIN studies ON studies.id = instances.study_id \
                     WHERE instances.sop_uid = ?1 AND studies.facility_id = ?2",
                    [&sop, &facility],
                )
            })
            .await
    }

    async fn facility_totals(&self, facility: FacilityId) -> Result<FacilityTotals, StoreError> {
        self.db
            .call(move |conn| {
                let row = conn
                    .query_row(
                        "SELECT studies, instances, bytes, last_received_at FROM facility_totals WHERE facility_id = ?1",
                        [facility.to_string()],
                        |row| Ok((row.get::<_, u64>(0)?, row.get::<_, u64>(1)?, row.get::<_, i64>(2)?, row.get::<_, String>(3)?)),
                    )
                    .optional()
                    .map_err(db_err)?;
                let Some((studies, instances, bytes, last)) = row else {
                    return Ok(FacilityTotals::default());
                };
                let last_received_at = chrono::DateTime::parse_from_rfc3339(&last)
                    .map_err(|e| StoreError::corrupt(format!("facility_totals.last_received_at {last:?}: {e}")))?
                    .with_timezone(&chrono::Utc);
                Ok(FacilityTotals {
                    studies,
                    instances,
                    bytes: u64::try_from(bytes).unwrap_or(0),
                    last_received_at: Some(last_received_at),
                })
            })
            .await
    }

    async fn daily_activity(
        &self,
        facility: Option<FacilityId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyActivity>, StoreError> {
        self.db
            .call(move |conn| {
                let mut stmt = conn
                    .prepare(
                        "SELECT facility_id, day, studies, instances FROM daily_activity
                         WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR facility_id = ?3)
                         ORDER BY day, facility_id",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![from.to_string(), to.to_string(), facility.map(|f| f.to_string())], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, u64>(2)?,
                            row.get::<_, u64>(3)?,
                        ))
                    })
                    .map_err(db_err)?;
                let mut days = Vec::new();
                for row in rows {
                    let (facility, day, studies, instances) = row.map_err(db_err)?;
                    days.push(
                        DailyActivity::from_key(&facility, &day, studies, instances).map_err(StoreError::corrupt)?,
                    );
                }
                Ok(days)
            })
            .await
    }

    /// Recording already keeps the aggregates, in the instance's transaction.
    async fn settle(&self, _studies: &[StudyId]) -> Result<(), StoreError> {
        Ok(())
    }

    async fn settle_abandoned(&self, _older_than: std::time::Duration) -> Result<usize, StoreError> {
        Ok(0)
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

    async fn begin_deletion(&self, deletion: &Deletion) -> Result<(), StoreError> {
        let deletion = deletion.clone();
        self.db.call(move |conn| super::deletions::begin(conn, &deletion)).await
    }

    async fn pending_deletions(&self) -> Result<Vec<Deletion>, StoreError> {
        self.db.call(|conn| super::deletions::pending(conn)).await
    }

    async fn finish_deletion(&self, deletion: &Deletion, audit: &AuditEvent) -> Result<(), StoreError> {
        let (deletion, audit) = (deletion.clone(), audit.clone());
        self.db.call(move |conn| super::deletions::finish(conn, &deletion, &audit)).await
    }
}

#[cfg(test)]
pub(super) mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::domain::{AeTitle, ObjectKey, Uid, now};

    /// An instance of `study`'s series `<study>.1`, received now.
    pub(in crate::embedded::sqlite) fn record(
        facility: FacilityId,
        study: &str,
        sop: &str,
        size: u64,
    ) -> InstanceRecord {
        let uid = |s: &str| Uid::parse(s).expect("uid");
        let series = format!("{study}.1");
        InstanceRecord {
            facility_id: facility,
            study_instance_uid: uid(study),
            series_instance_uid: uid(&series),
            sop_instance_uid: uid(sop),
            sop_class_uid: uid("1.2.840.10008.5.1.4.1.1.2"),
            transfer_syntax_uid: uid("1.2.840.10008.1.2.1"),
            instance_number: None,
            object_key: ObjectKey::for_instance(facility, &uid(study), &uid(&series), &uid(sop)),
            size_bytes: size,
            received_at: now(),
            source_ae_title: AeTitle::parse("CT_1").expect("ae"),
            study: Default::default(),
            series: Default::default(),
        }
    }

    #[tokio::test]
    async fn a_data_directory_from_before_the_totals_gets_them_from_its_studies() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("noctis.sqlite3");
        let facility = FacilityId::new_random();
        {
            let index = SqliteStudyIndex::new(Database::open(&path).await.expect("opens"));
            for (study, sop, size) in
                [("1.2.3", "1.2.3.1.1", 100), ("1.2.3", "1.2.3.1.2", 50), ("1.2.4", "1.2.4.1.1", 7)]
            {
                index.record_instance(&record(facility, study, sop, size), None).await.expect("records");
            }
        }
        // As it was before migration 3: no totals table.
        let conn = Connection::open(&path).expect("opens directly");
        super::super::schema::roll_back(&conn, 2);
        drop(conn);
        let index = SqliteStudyIndex::new(Database::open(&path).await.expect("migrates"));
        let totals = index.facility_totals(facility).await.expect("reads");
        assert_eq!((totals.studies, totals.instances, totals.bytes), (2, 3, 157));
        assert!(totals.last_received_at.is_some());
    }

    #[tokio::test]
    async fn a_data_directory_from_before_daily_activity_gets_it_from_its_studies_and_instances() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("noctis.sqlite3");
        let (facility, other) = (FacilityId::new_random(), FacilityId::new_random());
        let today = now();
        let yesterday = today - chrono::Duration::days(1);
        {
            let index = SqliteStudyIndex::new(Database::open(&path).await.expect("opens"));
            // One study begun yesterday and finished today, one begun today, another facility's.
            for (facility, study, sop, at) in [
                (facility, "1.2.3", "1.2.3.1.1", yesterday),
                (facility, "1.2.3", "1.2.3.1.2", today),
                (facility, "1.2.4", "1.2.4.1.1", today),
                (other, "1.2.5", "1.2.5.1.1", today),
            ] {
                let mut instance = record(facility, study, sop, 10);
                instance.received_at = at;
                index.record_instance(&instance, None).await.expect("records");
            }
        }
        let conn = Connection::open(&path).expect("opens directly");
        super::super::schema::roll_back(&conn, 5);
        drop(conn);
        let index = SqliteStudyIndex::new(Database::open(&path).await.expect("migrates"));
        let days =
            index.daily_activity(Some(facility), yesterday.date_naive(), today.date_naive()).await.expect("reads");
        let counts: Vec<_> = days.iter().map(|d| (d.day, d.studies, d.instances)).collect();
        assert_eq!(counts, [(yesterday.date_naive(), 1, 1), (today.date_naive(), 1, 2)]);
    }
}
