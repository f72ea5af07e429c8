//! # aliprotect-store-memory
//!
//! An in-memory [`Store`](aliprotect_core::store::Store) for tests and small embedders: as
//! strict as a durable store (version checks, atomic commits, tenant isolation, idempotency
//! receipts, claims), but gone with the process.
//!
//! ```
//! use aliprotect_core::store::{StreamId, prelude::*};
//! use aliprotect_core::ids::{RightId, TenantId};
//! use aliprotect_store_memory::MemoryStore;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! let loaded = store.load(TenantId::new(), StreamId::Right(RightId::new())).await.unwrap();
//! assert!(loaded.is_none());
//! # });
//! ```
//!
//! Concurrency: streams are spread over shards by id, each behind its own `RwLock`
//! (parking_lot's), taken only inside synchronous sections, never across an `.await`. A
//! commit touches one shard (plus the receipt table when it carries an idempotency key) and
//! holds its lock only to check the version and apply the change, so every commit becomes
//! visible at once and readers never wait longer than one commit. Commands on different
//! streams rarely meet on a lock, which lets them run in parallel on several cores.
//! Tenant-wide queries (counts, timers, outbox) visit the shards one after another.
#![deny(missing_docs)]

mod shard;

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use aliprotect_core::ids::{CampaignId, TenantId, WorkerId};
use aliprotect_core::metrics::Tallies;
use aliprotect_core::notify::MessageId;
use aliprotect_core::store::{
    Claim, Commit, CountQuery, DeadLetter, Due, EventLog, Find, IdempotencyKey, Loaded, Outbox,
    OutboxMessage, ReadModel, Schedule, Settlement, Snapshot, StatusCount, StoreError, StoredEvent,
    StoredReceipt, StreamId, Timer, TimerPage, UniqueKey, WorkId,
};
use aliprotect_core::store::{ImportReport, ReceiptExport, StreamExport, Transfer};
use async_trait::async_trait;
use foldhash::HashMap;
use parking_lot::{Mutex, RwLock};

use shard::Shard;

/// Shards per store: a power of two well above the core counts this store is used on.
const SHARDS: usize = 16;

/// The in-memory store. Share it behind an `Arc` or give it to one engine (engines clone).
#[derive(Debug)]
pub struct MemoryStore {
    shards: Box<[RwLock<Shard>]>,
    receipts: Mutex<HashMap<(TenantId, IdempotencyKey), StoredReceipt>>,
    /// Which stream holds each unique key of each tenant.
    unique: Mutex<HashMap<TenantId, HashMap<UniqueKey, StreamId>>>,
    next_seq: AtomicU64,
    shard_hasher: foldhash::fast::FixedState,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            receipts: Mutex::default(),
            unique: Mutex::default(),
            next_seq: AtomicU64::new(0),
            shard_hasher: foldhash::fast::FixedState::default(),
        }
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn shard(&self, stream: StreamId) -> &RwLock<Shard> {
        &self.shards[self.shard_index(stream)]
    }

    fn shard_index(&self, stream: StreamId) -> usize {
        self.shard_hasher.hash_one(stream) as usize % SHARDS
    }

    /// Claims the `limit` oldest items (by store-wide sequence number) that `available`
    /// finds in the shards, with `lease` on each. All shards are locked (in order) so
    /// "oldest first" holds across them and no other claim takes the same item in between.
    fn claim_oldest<T>(
        &self,
        limit: usize,
        available: impl Fn(&Shard) -> Vec<u64>,
        lease: impl Fn(&mut Shard, u64) -> Option<T>,
    ) -> Vec<T> {
        let mut shards: Vec<_> = self.shards.iter().map(|shard| shard.write()).collect();
        let mut candidates: Vec<(u64, usize)> = shards
            .iter()
            .enumerate()
            .flat_map(|(index, shard)| available(shard).into_iter().map(move |seq| (seq, index)))
            .collect();
        candidates.sort_unstable();
        candidates.truncate(limit);
        candidates
            .into_iter()
            .filter_map(|(seq, index)| lease(&mut shards[index], seq))
            .collect()
    }

    /// Sums per-shard results of a tenant-wide query into one sorted list.
    fn merged<K: Ord>(&self, per_shard: impl Fn(&Shard) -> Vec<(K, u64)>) -> Vec<(K, u64)> {
        let mut total: BTreeMap<K, u64> = BTreeMap::new();
        for shard in self.shards.iter() {
            for (key, count) in per_shard(&shard.read()) {
                *total.entry(key).or_default() += count;
            }
        }
        total.into_iter().collect()
    }
}

