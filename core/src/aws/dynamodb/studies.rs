use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Get, KeysAndAttributes, Put, TransactGetItem, TransactWriteItem};
use chrono::NaiveDate;

use super::schema::{PK, SK, STUDIES_BY_FACILITY, STUDIES_BY_RECEIVED};
use super::{Item, TableNames, n, read_number, read_record, record_item, s, transact};
use crate::domain::{
    AuditEvent, DailyActivity, FacilityId, FacilityTotals, IndexRows, IndexedRows, InstanceRecord, InstanceSummary,
    KeyRange, ListingOrder, Page, PageCollector, PageRequest, Recorded, SeriesSummary, StudyChange, StudyDetail,
    StudyFilter, StudyId, StudySummary, TotalsChange, Uid, apply_instance, listing_key, sortable_time,
};
use crate::ports::retry::{backoff, retry_contended};
use crate::ports::{StoreError, StudyIndex};

/// One partition per study: `study#<id>` holds the summary (sort key `study`),
/// its series (`series#<uid>`) and instances (`instance#<series>#<sop>`). Only
/// the summary carries the listing attributes, so the keys-only indexes see one
/// write per new study rather than one per instance.
#[derive(Debug, Clone)]
pub struct DynamoStudyIndex {
    client: Client,
    table: String,
    audit_table: String,
}

impl DynamoStudyIndex {
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, table: tables.studies, audit_table: tables.audit }
    }
}

const STUDY_SK: &str = "study";
pub(crate) const REPORT_SK: &str = "report";
const GSI_ALL: &str = "study";

/// Each facility's totals: one item beside its studies (no listing index
/// sees it: it carries none of their key attributes).
fn totals_pk(facility: FacilityId) -> String {
    format!("facility-totals#{facility}")
}

const TOTALS_SK: &str = "totals";

/// Each UTC day's activity: one partition per day, one item per facility
/// (sort key its id), so a day of every facility is one query; no listing
/// index sees these either.
fn activity_pk(day: NaiveDate) -> String {
    format!("activity#{day}")
}

/// Where a facility's SOP Instance UID points: its study and series, so that
/// Storage Commitment, which names only the instance, finds its row.
fn sop_pointer_pk(facility: FacilityId, sop: &Uid) -> String {
    format!("sop#{facility}#{sop}")
}

const SOP_POINTER_SK: &str = "instance";

pub(crate) fn study_pk(id: StudyId) -> String {
    format!("study#{id}")
}

pub(crate) fn key(pk: &str, sk: &str) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

/// A stored row with the revision it was read at.
struct Versioned<T> {
    row: T,
    rev: u64,
}

fn versioned<T: serde::de::DeserializeOwned>(item: Option<&Item>) -> Result<Option<Versioned<T>>, StoreError> {
    match item {
        Some(item) if !item.is_empty() => {
            Ok(Some(Versioned { row: read_record(item)?, rev: read_number(item, "rev")? }))
        }
        _ => Ok(None),
    }
}

/// The summary item, with the attributes the listing indexes read.
fn summary_item(summary: &StudySummary, rev: u64) -> Result<Item, StoreError> {
    record_item(
        &[(PK, s(study_pk(summary.id))), (SK, s(STUDY_SK))],
        summary,
        &[
            ("rev", n(rev)),
            ("gsi_all", s(GSI_ALL)),
            ("gsi_facility", s(summary.facility_id.to_string())),
            ("listing_key", s(listing_key(summary.first_received_at, summary.id))),
        ],
    )
}

