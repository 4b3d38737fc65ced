use async_trait::async_trait;
use rusqlite::params;

use super::{Database, db_err, optional_record, records, to_json, unique_violation};
use crate::domain::{Timestamp, User, UserId, Username};
use crate::ports::{StoreError, Taken, UserDirectory};

#[derive(Debug, Clone)]
pub struct SqliteUserDirectory {
    db: Database,
}

impl SqliteUserDirectory {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn read_one(conn: &rusqlite::Connection, column: &str, value: String) -> Result<Option<User>, StoreError> {
    optional_record(conn, &format!("SELECT record FROM users WHERE {column} = ?1"), [value])
}

/// Inserts `user`'s row; the facility registry calls it inside a facility's
/// transaction for its first user.
pub(super) fn insert_row(conn: &rusqlite::Connection, user: &User) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO users (id, username, revision, record) VALUES (?1, ?2, ?3, ?4)",
        params![user.id.to_string(), user.username.as_str(), user.revision, to_json(user)?],
    )
    .map_err(|e| unique_violation(e, &[("users.username", Taken::Username)]))?;
    Ok(())
}

#[async_trait]
impl UserDirectory for SqliteUserDirectory {
    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        let user = user.clone();
        self.db.call(move |conn| insert_row(conn, &user)).await
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.db.call(move |conn| read_one(conn, "id", id.to_string())).await
    }

    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, StoreError> {
        let username = username.as_str().to_owned();
        self.db.call(move |conn| read_one(conn, "username", username)).await
    }

    async fn list(&self) -> Result<Vec<User>, StoreError> {
        self.db.call(|conn| records(conn, "SELECT record FROM users ORDER BY username", [])).await
    }

    async fn update(&self, user: &User, now: Timestamp) -> Result<User, StoreError> {
        let user = user.clone();
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(db_err)?;
                let stored = read_one(&tx, "id", user.id.to_string())?.ok_or(StoreError::NotFound)?;
                if stored.revision != user.revision {
                    return Err(StoreError::StaleRevision { expected: user.revision });
                }
                let next = user.revised(&stored, now);
                tx.execute(
                    "UPDATE users SET revision = ?2, record = ?3 WHERE id = ?1",
                    params![next.id.to_string(), next.revision, to_json(&next)?],
                )
                .map_err(db_err)?;
                tx.commit().map_err(db_err)?;
                Ok(next)
            })
            .await
    }
}
