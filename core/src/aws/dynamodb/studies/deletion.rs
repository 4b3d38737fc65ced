//! Deletions on the cloud index. A pending deletion is an item of its own
//! partition (`deletions`), sorted by when it was asked for. Finishing one
//! settles the study first (so no pending audit event of a taken row is
//! lost), removes the taken instance rows and their SOP pointers, recounts
//! the study from what remains (the facility's counters follow through the
//! settlement's receipts), removes the study's rows when nothing remains,
//! and last writes the audit event and removes the pending item. Every step
//! is idempotent, so a finish interrupted anywhere is finished by the next.

use super::recording::UNSETTLED;
use super::settlement::{read_partition, run_bounded};
use super::{DynamoStudyIndex, SOP_POINTER_SK, STUDY_SK, key, sop_pointer_pk, study_pk};
use crate::aws::dynamodb::schema::{PK, SK};
use crate::aws::dynamodb::{
    done_unless_failed, get_item, is_condition_failure, items_in, put_item, read_record, read_string, record_item, s,
};
use crate::domain::{AuditEvent, Deletion, sortable_time};
use crate::ports::StoreError;

const DELETIONS_PK: &str = "deletions";

fn deletion_sk(deletion: &Deletion) -> String {
    format!("{}#{}", sortable_time(deletion.requested_at), deletion.id)
}

impl DynamoStudyIndex {
    pub(super) async fn put_deletion(&self, deletion: &Deletion) -> Result<(), StoreError> {
        let item = record_item(&[(PK, s(DELETIONS_PK)), (SK, s(deletion_sk(deletion)))], deletion, &[])?;
        put_item(&self.client, &self.table, item).await
    }

    pub(super) async fn read_deletions(&self) -> Result<Vec<Deletion>, StoreError> {
        let items = items_in(&self.client, &self.table, DELETIONS_PK, None).await?;
        items.iter().map(read_record).collect()
    }

    pub(super) async fn finish(&self, deletion: &Deletion, audit: &AuditEvent) -> Result<(), StoreError> {
        let pending = key(DELETIONS_PK, &deletion_sk(deletion));
        if get_item(&self.client, &self.table, pending.clone()).await?.is_none() {
            return Ok(());
        }
        self.settle_study(deletion.study).await?;
        self.remove_taken(deletion).await?;
        self.recount_study(deletion.study).await?;
        self.remove_if_empty(deletion).await?;
        let event = crate::aws::dynamodb::audit::event_item(audit)?;
        // The event's key is the deletion's: written twice, it is one item.
        self.client
            .put_item()
            .table_name(&self.audit_table)
            .set_item(Some(event))
            .send()
            .await
            .map_err(StoreError::backend)?;
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(pending))
            .send()
            .await
            .map_err(StoreError::backend)?;
        Ok(())
    }

    /// The rows of the instances the deletion takes, and their SOP pointers.
    /// A row marked since the settlement before this was sent again while
    /// the deletion ran: it stays, counted by the next settlement.
    async fn remove_taken(&self, deletion: &Deletion) -> Result<(), StoreError> {
        let pk = study_pk(deletion.study);
        let partition = read_partition(items_in(&self.client, &self.table, &pk, None).await?)?;
        let mut removals = Vec::new();
        for instance in partition.instances.iter().map(|i| &i.summary).filter(|i| deletion.takes(i)) {
            let sk = format!("instance#{}#{}", instance.series_instance_uid, instance.sop_instance_uid);
            let row = self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(&pk, &sk)))
                .condition_expression(format!("attribute_not_exists({UNSETTLED})"));
            let pointer = self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(&sop_pointer_pk(deletion.facility_id, &instance.sop_instance_uid), SOP_POINTER_SK)))
                .condition_expression("study_pk = :study AND instance_sk = :instance")
                .expression_attribute_values(":study", s(&pk))
                .expression_attribute_values(":instance", s(&sk));
            removals.push(async move {
                match row.send().await {
                    Ok(_) => {}
                    Err(e) if is_condition_failure(&e) => return Ok(()),
                    Err(e) => return Err(StoreError::backend(e)),
                }
                done_unless_failed(pointer.send().await)
            });
        }
        run_bounded(removals).await
    }

    /// A study whose last instance went: its series and report rows go, and
    /// its summary row keeps only its settlement generation. The
    /// facility's counters take a settlement's counts once per (study,
    /// generation), so a study sent again after its deletion must count on
    /// from there, not start again at a generation already taken.
    async fn remove_if_empty(&self, deletion: &Deletion) -> Result<(), StoreError> {
        let pk = study_pk(deletion.study);
        let items = items_in(&self.client, &self.table, &pk, None).await?;
        if items.iter().any(|item| read_string(item, SK).is_ok_and(|sk| sk.starts_with("instance#"))) {
            return Ok(());
        }
        let mut removals = Vec::new();
        for item in items {
            let sk = read_string(&item, SK)?.to_owned();
            let remove = if sk == STUDY_SK {
                let emptied = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key(&pk, &sk)))
                    .update_expression("REMOVE #r, gsi_all, gsi_facility, listing_key")
                    .expression_attribute_names("#r", "record");
                futures_util::future::Either::Left(async move {
                    emptied.send().await.map(|_| ()).map_err(StoreError::backend)
                })
            } else {
                let remove = self.client.delete_item().table_name(&self.table).set_key(Some(key(&pk, &sk)));
                futures_util::future::Either::Right(async move {
                    remove.send().await.map(|_| ()).map_err(StoreError::backend)
                })
            };
            removals.push(remove);
        }
        run_bounded(removals).await
    }
}
