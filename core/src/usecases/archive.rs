//! A whole study as one zip, for downloading: each instance's Part-10 file,
//! read from the object store and written out as it is read, so a study of any
//! size passes through bounded memory. Entries are stored, not compressed:
//! pixel data is mostly compressed already, and the archive must keep up with
//! the network, not the CPU.

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipEntryBuilder};
use tokio::io::AsyncWrite;
use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

use super::UseCaseError;
use crate::domain::{ObjectKey, StudyDetail};
use crate::ports::ObjectStore;

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// `S<series number>_<series UID>/I<instance number>_<SOP instance UID>.dcm`:
    /// sorted as the modality numbered them, unique by UID.
    pub name: String,
    pub key: ObjectKey,
}

/// The archive's files, series by series in their numbered order.
pub fn archive_entries(study: &StudyDetail) -> Vec<ArchiveEntry> {
    let mut series: Vec<_> = study.series.iter().collect();
    series.sort_by_key(|s| (s.attributes.series_number.unwrap_or(i32::MAX), s.series_instance_uid.to_string()));
    let mut entries = Vec::with_capacity(study.instances.len());
    for s in series {
        let mut instances: Vec<_> =
            study.instances.iter().filter(|i| i.series_instance_uid == s.series_instance_uid).collect();
        instances.sort_by_key(|i| (i.instance_number.unwrap_or(i32::MAX), i.sop_instance_uid.to_string()));
        let folder = format!("S{}_{}", number(s.attributes.series_number), s.series_instance_uid);
        entries.extend(instances.into_iter().map(|i| ArchiveEntry {
            name: format!("{folder}/I{}_{}.dcm", number(i.instance_number), i.sop_instance_uid),
            key: i.object_key.clone(),
        }));
    }
    entries
}

fn number(n: Option<i32>) -> String {
    n.map_or_else(|| "-".to_owned(), |n| format!("{n:04}"))
}

/// Writes the zip of `entries` to `out`, then shuts `out` down. An instance
/// whose object is missing (deleted meanwhile) fails the archive rather than
/// leave a study silently incomplete.
pub async fn write_archive<W>(objects: &dyn ObjectStore, entries: &[ArchiveEntry], out: W) -> Result<(), UseCaseError>
where
    W: AsyncWrite + Unpin + Send,
{
    let failed = |what: &str, e: &dyn std::fmt::Display| UseCaseError::Internal(format!("study archive: {what}: {e}"));
    let mut zip = ZipFileWriter::new(out.compat_write());
    for entry in entries {
        let reader = objects
            .read(&entry.key)
            .await?
            .ok_or_else(|| UseCaseError::Internal(format!("study archive: {} is missing from storage", entry.key)))?;
        let builder = ZipEntryBuilder::new(entry.name.clone().into(), Compression::Stored);
        let mut writer = zip.write_entry_stream(builder).await.map_err(|e| failed("entry", &e))?;
        futures_lite::io::copy(reader.compat(), &mut writer).await.map_err(|e| failed("copy", &e))?;
        writer.close().await.map_err(|e| failed("entry end", &e))?;
    }
    let mut out = zip.close().await.map_err(|e| failed("directory", &e))?.into_inner();
    tokio::io::AsyncWriteExt::shutdown(&mut out).await.map_err(|e| failed("end", &e))?;
    Ok(())
}

/// How much of the archive is in flight between its writer and its reader.
const PIPE_BYTES: usize = 256 * 1024;

/// Writes the zip of `entries` into the object store under `key`, for a
/// store that serves downloads itself (S3, through a time-limited URL).
/// Nothing is visible under `key` unless the whole archive was written.
pub async fn export_archive(
    objects: &dyn ObjectStore,
    entries: &[ArchiveEntry],
    key: &ObjectKey,
) -> Result<u64, UseCaseError> {
    let mut target = objects.begin_write(key).await?;
    let (mut archive, writer) = tokio::io::duplex(PIPE_BYTES);
    let produce = write_archive(objects, entries, writer);
    // The reader owns its end: if storing fails it drops it, and the writer's
    // next write fails instead of waiting for room forever.
    let consume = async {
        let mut chunk = vec![0u8; PIPE_BYTES];
        loop {
            let read = tokio::io::AsyncReadExt::read(&mut archive, &mut chunk)
                .await
                .map_err(|e| UseCaseError::Internal(format!("study archive: pipe: {e}")))?;
            if read == 0 {
                return Ok::<(), UseCaseError>(());
            }
            target.write(bytes::Bytes::copy_from_slice(&chunk[..read])).await?;
        }
    };
    let (produced, consumed) = tokio::join!(produce, consume);
    match produced.and(consumed) {
        Ok(()) => Ok(target.finish().await?),
        Err(e) => {
            if let Err(abort) = target.abort().await {
                tracing::warn!(error = %abort, "an unfinished study archive could not be aborted");
            }
            Err(e)
        }
    }
}
