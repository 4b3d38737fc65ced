use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::AsyncRead;

use super::StoreError;
use crate::domain::{ObjectKey, Timestamp};

/// An object as a listing names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: ObjectKey,
    pub size: u64,
    /// When it was last written: for an instance, when it was received.
    pub modified: Timestamp,
}

/// Durable storage of Part-10 files, written as a stream so an instance of any
/// size passes through bounded memory.
#[async_trait]
pub trait ObjectStore: Send + Sync + std::fmt::Debug {
    /// Starts writing `key`. Nothing is visible under `key` until `finish`
    /// returns; `abort` (or dropping the writer) leaves the previous object, if
    /// any, untouched.
    async fn begin_write(&self, key: &ObjectKey) -> Result<Box<dyn ObjectWriter>, StoreError>;

    /// The object's bytes, or `None` when there is no object under `key`.
    async fn read(&self, key: &ObjectKey) -> Result<Option<ObjectReader>, StoreError>;

    /// At most the first `len` bytes of the object (all of it when shorter; a
    /// ranged GET on S3): what reading a header needs. `None` when there is
    /// no object under `key`.
    async fn read_prefix(&self, key: &ObjectKey, len: usize) -> Result<Option<Bytes>, StoreError>;

    /// Up to `limit` objects under `prefix` (`""`, or whole key components
    /// ending in `/`) whose keys follow `after` in the store's own key order,
    /// in that order: what rebuilding the index scans a page at a time, and
    /// resumes from the last key it finished.
    async fn list(
        &self,
        prefix: &str,
        after: Option<&ObjectKey>,
        limit: usize,
    ) -> Result<Vec<StoredObject>, StoreError>;

    /// Removes `key`; removing a missing object is not an error.
    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError>;

    /// A time-limited URL a client can fetch the object from directly, where the
    /// store offers one (S3 presigning); `None` means serve the bytes via `read`.
    async fn download_url(&self, key: &ObjectKey, valid_for: std::time::Duration)
    -> Result<Option<String>, StoreError>;

    /// True when `download_url` gives URLs: large downloads are then written
    /// here and fetched from the store, not streamed through the API.
    fn offers_download_urls(&self) -> bool {
        false
    }

    /// Removes what writers that ended without `finish` or `abort` (a process
    /// killed mid-instance) left behind, when begun before `started_before`;
    /// returns how many. Only the process that writes calls it, at start. A
    /// store whose own lifecycle does this (S3's rule aborting incomplete
    /// multipart uploads) has nothing to remove here.
    async fn remove_abandoned_writes(&self, started_before: std::time::SystemTime) -> Result<usize, StoreError> {
        let _ = started_before;
        Ok(0)
    }
}

pub type ObjectReader = Box<dyn AsyncRead + Send + Unpin>;

#[async_trait]
pub trait ObjectWriter: Send + Sync + std::fmt::Debug {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError>;

    /// Makes the object durable and visible; returns its size in bytes.
    async fn finish(self: Box<Self>) -> Result<u64, StoreError>;

    async fn abort(self: Box<Self>) -> Result<(), StoreError>;
}
