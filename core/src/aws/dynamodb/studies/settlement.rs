//! Settling a study: recomputing its aggregates from its instance rows, the
//! one place they are written on the cloud backend. Recording leaves each
//! instance row marked; a settlement reads the study's partition and counts
//! every instance. It then writes the study row, on the condition that no
//! other settlement wrote it meanwhile, together with what the facility's
//! counters must gain (`pending_counts`). It adds that to the counters in a
//! transaction on the small counters table, made idempotent by a receipt for
//! (study, generation), and removes it from the study row. Last, it rebuilds
//! the series rows, copies the marked rows' pending audit events to the
//! trail, and clears the marks it saw.
//!
//! So a settlement interrupted at any point leaves marks behind, and the
//! next one, from the receiver's release or from the sweep for abandoned
//! marks, finishes it: pending counts are applied once (the receipt says
//! whether they were), and counting is a recount, never an increment of
//! something that may already have been added.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, Put, PutRequest, TransactWriteItem, Update, WriteRequest};
use chrono::Duration;

use super::recording::{
    PENDING_AUDIT, SERIES_ATTRIBUTES, UNSETTLED, UNSETTLED_AT, UNSETTLED_SHARD, UNSETTLED_SHARDS, dynamo_value,
};
use super::{DynamoStudyIndex, STUDY_SK, TOTALS_SK, activity_pk, key, study_pk, totals_pk};
use crate::aws::dynamodb::schema::{PK, SK, STUDIES_UNSETTLED, TTL_ATTRIBUTE};
use crate::aws::dynamodb::{
    Item, done_unless_failed, is_condition_failure, items_in, n, read_record, read_string, s, transact,
};
use crate::domain::{
    CountedInstance, FacilityId, InstanceSummary, SeriesSummary, StudyId, StudySummary, Timestamp, listing_key, now,
    recount, sortable_time,
};
use crate::ports::StoreError;
use crate::ports::retry::{backoff, retry_contended};

/// How many writes a settlement keeps in flight when it rebuilds series and
/// clears marks.
const CONCURRENT_WRITES: usize = 16;

/// On the study row: what an unfinished settlement must still add to the
/// facility's counters.
const PENDING_COUNTS: &str = "pending_counts";

/// How long a receipt is kept: far longer than any settlement that read its
/// counts as pending can still be running (the sweep runs every minute).
const RECEIPT_TTL_SECS: i64 = 30 * 24 * 3600;

/// What one settlement adds to its facility's totals and day.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct PendingCounts {
    generation: u64,
    facility: FacilityId,
    /// Negative when a deletion took them away.
    studies: i64,
    instances: i64,
    bytes: i64,
    received_at: Timestamp,
}

/// The receipt of generation `generation`'s counts of study `id`.
fn receipt_key(id: StudyId, generation: u64) -> Item {
    key(&format!("settled#{id}"), &generation.to_string())
}

/// A study's partition: its rows with the generation of the settlement that
/// wrote them, its instances, and which of them are marked.
pub(super) struct Partition {
    pub study: Option<(StudySummary, Option<u64>, Option<PendingCounts>)>,
    pub series: Vec<(SeriesSummary, Option<u64>)>,
    pub instances: Vec<CountedInstance>,
    /// The marked rows: sort key, token, and pending audit events.
    pub marked: Vec<(String, String, Vec<AttributeValue>)>,
}

fn generation(item: &Item) -> Option<u64> {
    item.get("gen").and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}

