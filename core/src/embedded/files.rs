//! Objects as files: written where no reader looks, synced, then given their
//! name, so a reader sees the old object or the whole new one. Where the
//! filesystem has unnamed files (`O_TMPFILE`: ext4, XFS, Btrfs, tmpfs), a new
//! object is written as one in its own directory and linked in; a process
//! killed mid-instance leaves nothing, and no rename crosses directories.
//! Elsewhere, and when the object already exists, it goes through `.staging`
//! and a rename.

use std::io::{ErrorKind, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use tokio::fs::{self, File};

use crate::domain::ObjectKey;
use crate::ports::{ObjectReader, ObjectStore, ObjectWriter, StoreError, StoredObject};

#[derive(Debug, Clone)]
pub struct FileObjectStore {
    root: PathBuf,
    staging: PathBuf,
    /// Whether new objects are written as unnamed files (probed at open).
    unnamed: bool,
}

impl FileObjectStore {
    pub async fn open(root: PathBuf) -> Result<Self, StoreError> {
        let staging = root.join(".staging");
        fs::create_dir_all(&staging).await.map_err(StoreError::backend)?;
        let probe = staging.join(format!("{}.part", uuid::Uuid::new_v4()));
        let unnamed =
            tokio::task::spawn_blocking(move || takes_unnamed_files(&probe)).await.map_err(StoreError::backend)?;
        Ok(Self { root, staging, unnamed })
    }

    fn path_of(&self, key: &ObjectKey) -> Result<PathBuf, StoreError> {
        // Keys are built from UUIDs and UIDs only; refuse anything that could escape the root.
        if !key.is_safe_path() {
            return Err(StoreError::internal(format!("object key {key} is not a safe path")));
        }
        Ok(self.root.join(key.as_str()))
    }
}

#[async_trait]
impl ObjectStore for FileObjectStore {
    async fn begin_write(&self, key: &ObjectKey) -> Result<Box<dyn ObjectWriter>, StoreError> {
        let target = self.path_of(key)?;
        let temp = self.staging.join(format!("{}.part", uuid::Uuid::new_v4()));
        let destination = Destination { temp, target, unnamed: self.unnamed };
        Ok(Box::new(FileWriter { file: None, buffer: BytesMut::new(), destination, size: 0, done: false }))
    }

    async fn read(&self, key: &ObjectKey) -> Result<Option<ObjectReader>, StoreError> {
        match File::open(self.path_of(key)?).await {
            Ok(file) => Ok(Some(Box::new(file))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::backend(e)),
        }
    }

    async fn read_prefix(&self, key: &ObjectKey, len: usize) -> Result<Option<Bytes>, StoreError> {
        use tokio::io::AsyncReadExt;
        let file = match File::open(self.path_of(key)?).await {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::backend(e)),
        };
        let mut prefix = Vec::with_capacity(len.min(1024 * 1024));
        file.take(len as u64).read_to_end(&mut prefix).await.map_err(StoreError::backend)?;
        Ok(Some(Bytes::from(prefix)))
    }

    async fn list(
        &self,
        prefix: &str,
        after: Option<&ObjectKey>,
        limit: usize,
    ) -> Result<Vec<StoredObject>, StoreError> {
        let prefix = prefix.trim_end_matches('/');
        let folder = if prefix.is_empty() {
            self.root.clone()
        } else {
            self.path_of(&ObjectKey::from_stored(prefix.to_owned()))?
        };
        let after = after.map(|key| key.as_str().to_owned());
        let key_prefix = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
        tokio::task::spawn_blocking(move || {
            let mut listing = Listing { limit, found: Vec::new() };
            let bound: Option<Vec<&str>> =
                after.as_deref().map(|after| after.strip_prefix(&key_prefix).unwrap_or(after).split('/').collect());
            listing.walk(&folder, &key_prefix, bound.as_deref())?;
            Ok::<_, std::io::Error>(listing.found)
        })
        .await
        .map_err(StoreError::backend)?
        .map_err(StoreError::backend)
    }

    async fn remove_abandoned_writes(&self, started_before: std::time::SystemTime) -> Result<usize, StoreError> {
        let mut entries = fs::read_dir(&self.staging).await.map_err(StoreError::backend)?;
        let mut removed = 0;
        while let Some(entry) = entries.next_entry().await.map_err(StoreError::backend)? {
            let path = entry.path();
            if path.extension().is_none_or(|extension| extension != "part") {
                continue;
            }
            let modified = entry.metadata().await.and_then(|meta| meta.modified());
            if modified.is_ok_and(|modified| modified < started_before) {
                match fs::remove_file(&path).await {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(StoreError::backend(e)),
                }
            }
        }
        Ok(removed)
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

/// A listing of files in key order, which here is component by component:
/// a folder's entries by name, each folder's files before the next entry.
struct Listing {
    limit: usize,
    found: Vec<StoredObject>,
}

impl Listing {
    /// Lists `folder` (whose keys start with `key_prefix`), past `bound`: the
    /// components of the key to start after, while the walk is on its path.
    fn walk(&mut self, folder: &Path, key_prefix: &str, bound: Option<&[&str]>) -> std::io::Result<()> {
        let mut entries = match std::fs::read_dir(folder) {
            Ok(entries) => entries
                .filter_map(|entry| entry.ok())
                .filter_map(|entry| Some((entry.file_name().into_string().ok()?, entry)))
                // `.staging` and anything else hidden is not an object.
                .filter(|(name, _)| !name.starts_with('.'))
                .collect::<Vec<_>>(),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, entry) in entries {
            if self.found.len() >= self.limit {
                return Ok(());
            }
            let kind = entry.file_type()?;
            let on_path = match bound {
                Some([first, rest @ ..]) => match name.as_str().cmp(first) {
                    std::cmp::Ordering::Less => continue,
                    std::cmp::Ordering::Equal if kind.is_dir() => Some(rest),
                    std::cmp::Ordering::Equal => continue,
                    std::cmp::Ordering::Greater => None,
                },
                _ => None,
            };
            let key = format!("{key_prefix}{name}");
            if kind.is_dir() {
                self.walk(&entry.path(), &format!("{key}/"), on_path)?;
            } else if kind.is_file() {
                let meta = entry.metadata()?;
                let modified = meta.modified().map(chrono::DateTime::<chrono::Utc>::from)?;
                self.found.push(StoredObject { key: ObjectKey::from_stored(key), size: meta.len(), modified });
            }
        }
        Ok(())
    }
}

/// Bytes are gathered in memory and written in large pieces, each piece one trip
/// to the blocking pool; a small instance is written, synced and named in one.
const SPILL_BYTES: usize = 1024 * 1024;

#[derive(Debug)]
struct FileWriter {
    /// Created on the first spill (or at finish), so an instance refused early
    /// never touches the disk.
    file: Option<std::fs::File>,
    buffer: BytesMut,
    destination: Destination,
    size: u64,
    done: bool,
}

/// Where an object's bytes are written, and the name they end under.
#[derive(Debug, Clone)]
struct Destination {
    /// A name in `.staging`: the file itself when `unnamed` is off, else used
    /// only to replace an object that already exists.
    temp: PathBuf,
    target: PathBuf,
    unnamed: bool,
}

impl Destination {
    fn create(&self) -> std::io::Result<std::fs::File> {
        if !self.unnamed {
            return std::fs::File::create(&self.temp);
        }
        let folder = self.target.parent().unwrap_or(Path::new("."));
        create_durable_dirs(folder)?;
        create_unnamed(folder)
    }

    /// The durable part: the data and what reading it back needs (its size and
    /// blocks; fdatasync skips only the timestamps), then the name, then the
    /// directory entry (a new name is durable only once its directory is).
    fn commit(&self, file: std::fs::File) -> std::io::Result<()> {
        file.sync_data()?;
        let folder = self.target.parent().map(Path::to_owned).unwrap_or_default();
        if !self.unnamed {
            drop(file);
            create_durable_dirs(&folder)?;
            std::fs::rename(&self.temp, &self.target)?;
        } else if let Err(e) = link_unnamed(&file, &self.target) {
            // A link never replaces: a re-sent object takes the staging name, then the rename.
            if e.kind() != ErrorKind::AlreadyExists {
                return Err(e);
            }
            link_unnamed(&file, &self.temp)?;
            std::fs::rename(&self.temp, &self.target)?;
        }
        std::fs::File::open(&folder)?.sync_all()
    }
}

/// A file with no name yet in `folder`, freed by the filesystem if the process
/// dies before it is linked.
fn create_unnamed(folder: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).mode(0o666).custom_flags(nix::fcntl::OFlag::O_TMPFILE.bits()).open(folder)
}

/// Gives an unnamed file the name `path` (linkat(2) through /proc, as open(2) shows).
fn link_unnamed(file: &std::fs::File, path: &Path) -> std::io::Result<()> {
    let handle = format!("/proc/self/fd/{}", file.as_raw_fd());
    let cwd = nix::fcntl::AT_FDCWD;
    nix::unistd::linkat(cwd, handle.as_str(), cwd, path, nix::fcntl::AtFlags::AT_SYMLINK_FOLLOW)
        .map_err(std::io::Error::from)
}

/// Whether unnamed files can be made and linked here: `probe` is a staging
/// name, removed again (or by the next start's cleanup).
fn takes_unnamed_files(probe: &Path) -> bool {
    let folder = probe.parent().unwrap_or(Path::new("."));
    let works = create_unnamed(folder).and_then(|file| link_unnamed(&file, probe)).is_ok();
    let _ = std::fs::remove_file(probe);
    works
}

fn append(file: Option<std::fs::File>, destination: &Destination, data: &[u8]) -> std::io::Result<std::fs::File> {
    let mut file = match file {
        Some(file) => file,
        None => destination.create()?,
    };
    file.write_all(data)?;
    Ok(file)
}

/// Creates `dir` and its missing ancestors so that they survive a power loss:
/// a new directory is an entry in its parent, which must be synced too (the
/// first instance of a study creates its study and series directories).
fn create_durable_dirs(dir: &Path) -> std::io::Result<()> {
    let missing: Vec<&Path> = dir.ancestors().take_while(|at| !at.exists()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    for created in missing.iter().rev() {
        if let Some(parent) = created.parent() {
            std::fs::File::open(parent)?.sync_all()?;
        }
    }
    Ok(())
}

impl FileWriter {
    async fn spill(&mut self) -> Result<(), StoreError> {
        let data = self.buffer.split().freeze();
        let file = self.file.take();
        let destination = self.destination.clone();
        let file = tokio::task::spawn_blocking(move || append(file, &destination, &data))
            .await
            .map_err(StoreError::backend)?
            .map_err(StoreError::backend)?;
        self.file = Some(file);
        Ok(())
    }
}

#[async_trait]
impl ObjectWriter for FileWriter {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        if self.done {
            return Err(StoreError::internal("write after finish"));
        }
        self.size += chunk.len() as u64;
        self.buffer.extend_from_slice(&chunk);
        if self.buffer.len() >= SPILL_BYTES {
            self.spill().await?;
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<u64, StoreError> {
        let data = self.buffer.split().freeze();
        let file = self.file.take();
        let destination = self.destination.clone();
        let committed = tokio::task::spawn_blocking(move || {
            let file = append(file, &destination, &data)?;
            destination.commit(file)
        })
        .await
        .map_err(StoreError::backend)?;
        match committed {
            Ok(()) => {
                self.done = true;
                Ok(self.size)
            }
            // Drop removes the temporary file.
            Err(e) => Err(StoreError::backend(e)),
        }
    }

    async fn abort(mut self: Box<Self>) -> Result<(), StoreError> {
        self.buffer.clear();
        if self.file.take().is_some() {
            self.done = true;
            match fs::remove_file(&self.destination.temp).await {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::backend(e)),
            }
        }
        Ok(())
    }
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        // A writer dropped without finishing (a task killed mid-instance) leaves
        // no partial file behind.
        if !self.done {
            let _ = std::fs::remove_file(&self.destination.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn staged(root: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(root.join(".staging")).expect("lists").map(|e| e.expect("an entry").path()).collect()
    }

    async fn stored(store: &FileObjectStore, key: &ObjectKey) -> Option<Vec<u8>> {
        use tokio::io::AsyncReadExt;
        let mut reader = store.read(key).await.expect("reads")?;
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).await.expect("reads through");
        Some(bytes)
    }

    async fn write(store: &FileObjectStore, key: &ObjectKey, bytes: &[u8]) {
        let mut writer = store.begin_write(key).await.expect("begins");
        writer.write(Bytes::copy_from_slice(bytes)).await.expect("writes");
        writer.finish().await.expect("finishes");
    }

    /// A store in a new directory, writing new objects as unnamed files or through staging.
    async fn store_writing(unnamed: bool) -> (tempfile::TempDir, FileObjectStore) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut store = FileObjectStore::open(dir.path().to_path_buf()).await.expect("opens");
        store.unnamed = unnamed;
        (dir, store)
    }

    fn an_instance_key() -> ObjectKey {
        ObjectKey::from_stored("facility/study/series/instance.dcm".into())
    }

    #[tokio::test]
    async fn on_this_filesystem_a_new_object_is_linked_in_without_passing_through_staging() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = FileObjectStore::open(dir.path().to_path_buf()).await.expect("opens");
        assert!(store.unnamed, "ext4, XFS, Btrfs and tmpfs take O_TMPFILE");
        assert!(staged(dir.path()).is_empty(), "the probe left nothing");
        let key = an_instance_key();
        write(&store, &key, b"an instance").await;
        assert_eq!(stored(&store, &key).await.as_deref(), Some(&b"an instance"[..]));
        assert!(staged(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn an_object_written_again_is_replaced_whole_either_way() {
        for unnamed in [true, false] {
            let (dir, store) = store_writing(unnamed).await;
            let key = an_instance_key();
            write(&store, &key, b"first").await;
            write(&store, &key, b"the second, longer").await;
            assert_eq!(stored(&store, &key).await.as_deref(), Some(&b"the second, longer"[..]), "unnamed: {unnamed}");
            assert!(staged(dir.path()).is_empty(), "unnamed: {unnamed}");
        }
    }

    #[tokio::test]
    async fn an_object_dropped_after_its_first_spill_leaves_no_file_either_way() {
        for unnamed in [true, false] {
            let (dir, store) = store_writing(unnamed).await;
            let key = an_instance_key();
            let mut writer = store.begin_write(&key).await.expect("begins");
            writer.write(Bytes::from(vec![7u8; SPILL_BYTES + 1])).await.expect("spills");
            drop(writer);
            assert_eq!(stored(&store, &key).await, None, "unnamed: {unnamed}");
            assert!(staged(dir.path()).is_empty(), "unnamed: {unnamed}");
            let listed = store.list("", None, 10).await.expect("lists");
            assert!(listed.is_empty(), "unnamed: {unnamed}: {listed:?}");
        }
    }

    #[tokio::test]
    async fn staging_files_left_before_the_start_are_removed_and_newer_ones_kept() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = FileObjectStore::open(dir.path().to_path_buf()).await.expect("opens");
        let orphan = dir.path().join(".staging/killed-mid-instance.part");
        std::fs::write(&orphan, b"half an instance").expect("writes");
        let started = SystemTime::now() + Duration::from_secs(1);
        let removed = store.remove_abandoned_writes(started).await.expect("cleans");
        assert_eq!(removed, 1);
        assert!(!orphan.exists());

        let in_flight = dir.path().join(".staging/being-written.part");
        std::fs::write(&in_flight, b"bytes").expect("writes");
        let removed = store.remove_abandoned_writes(SystemTime::now() - Duration::from_secs(60)).await.expect("ok");
        assert_eq!(removed, 0);
        assert!(in_flight.exists(), "a write begun after the cut-off is another process's, still running");
    }
}
