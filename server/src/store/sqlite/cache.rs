//! One small cache type for the store's hot lookups (tokens, field definitions,
//! organizations), so that their locking and bounding are written once.
//!
//! Each use caches only what cannot go stale in a way that matters (see the
//! fields of `SqliteStore`); this type decides nothing about that. It is bounded
//! crudely: when full, it is emptied and refills. The working set of a server is
//! far below the bound, so an eviction policy would cost more than it saves.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;

pub struct BoundedCache<K, V> {
    entries: RwLock<HashMap<K, V>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> BoundedCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        BoundedCache {
            entries: RwLock::new(HashMap::new()),
            capacity,
        }
    }

    // A poisoned lock only means a panic elsewhere while holding it; a cache can
    // always be answered as a miss and skipped on insert, so none of these fail.

    pub fn get(&self, key: &K) -> Option<V> {
        self.entries.read().ok()?.get(key).cloned()
    }

    pub fn insert(&self, key: K, value: V) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= self.capacity && !entries.contains_key(&key) {
                entries.clear();
            }
            entries.insert(key, value);
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
}
