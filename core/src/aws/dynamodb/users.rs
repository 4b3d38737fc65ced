use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::{TableNames, get_item, n, pk, read_record, read_string, record_item, s, scan_all, transact};
use crate::domain::{Timestamp, User, UserId, Username};
use crate::ports::{StoreError, Taken, UserDirectory};

/// Users live at `user#<id>`; `username#<name>` guards the username.
#[derive(Debug, Clone)]
pub struct DynamoUserDirectory {
    client: Client,
    table: String,
}

impl DynamoUserDirectory {
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, table: tables.users }
    }
}

fn user_pk(id: UserId) -> String {
    format!("user#{id}")
}

fn username_guard(username: &Username) -> String {
    format!("username#{username}")
}

fn put_user(table: &str, user: &User, condition: &str, revision: Option<u64>) -> Result<TransactWriteItem, StoreError> {
    let item = record_item(&[("pk", s(user_pk(user.id)))], user, &[("rev", n(user.revision))])?;
    let mut put = Put::builder().table_name(table).set_item(Some(item)).condition_expression(condition);
    if let Some(rev) = revision {
        put = put.expression_attribute_values(":rev", n(rev));
    }
    Ok(TransactWriteItem::builder().put(put.build().map_err(StoreError::backend)?).build())
}

/// The writes that insert `user` into `table`: the record, then the username
/// guard (its index in a transaction tells a taken name). The facility
/// registry adds them to a facility's transaction for its first user.
pub(super) fn insert_items(table: &str, user: &User) -> Result<[TransactWriteItem; 2], StoreError> {
    let guard = Put::builder()
        .table_name(table)
        .item("pk", s(username_guard(&user.username)))
        .item("user_id", s(user.id.to_string()))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(StoreError::backend)?;
    Ok([put_user(table, user, "attribute_not_exists(pk)", None)?, TransactWriteItem::builder().put(guard).build()])
}

#[async_trait]
impl UserDirectory for DynamoUserDirectory {
    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        let items = insert_items(&self.table, user)?.to_vec();
        match transact(&self.client, items).await? {
            Ok(()) => Ok(()),
            Err(c) if c.failed(1) => Err(StoreError::Conflict(Taken::Username)),
            Err(c) => Err(StoreError::Backend(format!("user insert cancelled: {:?}", c.0).into())),
        }
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError> {
        get_item(&self.client, &self.table, pk(user_pk(id))).await?.map(|item| read_record(&item)).transpose()
    }

    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, StoreError> {
        let Some(guard) = get_item(&self.client, &self.table, pk(username_guard(username))).await? else {
            return Ok(None);
        };
        let id: UserId = read_string(&guard, "user_id")?.parse().map_err(StoreError::corrupt)?;
        self.get(id).await
    }

    async fn list(&self) -> Result<Vec<User>, StoreError> {
        let mut users = scan_all(&self.client, &self.table, "user#")
            .await?
            .iter()
            .map(read_record)
            .collect::<Result<Vec<User>, _>>()?;
        users.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(users)
    }

    async fn update(&self, user: &User, now: Timestamp) -> Result<User, StoreError> {
        let stored = self.get(user.id).await?.ok_or(StoreError::NotFound)?;
        if stored.revision != user.revision {
            return Err(StoreError::StaleRevision { expected: user.revision });
        }
        let next = user.revised(&stored, now);
        match transact(&self.client, vec![put_user(&self.table, &next, "rev = :rev", Some(user.revision))?]).await? {
            Ok(()) => Ok(next),
            Err(_) => Err(StoreError::StaleRevision { expected: user.revision }),
        }
    }
}
