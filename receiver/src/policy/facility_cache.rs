//! A short-lived cache of registry answers for calling AE titles. Both "found"
//! and "not found" are kept for a few seconds: a deactivation takes effect within
//! that time, and a flood of unknown titles does not reach the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use noctis_core::domain::{AeTitle, Facility};
use noctis_core::ports::{FacilityRegistry, StoreError};

/// Past this many entries, expired ones are dropped before inserting.
const MAX_ENTRIES: usize = 10_000;

pub struct FacilityCache {
    registry: Arc<dyn FacilityRegistry>,
    ttl: Duration,
    entries: Mutex<HashMap<AeTitle, (Instant, Option<Facility>)>>,
}

impl std::fmt::Debug for FacilityCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FacilityCache").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

impl FacilityCache {
    pub fn new(registry: Arc<dyn FacilityRegistry>, ttl: Duration) -> Self {
        Self { registry, ttl, entries: Mutex::new(HashMap::new()) }
    }

    pub async fn lookup(&self, ae_title: &AeTitle) -> Result<Option<Facility>, StoreError> {
        if let Some(hit) = self.cached(ae_title) {
            return Ok(hit);
        }
        let found = self.registry.find_by_ae_title(ae_title).await?;
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                let now = Instant::now();
                entries.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(ae_title.clone(), (Instant::now(), found.clone()));
        }
        Ok(found)
    }

    fn cached(&self, ae_title: &AeTitle) -> Option<Option<Facility>> {
        let entries = self.entries.lock().ok()?;
        let (at, facility) = entries.get(ae_title)?;
        (at.elapsed() < self.ttl).then(|| facility.clone())
    }
}
