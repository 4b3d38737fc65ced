use std::net::IpAddr;

use async_trait::async_trait;
use rusqlite::params;

use super::{Database, db_err, optional_record, records, to_json};
use crate::domain::{Ban, BanPolicy, FailureCount, Timestamp, canonical, sortable_time};
use crate::ports::{BanList, StoreError};

#[derive(Debug, Clone)]
pub struct SqliteBanList {
    db: Database,
}

impl SqliteBanList {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn active(conn: &rusqlite::Connection, address: &str, at: Timestamp) -> Result<Option<Ban>, StoreError> {
    optional_record(
        conn,
        "SELECT record FROM bans WHERE address = ?1 AND expires_at > ?2",
        params![address, sortable_time(at)],
    )
}

fn write_ban(conn: &rusqlite::Connection, ban: &Ban) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO bans (address, expires_at, record) VALUES (?1, ?2, ?3)
         ON CONFLICT (address) DO UPDATE SET expires_at = excluded.expires_at, record = excluded.record",
        params![canonical(ban.address).to_string(), sortable_time(ban.expires_at), to_json(ban)?],
    )
    .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl BanList for SqliteBanList {
    async fn restore(&self, ban: &Ban) -> Result<(), StoreError> {
        let ban = ban.clone();
        self.db.call(move |conn| write_ban(conn, &ban)).await
    }

    async fn record_failure(
        &self,
        address: IpAddr,
        reason: &str,
        policy: &BanPolicy,
        at: Timestamp,
    ) -> Result<FailureCount, StoreError> {
        let address = canonical(address);
        let reason = reason.to_owned();
        let policy = *policy;
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(db_err)?;
                let key = address.to_string();
                let window = policy.window_index(at);
                // A failure in a new window starts the count again.
                let failures: u32 = tx
                    .query_row(
                        "INSERT INTO ban_failures (address, window_index, failures) VALUES (?1, ?2, 1)
                         ON CONFLICT (address) DO UPDATE SET
                            failures = CASE WHEN window_index = excluded.window_index THEN failures + 1 ELSE 1 END,
                            window_index = excluded.window_index
                         RETURNING failures",
                        params![key, window],
                        |row| row.get(0),
                    )
                    .map_err(db_err)?;
                let mut banned = None;
                if failures >= policy.threshold && active(&tx, &key, at)?.is_none() {
                    let ban = Ban { address, reason, failures, banned_at: at, expires_at: policy.expiry(at) };
                    write_ban(&tx, &ban)?;
                    banned = Some(ban);
                }
                tx.commit().map_err(db_err)?;
                Ok(FailureCount { failures_in_window: failures, banned })
            })
            .await
    }

    async fn active_ban(&self, address: IpAddr, at: Timestamp) -> Result<Option<Ban>, StoreError> {
        let key = canonical(address).to_string();
        self.db.call(move |conn| active(conn, &key, at)).await
    }

    async fn list_active(&self, at: Timestamp) -> Result<Vec<Ban>, StoreError> {
        self.db
            .call(move |conn| {
                records(
                    conn,
                    "SELECT record FROM bans WHERE expires_at > ?1 ORDER BY expires_at, address",
                    [sortable_time(at)],
                )
            })
            .await
    }

    async fn lift(&self, address: IpAddr) -> Result<bool, StoreError> {
        let key = canonical(address).to_string();
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(db_err)?;
                let lifted = tx.execute("DELETE FROM bans WHERE address = ?1", [&key]).map_err(db_err)? > 0;
                if lifted {
                    tx.execute("DELETE FROM ban_failures WHERE address = ?1", [&key]).map_err(db_err)?;
                }
                tx.commit().map_err(db_err)?;
                Ok(lifted)
            })
            .await
    }
}
