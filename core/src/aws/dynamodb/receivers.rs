use async_trait::async_trait;
use aws_sdk_dynamodb::Client;

use super::schema::{PK, SK};
use super::{TableNames, read_record, record_item, s};
use crate::domain::{ReceiverStatus, Timestamp, audit_day, sortable_time};
use crate::ports::{ReceiverRegistry, StoreError};

/// In the audit table, beside its day partitions: one partition per UTC day
/// (`receivers#2026-11-29`), one item per receiver reporting that day. Reading
/// who reported lately is a query of today's partition (and yesterday's, just
/// after midnight); older days are never read again.
#[derive(Debug, Clone)]
pub struct DynamoReceiverRegistry {
    client: Client,
    table: String,
}

impl DynamoReceiverRegistry {
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, table: tables.audit }
    }
}

fn day_pk(at: Timestamp) -> String {
    format!("receivers#{}", audit_day(at))
}

#[async_trait]
impl ReceiverRegistry for DynamoReceiverRegistry {
    async fn report(&self, status: &ReceiverStatus) -> Result<(), StoreError> {
        let item = record_item(
            &[(PK, s(day_pk(status.reported_at))), (SK, s(status.id.to_string()))],
            status,
            &[("reported_at", s(sortable_time(status.reported_at)))],
        )?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(StoreError::backend)?;
        Ok(())
    }

    async fn reported_since(&self, since: Timestamp) -> Result<Vec<ReceiverStatus>, StoreError> {
        let mut days = vec![day_pk(crate::domain::now())];
        if day_pk(since) != days[0] {
            days.push(day_pk(since));
        }
        let mut found: Vec<ReceiverStatus> = Vec::new();
        for day in days {
            let mut start_key = None;
            loop {
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("#p = :p")
                    .filter_expression("reported_at >= :since")
                    .expression_attribute_names("#p", PK)
                    .expression_attribute_values(":p", s(day.clone()))
                    .expression_attribute_values(":since", s(sortable_time(since)))
                    .set_exclusive_start_key(start_key)
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(StoreError::backend)?;
                for item in out.items.unwrap_or_default() {
                    let status: ReceiverStatus = read_record(&item)?;
                    // A receiver reporting across midnight is in both days: keep its newest.
                    match found.iter_mut().find(|f| f.id == status.id) {
                        Some(known) if known.reported_at >= status.reported_at => {}
                        Some(known) => *known = status,
                        None => found.push(status),
                    }
                }
                start_key = out.last_evaluated_key;
                if start_key.is_none() {
                    break;
                }
            }
        }
        found.sort_by(|a, b| b.reported_at.cmp(&a.reported_at).then(a.id.cmp(&b.id)));
        Ok(found)
    }
}
