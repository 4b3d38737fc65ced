//! The jobs `noctis-api` runs besides serving: retention, from the command
//! line or on Lambda as a function of its own that an EventBridge schedule
//! invokes; and rebuilding the index, from the command line.

pub mod reindex;
pub mod retention;
