//! Recording an instance: one round of concurrent writes once its object is
//! durable. None reads first and none is a transaction, so associations
//! writing into one study never wait for one another: the study's row is
//! touched only by an idempotent update that creates it once, and its counts
//! are left to the settlement (`settlement.rs`), which recomputes them from
//! the instance rows.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::{DynamoStudyIndex, GSI_ALL, STUDY_SK, key, sop_pointer_pk, study_pk};
use crate::aws::dynamodb::is_condition_failure;
use crate::aws::dynamodb::schema::{PK, SK};
use crate::aws::dynamodb::{read_record, s};
use crate::domain::{
    AuditEvent, InstanceRecord, Recorded, StudyId, StudySummary, listing_key, new_study, now, sortable_time,
};
use crate::ports::StoreError;

/// An instance row carries this token until a settlement has counted it; the
/// settlement clears only the token it saw, so a copy re-sent meanwhile stays
/// marked.
pub(super) const UNSETTLED: &str = "unsettled";
/// The sparse index's partition key, on marked rows only: one of sixteen, by
/// study, so that no index partition takes every write.
pub(super) const UNSETTLED_SHARD: &str = "gsi_unsettled";
/// The sparse index's sort key: when the row was written.
pub(super) const UNSETTLED_AT: &str = "unsettled_at";
/// The series attributes the instance came with, from which its series row is rebuilt.
pub(super) const SERIES_ATTRIBUTES: &str = "series_attributes";
/// The audit events of the copies recorded since the last settlement (an
/// outbox): the settlement writes them to the trail, then removes them.
pub(super) const PENDING_AUDIT: &str = "pending_audit";

pub(super) fn dynamo_value<T: serde::Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value).map_err(StoreError::corrupt)
}

pub(super) fn unsettled_shard(study: StudyId) -> String {
    // A study id is a UUID: its first hex digit spreads studies evenly.
    format!("unsettled#{}", &study.to_string()[..1])
}

pub(super) const UNSETTLED_SHARDS: &str = "0123456789abcdef";

pub(super) fn instance_sk(record: &InstanceRecord) -> String {
    format!("instance#{}#{}", record.series_instance_uid, record.sop_instance_uid)
}

impl DynamoStudyIndex {
    pub(super) async fn record(
        &self,
        record: &InstanceRecord,
        audit: Option<&AuditEvent>,
    ) -> Result<Recorded, StoreError> {
        let (instance, study, pointer) =
            tokio::join!(self.put_instance(record, audit), self.touch_study(record), self.put_sop_pointer(record));
        // Any failure fails the store: the sender sends again, and every one
        // of these writes is idempotent.
        let (recorded, study) = (instance?, study?);
        pointer?;
        self.fill_missing_attributes(record, &study).await?;
        Ok(recorded)
    }

    /// The instance row, marked unsettled, carrying its audit event until the
    /// settlement copies it to the trail: one item, so the trail can never
    /// miss an indexed instance, nor name one that was not indexed. Whether it
    /// replaced a copy comes back with the write itself.
    async fn put_instance(&self, record: &InstanceRecord, audit: Option<&AuditEvent>) -> Result<Recorded, StoreError> {
        let id = record.study_id();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&study_pk(id), &instance_sk(record))))
            .expression_attribute_names("#r", "record")
            .expression_attribute_values(":record", dynamo_value(&record.summary())?)
            .expression_attribute_values(":series", dynamo_value(&record.series)?)
            .expression_attribute_values(":token", s(uuid::Uuid::new_v4().to_string()))
            .expression_attribute_values(":shard", s(unsettled_shard(id)))
            .expression_attribute_values(":at", s(sortable_time(now())))
            .return_values(ReturnValue::AllOld);
        let mut expression = format!(
            "SET #r = :record, {SERIES_ATTRIBUTES} = :series, {UNSETTLED} = :token, \
             {UNSETTLED_SHARD} = :shard, {UNSETTLED_AT} = :at"
        );
        if let Some(event) = audit {
            // Appended: a copy re-sent before the settlement keeps both events.
            expression
                .push_str(&format!(", {PENDING_AUDIT} = list_append(if_not_exists({PENDING_AUDIT}, :none), :events)"));
            let event = AttributeValue::M(crate::aws::dynamodb::audit::event_item(event)?);
            update = update
                .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
                .expression_attribute_values(":events", AttributeValue::L(vec![event]));
        }
        let out = update.update_expression(expression).send().await.map_err(StoreError::backend)?;
        Ok(match out.attributes {
            Some(old) if old.contains_key("record") => Recorded::Replaced,
            _ => Recorded::New,
        })
    }

    /// Creates the study's row with this instance's attributes, or leaves it
    /// as it is: idempotent, so racing writers need no condition. Returns the
    /// row as stored.
    async fn touch_study(&self, record: &InstanceRecord) -> Result<StudySummary, StoreError> {
        let id = record.study_id();
        let first = new_study(record);
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&study_pk(id), STUDY_SK)))
            .update_expression(
                "SET #r = if_not_exists(#r, :first), gsi_all = :all, gsi_facility = :facility, \
                 listing_key = if_not_exists(listing_key, :listing)",
            )
            .expression_attribute_names("#r", "record")
            .expression_attribute_values(":first", dynamo_value(&first)?)
            .expression_attribute_values(":all", s(GSI_ALL))
            .expression_attribute_values(":facility", s(record.facility_id.to_string()))
            .expression_attribute_values(":listing", s(listing_key(record.received_at, id)))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(StoreError::backend)?;
        read_record(&out.attributes.unwrap_or_default())
    }

    /// The first instance set the study's attributes; a later one fills what
    /// it left empty. Rare (a modality omitting an optional attribute in some
    /// instances), so one conditional write per attribute.
    async fn fill_missing_attributes(&self, record: &InstanceRecord, stored: &StudySummary) -> Result<(), StoreError> {
        for (name, value) in record.study.missing_from(&stored.attributes) {
            let filled = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(&study_pk(stored.id), STUDY_SK)))
                .update_expression("SET #r.#a = :value")
                .condition_expression("attribute_not_exists(#r.#a) OR attribute_type(#r.#a, :null)")
                .expression_attribute_names("#r", "record")
                .expression_attribute_names("#a", name)
                .expression_attribute_values(":value", s(value))
                .expression_attribute_values(":null", s("NULL"))
                .send()
                .await;
            match filled {
                Ok(_) => {}
                // Another instance filled it first.
                Err(e) if is_condition_failure(&e) => {}
                Err(e) => return Err(StoreError::backend(e)),
            }
        }
        Ok(())
    }

    /// Where a facility's SOP Instance UID points: written beside the row,
    /// idempotent, and reported only when the row exists too.
    async fn put_sop_pointer(&self, record: &InstanceRecord) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(PK, s(sop_pointer_pk(record.facility_id, &record.sop_instance_uid)))
            .item(SK, s(super::SOP_POINTER_SK))
            .item("study_pk", s(study_pk(record.study_id())))
            .item("instance_sk", s(instance_sk(record)))
            .send()
            .await
            .map_err(StoreError::backend)?;
        Ok(())
    }
}
