use std::net::IpAddr;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::ReturnValue;

use super::schema::TTL_ATTRIBUTE;
use super::{
    TableNames, get_item, is_condition_failure, n, pk, put_item, read_number, read_record, record_item, s, scan_all,
};
use crate::domain::{Ban, BanPolicy, FailureCount, Timestamp, canonical, sortable_time};
use crate::ports::retry::retry_contended;
use crate::ports::{BanList, StoreError};

/// `fail#<address>` counts failures in the current window; `ban#<address>` is a
/// ban. Both carry an expiry for DynamoDB's TTL, which deletes lazily, so reads
/// compare expiry times themselves.
#[derive(Debug, Clone)]
pub struct DynamoBanList {
    client: Client,
    table: String,
}

impl DynamoBanList {
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, table: tables.bans }
    }
}

fn ban_pk(address: IpAddr) -> String {
    format!("ban#{}", canonical(address))
}

fn failures_pk(address: IpAddr) -> String {
    format!("fail#{}", canonical(address))
}

impl DynamoBanList {
    /// Adds one to this window's count, or starts the count when the stored one
    /// belongs to an earlier window.
    async fn count_failure(&self, address: IpAddr, policy: &BanPolicy, at: Timestamp) -> Result<u32, StoreError> {
        let window = policy.window_index(at);
        let expires = policy.window_end(at).timestamp();
        retry_contended("the failure count", || async {
            let added = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(pk(failures_pk(address))))
                .update_expression("ADD failures :one")
                .condition_expression("window_index = :w")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":w", n(window))
                .return_values(ReturnValue::UpdatedNew)
                .send()
                .await;
            match added {
                Ok(out) => {
                    return read_number(&out.attributes.unwrap_or_default(), "failures").map(|f| Some(f as u32));
                }
                Err(e) if is_condition_failure(&e) => {}
                Err(e) => return Err(StoreError::backend(e)),
            }
            let started = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(failures_pk(address)))
                .item("window_index", n(window))
                .item("failures", n(1))
                .item(TTL_ATTRIBUTE, n(expires))
                .condition_expression("attribute_not_exists(pk) OR window_index < :w")
                .expression_attribute_values(":w", n(window))
                .send()
                .await;
            match started {
                Ok(_) => Ok(Some(1)),
                // Another receiver started this window first; add to its count.
                Err(e) if is_condition_failure(&e) => Ok(None),
                Err(e) => Err(StoreError::backend(e)),
            }
        })
        .await
    }
}

fn ban_item(ban: &Ban) -> Result<super::Item, StoreError> {
    record_item(
        &[("pk", s(ban_pk(ban.address)))],
        ban,
        &[("expires_at", s(sortable_time(ban.expires_at))), (TTL_ATTRIBUTE, n(ban.expires_at.timestamp()))],
    )
}

#[async_trait]
impl BanList for DynamoBanList {
    async fn restore(&self, ban: &Ban) -> Result<(), StoreError> {
        let item = ban_item(ban)?;
        put_item(&self.client, &self.table, item).await
    }

    async fn record_failure(
        &self,
        address: IpAddr,
        reason: &str,
        policy: &BanPolicy,
        at: Timestamp,
    ) -> Result<FailureCount, StoreError> {
        let failures = self.count_failure(address, policy, at).await?;
        if failures < policy.threshold {
            return Ok(FailureCount { failures_in_window: failures, banned: None });
        }
        let ban = Ban {
            address: canonical(address),
            reason: reason.to_owned(),
            failures,
            banned_at: at,
            expires_at: policy.expiry(at),
        };
        let item = ban_item(&ban)?;
        // Only the failure that finds no ban in force creates one.
        let created = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR expires_at <= :now")
            .expression_attribute_values(":now", s(sortable_time(at)))
            .send()
            .await;
        match created {
            Ok(_) => Ok(FailureCount { failures_in_window: failures, banned: Some(ban) }),
            Err(e) if is_condition_failure(&e) => Ok(FailureCount { failures_in_window: failures, banned: None }),
            Err(e) => Err(StoreError::backend(e)),
        }
    }

    async fn active_ban(&self, address: IpAddr, at: Timestamp) -> Result<Option<Ban>, StoreError> {
        let item = get_item(&self.client, &self.table, pk(ban_pk(address))).await?;
        Ok(item.map(|i| read_record::<Ban>(&i)).transpose()?.filter(|ban| ban.expires_at > at))
    }

    async fn list_active(&self, at: Timestamp) -> Result<Vec<Ban>, StoreError> {
        let mut bans = scan_all(&self.client, &self.table, "ban#")
            .await?
            .iter()
            .map(read_record::<Ban>)
            .filter(|ban| ban.as_ref().map_or(true, |b| b.expires_at > at))
            .collect::<Result<Vec<_>, _>>()?;
        bans.sort_by(|a, b| a.expires_at.cmp(&b.expires_at).then(a.address.to_string().cmp(&b.address.to_string())));
        Ok(bans)
    }

    async fn lift(&self, address: IpAddr) -> Result<bool, StoreError> {
        let removed = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(pk(ban_pk(address))))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(StoreError::backend)?;
        let lifted = removed.attributes.is_some_and(|a| !a.is_empty());
        if lifted {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(pk(failures_pk(address))))
                .send()
                .await
                .map_err(StoreError::backend)?;
        }
        Ok(lifted)
    }
}
