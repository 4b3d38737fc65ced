//! The status part of a DIMSE response.

use noctis_wire::command::status;

/// What a DIMSE response says: its Status and, for a failure, an Error
/// Comment (PS3.7 C.4) a modality's operator can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub comment: Option<String>,
}

impl Reply {
    pub fn success() -> Self {
        Self { status: status::SUCCESS, comment: None }
    }

    pub fn refusal(status: u16) -> Self {
        Self { status, comment: None }
    }

    pub fn failure(status: u16, comment: impl Into<String>) -> Self {
        Self { status, comment: Some(comment.into()) }
    }
}
