//! Per-client caches of what an account defines (association labels, property definitions):
//! one cell per key, filled once however many tasks ask at the same time.
//!
//! A cache holds at most [`DEFAULT_CAPACITY`] keys (the least recently inserted goes first)
//! and keeps a value for [`DEFAULT_TTL`], after which the next use fetches it again. A failed
//! fetch is never kept: the next use tries again. Time is tokio's, so tests can pause it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio::time::Instant;

/// Keys a cache holds by default.
pub(crate) const DEFAULT_CAPACITY: usize = 256;

/// How long a cached value is used by default before it is fetched again.
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(10 * 60);

/// A value and when it was fetched.
struct Filled<V> {
    value: V,
    at: Instant,
}

/// One key's value: empty while its first fetch runs, then filled once and shared by every
/// task that asked meanwhile.
type ValueCell<V> = Arc<OnceCell<Filled<V>>>;

struct Entry<V> {
    cell: ValueCell<V>,
    /// Insertion number: the smallest is evicted first.
    seq: u64,
}

struct Cells<K, V> {
    by_key: HashMap<K, Entry<V>>,
    /// Keys by insertion number.
    order: BTreeMap<u64, K>,
    next_seq: u64,
}

impl<K: Eq + Hash + Clone, V> Cells<K, V> {
    fn remove(&mut self, key: &K) {
        if let Some(entry) = self.by_key.remove(key) {
            self.order.remove(&entry.seq);
        }
    }

    /// Inserts `cell` for `key` as the most recent.
    fn insert(&mut self, key: K, cell: ValueCell<V>) {
        self.remove(&key);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, key.clone());
        self.by_key.insert(key, Entry { cell, seq });
    }

    /// Evicts the least recently inserted keys beyond `capacity`. Called when a value comes
    /// in, so that a lookup that then fails has evicted nothing.
    fn trim(&mut self, capacity: usize) {
        while self.by_key.len() > capacity.max(1) {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.by_key.remove(&oldest);
        }
    }
}

/// Value cells by key, bounded in number and in age. Accounts differ, so a cache belongs to one
/// client (and its clones), never to the process.
pub(crate) struct KeyedCache<K, V> {
    cells: Mutex<Cells<K, V>>,
    capacity: usize,
    ttl: Duration,
}

impl<K, V> fmt::Debug for KeyedCache<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self
            .cells
            .lock()
            .map_or_else(|p| p.into_inner().by_key.len(), |s| s.by_key.len());
        f.debug_struct("KeyedCache")
            .field("len", &len)
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl<K, V> Default for KeyedCache<K, V> {
    fn default() -> Self {
        KeyedCache::new(DEFAULT_CAPACITY, DEFAULT_TTL)
    }
}