impl DynamoStudyIndex {
    fn conditional_put(&self, item: Item, previous: Option<u64>) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = match previous {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(rev) => put.condition_expression("rev = :rev").expression_attribute_values(":rev", n(rev)),
        };
        Ok(TransactWriteItem::builder().put(put.build().map_err(StoreError::backend)?).build())
    }

    /// One optimistic attempt: read the three rows, apply, write them back on
    /// the condition that none changed meanwhile.
    async fn try_record(
        &self,
        record: &InstanceRecord,
        audit: Option<&AuditEvent>,
    ) -> Result<Option<IndexedRows>, StoreError> {
        let pk = study_pk(record.study_id());
        let series_sk = format!("series#{}", record.series_instance_uid);
        let instance_sk = format!("instance#{}#{}", record.series_instance_uid, record.sop_instance_uid);
        let gets = [STUDY_SK, series_sk.as_str(), instance_sk.as_str()]
            .into_iter()
            .map(|sk| {
                Get::builder()
                    .table_name(&self.table)
                    .set_key(Some(key(&pk, sk)))
                    .build()
                    .map(|get| TransactGetItem::builder().get(get).build())
                    .map_err(StoreError::backend)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let read = self
            .client
            .transact_get_items()
            .set_transact_items(Some(gets))
            .send()
            .await
            .map_err(StoreError::backend)?;
        let responses = read.responses.unwrap_or_default();
        let item_at = |i: usize| responses.get(i).and_then(|r| r.item.as_ref());
        let study = versioned::<StudySummary>(item_at(0))?;
        let series = versioned::<SeriesSummary>(item_at(1))?;
        let instance = versioned::<InstanceSummary>(item_at(2))?;
        let revs = (study.as_ref().map(|v| v.rev), series.as_ref().map(|v| v.rev), instance.as_ref().map(|v| v.rev));
        let indexed = apply_instance(
            IndexRows { study: study.map(|v| v.row), series: series.map(|v| v.row), instance: instance.map(|v| v.row) },
            record,
        );

        let next_rev = |rev: Option<u64>| n(rev.unwrap_or(0) + 1);
        let study_item = summary_item(&indexed.study, revs.0.unwrap_or(0) + 1)?;
        let series_item =
            record_item(&[(PK, s(&pk)), (SK, s(&series_sk))], &indexed.series, &[("rev", next_rev(revs.1))])?;
        let instance_item =
            record_item(&[(PK, s(&pk)), (SK, s(&instance_sk))], &indexed.instance, &[("rev", next_rev(revs.2))])?;
        let mut writes = vec![
            self.conditional_put(study_item, revs.0)?,
            self.conditional_put(series_item, revs.1)?,
            self.conditional_put(instance_item, revs.2)?,
        ];
        if let Some(event) = audit {
            let put = Put::builder()
                .table_name(&self.audit_table)
                .set_item(Some(super::audit::event_item(event)?))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(StoreError::backend)?;
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(Some(indexed)),
            // Another receiver changed one of the rows first: read again.
            Err(_) => Ok(None),
        }
    }

    /// Written beside the index rows, before the answer: the pointer is
    /// idempotent, and an instance is reported only when its row exists too.
    async fn put_sop_pointer(&self, record: &InstanceRecord) -> Result<(), StoreError> {
        let instance_sk = format!("instance#{}#{}", record.series_instance_uid, record.sop_instance_uid);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(HashMap::from([
                (PK.to_owned(), s(sop_pointer_pk(record.facility_id, &record.sop_instance_uid))),
                (SK.to_owned(), s(SOP_POINTER_SK)),
                ("study_pk".to_owned(), s(study_pk(record.study_id()))),
                ("instance_sk".to_owned(), s(instance_sk)),
            ])))
            .send()
            .await
            .map_err(StoreError::backend)?;
        Ok(())
    }

    async fn add_to_totals(&self, facility: FacilityId, change: &TotalsChange) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&totals_pk(facility), TOTALS_SK)))
            .update_expression("ADD studies :studies, instances :instances, bytes :bytes SET last_received_at = :at")
            .expression_attribute_values(":studies", n(change.studies))
            .expression_attribute_values(":instances", n(change.instances))
            .expression_attribute_values(":bytes", n(change.bytes))
            .expression_attribute_values(":at", s(sortable_time(change.received_at)))
            .send()
            .await
            .map_err(StoreError::backend)?;
        Ok(())
    }

    async fn add_to_activity(&self, facility: FacilityId, change: &TotalsChange) -> Result<(), StoreError> {
        if change.studies + change.instances == 0 {
            return Ok(());
        }
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&activity_pk(change.received_at.date_naive()), &facility.to_string())))
            .update_expression("ADD studies :studies, instances :instances")
            .expression_attribute_values(":studies", n(change.studies))
            .expression_attribute_values(":instances", n(change.instances))
            .send()
            .await
            .map_err(StoreError::backend)?;
        Ok(())
    }

    /// One day's activity, of one facility or of all.
    async fn activity_on(
        &self,
        day: NaiveDate,
        facility: Option<FacilityId>,
    ) -> Result<Vec<DailyActivity>, StoreError> {
        let facility_key = facility.map(|f| f.to_string());
        let sort_keys = facility_key.as_deref().map(|f| (f, f));
        let items = super::items_in(&self.client, &self.table, &activity_pk(day), sort_keys).await?;
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
                for item in out.responses.unwrap_or_default().remove(&self.table).unwrap_or_default() {
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
        let (pointer, indexed) = tokio::join!(
            self.put_sop_pointer(instance),
            retry_contended("the study", || self.try_record(instance, audit))
        );
        let indexed = indexed?;
        // Without its pointer a stored instance could not be committed: the
        // sender is told of the failure and sends again.
        pointer?;
        // Outside the transaction: inside it, every instance of a facility
        // would contend for these items. ADD needs no read and commutes.
        let facility = instance.facility_id;
        let (totals, activity) = tokio::join!(
            self.add_to_totals(facility, &indexed.totals),
            self.add_to_activity(facility, &indexed.totals)
        );
        // The instance is durable and indexed; only the statistics lag.
        if let Err(e) = totals {
            tracing::error!(error = %e, %facility, "facility totals not updated");
        }
        if let Err(e) = activity {
            tracing::error!(error = %e, %facility, "daily activity not updated");
        }
        Ok(indexed.recorded)
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
        let pk = study_pk(id);
        let mut study = None;
        let mut series = Vec::new();
        let mut instances = Vec::new();
        let mut start_key = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#p = :p")
                .expression_attribute_names("#p", PK)
                .expression_attribute_values(":p", s(&pk))
                .consistent_read(true)
                .set_exclusive_start_key(start_key.take())
                .send()
                .await
                .map_err(StoreError::backend)?;
            for item in out.items.unwrap_or_default() {
                let sk = super::read_string(&item, SK)?;
                if sk == STUDY_SK {
                    study = Some(read_record::<StudySummary>(&item)?);
                } else if sk.starts_with("series#") {
                    series.push(read_record::<SeriesSummary>(&item)?);
                } else if sk.starts_with("instance#") {
                    instances.push(read_record::<InstanceSummary>(&item)?);
                }
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start_key = Some(k),
                _ => break,
            }
        }
        series.sort_by(|a, b| a.series_instance_uid.cmp(&b.series_instance_uid));
        instances.sort_by(|a, b| {
            (&a.series_instance_uid, &a.sop_instance_uid).cmp(&(&b.series_instance_uid, &b.sop_instance_uid))
        });
        Ok(study.map(|study| StudyDetail { study, series, instances }))
    }

    async fn facility_totals(&self, facility: FacilityId) -> Result<FacilityTotals, StoreError> {
        let Some(item) = super::get_item(&self.client, &self.table, key(&totals_pk(facility), TOTALS_SK)).await? else {
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

    async fn update_study(&self, id: StudyId, change: StudyChange) -> Result<StudySummary, StoreError> {
        retry_contended("the study", || async {
            let item = super::get_item(&self.client, &self.table, key(&study_pk(id), STUDY_SK))
                .await?
                .ok_or(StoreError::NotFound)?;
            let rev = read_number(&item, "rev")?;
            let mut study: StudySummary = read_record(&item)?;
            change.apply(&mut study);
            let put = self.conditional_put(summary_item(&study, rev + 1)?, Some(rev))?;
            Ok(transact(&self.client, vec![put]).await?.ok().map(|()| study))
        })
        .await
    }
}
