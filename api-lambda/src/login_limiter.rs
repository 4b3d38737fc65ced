//! Failed sign-ins, counted per address and per username.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins per key (address or username) in a fixed window. Kept in
/// memory: each API instance limits on its own, API Gateway throttles in front.
#[derive(Debug)]
pub struct LoginLimiter {
    attempts: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    pub fn new(attempts: u32, window: Duration) -> Self {
        Self { attempts: attempts.max(1), window, failures: Mutex::new(HashMap::new()) }
    }

    pub fn is_blocked(&self, keys: &[String]) -> bool {
        let Ok(failures) = self.failures.lock() else { return true };
        keys.iter()
            .any(|k| failures.get(k).is_some_and(|(since, n)| since.elapsed() < self.window && *n >= self.attempts))
    }

    pub fn record_failure(&self, keys: &[String]) {
        if let Ok(mut failures) = self.failures.lock() {
            if failures.len() > 100_000 {
                failures.retain(|_, (since, _)| since.elapsed() < self.window);
            }
            for key in keys {
                let entry = failures.entry(key.clone()).or_insert((Instant::now(), 0));
                if entry.0.elapsed() >= self.window {
                    *entry = (Instant::now(), 0);
                }
                entry.1 += 1;
            }
        }
    }

    pub fn clear(&self, keys: &[String]) {
        if let Ok(mut failures) = self.failures.lock() {
            for key in keys {
                failures.remove(key);
            }
        }
    }
}
