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
    /// Optimistic writes kept colliding with others' (a hot study, a shared
    /// failure count) through every retry: the caller may try again later.
    #[error("{what} stayed contended through {attempts} attempts")]
    Contended { what: &'static str, attempts: u32 },
    #[error("a stored record cannot be read back: {0}")]
    Corrupt(String),
    /// The adapter reached a state it should never be in (a store answering
    /// without an upload id, a poisoned lock): a bug or a broken dependency,
    /// not bad data.
    #[error("internal storage failure: {0}")]
    Internal(String),
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

    pub fn internal(what: impl std::fmt::Display) -> Self {
        StoreError::Internal(what.to_string())
    }
}
