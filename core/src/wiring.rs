//! Opening the adapter set the configuration names: the one place that knows
//! both of them.

use crate::config::{BackendKind, Config};
use crate::ports::{Ports, StoreError};

pub async fn open_ports(config: &Config) -> Result<Ports, StoreError> {
    match config.storage.backend {
        BackendKind::Embedded => crate::embedded::open(&config.storage.data_dir).await,
        BackendKind::Aws => crate::aws::connect(&config.aws).await,
    }
}
