use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;

use super::schema::{AUDIT_BY_ACTOR, AUDIT_BY_FACILITY, PK, SK};
use super::{TableNames, n, read_number, read_record, read_string, record_item, s};
use crate::domain::{
    AssociationCounts, AuditEvent, AuditQuery, FacilityId, KeyRange, ListingOrder, Page, PageCollector, PageRequest,
    RefusalCount, Timestamp, audit_day, audit_hour, audit_sort_key,
};
use crate::ports::{AuditLog, StoreError};

/// Events are partitioned by UTC day (`pk` = `2026-11-27`) and sorted by time and
/// id; a query names a facility or an actor through its index, or walks the days
/// of its range from the newest.
#[derive(Debug, Clone)]
pub struct DynamoAuditLog {
    client: Client,
    table: String,
}

impl DynamoAuditLog {
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, table: tables.audit }
    }
}

/// A facility's daily association counts: one item per UTC day beside the
/// day partitions (no index sees them: they carry none of the index keys).
fn counts_pk(facility: FacilityId) -> String {
    format!("association-counts#{facility}")
}

/// Refusals per UTC hour and reason: one partition per day, sort key
/// `<hour>#<reason>`, so the last 24 hours are at most two queries.
fn refusals_pk(day: &str) -> String {
    format!("refusals#{day}")
}

/// The partitions one query reads, newest first.
enum Partitions {
    Index { index: &'static str, attribute: &'static str, value: String },
    Days(Vec<String>),
}

impl Partitions {
    fn for_query(query: &AuditQuery, range: &KeyRange) -> Self {
        if let Some(facility) = query.facility_id {
            return Partitions::Index {
                index: AUDIT_BY_FACILITY,
                attribute: "gsi_facility",
                value: facility.to_string(),
            };
        }
        if let Some(actor) = &query.actor {
            return Partitions::Index { index: AUDIT_BY_ACTOR, attribute: "gsi_actor", value: actor.clone() };
        }
        // The cursor may already have moved the upper bound back by days.
        let newest = range
            .upper
            .as_deref()
            .and_then(|key| key.get(..10))
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .unwrap_or(query.to.date_naive());
        let oldest = query.from.date_naive();
        let days =
            newest.iter_days().rev().take_while(|d| *d >= oldest).map(|d| d.format("%Y-%m-%d").to_string()).collect();
        Partitions::Days(days)
    }

    fn each(&self) -> Vec<(Option<&'static str>, &'static str, String)> {
        match self {
            Partitions::Index { index, attribute, value } => vec![(Some(*index), *attribute, value.clone())],
            Partitions::Days(days) => days.iter().map(|d| (None, PK, d.clone())).collect(),
        }
    }
}

/// The item an event is stored as; the study index writes it in its transaction.
pub(super) fn event_item(event: &AuditEvent) -> Result<super::Item, StoreError> {
    let mut extra = vec![("gsi_actor", s(event.actor.key()))];
    if let Some(facility) = event.facility_id {
        extra.push(("gsi_facility", s(facility.to_string())));
    }
    record_item(&[(PK, s(audit_day(event.at))), (SK, s(audit_sort_key(event)))], event, &extra)
}

#[async_trait]
impl AuditLog for DynamoAuditLog {
    async fn append(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let item = event_item(event)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(StoreError::backend)?;
        // Its own request: in a transaction with the event, a facility's
        // concurrent associations would contend for the day's item. A process
        // killed between the two leaves the day one association short.
        if let Some((facility, accepted)) = event.association_outcome() {
            self.client
                .update_item()
                .table_name(&self.table)
                .key(PK, s(counts_pk(facility)))
                .key(SK, s(audit_day(event.at)))
                .update_expression("ADD accepted :accepted, rejected :rejected")
                .expression_attribute_values(":accepted", n(u64::from(accepted)))
                .expression_attribute_values(":rejected", n(u64::from(!accepted)))
                .send()
                .await
                .map_err(StoreError::backend)?;
        }
        if let Some(reason) = event.refusal_reason() {
            self.client
                .update_item()
                .table_name(&self.table)
                .key(PK, s(refusals_pk(&audit_day(event.at))))
                .key(SK, s(format!("{}#{reason}", audit_hour(event.at))))
                .update_expression("ADD refusals :one")
                .expression_attribute_values(":one", n(1))
                .send()
                .await
                .map_err(StoreError::backend)?;
        }
        Ok(())
    }

