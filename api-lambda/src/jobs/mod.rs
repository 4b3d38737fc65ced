//! The jobs `noctis-api` runs besides serving: retention, from the command
//! line or on Lambda as a function of its own that an EventBridge schedule
//! invokes; and, from the command line, rebuilding the index, and exporting
//! and importing the registry.

pub mod backup;
pub mod reindex;
pub mod retention;
