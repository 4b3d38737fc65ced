//! The key sign-in tokens are signed with. The API signs with it and DICOMweb
//! checks with it, so both processes must read the same one.

use std::path::Path;

use crate::Config;
use crate::config::BackendKind;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("api.token_secret must be set (at least 32 characters) when storage.backend is aws")]
    Missing,
    #[error("could not keep the generated token key in {path}: {source}")]
    File { path: String, source: std::io::Error },
}

/// The configured secret; on the embedded backend, one generated on first
/// start and kept (mode 0600) in the data directory, so tokens survive
/// restarts and the receiver beside the API reads the same one.
pub async fn token_secret(config: &Config) -> Result<Vec<u8>, SecretError> {
    match (&config.api.token_secret, config.storage.backend) {
        (Some(secret), _) => Ok(secret.expose().as_bytes().to_vec()),
        (None, BackendKind::Aws) => Err(SecretError::Missing),
        (None, BackendKind::Embedded) => generated_secret(&config.storage.data_dir.join("api-token-secret")).await,
    }
}

async fn generated_secret(path: &Path) -> Result<Vec<u8>, SecretError> {
    let failed = |source| SecretError::File { path: path.display().to_string(), source };
    if let Ok(existing) = tokio::fs::read(path).await
        && existing.len() >= 32
    {
        return Ok(existing);
    }
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(failed)?;
    }
    let secret: String = (0..2).map(|_| uuid::Uuid::new_v4().simple().to_string()).collect();
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    match options.open(path).await {
        Ok(mut file) => {
            tokio::io::AsyncWriteExt::write_all(&mut file, secret.as_bytes()).await.map_err(failed)?;
            tokio::io::AsyncWriteExt::flush(&mut file).await.map_err(failed)?;
            Ok(secret.into_bytes())
        }
        // Another process created it first: use theirs, once it is written.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_when_written(path).await.map_err(failed),
        Err(e) => Err(failed(e)),
    }
}

/// The other process creates the file, then writes 64 bytes: wait briefly
/// for them rather than take a half-written key.
async fn read_when_written(path: &Path) -> std::io::Result<Vec<u8>> {
    for _ in 0..100 {
        let existing = tokio::fs::read(path).await?;
        if existing.len() >= 32 {
            return Ok(existing);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Err(std::io::Error::other("the token key file stayed empty"))
}
