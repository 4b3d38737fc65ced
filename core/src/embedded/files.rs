//! Objects as files: written to a temporary file in the same filesystem, fsynced,
//! then renamed into place, so a reader sees the old object or the whole new one.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::fs::{self, File};
use tokio::io::{AsyncWriteExt, BufWriter};

use crate::domain::ObjectKey;
use crate::ports::{ObjectReader, ObjectStore, ObjectWriter, StoreError};

#[derive(Debug, Clone)]
pub struct FileObjectStore {
    root: PathBuf,
    staging: PathBuf,
}

impl FileObjectStore {
    pub async fn open(root: PathBuf) -> Result<Self, StoreError> {
        let staging = root.join(".staging");
        fs::create_dir_all(&staging).await.map_err(StoreError::backend)?;
        Ok(Self { root, staging })
    }

    fn path_of(&self, key: &ObjectKey) -> Result<PathBuf, StoreError> {
        // Keys are built from UUIDs and UIDs only; refuse anything that could escape the root.
        if !key.is_safe_path() {
            return Err(StoreError::Corrupt(format!("object key {key} is not a safe path")));
        }
        Ok(self.root.join(key.as_str()))
    }
}

#[async_trait]
impl ObjectStore for FileObjectStore {
    async fn begin_write(&self, key: &ObjectKey) -> Result<Box<dyn ObjectWriter>, StoreError> {
        let target = self.path_of(key)?;
        let temp = self.staging.join(format!("{}.part", uuid::Uuid::new_v4()));
        let file = File::create(&temp).await.map_err(StoreError::backend)?;
        Ok(Box::new(FileWriter { file: Some(BufWriter::with_capacity(256 * 1024, file)), temp, target, size: 0 }))
    }

    async fn read(&self, key: &ObjectKey) -> Result<Option<ObjectReader>, StoreError> {
        match File::open(self.path_of(key)?).await {
            Ok(file) => Ok(Some(Box::new(file))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::backend(e)),
        }
    }

    async fn size(&self, key: &ObjectKey) -> Result<Option<u64>, StoreError> {
        match fs::metadata(self.path_of(key)?).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::backend(e)),
        }
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        match fs::remove_file(self.path_of(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::backend(e)),
        }
    }

    async fn download_url(
        &self,
        _key: &ObjectKey,
        _valid_for: std::time::Duration,
    ) -> Result<Option<String>, StoreError> {
        // Files have no URL of their own; the API streams them.
        Ok(None)
    }
}

#[derive(Debug)]
struct FileWriter {
    file: Option<BufWriter<File>>,
    temp: PathBuf,
    target: PathBuf,
    size: u64,
}

impl FileWriter {
    async fn commit(&mut self) -> Result<(), std::io::Error> {
        if let Some(mut file) = self.file.take() {
            file.flush().await?;
            file.get_mut().sync_all().await?;
        }
        let parent = self.target.parent().map(Path::to_owned).unwrap_or_default();
        fs::create_dir_all(&parent).await?;
        fs::rename(&self.temp, &self.target).await?;
        // The rename is durable only once the directory entry is.
        File::open(&parent).await?.sync_all().await
    }
}

#[async_trait]
impl ObjectWriter for FileWriter {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        let file = self.file.as_mut().ok_or_else(|| StoreError::Corrupt("write after finish".into()))?;
        file.write_all(&chunk).await.map_err(StoreError::backend)?;
        self.size += chunk.len() as u64;
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<u64, StoreError> {
        match self.commit().await {
            Ok(()) => Ok(self.size),
            Err(e) => {
                let _ = fs::remove_file(&self.temp).await;
                Err(StoreError::backend(e))
            }
        }
    }

    async fn abort(mut self: Box<Self>) -> Result<(), StoreError> {
        self.file.take();
        match fs::remove_file(&self.temp).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::backend(e)),
        }
    }
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        // A writer dropped without finish (a task killed mid-instance) leaves no
        // partial file behind.
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
