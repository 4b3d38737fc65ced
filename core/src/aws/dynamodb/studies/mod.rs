use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use chrono::NaiveDate;

use super::schema::{PK, SK, STUDIES_BY_FACILITY, STUDIES_BY_RECEIVED};
use super::{Item, TableNames, is_condition_failure, read_number, read_record, s};
use crate::domain::{
    AuditEvent, DailyActivity, Deletion, FacilityId, FacilityTotals, InstanceRecord, InstanceSummary, KeyRange,
    ListingOrder, Page, PageCollector, PageRequest, Recorded, SeriesSummary, StudyChange, StudyDetail, StudyFilter,
    StudyId, StudySummary, Uid, listing_key,
};
use crate::ports::retry::backoff;
use crate::ports::{StoreError, StudyIndex};

/// One partition per study: `study#<id>` holds the summary (sort key `study`),
/// its series (`series#<uid>`) and instances (`instance#<series>#<sop>`). Only
/// the summary carries the listing attributes, so the keys-only indexes see one
/// write per new study rather than one per instance.
///
/// Recording writes the instance row and touches the summary without reading
/// (`recording.rs`); the aggregates are recomputed from the instance rows when
/// a study is settled (`settlement.rs`).
#[derive(Debug, Clone)]
pub struct DynamoStudyIndex {
    client: Client,
    table: String,
    audit_table: String,
    counters_table: String,
}

impl DynamoStudyIndex {
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, table: tables.studies, audit_table: tables.audit, counters_table: tables.counters }
    }
}

mod deletion;
mod recording;
mod settlement;

const STUDY_SK: &str = "study";
pub(crate) const REPORT_SK: &str = "report";
const GSI_ALL: &str = "study";

/// Each facility's totals: one item in the counters table.
fn totals_pk(facility: FacilityId) -> String {
    format!("facility-totals#{facility}")
}

const TOTALS_SK: &str = "totals";

/// Each UTC day's activity, in the counters table: one partition per day,
/// one item per facility (sort key its id), so a day of every facility is
/// one query.
fn activity_pk(day: NaiveDate) -> String {
    format!("activity#{day}")
}

/// Where a facility's SOP Instance UID points: its study and series, so that
/// Storage Commitment, which names only the instance, finds its row.
fn sop_pointer_pk(facility: FacilityId, sop: &Uid) -> String {
    format!("sop#{facility}#{sop}")
}

pub(super) const SOP_POINTER_SK: &str = "instance";

pub(crate) fn study_pk(id: StudyId) -> String {
    format!("study#{id}")
}

pub(crate) fn key(pk: &str, sk: &str) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

impl DynamoStudyIndex {
    /// One day's activity, of one facility or of all.
    async fn activity_on(
        &self,
        day: NaiveDate,
        facility: Option<FacilityId>,
    ) -> Result<Vec<DailyActivity>, StoreError> {
        let facility_key = facility.map(|f| f.to_string());
        let sort_keys = facility_key.as_deref().map(|f| (f, f));
        let items = super::items_in(&self.client, &self.counters_table, &activity_pk(day), sort_keys).await?;
        items
            .iter()
            .map(|item| {
                let facility = super::read_string(item, SK)?;
                let (studies, instances) = (read_number(item, "studies")?, read_number(item, "instances")?);
                DailyActivity::from_key(facility, &day.to_string(), studies, instances).map_err(StoreError::corrupt)
            })
            .collect()
    }

    /// Fetches study summaries by key, in the order given.
    async fn fetch_summaries(&self, pks: &[String]) -> Result<Vec<StudySummary>, StoreError> {
        let mut found: HashMap<String, StudySummary> = HashMap::new();
        for chunk in pks.chunks(100) {
            let keys: Vec<Item> = chunk.iter().map(|pk| key(pk, STUDY_SK)).collect();
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(true)
                    .build()
                    .map_err(StoreError::backend)?,
            );
            let mut attempt = 0;
            while let Some(request) = pending.take() {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(StoreError::backend)?;
                let items = out.responses.unwrap_or_default().remove(&self.table).unwrap_or_default();
                // The listing indexes are eventually consistent: a study deleted since is skipped.
                for item in items.into_iter().filter(|item| item.contains_key("record")) {
                    let pk = super::read_string(&item, PK)?.to_owned();
                    found.insert(pk, read_record(&item)?);
                }
                // BatchGetItem may return part of the keys under load; ask again for the rest.
                pending = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).filter(|k| !k.keys().is_empty());
                if pending.is_some() {
                    backoff(attempt).await;
                    attempt += 1;
                }
            }
        }
        Ok(pks.iter().filter_map(|pk| found.remove(pk)).collect())
    }
}