    async fn refusals_by_reason(&self, from: Timestamp, to: Timestamp) -> Result<Vec<RefusalCount>, StoreError> {
        let (first, last) = (audit_hour(from), audit_hour(to));
        let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
        let days = from.date_naive().iter_days().take_while(|day| *day <= to.date_naive());
        for day in days {
            // '$' sorts right after '#': every reason of the last hour.
            let pk = refusals_pk(&day.format("%Y-%m-%d").to_string());
            for item in super::items_in(&self.client, &self.table, &pk, Some((&first, &format!("{last}$")))).await? {
                let key = read_string(&item, SK)?;
                let (_, reason) =
                    key.split_once('#').ok_or_else(|| StoreError::corrupt(format!("refusal count key {key:?}")))?;
                *by_reason.entry(reason.to_owned()).or_default() += read_number(&item, "refusals")?;
            }
        }
        let mut counts: Vec<RefusalCount> =
            by_reason.into_iter().map(|(reason, refusals)| RefusalCount { reason, refusals }).collect();
        counts.sort_by(|a, b| b.refusals.cmp(&a.refusals).then_with(|| a.reason.cmp(&b.reason)));
        Ok(counts)
    }

    async fn association_counts(
        &self,
        facility: FacilityId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<AssociationCounts, StoreError> {
        let (first, last) = (audit_day(from), audit_day(to));
        let items = super::items_in(&self.client, &self.table, &counts_pk(facility), Some((&first, &last))).await?;
        let mut counts = AssociationCounts::default();
        for item in items {
            counts.accepted += read_number(&item, "accepted")?;
            counts.rejected += read_number(&item, "rejected")?;
        }
        Ok(counts)
    }

    async fn query(&self, query: &AuditQuery, page: &PageRequest) -> Result<Page<AuditEvent>, StoreError> {
        let range = KeyRange::new(Some(query.from), Some(query.to), page.after.as_ref(), ListingOrder::NewestFirst);
        let mut collector = PageCollector::new(page.limit);
        if range.is_empty() {
            return Ok(collector.finish());
        }
        let (lo, hi) = (range.lower.clone().unwrap_or_default(), range.upper.clone().unwrap_or_default());
        for (index, attribute, value) in Partitions::for_query(query, &range).each() {
            let mut start_key = None;
            loop {
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .set_index_name(index.map(str::to_owned))
                    .key_condition_expression("#p = :p AND #k BETWEEN :lo AND :hi")
                    .expression_attribute_names("#p", attribute)
                    .expression_attribute_names("#k", SK)
                    .expression_attribute_values(":p", s(&value))
                    .expression_attribute_values(":lo", s(&lo))
                    .expression_attribute_values(":hi", s(&hi))
                    .scan_index_forward(false)
                    .limit(collector.wanted().clamp(64, 500) as i32)
                    .set_exclusive_start_key(start_key.take())
                    .send()
                    .await
                    .map_err(StoreError::backend)?;
                for item in out.items.unwrap_or_default() {
                    if read_string(&item, SK)? >= hi.as_str() {
                        continue;
                    }
                    let event: AuditEvent = read_record(&item)?;
                    if query.matches(&event) {
                        collector.push(audit_sort_key(&event), event);
                    }
                }
                if collector.is_full() {
                    return Ok(collector.finish());
                }
                match out.last_evaluated_key {
                    Some(k) if !k.is_empty() => start_key = Some(k),
                    _ => break,
                }
            }
        }
        Ok(collector.finish())
    }
}