pub(super) fn read_partition(items: Vec<Item>) -> Result<Partition, StoreError> {
    let mut partition = Partition { study: None, series: Vec::new(), instances: Vec::new(), marked: Vec::new() };
    for item in items {
        let sk = read_string(&item, SK)?;
        if sk == STUDY_SK && !item.contains_key("record") {
            // A deleted study's row keeps only its generation (`deletion.rs`).
            continue;
        } else if sk == STUDY_SK {
            let pending = match item.get(PENDING_COUNTS) {
                Some(value) => Some(serde_dynamo::from_attribute_value(value.clone()).map_err(StoreError::corrupt)?),
                None => None,
            };
            partition.study = Some((read_record(&item)?, generation(&item), pending));
        } else if sk.starts_with("series#") {
            partition.series.push((read_record(&item)?, generation(&item)));
        } else if sk.starts_with("instance#") {
            let summary: InstanceSummary = read_record(&item)?;
            // Rows written before the attributes were kept rebuild from the stored series row.
            let series = match item.get(SERIES_ATTRIBUTES) {
                Some(value) => serde_dynamo::from_attribute_value(value.clone()).map_err(StoreError::corrupt)?,
                None => Default::default(),
            };
            if let Some(token) = item.get(UNSETTLED).and_then(|v| v.as_s().ok()) {
                let events = item.get(PENDING_AUDIT).and_then(|v| v.as_l().ok()).cloned().unwrap_or_default();
                partition.marked.push((sk.to_owned(), token.clone(), events));
            }
            partition.instances.push(CountedInstance { summary, series });
        }
    }
    Ok(partition)
}

impl DynamoStudyIndex {
    pub(super) async fn settle_study(&self, id: StudyId) -> Result<(), StoreError> {
        retry_contended("the study's settlement", || self.try_settle(id, false)).await
    }

    /// Settles the study even with no row marked: after a deletion took
    /// instance rows away, which leaves no mark behind.
    pub(super) async fn recount_study(&self, id: StudyId) -> Result<(), StoreError> {
        retry_contended("the study's recount", || self.try_settle(id, true)).await
    }

    /// One attempt; `None` when another settlement wrote the study first,
    /// or when an interrupted one had to be finished first: read again.
    async fn try_settle(&self, id: StudyId, recount_unmarked: bool) -> Result<Option<()>, StoreError> {
        let pk = study_pk(id);
        if !recount_unmarked && !self.has_work(&pk).await? {
            return Ok(Some(()));
        }
        let partition = read_partition(items_in(&self.client, &self.table, &pk, None).await?)?;
        if let Some((_, _, Some(pending))) = &partition.study {
            self.apply_counts(id, pending).await?;
            self.clear_pending(&pk, pending.generation).await?;
            return Ok(None);
        }
        if partition.marked.is_empty() && !recount_unmarked {
            return Ok(Some(()));
        }
        let Some((study, generation, _)) = &partition.study else {
            // Its row is written with the instance's; without it, the write
            // failed and the sender was told so. The marks stay for the sweep.
            tracing::warn!(study = %id, "instances without their study row; left for a later settlement");
            return Ok(Some(()));
        };
        let stored_series: Vec<SeriesSummary> = partition.series.iter().map(|(s, _)| s.clone()).collect();
        let counted = recount(study, &stored_series, &partition.instances);
        let next = generation.unwrap_or(0) + 1;
        let change = &counted.totals;
        let pending = (change.studies != 0 || change.instances != 0 || change.bytes != 0).then_some(PendingCounts {
            generation: next,
            facility: study.facility_id,
            studies: change.studies,
            instances: change.instances,
            bytes: change.bytes,
            received_at: change.received_at,
        });
        if !self.write_study(&pk, &counted.study, *generation, next, pending.as_ref()).await? {
            return Ok(None);
        }
        if let Some(pending) = &pending {
            self.apply_counts(id, pending).await?;
            self.clear_pending(&pk, next).await?;
        }
        self.rebuild_series(&pk, &counted.series, &partition.series, next).await?;
        self.copy_audit_events(&partition.marked).await?;
        self.clear_marks(&pk, partition.marked).await?;
        Ok(Some(()))
    }

