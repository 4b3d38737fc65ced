use async_trait::async_trait;

use super::StoreError;
use crate::domain::{Timestamp, User, UserId, Username};

/// People who sign in to the API; usernames are held unique by the database.
#[async_trait]
pub trait UserDirectory: Send + Sync + std::fmt::Debug {
    /// `Conflict(Username)` when the name is held.
    async fn insert(&self, user: &User) -> Result<(), StoreError>;

    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError>;

    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, StoreError>;

    /// All users, by username.
    async fn list(&self) -> Result<Vec<User>, StoreError>;

    /// Writes `user` over the stored one if that is still at `user.revision`; the
    /// username cannot change. Returns the stored record (revision bumped).
    async fn update(&self, user: &User, now: Timestamp) -> Result<User, StoreError>;
}
