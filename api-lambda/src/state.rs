use std::sync::Arc;

use noctis_core::{Config, Ports};

use crate::login_limiter::LoginLimiter;
use noctis_core::auth::TokenKeys;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub ports: Ports,
    pub tokens: TokenKeys,
    pub logins: Arc<LoginLimiter>,
    pub config: Arc<Config>,
}
