//! Per-client caches of what an account defines (association labels, property definitions):
//! one slot per key, filled once however many tasks ask at the same time.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// One cached value, filled on first use.
pub(crate) type Slot<V> = Arc<OnceCell<V>>;

/// Slots by key. Accounts differ, so a cache belongs to one client (and its clones), never to
/// the process.
#[derive(Debug)]
pub(crate) struct KeyedCache<K, V> {
    slots: Mutex<HashMap<K, Slot<V>>>,
}

impl<K, V> Default for KeyedCache<K, V> {
    fn default() -> Self {
        KeyedCache {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V> KeyedCache<K, V> {
    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<K, Slot<V>>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The slot for `key`, empty until someone fills it.
    pub(crate) fn slot(&self, key: K) -> Slot<V> {
        self.slots().entry(key).or_default().clone()
    }

    /// Replaces the value for `key`.
    pub(crate) fn store(&self, key: K, value: V) {
        self.slots().insert(key, Arc::new(OnceCell::from(value)));
    }

    /// Drops the value for `key`, so the next use fetches it again.
    pub(crate) fn forget(&self, key: &K) {
        self.slots().remove(key);
    }
}
