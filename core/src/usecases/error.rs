use crate::ports::StoreError;

/// Why a use case refused or failed, in terms every front door can translate:
/// an HTTP status, a DICOM status, a command-line message.
#[derive(Debug, thiserror::Error)]
pub enum UseCaseError {
    /// One input is unacceptable; `field` names it as the request called it.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The thing acted on does not exist.
    #[error("not found")]
    NotFound,
    /// The request contradicts the stored state (a final report back to draft,
    /// no free AE title left).
    #[error("{0}")]
    Conflict(String),
    /// Something of ours broke (a worker thread lost); nothing the caller did.
    #[error("internal failure: {0}")]
    Internal(String),
    /// Storage refused (a taken unique value, a stale revision) or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl UseCaseError {
    pub fn invalid(field: &'static str, message: impl std::fmt::Display) -> Self {
        UseCaseError::Invalid { field, message: message.to_string() }
    }
}
