//! DynamoDB adapters. Each item keeps the domain record as a native map under
//! `record`, beside the key and index attributes; `rev` guards read-modify-write.

mod audit;
mod bans;
mod facilities;
mod receivers;
mod reports;
pub mod schema;
mod studies;
mod users;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use audit::DynamoAuditLog;
pub use bans::DynamoBanList;
pub use facilities::DynamoFacilityRegistry;
pub use receivers::DynamoReceiverRegistry;
pub use reports::DynamoReportStore;
pub use schema::TableNames;
pub use studies::DynamoStudyIndex;
pub use users::DynamoUserDirectory;

use crate::ports::StoreError;

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// An item holding `record` under the given key and extra attributes.
pub(crate) fn record_item<T: Serialize>(
    keys: &[(&str, AttributeValue)],
    record: &T,
    extra: &[(&str, AttributeValue)],
) -> Result<Item, StoreError> {
    let record: AttributeValue = serde_dynamo::to_attribute_value(record).map_err(StoreError::corrupt)?;
    let mut item: Item = keys.iter().chain(extra).map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    item.insert("record".to_owned(), record);
    Ok(item)
}

pub(crate) fn read_record<T: DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    let record = item.get("record").ok_or_else(|| StoreError::Corrupt("item without a record".into()))?;
    serde_dynamo::from_attribute_value(record.clone()).map_err(StoreError::corrupt)
}

pub(crate) fn read_number(item: &Item, name: &str) -> Result<u64, StoreError> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| StoreError::Corrupt(format!("item without a numeric {name}")))
}

pub(crate) fn read_string<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| StoreError::Corrupt(format!("item without a string {name}")))
}

/// Every item of partition `pk`, or of those whose sort key lies in
/// `[from, to]`, read consistently, every page.
pub(crate) async fn items_in(
    client: &Client,
    table: &str,
    pk: &str,
    sort_keys: Option<(&str, &str)>,
) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    let mut start_key = None;
    loop {
        let mut query = client
            .query()
            .table_name(table)
            .expression_attribute_names("#p", schema::PK)
            .expression_attribute_values(":p", s(pk))
            .consistent_read(true)
            .set_exclusive_start_key(start_key.take());
        query = match sort_keys {
            Some((from, to)) => query
                .key_condition_expression("#p = :p AND #k BETWEEN :from AND :to")
                .expression_attribute_names("#k", schema::SK)
                .expression_attribute_values(":from", s(from))
                .expression_attribute_values(":to", s(to)),
            None => query.key_condition_expression("#p = :p"),
        };
        let out = query.send().await.map_err(StoreError::backend)?;
        items.extend(out.items.unwrap_or_default());
        start_key = out.last_evaluated_key.filter(|key| !key.is_empty());
        if start_key.is_none() {
            return Ok(items);
        }
    }
}

pub(crate) async fn get_item(client: &Client, table: &str, key: Item) -> Result<Option<Item>, StoreError> {
    let out = client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(StoreError::backend)?;
    Ok(out.item)
}

/// Writes `item` over whatever the table holds under its key.
pub(crate) async fn put_item(client: &Client, table: &str, item: Item) -> Result<(), StoreError> {
    client.put_item().table_name(table).set_item(Some(item)).send().await.map_err(StoreError::backend)?;
    Ok(())
}

pub(crate) fn pk(value: impl Into<String>) -> Item {
    HashMap::from([(schema::PK.to_owned(), s(value))])
}

/// Why each item of a cancelled transaction failed, by position ("None" for
/// items that were fine, "ConditionalCheckFailed", "TransactionConflict", …).
#[derive(Debug)]
pub(crate) struct Cancelled(pub Vec<String>);

impl Cancelled {
    pub fn failed(&self, index: usize) -> bool {
        self.0.get(index).is_some_and(|code| code == "ConditionalCheckFailed")
    }
}

/// Runs a write transaction; a cancellation is returned as a value so callers can
/// say which condition failed.
pub(crate) async fn transact(
    client: &Client,
    items: Vec<TransactWriteItem>,
) -> Result<Result<(), Cancelled>, StoreError> {
    match client.transact_write_items().set_transact_items(Some(items)).send().await {
        Ok(_) => Ok(Ok(())),
        Err(err) => match err.into_service_error() {
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e) => {
                let codes = e.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None").to_owned()).collect();
                Ok(Err(Cancelled(codes)))
            }
            other => Err(StoreError::backend(other)),
        },
    }
}

/// Every item a scan of `table` returns, following pagination.
pub(crate) async fn scan_all(client: &Client, table: &str, prefix: &str) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = client
            .scan()
            .table_name(table)
            .filter_expression("begins_with(#pk, :prefix)")
            .expression_attribute_names("#pk", schema::PK)
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::backend)?;
        items.extend(out.items.unwrap_or_default());
        match out.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(items),
        }
    }
}

/// A write refused because its condition did not hold: for most callers the
/// answer "someone did it first", not a failure.
pub(crate) fn is_condition_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata, R>(
    err: &aws_sdk_dynamodb::error::SdkError<E, R>,
) -> bool {
    err.as_service_error().and_then(|e| e.code()) == Some("ConditionalCheckFailedException")
}

/// The outcome of a conditional write whose refused condition means
/// "already done, or done by someone else": only other failures are errors.
pub(crate) fn done_unless_failed<T, E, R>(
    outcome: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> Result<(), StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match outcome {
        Err(e) if !is_condition_failure(&e) => Err(StoreError::backend(e)),
        _ => Ok(()),
    }
}