impl<K, V> KeyedCache<K, V> {
    /// A cache of at most `capacity` keys, each value kept for `ttl`.
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        KeyedCache {
            cells: Mutex::new(Cells {
                by_key: HashMap::new(),
                order: BTreeMap::new(),
                next_seq: 0,
            }),
            capacity,
            ttl,
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> KeyedCache<K, V> {
    fn cells(&self) -> std::sync::MutexGuard<'_, Cells<K, V>> {
        self.cells.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cell for `key`: the one in place while it is empty (being filled) or fresh, else a
    /// new empty one.
    fn cell(&self, key: &K) -> ValueCell<V> {
        let mut cells = self.cells();
        if let Some(entry) = cells.by_key.get(key) {
            let fresh = entry
                .cell
                .get()
                .is_none_or(|filled| filled.at.elapsed() < self.ttl);
            if fresh {
                return entry.cell.clone();
            }
        }
        let cell = ValueCell::default();
        cells.insert(key.clone(), cell.clone());
        cell
    }

    /// The value for `key`: cached, or fetched by `fetch` (once, however many tasks ask at
    /// the same time). An error is handed back and nothing is kept.
    pub(crate) async fn get_or_try_fetch<E, F, Fut>(&self, key: K, fetch: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let cell = self.cell(&key);
        let filled = cell
            .get_or_try_init(|| async {
                let value = fetch().await?;
                Ok(Filled {
                    value,
                    at: Instant::now(),
                })
            })
            .await;
        match filled {
            Ok(filled) => {
                self.cells().trim(self.capacity);
                Ok(filled.value.clone())
            }
            Err(error) => {
                // Leave no empty cell behind to take a place, unless another task is still
                // waiting to fill it.
                let mut cells = self.cells();
                let ours = cells
                    .by_key
                    .get(&key)
                    .is_some_and(|entry| Arc::ptr_eq(&entry.cell, &cell));
                if ours && !cell.initialized() && Arc::strong_count(&cell) <= 2 {
                    cells.remove(&key);
                }
                Err(error)
            }
        }
    }

    /// Replaces the value for `key`.
    pub(crate) fn store(&self, key: K, value: V) {
        let cell = Arc::new(OnceCell::from(Filled {
            value,
            at: Instant::now(),
        }));
        let mut cells = self.cells();
        cells.insert(key, cell);
        cells.trim(self.capacity);
    }

    /// The value for `key` if one is held and fresh; nothing is fetched.
    pub(crate) fn peek(&self, key: &K) -> Option<V> {
        let cells = self.cells();
        let filled = cells.by_key.get(key)?.cell.get()?;
        (filled.at.elapsed() < self.ttl).then(|| filled.value.clone())
    }

    /// Drops the value for `key`, so the next use fetches it again.
    pub(crate) fn forget(&self, key: &K) {
        self.cells().remove(key);
    }

    /// Drops every value, so each key's next use fetches it again.
    pub(crate) fn clear(&self) {
        let mut cells = self.cells();
        cells.by_key.clear();
        cells.order.clear();
    }

    /// How many keys are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.cells().by_key.len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Fetches of `cache` for `key` that answer `key * 10`, counted in `fetches`.
    async fn get(cache: &KeyedCache<u32, u32>, key: u32, fetches: &AtomicUsize) -> u32 {
        cache
            .get_or_try_fetch(key, || async {
                fetches.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(key * 10)
            })
            .await
            .unwrap()
    }

    #[test]
    fn defaults_are_256_keys_for_ten_minutes() {
        let cache = KeyedCache::<u32, u32>::default();
        assert_eq!(cache.capacity, 256);
        assert_eq!(cache.ttl, Duration::from_secs(600));
    }

    #[tokio::test(start_paused = true)]
    async fn a_value_is_fetched_again_once_it_is_older_than_its_ttl() {
        let cache = KeyedCache::new(8, Duration::from_secs(600));
        let fetches = AtomicUsize::new(0);
        assert_eq!(get(&cache, 1, &fetches).await, 10);
        tokio::time::advance(Duration::from_secs(599)).await;
        assert_eq!(get(&cache, 1, &fetches).await, 10);
        assert_eq!(fetches.load(Ordering::SeqCst), 1, "still fresh");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(get(&cache, 1, &fetches).await, 10);
        assert_eq!(fetches.load(Ordering::SeqCst), 2, "expired at 600 s");
        // The refetched value is fresh again for a whole ttl.
        tokio::time::advance(Duration::from_secs(599)).await;
        get(&cache, 1, &fetches).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        assert_eq!(cache.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stored_value_expires_too() {
        let cache = KeyedCache::new(8, Duration::from_secs(60));
        let fetches = AtomicUsize::new(0);
        cache.store(3, 99);
        assert_eq!(get(&cache, 3, &fetches).await, 99);
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(get(&cache, 3, &fetches).await, 30);
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_least_recently_inserted_key_goes_first_at_capacity() {
        let cache = KeyedCache::new(3, DEFAULT_TTL);
        let fetches = AtomicUsize::new(0);
        for key in [1, 2, 3] {
            get(&cache, key, &fetches).await;
        }
        // Reading key 1 again does not make it recent: insertion order decides.
        get(&cache, 1, &fetches).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
        get(&cache, 4, &fetches).await;
        assert_eq!(cache.len(), 3);
        get(&cache, 2, &fetches).await;
        get(&cache, 3, &fetches).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 4, "2 and 3 were kept");
        get(&cache, 1, &fetches).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 5, "1 was evicted");
        assert_eq!(cache.len(), 3);
    }

    #[tokio::test]
    async fn a_failed_fetch_is_not_kept_and_takes_no_place() {
        let cache = KeyedCache::<u32, u32>::new(2, DEFAULT_TTL);
        let fetches = AtomicUsize::new(0);
        get(&cache, 1, &fetches).await;
        get(&cache, 2, &fetches).await;
        for key in 10..20 {
            let failed = cache
                .get_or_try_fetch(key, || async { Err::<u32, _>("HubSpot said no") })
                .await;
            assert_eq!(failed, Err("HubSpot said no"));
        }
        assert_eq!(cache.len(), 2, "failures evicted nothing");
        get(&cache, 1, &fetches).await;
        get(&cache, 2, &fetches).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        // The next use of a failed key fetches it.
        assert_eq!(get(&cache, 10, &fetches).await, 100);
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn concurrent_uses_fetch_once() {
        let cache = Arc::new(KeyedCache::<u32, u32>::new(4, DEFAULT_TTL));
        let fetches = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (cache, fetches) = (cache.clone(), fetches.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_try_fetch(7, || async {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok::<_, ()>(70)
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), Ok(70));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn peek_reads_a_fresh_value_and_fetches_nothing() {
        let cache = KeyedCache::new(4, Duration::from_secs(60));
        assert_eq!(cache.peek(&1), None);
        assert_eq!(cache.len(), 0, "peeking made no cell");
        cache.store(1, 10);
        assert_eq!(cache.peek(&1), Some(10));
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(cache.peek(&1), None, "expired");
    }

    #[tokio::test]
    async fn forget_and_store_replace_a_value() {
        let cache = KeyedCache::new(4, DEFAULT_TTL);
        let fetches = AtomicUsize::new(0);
        get(&cache, 5, &fetches).await;
        cache.store(5, 1);
        assert_eq!(get(&cache, 5, &fetches).await, 1);
        cache.forget(&5);
        assert_eq!(get(&cache, 5, &fetches).await, 50);
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn clear_drops_every_value() {
        let cache = KeyedCache::new(4, DEFAULT_TTL);
        let fetches = AtomicUsize::new(0);
        for key in [1, 2, 3] {
            get(&cache, key, &fetches).await;
        }
        cache.clear();
        assert_eq!(cache.len(), 0);
        for key in [1, 2, 3] {
            assert_eq!(get(&cache, key, &fetches).await, key * 10);
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 6);
        assert_eq!(cache.len(), 3);
    }
}
