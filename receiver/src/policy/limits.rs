//! Concurrent association caps per peer address and per facility. A slot is held
//! by a guard for the association's lifetime and given back when it drops.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use noctis_core::domain::FacilityId;

#[derive(Debug)]
pub struct KeyedSemaphore<K: Hash + Eq + Clone> {
    max: usize,
    counts: Mutex<HashMap<K, usize>>,
}

impl<K: Hash + Eq + Clone> KeyedSemaphore<K> {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self { max, counts: Mutex::new(HashMap::new()) })
    }

    /// Takes a slot for `key`, or `None` when it already holds `max`.
    pub fn try_acquire(self: &Arc<Self>, key: K) -> Option<Slot<K>> {
        let mut counts = self.counts.lock().ok()?;
        let count = counts.entry(key.clone()).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Slot { counter: self.clone(), key })
    }

    fn release(&self, key: &K) {
        if let Ok(mut counts) = self.counts.lock()
            && let Some(count) = counts.get_mut(key)
        {
            *count -= 1;
            if *count == 0 {
                counts.remove(key);
            }
        }
    }
}

#[derive(Debug)]
pub struct Slot<K: Hash + Eq + Clone> {
    counter: Arc<KeyedSemaphore<K>>,
    key: K,
}

impl<K: Hash + Eq + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        self.counter.release(&self.key);
    }
}

pub type AddressSlots = KeyedSemaphore<IpAddr>;
pub type FacilitySlots = KeyedSemaphore<FacilityId>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_capped_and_given_back_on_drop() {
        let counter = KeyedSemaphore::new(2);
        let a = counter.try_acquire("x");
        let b = counter.try_acquire("x");
        assert!(a.is_some() && b.is_some());
        assert!(counter.try_acquire("x").is_none());
        assert!(counter.try_acquire("y").is_some(), "other keys are independent");
        drop(a);
        assert!(counter.try_acquire("x").is_some());
    }
}
