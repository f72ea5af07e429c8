//! A bounded cache of recently used snapshots, so a command's load rarely reads and parses
//! JSON. Coherent because only committed states enter it and a newer version always wins:
//! the writer puts every committed snapshot in after its transaction, and a reader that
//! loaded an older version from the file cannot overwrite a newer one.

use std::hash::BuildHasher;

use aliprotect_core::ids::TenantId;
use aliprotect_core::store::{Loaded, Snapshot, StreamId};
use foldhash::HashMap;
use parking_lot::Mutex;

const SHARDS: usize = 16;

type Key = (TenantId, StreamId);
type Shard = Mutex<HashMap<Key, (u64, Snapshot)>>;

#[derive(Debug)]
pub(crate) struct SnapshotCache {
    shards: Box<[Shard]>,
    per_shard: usize,
    hasher: foldhash::fast::FixedState,
}

impl SnapshotCache {
    /// A cache holding about `capacity` snapshots (0 disables it).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            per_shard: capacity.div_ceil(SHARDS),
            hasher: foldhash::fast::FixedState::default(),
        }
    }

    fn shard(&self, key: &Key) -> &Shard {
        &self.shards[self.hasher.hash_one(key) as usize % SHARDS]
    }

    pub(crate) fn get(&self, tenant: TenantId, stream: StreamId) -> Option<Loaded> {
        let key = (tenant, stream);
        self.shard(&key)
            .lock()
            .get(&key)
            .map(|(version, snapshot)| Loaded {
                version: *version,
                snapshot: snapshot.clone(),
            })
    }

    /// Stores `snapshot` at `version` unless a newer version is cached.
    pub(crate) fn put(&self, tenant: TenantId, stream: StreamId, version: u64, snapshot: Snapshot) {
        if self.per_shard == 0 {
            return;
        }
        let key = (tenant, stream);
        let mut shard = self.shard(&key).lock();
        if shard.get(&key).is_some_and(|(cached, _)| *cached > version) {
            return;
        }
        if shard.len() >= self.per_shard && !shard.contains_key(&key) {
            // Crude but bounded: forget about a quarter of this shard.
            let mut seen = 0usize;
            shard.retain(|_, _| {
                seen += 1;
                !seen.is_multiple_of(4)
            });
        }
        shard.insert(key, (version, snapshot));
    }

    /// Drops the cached snapshot of a stream.
    pub(crate) fn forget(&self, tenant: TenantId, stream: StreamId) {
        let key = (tenant, stream);
        self.shard(&key).lock().remove(&key);
    }
}
