use std::error::Error as StdError;

/// How a storage port call can fail, the same for every adapter.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} is already taken")]
    Conflict(Taken),
    #[error("the record changed since it was read (revision {expected} expected)")]
    StaleRevision { expected: u64 },
    #[error("not found")]
    NotFound,
    #[error("a stored record cannot be read back: {0}")]
    Corrupt(String),
    #[error("the storage backend failed: {0}")]
    Backend(#[source] Box<dyn StdError + Send + Sync>),
}

/// The unique value a write collided with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    AeTitle,
    LicenseNumber,
    Username,
}

impl std::fmt::Display for Taken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Taken::AeTitle => "the AE title",
            Taken::LicenseNumber => "the licence number",
            Taken::Username => "the username",
        })
    }
}

impl StoreError {
    pub fn backend(err: impl StdError + Send + Sync + 'static) -> Self {
        StoreError::Backend(Box::new(err))
    }

    pub fn corrupt(err: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(err.to_string())
    }
}