    /// Whether the study holds a marked row or pending counts: a query that
    /// returns only their keys, so that settling a settled study (as every
    /// association into it does when it ends) reads no rows back.
    async fn has_work(&self, pk: &str) -> Result<bool, StoreError> {
        let mut start_key = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .filter_expression(format!("attribute_exists({UNSETTLED}) OR attribute_exists({PENDING_COUNTS})"))
                .projection_expression("pk, sk")
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(true)
                .set_exclusive_start_key(start_key.take())
                .send()
                .await
                .map_err(StoreError::backend)?;
            if out.count > 0 {
                return Ok(true);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start_key = Some(k),
                _ => return Ok(false),
            }
        }
    }

    /// The study row with its new counts and what its facility's counters
    /// must gain, on the condition that its generation is the one read and
    /// no earlier settlement's counts are still pending. False when another
    /// settlement got there first.
    async fn write_study(
        &self,
        pk: &str,
        study: &StudySummary,
        generation: Option<u64>,
        next: u64,
        pending: Option<&PendingCounts>,
    ) -> Result<bool, StoreError> {
        let condition = match generation {
            Some(_) => format!("gen = :gen AND attribute_not_exists({PENDING_COUNTS})"),
            None => format!("attribute_not_exists(gen) AND attribute_not_exists({PENDING_COUNTS})"),
        };
        let mut expression = "SET #r.instance_count = :instances, #r.series_count = :series, \
             #r.total_bytes = :bytes, #r.modalities = :modalities, #r.first_received_at = :first, \
             #r.last_received_at = :last, listing_key = :listing, gen = :next"
            .to_owned();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, STUDY_SK)))
            .condition_expression(condition)
            .expression_attribute_names("#r", "record")
            .expression_attribute_values(":instances", n(study.instance_count))
            .expression_attribute_values(":series", n(study.series_count))
            .expression_attribute_values(":bytes", n(study.total_bytes))
            .expression_attribute_values(":modalities", dynamo_value(&study.modalities)?)
            .expression_attribute_values(":first", dynamo_value(&study.first_received_at)?)
            .expression_attribute_values(":last", dynamo_value(&study.last_received_at)?)
            .expression_attribute_values(":listing", s(listing_key(study.first_received_at, study.id)))
            .expression_attribute_values(":next", n(next));
        if let Some(generation) = generation {
            update = update.expression_attribute_values(":gen", n(generation));
        }
        if let Some(pending) = pending {
            expression.push_str(&format!(", {PENDING_COUNTS} = :pending"));
            update = update.expression_attribute_values(":pending", dynamo_value(pending)?);
        }
        match update.update_expression(expression).send().await {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(StoreError::backend(e)),
        }
    }

    /// Adds `pending` to the facility's totals and day, once: the receipt
    /// for (study, generation) is written in the same transaction, so a
    /// second attempt finds it and adds nothing.
    async fn apply_counts(&self, id: StudyId, pending: &PendingCounts) -> Result<(), StoreError> {
        let receipt = receipt_key(id, pending.generation);
        retry_contended("the facility's counters", || async {
            let mut writes = vec![self.receipt_put(&receipt)?, self.totals_update(pending)?];
            // A day's activity is what was received: a deletion leaves it.
            if pending.studies > 0 || pending.instances > 0 {
                writes.push(self.activity_update(pending)?);
            }
            match transact(&self.client, writes).await? {
                Ok(()) => Ok(Some(())),
                // The receipt exists: these counts were added before.
                Err(cancelled) if cancelled.failed(0) => Ok(Some(())),
                // Another study of the facility was being added: again.
                Err(_) => Ok(None),
            }
        })
        .await?;
        Ok(())
    }

    fn receipt_put(&self, receipt: &Item) -> Result<TransactWriteItem, StoreError> {
        let expires = now().timestamp() + RECEIPT_TTL_SECS;
        let mut item = receipt.clone();
        item.insert(TTL_ATTRIBUTE.to_owned(), n(expires));
        let put = Put::builder()
            .table_name(&self.counters_table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(StoreError::backend)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn totals_update(&self, pending: &PendingCounts) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.counters_table)
            .set_key(Some(key(&totals_pk(pending.facility), TOTALS_SK)))
            .expression_attribute_values(":studies", n(pending.studies))
            .expression_attribute_values(":instances", n(pending.instances))
            .expression_attribute_values(":bytes", n(pending.bytes));
        // A deletion (it takes instances away) receives nothing: the last
        // receipt stays where it was. A re-send, even a smaller one, is a receipt.
        update = if pending.studies >= 0 && pending.instances >= 0 {
            update
                .update_expression(
                    "ADD studies :studies, instances :instances, bytes :bytes SET last_received_at = :at",
                )
                .expression_attribute_values(":at", s(sortable_time(pending.received_at)))
        } else {
            update.update_expression("ADD studies :studies, instances :instances, bytes :bytes")
        };
        let update = update.build().map_err(StoreError::backend)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn activity_update(&self, pending: &PendingCounts) -> Result<TransactWriteItem, StoreError> {
        let day = Update::builder()
            .table_name(&self.counters_table)
            .set_key(Some(key(&activity_pk(pending.received_at.date_naive()), &pending.facility.to_string())))
            .update_expression("ADD studies :studies, instances :instances")
            .expression_attribute_values(":studies", n(pending.studies.max(0)))
            .expression_attribute_values(":instances", n(pending.instances.max(0)))
            .build()
            .map_err(StoreError::backend)?;
        Ok(TransactWriteItem::builder().update(day).build())
    }

    /// The counts of generation `generation` are applied: off the study row.
    /// Their receipt stays until its TTL: a settlement that read them before
    /// this may still be applying them, and must find it.
    async fn clear_pending(&self, pk: &str, generation: u64) -> Result<(), StoreError> {
        let cleared = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, STUDY_SK)))
            .update_expression(format!("REMOVE {PENDING_COUNTS}"))
            .condition_expression(format!("{PENDING_COUNTS}.generation = :gen"))
            .expression_attribute_values(":gen", n(generation))
            .send()
            .await;
        match cleared {
            Ok(_) => {}
            // Another settlement finished it first.
            Err(e) if is_condition_failure(&e) => {}
            Err(e) => return Err(StoreError::backend(e)),
        }
        Ok(())
    }

    /// Writes each series row that changed, unless a later settlement
    /// already wrote it, and removes those no instance holds any more (a
    /// deletion took them).
    async fn rebuild_series(
        &self,
        pk: &str,
        counted: &[SeriesSummary],
        stored: &[(SeriesSummary, Option<u64>)],
        next: u64,
    ) -> Result<(), StoreError> {
        let changed = counted.iter().filter(|row| !stored.iter().any(|(old, _)| old == *row));
        let mut writes = Vec::new();
        for row in changed {
            let item = crate::aws::dynamodb::record_item(
                &[(PK, s(pk)), (SK, s(format!("series#{}", row.series_instance_uid)))],
                row,
                &[("gen", n(next))],
            )?;
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(gen) OR gen < :next")
                .expression_attribute_values(":next", n(next));
            writes.push(async move { done_unless_failed(put.send().await) });
        }
        run_bounded(writes).await?;
        let mut removals = Vec::new();
        for (row, _) in
            stored.iter().filter(|(old, _)| !counted.iter().any(|c| c.series_instance_uid == old.series_instance_uid))
        {
            let remove = self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(pk, &format!("series#{}", row.series_instance_uid))))
                .condition_expression("attribute_not_exists(gen) OR gen < :next")
                .expression_attribute_values(":next", n(next));
            removals.push(async move { done_unless_failed(remove.send().await) });
        }
        run_bounded(removals).await
    }

    /// The trail gains each pending event; an event written twice (by a
    /// settlement interrupted before it cleared the mark) is one item.
    async fn copy_audit_events(&self, marked: &[(String, String, Vec<AttributeValue>)]) -> Result<(), StoreError> {
        let events: Vec<WriteRequest> = marked
            .iter()
            .flat_map(|(_, _, events)| events)
            .filter_map(|event| event.as_m().ok())
            .map(|item| {
                PutRequest::builder()
                    .set_item(Some(item.clone()))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(StoreError::backend)
            })
            .collect::<Result<_, _>>()?;
        for chunk in events.chunks(25) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0;
            while !pending.is_empty() {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.audit_table, pending)
                    .send()
                    .await
                    .map_err(StoreError::backend)?;
                // Under load a batch may take part of its items; send the rest again.
                pending = out.unprocessed_items.and_then(|mut u| u.remove(&self.audit_table)).unwrap_or_default();
                if !pending.is_empty() {
                    backoff(attempt).await;
                    attempt += 1;
                }
            }
        }
        Ok(())
    }

    /// Clears each mark this settlement counted; a row re-sent since carries
    /// a new token and stays marked for the next.
    async fn clear_marks(
        &self,
        pk: &str,
        marked: Vec<(String, String, Vec<AttributeValue>)>,
    ) -> Result<(), StoreError> {
        let mut writes = Vec::new();
        for (sk, token, _) in marked {
            let clear = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(pk, &sk)))
                .update_expression(format!("REMOVE {UNSETTLED}, {UNSETTLED_SHARD}, {UNSETTLED_AT}, {PENDING_AUDIT}"))
                .condition_expression(format!("{UNSETTLED} = :token"))
                .expression_attribute_values(":token", s(token));
            writes.push(async move { done_unless_failed(clear.send().await) });
        }
        run_bounded(writes).await
    }

    /// The studies holding a mark older than `older_than`, from the sparse
    /// index (one query per shard), each settled.
    pub(super) async fn settle_abandoned_marks(&self, older_than: std::time::Duration) -> Result<usize, StoreError> {
        let age = Duration::from_std(older_than).unwrap_or(Duration::MAX);
        let before = sortable_time(now() - age);
        let mut studies = BTreeSet::new();
        for shard in UNSETTLED_SHARDS.chars() {
            let mut start_key: Option<HashMap<String, AttributeValue>> = None;
            loop {
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(STUDIES_UNSETTLED)
                    .key_condition_expression("#shard = :shard AND #at < :before")
                    .expression_attribute_names("#shard", UNSETTLED_SHARD)
                    .expression_attribute_names("#at", UNSETTLED_AT)
                    .expression_attribute_values(":shard", s(format!("unsettled#{shard}")))
                    .expression_attribute_values(":before", s(&before))
                    .set_exclusive_start_key(start_key.take())
                    .send()
                    .await
                    .map_err(StoreError::backend)?;
                for item in out.items.unwrap_or_default() {
                    studies.insert(read_string(&item, PK)?.to_owned());
                }
                match out.last_evaluated_key {
                    Some(k) if !k.is_empty() => start_key = Some(k),
                    _ => break,
                }
            }
        }
        // One study that cannot be settled now does not hold back the others.
        let mut settled = 0;
        let mut first_error = None;
        for pk in studies {
            let Some(id) = pk.strip_prefix("study#").and_then(|id| id.parse::<StudyId>().ok()) else {
                tracing::warn!(partition = %pk, "a marked row outside a study");
                continue;
            };
            match self.settle_study(id).await {
                Ok(()) => settled += 1,
                Err(e) => {
                    tracing::warn!(study = %id, error = %e, "could not settle an abandoned study");
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) if settled == 0 => Err(e),
            _ => Ok(settled),
        }
    }
}

/// Runs `writes` with at most `CONCURRENT_WRITES` in flight; the first
/// error is returned once those in flight have ended.
pub(super) async fn run_bounded<F>(writes: Vec<F>) -> Result<(), StoreError>
where
    F: std::future::Future<Output = Result<(), StoreError>> + Send + 'static,
{
    let mut running = tokio::task::JoinSet::new();
    let mut outcome = Ok(());
    for write in writes {
        if running.len() >= CONCURRENT_WRITES
            && let Some(done) = running.join_next().await
        {
            outcome = outcome.and(flatten(done));
        }
        running.spawn(write);
    }
    while let Some(done) = running.join_next().await {
        outcome = outcome.and(flatten(done));
    }
    outcome
}

fn flatten(done: Result<Result<(), StoreError>, tokio::task::JoinError>) -> Result<(), StoreError> {
    done.unwrap_or_else(|e| Err(StoreError::internal(format!("a settlement write stopped: {e}"))))
}