#[async_trait]
impl EventLog for MemoryStore {
    async fn load(&self, tenant: TenantId, stream: StreamId) -> Result<Option<Loaded>, StoreError> {
        Ok(self.shard(stream).read().load(tenant, stream))
    }

    async fn load_to_decide(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Option<Loaded>, StoreError> {
        // Always current here: spare the default's second boxed future on the hot path.
        Ok(self.shard(stream).read().load(tenant, stream))
    }

    async fn commit(&self, mut commit: Commit) -> Result<(), StoreError> {
        // Needs no lock: a commit that does not hold together is refused before its version
        // is looked at, as every backend does.
        commit.check()?;
        let mut shard = self.shard(commit.stream).write();
        shard.validate(&commit)?;
        // Lock order: shard, then receipts, then unique keys. Each is checked before anything
        // is written, so a used key or a taken unique key refuses the whole commit, and a
        // recorded one implies the commit.
        let mut receipts = match &commit.receipt {
            Some(record) => {
                let receipts = self.receipts.lock();
                if receipts.contains_key(&(commit.tenant, record.key.clone())) {
                    return Err(StoreError::DuplicateIdempotencyKey(record.key.clone()));
                }
                Some(receipts)
            }
            None => None,
        };
        // Keys are claimed before the commit is applied, under their own lock held only
        // that long (filings of two shards do not wait on each other's apply): the shard's
        // lock, held throughout, keeps the new holder's state from being read before it is
        // applied, and nothing after validation refuses a commit.
        if !commit.unique.is_empty() {
            let mut unique = self.unique.lock();
            let held = unique.entry(commit.tenant).or_default();
            for key in &commit.unique.take {
                match held.get(key) {
                    Some(holder) if *holder != commit.stream => {
                        return Err(StoreError::UniqueKeyTaken {
                            key: key.clone(),
                            holder: *holder,
                        });
                    }
                    _ => {}
                }
            }
            let stream = commit.stream;
            for key in &commit.unique.release {
                if held.get(key) == Some(&stream) {
                    held.remove(key);
                }
            }
            for key in std::mem::take(&mut commit.unique.take) {
                held.insert(key, stream);
            }
        }
        let tenant = commit.tenant;
        let receipt = commit.receipt.clone();
        let replaced = shard.apply(commit, || self.next_seq.fetch_add(1, Ordering::Relaxed));
        if let (Some(receipts), Some(record)) = (receipts.as_mut(), receipt) {
            receipts.insert(
                (tenant, record.key),
                StoredReceipt {
                    receipt: record.receipt,
                    request: Some(record.request),
                },
            );
        }
        drop(receipts);
        drop(shard);
        // Freed here, after the locks are released.
        drop(replaced);
        Ok(())
    }

    async fn receipt(
        &self,
        tenant: TenantId,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredReceipt>, StoreError> {
        Ok(self.receipts.lock().get(&(tenant, key.clone())).copied())
    }

    async fn stream_keys(
        &self,
        after: Option<(TenantId, StreamId)>,
        limit: usize,
    ) -> Result<Vec<(TenantId, StreamId)>, StoreError> {
        let mut keys: Vec<(TenantId, StreamId)> = self
            .shards
            .iter()
            .flat_map(|shard| shard.read().stream_keys(after, limit))
            .collect();
        keys.sort_unstable();
        keys.truncate(limit);
        Ok(keys)
    }

    async fn history(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(self.shard(stream).read().history(tenant, stream))
    }
}

#[async_trait]
impl Schedule for MemoryStore {
    async fn claim_due(&self, claim: Claim) -> Result<Due, StoreError> {
        let Claim { now, lease, limit } = claim;
        Ok(Due {
            timers: self.claim_timers(claim),
            work: self.claim_oldest(
                limit,
                |shard| shard.available_work(now, limit),
                |shard, seq| shard.lease_work(seq, lease),
            ),
        })
    }

    async fn complete_work(&self, id: &WorkId, owner: WorkerId) -> Result<bool, StoreError> {
        Ok(self.shard(id.stream).write().complete_work(id, owner))
    }

    async fn count_pending_timers(&self, tenant: TenantId) -> Result<Option<u64>, StoreError> {
        Ok(Some(
            self.shards
                .iter()
                .map(|shard| shard.read().count_pending_timers(tenant))
                .sum(),
        ))
    }

    async fn pending_timers(
        &self,
        tenant: TenantId,
        page: &TimerPage,
    ) -> Result<Option<Vec<Timer>>, StoreError> {
        let mut streams: Vec<_> = self
            .shards
            .iter()
            .flat_map(|shard| shard.read().pending_timers(tenant, page))
            .collect();
        streams.sort_unstable_by_key(|(soonest, stream, _)| (*soonest, *stream));
        streams.truncate(page.limit);
        Ok(Some(
            streams
                .into_iter()
                .flat_map(|(_, _, timers)| timers)
                .collect(),
        ))
    }
}

impl MemoryStore {
    /// The due timers of up to `limit` streams, earliest first, each stream leased.
    fn claim_timers(&self, claim: Claim) -> Vec<Timer> {
        let mut due = Vec::new();
        let mut streams = 0;
        for shard in self.shards.iter() {
            if streams >= claim.limit {
                break;
            }
            let rest = Claim {
                limit: claim.limit - streams,
                ..claim
            };
            let (timers, claimed) = shard.write().claim_timers(rest);
            due.extend(timers);
            streams += claimed;
        }
        due.sort_by_key(|t| (t.due, t.tenant, t.stream, t.kind));
        due
    }
}

#[async_trait]
impl Outbox for MemoryStore {
    async fn claim_outbox(&self, claim: Claim) -> Result<Vec<OutboxMessage>, StoreError> {
        let Claim { now, lease, limit } = claim;
        Ok(self.claim_oldest(
            limit,
            |shard| shard.available_outbox(now, limit),
            |shard, seq| shard.lease_outbox(seq, lease),
        ))
    }

    async fn settle_outbox(
        &self,
        id: &MessageId,
        settlement: Settlement,
    ) -> Result<bool, StoreError> {
        Ok(self.shard(id.stream).write().settle_outbox(id, settlement))
    }

    async fn dead_letters(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let mut dead: Vec<(u64, DeadLetter)> = self
            .shards
            .iter()
            .flat_map(|shard| shard.read().dead_letters(tenant, limit))
            .collect();
        dead.sort_by_key(|(seq, _)| *seq);
        Ok(dead.into_iter().take(limit).map(|(_, d)| d).collect())
    }

    async fn pending_outbox(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Option<Vec<OutboxMessage>>, StoreError> {
        let mut pending: Vec<(u64, OutboxMessage)> = self
            .shards
            .iter()
            .flat_map(|shard| shard.read().pending_outbox(tenant, limit))
            .collect();
        pending.sort_by_key(|(seq, _)| *seq);
        Ok(Some(
            pending.into_iter().take(limit).map(|(_, m)| m).collect(),
        ))
    }
}

#[async_trait]
impl ReadModel for MemoryStore {
    async fn find(
        &self,
        tenant: TenantId,
        query: &Find,
    ) -> Result<Vec<(StreamId, Snapshot)>, StoreError> {
        let mut found: Vec<(StreamId, Snapshot)> = self
            .shards
            .iter()
            .flat_map(|shard| shard.read().find(tenant, query))
            .collect();
        found.sort_unstable_by_key(|(stream, _)| *stream);
        found.truncate(query.limit);
        Ok(found)
    }

    async fn count(
        &self,
        tenant: TenantId,
        query: &CountQuery,
    ) -> Result<Vec<StatusCount>, StoreError> {
        let merged = self.merged(|shard| shard.count(tenant, query.kind, query.by));
        Ok(merged
            .into_iter()
            .map(|((group, status), count)| StatusCount {
                group,
                status,
                count,
            })
            .collect())
    }

    async fn metric_tallies(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<Tallies, StoreError> {
        let mut tallies = Tallies::default();
        for shard in &self.shards {
            shard.read().add_tallies(tenant, campaign, &mut tallies);
        }
        Ok(tallies)
    }
}

#[async_trait]
impl Transfer for MemoryStore {
    async fn export_streams(
        &self,
        after: Option<(TenantId, StreamId)>,
        limit: usize,
    ) -> Result<Vec<StreamExport>, StoreError> {
        let keys = self.stream_keys(after, limit).await?;
        let mut exports: Vec<StreamExport> = self
            .shards
            .iter()
            .flat_map(|shard| shard.read().export(&keys))
            .collect();
        exports.sort_unstable_by_key(|e| (e.tenant, e.stream));
        let unique = self.unique.lock();
        for export in &mut exports {
            export.unique = unique
                .get(&export.tenant)
                .into_iter()
                .flatten()
                .filter(|(_, holder)| **holder == export.stream)
                .map(|(key, _)| key.clone())
                .collect();
        }
        drop(unique);
        Ok(exports.into_iter().map(StreamExport::canonical).collect())
    }

    async fn export_receipts(
        &self,
        after: Option<(TenantId, IdempotencyKey)>,
        limit: usize,
    ) -> Result<Vec<ReceiptExport>, StoreError> {
        let mut receipts: Vec<ReceiptExport> = self
            .receipts
            .lock()
            .iter()
            .filter(|(key, _)| after.as_ref().is_none_or(|after| *key > after))
            .map(|((tenant, key), receipt)| ReceiptExport {
                tenant: *tenant,
                key: key.clone(),
                receipt: *receipt,
            })
            .collect();
        receipts.sort_unstable_by(|a, b| (a.tenant, &a.key).cmp(&(b.tenant, &b.key)));
        receipts.truncate(limit);
        Ok(receipts)
    }

    async fn import_streams(&self, streams: &[StreamExport]) -> Result<ImportReport, StoreError> {
        for export in streams {
            export.check()?;
        }
        // Every shard, then the unique keys, locked in that order (as a commit takes
        // them): the page is checked whole before anything is written.
        let mut shards: Vec<_> = self.shards.iter().map(|shard| shard.write()).collect();
        let mut unique = self.unique.lock();
        let mut report = ImportReport::default();
        let mut fresh = Vec::with_capacity(streams.len());
        for export in streams {
            let index = self.shard_index(export.stream);
            match shards[index].present(export.tenant, export.stream) {
                Some((version, _)) if version != export.version => {
                    return Err(StoreError::Conflict {
                        stream: export.stream,
                        expected: export.version,
                        actual: version,
                    });
                }
                Some((_, snapshot)) if *snapshot != export.snapshot => {
                    return Err(StoreError::ImportMismatch {
                        stream: export.stream,
                        detail: "its snapshot differs".to_owned(),
                    });
                }
                Some(_) => report.skipped += 1,
                None => {
                    let held = unique.get(&export.tenant);
                    for key in &export.unique {
                        if let Some(holder) = held.and_then(|held| held.get(key))
                            && *holder != export.stream
                        {
                            return Err(StoreError::UniqueKeyTaken {
                                key: key.clone(),
                                holder: *holder,
                            });
                        }
                    }
                    fresh.push((index, export));
                }
            }
        }
        for (index, export) in fresh {
            let held = unique.entry(export.tenant).or_default();
            for key in &export.unique {
                held.insert(key.clone(), export.stream);
            }
            shards[index].import(export, || self.next_seq.fetch_add(1, Ordering::Relaxed));
            report.imported += 1;
            report.events += export.version;
        }
        Ok(report)
    }

    async fn import_receipts(
        &self,
        receipts: &[ReceiptExport],
    ) -> Result<ImportReport, StoreError> {
        let mut stored = self.receipts.lock();
        let mut report = ImportReport::default();
        for receipt in receipts {
            match stored.get(&(receipt.tenant, receipt.key.clone())) {
                Some(present) if *present == receipt.receipt => report.skipped += 1,
                Some(_) => return Err(StoreError::DuplicateIdempotencyKey(receipt.key.clone())),
                None => {}
            }
        }
        for receipt in receipts {
            let key = (receipt.tenant, receipt.key.clone());
            if stored.insert(key, receipt.receipt).is_none() {
                report.imported += 1;
            }
        }
        Ok(report)
    }
}
