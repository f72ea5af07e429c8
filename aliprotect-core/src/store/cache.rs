//! A bounded cache of recently committed snapshots for durable backends, so that a
//! command's [`load_to_decide`](super::EventLog::load_to_decide) rarely reads and parses
//! JSON. Coherent within one handle because only committed states enter it and a newer
//! version always wins: a backend puts every snapshot it committed in after its transaction,
//! and a reader that loaded an older version cannot overwrite a newer one. Another handle's
//! commits are not seen: what [`load`](super::EventLog::load) answers from it must be checked
//! against the stored version.

use std::hash::BuildHasher;

use super::{Commit, Loaded, Snapshot, StoreError, StreamId};
use crate::ids::TenantId;
use foldhash::HashMap;
use parking_lot::Mutex;

const SHARDS: usize = 16;

type Key = (TenantId, StreamId);
type Shard = Mutex<HashMap<Key, (u64, Snapshot)>>;

/// Snapshots by tenant and stream, with their versions; sharded so that concurrent
/// commands rarely wait on one lock.
#[derive(Debug)]
pub struct SnapshotCache {
    shards: Box<[Shard]>,
    per_shard: usize,
    hasher: foldhash::fast::FixedState,
}

impl SnapshotCache {
    /// A cache holding about `capacity` snapshots (0 disables it).
    pub fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            per_shard: capacity.div_ceil(SHARDS),
            hasher: foldhash::fast::FixedState::default(),
        }
    }

    fn shard(&self, key: &Key) -> &Shard {
        &self.shards[self.hasher.hash_one(key) as usize % SHARDS]
    }

    /// The cached version and snapshot of the stream, if any.
    pub fn get(&self, tenant: TenantId, stream: StreamId) -> Option<Loaded> {
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
    pub fn put(&self, tenant: TenantId, stream: StreamId, version: u64, snapshot: Snapshot) {
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

    /// Keeps the cache coherent with a commit's result: a written commit's snapshot goes in;
    /// a version conflict drops the stream's entry, since the commit was perhaps decided on
    /// a stale snapshot from the cache, and the retry must read the database.
    pub fn after_commit(&self, commit: &Commit, result: &Result<(), StoreError>) {
        match result {
            Ok(()) => {
                let version = commit.expected_version + commit.events.len() as u64;
                self.put(
                    commit.tenant,
                    commit.stream,
                    version,
                    commit.snapshot.clone(),
                );
            }
            Err(StoreError::Conflict { .. }) => self.forget(commit.tenant, commit.stream),
            Err(_) => {}
        }
    }

    /// Drops the cached snapshot of a stream.
    pub fn forget(&self, tenant: TenantId, stream: StreamId) {
        let key = (tenant, stream);
        self.shard(&key).lock().remove(&key);
    }
}
