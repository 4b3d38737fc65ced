use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;

use super::schema::{PK, SK};
use super::{TableNames, put_item, read_record, record_item, s};
use crate::domain::{ReceiverStatus, Timestamp, sortable_time};
use crate::ports::{ReceiverRegistry, StoreError};

/// In the audit table, beside its day partitions: one partition per UTC day
/// (`receivers#2026-11-29`), one item per receiver reporting that day. Reading
/// who reported lately queries the days from `since` to today (one, or two just
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

fn day_pk(day: chrono::NaiveDate) -> String {
    format!("receivers#{}", day.format("%Y-%m-%d"))
}

#[async_trait]
impl ReceiverRegistry for DynamoReceiverRegistry {
    async fn report(&self, status: &ReceiverStatus) -> Result<(), StoreError> {
        let item = record_item(
            &[(PK, s(day_pk(status.reported_at.date_naive()))), (SK, s(status.id.to_string()))],
            status,
            &[("reported_at", s(sortable_time(status.reported_at)))],
        )?;
        put_item(&self.client, &self.table, item).await
    }

    async fn reported_since(&self, since: Timestamp) -> Result<Vec<ReceiverStatus>, StoreError> {
        let today = crate::domain::now().date_naive();
        let days = since.date_naive().iter_days().take_while(|day| *day <= today);
        // A receiver reporting across midnight is in two days: keep its newest report.
        let mut found: HashMap<uuid::Uuid, ReceiverStatus> = HashMap::new();
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
                    .expression_attribute_values(":p", s(day_pk(day)))
                    .expression_attribute_values(":since", s(sortable_time(since)))
                    .set_exclusive_start_key(start_key)
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(StoreError::backend)?;
                for item in out.items.unwrap_or_default() {
                    let status: ReceiverStatus = read_record(&item)?;
                    if found.get(&status.id).is_none_or(|known| known.reported_at < status.reported_at) {
                        found.insert(status.id, status);
                    }
                }
                start_key = out.last_evaluated_key;
                if start_key.is_none() {
                    break;
                }
            }
        }
        let mut found: Vec<ReceiverStatus> = found.into_values().collect();
        found.sort_by(|a, b| b.reported_at.cmp(&a.reported_at).then(a.id.cmp(&b.id)));
        Ok(found)
    }
}
