//! The caches of the store's hot lookups (tokens, field definitions,
//! organizations), shared by every backend: [`Caches`] says what is cached and for
//! how long, once, and [`BoundedCache`] writes the locking, bounding and ageing
//! once.
//!
//! Each lookup caches only what cannot go stale in a way that matters, or only for
//! as long as staleness is acceptable (see the fields of [`Caches`]). Every server
//! on a database caches alike, so these rules are what make N servers behave as
//! one. A cache is bounded crudely: when full, it is emptied and refills. The
//! working set of a server is far below the bound, so an eviction policy would
//! cost more than it saves.

use super::{Entity, FieldDefinition, RecordId, RecordKey, StoreResult, TokenRecord};
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Bounds each cache: past this many entries it is emptied and refills.
const CACHE_LIMIT: usize = 10_000;

/// How long a cached token is trusted before it is read again: a token revoked,
/// or whose expiry was moved, by another process is refused within this. Half a
/// second, so that "within a second" holds with room for the request itself; a
/// busy server reads each token twice a second, which costs nothing measurable.
pub const TOKEN_CACHE_AGE: Duration = Duration::from_millis(500);

/// What a store caches, and the one place that decides how each lookup uses its
/// cache. A backend passes the read to do on a miss.
pub struct Caches {
    /// A token is revoked, or its expiry moved, by `crm admin` or by hand in
    /// another process, so a hit is trusted for [`TOKEN_CACHE_AGE`] only (expiry
    /// itself is checked at each use); unknown hashes are not cached.
    tokens: BoundedCache<[u8; 32], TokenRecord>,
    /// Definitions are only ever added, and the domain asks for a fresh list
    /// before calling a field unknown, so a definition added by another process is
    /// seen at its first use.
    definitions: BoundedCache<(i64, Entity), Arc<Vec<FieldDefinition>>>,
    /// By (workspace, uuid or id). Organizations are never deleted, so a found one
    /// stays found; misses are not cached.
    organizations: BoundedCache<(i64, String), RecordId>,
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            tokens: BoundedCache::with_max_age(CACHE_LIMIT, TOKEN_CACHE_AGE),
            definitions: BoundedCache::new(CACHE_LIMIT),
            organizations: BoundedCache::new(CACHE_LIMIT),
        }
    }
}

impl Caches {
    pub async fn token(
        &self,
        hash: [u8; 32],
        read: impl Future<Output = StoreResult<Option<TokenRecord>>>,
    ) -> StoreResult<Option<TokenRecord>> {
        if let Some(hit) = self.tokens.get(&hash) {
            return Ok(Some(hit));
        }
        let found = read.await?;
        if let Some(token) = &found {
            self.tokens.insert(hash, token.clone());
        }
        Ok(found)
    }

    /// `fresh` skips the cache (and refills it).
    pub async fn definitions(
        &self,
        workspace_id: i64,
        entity: Entity,
        fresh: bool,
        read: impl Future<Output = StoreResult<Vec<FieldDefinition>>>,
    ) -> StoreResult<Arc<Vec<FieldDefinition>>> {
        let key = (workspace_id, entity);
        if !fresh {
            if let Some(hit) = self.definitions.get(&key) {
                return Ok(hit);
            }
        }
        let definitions = Arc::new(read.await?);
        self.definitions.insert(key, definitions.clone());
        Ok(definitions)
    }

    /// To call once a definition of (workspace, entity) has been committed, so
    /// that no read between can cache the list without it.
    pub fn definition_added(&self, workspace_id: i64, entity: Entity) {
        self.definitions.remove(&(workspace_id, entity));
    }

    pub async fn organization(
        &self,
        workspace_id: i64,
        key: &RecordKey,
        read: impl Future<Output = StoreResult<Option<RecordId>>>,
    ) -> StoreResult<Option<RecordId>> {
        let cache_key = (workspace_id, key.to_string());
        if let Some(hit) = self.organizations.get(&cache_key) {
            return Ok(Some(hit));
        }
        let found = read.await?;
        if let Some(org) = &found {
            self.organizations.insert(cache_key, org.clone());
        }
        Ok(found)
    }
}

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

    /// A stale list is harmless only because the domain asks for a fresh one
    /// before calling a field unknown, and an add in this process drops the list;
    /// both are what this counts, in reads of the database.
    #[tokio::test]
    async fn definitions_are_read_again_only_when_fresh_or_added_to() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let caches = Caches::default();
        let reads = AtomicUsize::new(0);
        let read = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            Ok(Vec::new())
        };
        let mut seen = Vec::new();
        for (workspace, fresh) in [(1, false), (1, false), (1, true), (1, false)] {
            caches
                .definitions(workspace, Entity::Person, fresh, read())
                .await
                .unwrap();
            seen.push(reads.load(Ordering::SeqCst));
        }
        assert_eq!(seen, [1, 1, 2, 2], "a hit reads nothing; fresh reads");
        caches.definition_added(1, Entity::Person);
        caches
            .definitions(1, Entity::Person, false, read())
            .await
            .unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 3, "an add drops the list");
        for (workspace, entity) in [(2, Entity::Person), (1, Entity::Lead)] {
            caches
                .definitions(workspace, entity, false, read())
                .await
                .unwrap();
        }
        assert_eq!(
            reads.load(Ordering::SeqCst),
            5,
            "one list per (workspace, entity)"
        );
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
