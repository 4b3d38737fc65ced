use async_trait::async_trait;

use super::StoreError;
use crate::domain::{AeTitle, Facility, FacilityId, Timestamp, User};

/// The facilities allowed to send, with their AE titles and licence numbers held
/// unique by the database itself.
#[async_trait]
pub trait FacilityRegistry: Send + Sync + std::fmt::Debug {
    /// Inserts a new facility and, in the same unit of work, its first user:
    /// both are written or neither is. `Conflict(AeTitle | LicenseNumber |
    /// Username)` when one is held.
    async fn insert(&self, facility: &Facility, first_user: Option<&User>) -> Result<(), StoreError>;

    async fn get(&self, id: FacilityId) -> Result<Option<Facility>, StoreError>;

    async fn find_by_ae_title(&self, ae_title: &AeTitle) -> Result<Option<Facility>, StoreError>;

    /// All facilities, by name.
    async fn list(&self) -> Result<Vec<Facility>, StoreError>;

    /// Writes `facility` over the stored one if that is still at `facility.revision`,
    /// moving the uniqueness of a changed AE title or licence number along with it.
    /// Returns the stored record (revision bumped).
    async fn update(&self, facility: &Facility, now: Timestamp) -> Result<Facility, StoreError>;

    /// Activates or deactivates, whatever the revision; returns the stored record.
    async fn set_active(&self, id: FacilityId, active: bool, now: Timestamp) -> Result<Facility, StoreError>;
}
