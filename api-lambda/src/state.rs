use std::sync::Arc;

use noctis_core::{Backend, Config};

use crate::auth::{LoginLimiter, TokenKeys};

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub backend: Backend,
    pub tokens: TokenKeys,
    pub logins: Arc<LoginLimiter>,
    pub config: Arc<Config>,
}
