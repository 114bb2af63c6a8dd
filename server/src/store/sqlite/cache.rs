//! One small cache type for the store's hot lookups (tokens, field definitions,
//! organizations), so that their locking, bounding and ageing are written once.
//!
//! Each use caches only what cannot go stale in a way that matters, or only for
//! as long as staleness is acceptable (see the fields of `SqliteStore`); this type
//! decides nothing about that. It is bounded crudely: when full, it is emptied and
//! refills. The working set of a server is far below the bound, so an eviction
//! policy would cost more than it saves.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::time::{Duration, Instant};

pub struct BoundedCache<K, V> {
    entries: RwLock<HashMap<K, (Instant, V)>>,
    capacity: usize,
    /// Entries older than this are misses (and replaced by the next insert).
    max_age: Option<Duration>,
}

impl<K: Eq + Hash, V: Clone> BoundedCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        BoundedCache {
            entries: RwLock::new(HashMap::new()),
            capacity,
            max_age: None,
        }
    }

    /// A cache whose entries are trusted for `max_age` after they were inserted.
    pub fn with_max_age(capacity: usize, max_age: Duration) -> Self {
        BoundedCache {
            max_age: Some(max_age),
            ..Self::new(capacity)
        }
    }

    // A poisoned lock only means a panic elsewhere while holding it; a cache can
    // always be answered as a miss and skipped on insert, so none of these fail.

    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.read().ok()?;
        let (inserted, value) = entries.get(key)?;
        match self.max_age {
            Some(max_age) if inserted.elapsed() >= max_age => None,
            _ => Some(value.clone()),
        }
    }

    pub fn insert(&self, key: K, value: V) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= self.capacity && !entries.contains_key(&key) {
                entries.clear();
            }
            entries.insert(key, (Instant::now(), value));
        }
    }

    pub fn remove(&self, key: &K) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_by_emptying() {
        let cache = BoundedCache::new(2);
        cache.insert(1, "a");
        cache.insert(2, "b");
        cache.insert(2, "B");
        assert_eq!((cache.get(&1), cache.get(&2)), (Some("a"), Some("B")));
        cache.insert(3, "c");
        assert_eq!((cache.get(&1), cache.get(&3)), (None, Some("c")));
        cache.remove(&3);
        assert_eq!(cache.get(&3), None);
    }

    #[test]
    fn aged_entries_are_misses() {
        let cache = BoundedCache::with_max_age(2, Duration::ZERO);
        cache.insert(1, "a");
        assert_eq!(cache.get(&1), None);
        let cache = BoundedCache::with_max_age(2, Duration::from_secs(3600));
        cache.insert(1, "a");
        assert_eq!(cache.get(&1), Some("a"));
    }
}