#[async_trait]
impl StudyIndex for DynamoStudyIndex {
    async fn record_instance(
        &self,
        instance: &InstanceRecord,
        audit: Option<&AuditEvent>,
    ) -> Result<Recorded, StoreError> {
        self.record(instance, audit).await
    }

    async fn settle(&self, studies: &[StudyId]) -> Result<(), StoreError> {
        for study in studies {
            self.settle_study(*study).await?;
        }
        Ok(())
    }

    async fn settle_abandoned(&self, older_than: std::time::Duration) -> Result<usize, StoreError> {
        self.settle_abandoned_marks(older_than).await
    }

    async fn list_studies(&self, filter: &StudyFilter, page: &PageRequest) -> Result<Page<StudySummary>, StoreError> {
        let range = KeyRange::new(filter.received_from, filter.received_to, page.after.as_ref(), filter.order);
        if range.is_empty() {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
        let (index, partition_attr, partition) = match filter.facility_id {
            Some(f) => (STUDIES_BY_FACILITY, "gsi_facility", f.to_string()),
            None => (STUDIES_BY_RECEIVED, "gsi_all", GSI_ALL.to_owned()),
        };
        let mut condition = "#p = :p".to_owned();
        match (&range.lower, &range.upper) {
            (Some(_), Some(_)) => condition.push_str(" AND #k BETWEEN :lo AND :hi"),
            (Some(_), None) => condition.push_str(" AND #k >= :lo"),
            (None, Some(_)) => condition.push_str(" AND #k < :hi"),
            (None, None) => {}
        }
        let mut collector = PageCollector::new(page.limit);
        let mut start_key = None;
        loop {
            let batch = collector.wanted().clamp(32, 100) as i32;
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression(&condition)
                .expression_attribute_names("#p", partition_attr)
                .expression_attribute_values(":p", s(&partition))
                .scan_index_forward(filter.order == ListingOrder::OldestFirst)
                .limit(batch)
                .set_exclusive_start_key(start_key.take());
            if range.lower.is_some() || range.upper.is_some() {
                query = query.expression_attribute_names("#k", "listing_key");
            }
            if let Some(lo) = &range.lower {
                query = query.expression_attribute_values(":lo", s(lo));
            }
            if let Some(hi) = &range.upper {
                query = query.expression_attribute_values(":hi", s(hi));
            }
            let out = query.send().await.map_err(StoreError::backend)?;
            let mut keys = Vec::new();
            for item in out.items.unwrap_or_default() {
                let listing = super::read_string(&item, "listing_key")?.to_owned();
                // BETWEEN and >= include their ends; the range may exclude them.
                if !range.admits(&listing) {
                    continue;
                }
                keys.push((listing, super::read_string(&item, PK)?.to_owned()));
            }
            let pks: Vec<String> = keys.iter().map(|(_, pk)| pk.clone()).collect();
            let summaries = self.fetch_summaries(&pks).await?;
            for study in summaries {
                if filter.matches_row(&study) {
                    collector.push(listing_key(study.first_received_at, study.id), study);
                }
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() && !collector.is_full() => start_key = Some(k),
                _ => return Ok(collector.finish()),
            }
        }
    }

    async fn get_study(&self, id: StudyId) -> Result<Option<StudyDetail>, StoreError> {
        let items = super::items_in(&self.client, &self.table, &study_pk(id), None).await?;
        let partition = settlement::read_partition(items)?;
        let Some((study, ..)) = partition.study else { return Ok(None) };
        let mut series: Vec<SeriesSummary> = partition.series.into_iter().map(|(row, _)| row).collect();
        let mut instances: Vec<InstanceSummary> = partition.instances.into_iter().map(|i| i.summary).collect();
        series.sort_by(|a, b| a.series_instance_uid.cmp(&b.series_instance_uid));
        instances.sort_by(|a, b| {
            (&a.series_instance_uid, &a.sop_instance_uid).cmp(&(&b.series_instance_uid, &b.sop_instance_uid))
        });
        Ok(Some(StudyDetail { study, series, instances }))
    }

    async fn facility_totals(&self, facility: FacilityId) -> Result<FacilityTotals, StoreError> {
        let totals = key(&totals_pk(facility), TOTALS_SK);
        let Some(item) = super::get_item(&self.client, &self.counters_table, totals).await? else {
            return Ok(FacilityTotals::default());
        };
        let last = super::read_string(&item, "last_received_at")?;
        let last_received_at = chrono::DateTime::parse_from_rfc3339(last)
            .map_err(|e| StoreError::corrupt(format!("totals last_received_at {last:?}: {e}")))?
            .with_timezone(&chrono::Utc);
        Ok(FacilityTotals {
            studies: read_number(&item, "studies")?,
            instances: read_number(&item, "instances")?,
            bytes: read_number(&item, "bytes")?,
            last_received_at: Some(last_received_at),
        })
    }

    async fn daily_activity(
        &self,
        facility: Option<FacilityId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyActivity>, StoreError> {
        let mut days = Vec::new();
        for day in from.iter_days().take_while(|day| *day <= to) {
            // A day's items come in sort-key order: by facility id, as the port says.
            days.extend(self.activity_on(day, facility).await?);
        }
        Ok(days)
    }

    async fn find_instance(
        &self,
        facility: FacilityId,
        sop_instance_uid: &Uid,
    ) -> Result<Option<InstanceSummary>, StoreError> {
        let pointer_key = key(&sop_pointer_pk(facility, sop_instance_uid), SOP_POINTER_SK);
        let Some(pointer) = super::get_item(&self.client, &self.table, pointer_key).await? else {
            return Ok(None);
        };
        let (study, instance) =
            (super::read_string(&pointer, "study_pk")?, super::read_string(&pointer, "instance_sk")?);
        match super::get_item(&self.client, &self.table, key(study, instance)).await? {
            Some(item) => Ok(Some(read_record(&item)?)),
            None => Ok(None),
        }
    }

    /// Only the fields changed are written, so settlements and touches of the
    /// same row never undo a change, nor it theirs.
    async fn update_study(&self, id: StudyId, change: StudyChange) -> Result<StudySummary, StoreError> {
        let mut sets = Vec::new();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&study_pk(id), STUDY_SK)))
            // A deleted study's row holds no record (`deletion.rs`).
            .condition_expression("attribute_exists(#r)")
            .expression_attribute_names("#r", "record")
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew);
        if let Some(status) = change.status {
            sets.push("#r.#status = :status");
            update = update
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", s(status.as_str()));
        }
        if let Some(priority) = change.priority {
            sets.push("#r.priority = :priority");
            update = update.expression_attribute_values(":priority", recording::dynamo_value(&priority)?);
        }
        if sets.is_empty() {
            let item = super::get_item(&self.client, &self.table, key(&study_pk(id), STUDY_SK)).await?;
            let item = item.filter(|item| item.contains_key("record"));
            return item.as_ref().map(read_record).transpose()?.ok_or(StoreError::NotFound);
        }
        match update.update_expression(format!("SET {}", sets.join(", "))).send().await {
            Ok(out) => read_record(&out.attributes.unwrap_or_default()),
            Err(e) if is_condition_failure(&e) => Err(StoreError::NotFound),
            Err(e) => Err(StoreError::backend(e)),
        }
    }

    async fn begin_deletion(&self, deletion: &Deletion) -> Result<(), StoreError> {
        self.put_deletion(deletion).await
    }

    async fn pending_deletions(&self) -> Result<Vec<Deletion>, StoreError> {
        self.read_deletions().await
    }

    async fn finish_deletion(&self, deletion: &Deletion, audit: &AuditEvent) -> Result<(), StoreError> {
        self.finish(deletion, audit).await
    }
}
