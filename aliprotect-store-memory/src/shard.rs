//! One shard of the store: the streams whose id hashes to it, with their events, snapshots,
//! timers, outbox messages and their share of the tenant's counters. `lib.rs` keeps each
//! shard behind its own lock and merges shards for tenant-wide queries.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use foldhash::HashMap;

use aliprotect_core::ids::{CampaignId, TenantId, WorkerId};
use aliprotect_core::metrics::Tallies;
use aliprotect_core::notify::MessageId;
use aliprotect_core::store::{
    Claim, Commit, DeadLetter, DomainEvent, Find, IndexKey, IndexName, Lease, Loaded,
    OutboxMessage, PendingWork, Settlement, Snapshot, StoreError, StoredEvent, StreamExport,
    StreamId, StreamKind, StreamStatus, Timer, TimerKind, TimerPage, WorkId, columns,
    order_stream_timers,
};
use chrono::{DateTime, Utc};

#[derive(Debug)]
struct Stream {
    events: Vec<DomainEvent>,
    snapshot: Snapshot,
    /// Its index keys, as its first commit gave them (what a copy of the store exports).
    index: Vec<IndexKey>,
}

type StreamKey = (TenantId, StreamId);

/// What a commit replaced (old snapshot, old timers), to be dropped outside the lock.
pub(crate) type Replaced = (Option<Snapshot>, Option<Vec<TimerKey>>);
pub(crate) type TimerKey = (DateTime<Utc>, TenantId, StreamId, TimerKind);

#[derive(Debug, Default)]
pub(crate) struct Shard {
    streams: HashMap<StreamKey, Stream>,
    /// Each tenant's streams by kind, in stream order.
    kinds: HashMap<(TenantId, StreamKind), BTreeSet<StreamId>>,
    /// Each tenant's index: per name, per value, the streams with that key, in stream order.
    index: HashMap<(TenantId, IndexName), HashMap<String, BTreeSet<StreamId>>>,
    /// Each tenant's streams per kind and status code.
    statuses: HashMap<(TenantId, StreamKind), HashMap<i16, u64>>,
    /// Metric tallies by tenant and campaign, kept from each commit's change.
    tallies: HashMap<(TenantId, Option<CampaignId>), Tallies>,
    timers: BTreeSet<TimerKey>,
    stream_timers: HashMap<StreamKey, Vec<TimerKey>>,
    /// Claims on streams' due timers; a commit to the stream ends its claim.
    timer_leases: HashMap<StreamKey, Lease>,
    /// Outbox by store-wide sequence number (insertion order); `outbox_seq` finds a
    /// message's place by id.
    outbox: BTreeMap<u64, OutboxMessage>,
    outbox_seq: HashMap<MessageId, u64>,
    /// Who last claimed each message.
    outbox_owner: HashMap<MessageId, WorkerId>,
    /// Pending work by store-wide sequence number; `work_seq` finds an item by id.
    work: BTreeMap<u64, PendingWork>,
    work_seq: HashMap<WorkId, u64>,
    /// Dead letters by the sequence number they had in the outbox.
    dead: BTreeMap<u64, DeadLetter>,
    dead_seq: HashMap<MessageId, u64>,
}

impl Shard {
    pub(crate) fn load(&self, tenant: TenantId, stream: StreamId) -> Option<Loaded> {
        self.streams.get(&(tenant, stream)).map(|s| Loaded {
            version: s.events.len() as u64,
            snapshot: s.snapshot.clone(),
        })
    }

    /// Checks a commit's expected version against this shard without changing anything.
    pub(crate) fn validate(&self, commit: &Commit) -> Result<(), StoreError> {
        let key = (commit.tenant, commit.stream);
        let actual = self.streams.get(&key).map_or(0, |s| s.events.len() as u64);
        if actual != commit.expected_version {
            return Err(StoreError::Conflict {
                stream: commit.stream,
                expected: commit.expected_version,
                actual,
            });
        }
        Ok(())
    }

    /// Applies a commit that [`Shard::validate`] accepted (the receipt is the caller's);
    /// `next_seq` numbers outbox messages store-wide. Returns what it replaced, so the
    /// caller can drop it after releasing the lock (freeing a snapshot is the slowest part).
    pub(crate) fn apply(&mut self, commit: Commit, next_seq: impl Fn() -> u64) -> Replaced {
        let key = (commit.tenant, commit.stream);
        let Commit {
            tenant,
            events,
            snapshot,
            outbox,
            timers,
            metrics,
            work,
            status,
            index,
            ..
        } = commit;
        if let Some(change) = &metrics {
            self.tallies
                .entry((tenant, change.after.campaign()))
                .or_default()
                .record(change);
        }
        let stream = key.1;
        let kind = stream.kind();
        if status.before.is_none() {
            self.kinds.entry((tenant, kind)).or_default().insert(stream);
        }
        for IndexKey { name, value } in &index {
            let values = self.index.entry((tenant, *name)).or_default();
            values.entry(value.clone()).or_default().insert(stream);
        }
        if status.moved() {
            let counts = self.statuses.entry((tenant, kind)).or_default();
            if let Some(before) = status.before {
                let count = counts.entry(columns::status_code(before)).or_default();
                *count = count.saturating_sub(1);
            }
            *counts
                .entry(columns::status_code(status.after))
                .or_default() += 1;
        }
        let snapshot = match self.streams.get_mut(&key) {
            Some(existing) => {
                existing.events.extend(events);
                existing.index.extend(index);
                Some(std::mem::replace(&mut existing.snapshot, snapshot))
            }
            None => {
                let mut all = Vec::with_capacity(8);
                all.extend(events);
                self.streams.insert(
                    key,
                    Stream {
                        events: all,
                        snapshot,
                        index,
                    },
                );
                None
            }
        };
        let timers = self.replace_timers(key, timers);
        for message in outbox {
            let seq = next_seq();
            self.outbox_owner.remove(&message.id);
            if let Some(previous) = self.outbox_seq.insert(message.id.clone(), seq) {
                self.outbox.remove(&previous);
            }
            self.outbox.insert(seq, message);
        }
        if let Some(work) = work {
            let seq = next_seq();
            if let Some(previous) = self.work_seq.insert(work.id, seq) {
                self.work.remove(&previous);
            }
            self.work.insert(seq, work);
        }
        (snapshot, timers)
    }

    fn replace_timers(&mut self, key: StreamKey, timers: Vec<Timer>) -> Option<Vec<TimerKey>> {
        self.timer_leases.remove(&key);
        let old = self.stream_timers.remove(&key);
        for timer in old.iter().flatten() {
            self.timers.remove(timer);
        }
        if !timers.is_empty() {
            let keys: Vec<TimerKey> = timers
                .into_iter()
                .map(|t| (t.due, t.tenant, t.stream, t.kind))
                .collect();
            self.timers.extend(keys.iter().copied());
            self.stream_timers.insert(key, keys);
        }
        old
    }

    /// Up to `limit` of this shard's stream keys after `after`, in order.
    pub(crate) fn stream_keys(&self, after: Option<StreamKey>, limit: usize) -> Vec<StreamKey> {
        let mut keys: Vec<StreamKey> = self
            .streams
            .keys()
            .filter(|key| after.is_none_or(|after| **key > after))
            .copied()
            .collect();
        keys.sort_unstable();
        keys.truncate(limit);
        keys
    }

    pub(crate) fn history(&self, tenant: TenantId, stream: StreamId) -> Vec<StoredEvent> {
        self.streams
            .get(&(tenant, stream))
            .map(|s| {
                s.events
                    .iter()
                    .zip(1..)
                    .map(|(event, version)| StoredEvent {
                        stream,
                        version,
                        event: event.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// This shard's streams that `query` finds, in stream order, at most `query.limit`.
    pub(crate) fn find(&self, tenant: TenantId, query: &Find) -> Vec<(StreamId, Snapshot)> {
        let streams = match &query.key {
            Some(key) => self
                .index
                .get(&(tenant, key.name))
                .and_then(|values| values.get(key.value.as_str())),
            None => self.kinds.get(&(tenant, query.kind)),
        };
        let Some(streams) = streams else {
            return Vec::new();
        };
        let after = match query.after {
            Some(after) => Bound::Excluded(after),
            None => Bound::Unbounded,
        };
        streams
            .range((after, Bound::Unbounded))
            .filter(|stream| stream.kind() == query.kind)
            .filter_map(|stream| {
                let found = self.streams.get(&(tenant, *stream))?;
                let wanted = query
                    .status
                    .is_none_or(|status| StreamStatus::of(&found.snapshot) == status);
                wanted.then(|| (*stream, found.snapshot.clone()))
            })
            .take(query.limit)
            .collect()
    }

    /// This shard's streams of the tenant and `kind` per status code, grouped by their values
    /// under the index `by` when given.
    pub(crate) fn count(
        &self,
        tenant: TenantId,
        kind: StreamKind,
        by: Option<IndexName>,
    ) -> Vec<((Option<String>, i16), u64)> {
        let Some(by) = by else {
            return self
                .statuses
                .get(&(tenant, kind))
                .into_iter()
                .flatten()
                .filter(|(_, count)| **count > 0)
                .map(|(status, count)| ((None, *status), *count))
                .collect();
        };
        let mut counts: HashMap<(Option<String>, i16), u64> = HashMap::default();
        for (value, streams) in self.index.get(&(tenant, by)).into_iter().flatten() {
            for stream in streams.iter().filter(|stream| stream.kind() == kind) {
                if let Some(found) = self.streams.get(&(tenant, *stream)) {
                    let status = columns::status_code(StreamStatus::of(&found.snapshot));
                    *counts.entry((Some(value.clone()), status)).or_default() += 1;
                }
            }
        }
        counts.into_iter().collect()
    }

    /// Adds this shard's tallies of the tenant (of `campaign` only, when given) to `into`.
    pub(crate) fn add_tallies(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
        into: &mut Tallies,
    ) {
        match campaign {
            Some(_) => {
                if let Some(tallies) = self.tallies.get(&(tenant, campaign)) {
                    into.merge(tallies);
                }
            }
            None => self
                .tallies
                .iter()
                .filter(|((t, _), _)| *t == tenant)
                .for_each(|(_, tallies)| into.merge(tallies)),
        }
    }

    /// How many timers the tenant's streams of this shard have.
    pub(crate) fn count_pending_timers(&self, tenant: TenantId) -> u64 {
        self.stream_timers
            .iter()
            .filter(|((of, _), _)| *of == tenant)
            .map(|(_, keys)| keys.len() as u64)
            .sum()
    }

    /// Up to `page.limit` of the tenant's streams with timers that `page` admits, in the
    /// order of their soonest timer, then stream: each with that soonest due time and all
    /// its timers, ordered.
    pub(crate) fn pending_timers(
        &self,
        tenant: TenantId,
        page: &TimerPage,
    ) -> Vec<(DateTime<Utc>, StreamId, Vec<Timer>)> {
        // From the previous page's last stream on: any kind will do, since the entries of
        // that stream that it skips are not on this page either.
        let from = page.after.map_or(Bound::Unbounded, |(due, stream)| {
            Bound::Included((due, tenant, stream, TimerKind::CheckBack))
        });
        let mut found = Vec::new();
        // In due order, a stream comes first at its soonest timer.
        for &(due, of, stream, _) in self.timers.range((from, Bound::Unbounded)) {
            if found.len() >= page.limit || page.until.is_some_and(|until| due > until) {
                break;
            }
            let Some(keys) = self.stream_timers.get(&(of, stream)) else {
                continue;
            };
            let soonest = keys.iter().map(|(due, ..)| *due).min();
            if of != tenant || soonest != Some(due) || !page.admits(due, stream) {
                continue;
            }
            if found.last().is_some_and(|(_, last, _)| *last == stream) {
                // Two timers of the stream due at once.
                continue;
            }
            let mut timers: Vec<Timer> = keys
                .iter()
                .map(|&(due, tenant, stream, kind)| Timer {
                    tenant,
                    stream,
                    kind,
                    due,
                })
                .collect();
            order_stream_timers(&mut timers);
            found.push((due, stream, timers));
        }
        found
    }

    /// Claims the due timers of up to `limit` streams without a live lease; returns them
    /// and how many streams were claimed.
    pub(crate) fn claim_timers(&mut self, claim: Claim) -> (Vec<Timer>, usize) {
        let Claim { now, lease, limit } = claim;
        let mut claimed: foldhash::HashSet<StreamKey> = foldhash::HashSet::default();
        let mut due = Vec::new();
        for &(at, tenant, stream, kind) in self.timers.iter().take_while(|(at, ..)| *at <= now) {
            let key = (tenant, stream);
            if !claimed.contains(&key) {
                let held = self.timer_leases.get(&key).is_some_and(|l| l.until > now);
                if held || claimed.len() >= limit {
                    continue;
                }
                claimed.insert(key);
            }
            due.push(Timer {
                tenant,
                stream,
                kind,
                due: at,
            });
        }
        let streams = claimed.len();
        for key in claimed {
            self.timer_leases.insert(key, lease);
        }
        (due, streams)
    }

    /// Sequence numbers of up to `limit` work items whose lease has run out at `now`.
    pub(crate) fn available_work(&self, now: DateTime<Utc>, limit: usize) -> Vec<u64> {
        self.work
            .iter()
            .filter(|(_, w)| w.lease.until <= now)
            .take(limit)
            .map(|(seq, _)| *seq)
            .collect()
    }

    /// Leases work item `seq`; returns it.
    pub(crate) fn lease_work(&mut self, seq: u64, lease: Lease) -> Option<PendingWork> {
        let work = self.work.get_mut(&seq)?;
        work.lease = lease;
        Some(work.clone())
    }

    pub(crate) fn complete_work(&mut self, id: &WorkId, owner: WorkerId) -> bool {
        let Some(seq) = self.work_seq.get(id).copied() else {
            return false;
        };
        if self.work.get(&seq).is_none_or(|w| w.lease.owner != owner) {
            return false;
        }
        self.work_seq.remove(id);
        self.work.remove(&seq);
        true
    }

    /// Sequence numbers of up to `limit` messages available at `now`, oldest first.
    pub(crate) fn available_outbox(&self, now: DateTime<Utc>, limit: usize) -> Vec<u64> {
        self.outbox
            .iter()
            .filter(|(_, m)| m.available_at <= now)
            .take(limit)
            .map(|(seq, _)| *seq)
            .collect()
    }

    /// Leases message `seq`, counting the attempt; returns it.
    pub(crate) fn lease_outbox(&mut self, seq: u64, lease: Lease) -> Option<OutboxMessage> {
        let message = self.outbox.get_mut(&seq)?;
        message.attempts = message.attempts.saturating_add(1);
        message.available_at = lease.until;
        self.outbox_owner.insert(message.id.clone(), lease.owner);
        Some(message.clone())
    }

    /// Takes the message out of the outbox if `owner` holds it.
    fn take_held(&mut self, id: &MessageId, owner: WorkerId) -> Option<(u64, OutboxMessage)> {
        if self.outbox_owner.get(id) != Some(&owner) {
            return None;
        }
        self.outbox_owner.remove(id);
        let seq = self.outbox_seq.remove(id)?;
        self.outbox.remove(&seq).map(|message| (seq, message))
    }

    pub(crate) fn settle_outbox(&mut self, id: &MessageId, settlement: Settlement) -> bool {
        match settlement {
            Settlement::Delivered { owner } => self.take_held(id, owner).is_some(),
            Settlement::Retry { owner, at } => self.release_outbox(id, owner, at),
            Settlement::DeadLetter { owner, error } => self.dead_letter_outbox(id, owner, error),
            Settlement::Revive { at } => self.revive_dead_letter(id, at),
        }
    }

    fn release_outbox(&mut self, id: &MessageId, owner: WorkerId, at: DateTime<Utc>) -> bool {
        if self.outbox_owner.get(id) != Some(&owner) {
            return false;
        }
        self.outbox_owner.remove(id);
        match self
            .outbox_seq
            .get(id)
            .and_then(|seq| self.outbox.get_mut(seq))
        {
            Some(message) => {
                message.available_at = at;
                true
            }
            None => false,
        }
    }

    fn dead_letter_outbox(&mut self, id: &MessageId, owner: WorkerId, error: String) -> bool {
        let Some((seq, message)) = self.take_held(id, owner) else {
            return false;
        };
        self.dead_seq.insert(id.clone(), seq);
        self.dead.insert(seq, DeadLetter { message, error });
        true
    }

    /// The tenant's dead letters with their sequence numbers, oldest first.
    pub(crate) fn dead_letters(&self, tenant: TenantId, limit: usize) -> Vec<(u64, DeadLetter)> {
        self.dead
            .iter()
            .filter(|(_, dead)| dead.message.notification.tenant == tenant)
            .take(limit)
            .map(|(seq, dead)| (*seq, dead.clone()))
            .collect()
    }

    /// The tenant's messages still to deliver with their sequence numbers, oldest first.
    pub(crate) fn pending_outbox(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Vec<(u64, OutboxMessage)> {
        self.outbox
            .iter()
            .filter(|(_, message)| message.notification.tenant == tenant)
            .take(limit)
            .map(|(seq, message)| (*seq, message.clone()))
            .collect()
    }

    fn revive_dead_letter(&mut self, id: &MessageId, at: DateTime<Utc>) -> bool {
        let Some(seq) = self.dead_seq.get(id).copied() else {
            return false;
        };
        if self
            .dead
            .get(&seq)
            .is_none_or(|dead| dead.message.notification.tenant != id.tenant)
        {
            return false;
        }
        self.dead_seq.remove(id);
        let Some(DeadLetter { mut message, .. }) = self.dead.remove(&seq) else {
            return false;
        };
        message.attempts = 0;
        message.available_at = at;
        self.outbox_seq.insert(id.clone(), seq);
        self.outbox.insert(seq, message);
        true
    }
}

/// A stream's rows as this shard keeps them, for a copy of the store (its unique keys and
/// receipts are the store's, not the shard's).
impl Shard {
    /// The version and snapshot of the stream, if present.
    pub(crate) fn present(&self, tenant: TenantId, stream: StreamId) -> Option<(u64, &Snapshot)> {
        self.streams
            .get(&(tenant, stream))
            .map(|s| (s.events.len() as u64, &s.snapshot))
    }

    /// Everything kept under each of `keys` that this shard holds, without unique keys.
    pub(crate) fn export(&self, keys: &[StreamKey]) -> Vec<StreamExport> {
        let mut exports: HashMap<StreamKey, StreamExport> = HashMap::default();
        for key in keys {
            let Some(found) = self.streams.get(key) else {
                continue;
            };
            let timers = self
                .stream_timers
                .get(key)
                .into_iter()
                .flatten()
                .map(|(due, tenant, stream, kind)| Timer {
                    tenant: *tenant,
                    stream: *stream,
                    kind: *kind,
                    due: *due,
                })
                .collect();
            exports.insert(
                *key,
                StreamExport {
                    tenant: key.0,
                    stream: key.1,
                    version: found.events.len() as u64,
                    snapshot: found.snapshot.clone(),
                    events: self.history(key.0, key.1),
                    index: found.index.clone(),
                    unique: Vec::new(),
                    timers,
                    outbox: Vec::new(),
                    claimed: Vec::new(),
                    dead_letters: Vec::new(),
                    work: Vec::new(),
                },
            );
        }
        for message in self.outbox.values() {
            if let Some(export) = exports.get_mut(&(message.id.tenant, message.id.stream)) {
                export.outbox.push(message.clone());
                if self.outbox_owner.contains_key(&message.id) {
                    export.claimed.push(message.id.version);
                }
            }
        }
        for dead in self.dead.values() {
            let id = &dead.message.id;
            if let Some(export) = exports.get_mut(&(id.tenant, id.stream)) {
                export.dead_letters.push(dead.clone());
            }
        }
        for work in self.work.values() {
            if let Some(export) = exports.get_mut(&(work.id.tenant, work.id.stream)) {
                export.work.push(work.clone());
            }
        }
        exports.into_values().collect()
    }

    /// Writes a stream that is not here, as exported: its status counter and tallies move
    /// as for a new stream. `next_seq` numbers outbox messages and work store-wide.
    pub(crate) fn import(&mut self, export: &StreamExport, next_seq: impl Fn() -> u64) {
        let (tenant, stream) = (export.tenant, export.stream);
        let key = (tenant, stream);
        let kind = stream.kind();
        self.kinds.entry((tenant, kind)).or_default().insert(stream);
        for IndexKey { name, value } in &export.index {
            let values = self.index.entry((tenant, *name)).or_default();
            values.entry(value.clone()).or_default().insert(stream);
        }
        *self
            .statuses
            .entry((tenant, kind))
            .or_default()
            .entry(columns::status_code(export.status()))
            .or_default() += 1;
        if let Some(change) = export.metrics() {
            self.tallies
                .entry((tenant, change.after.campaign()))
                .or_default()
                .record(&change);
        }
        self.streams.insert(
            key,
            Stream {
                events: export.events.iter().map(|e| e.event.clone()).collect(),
                snapshot: export.snapshot.clone(),
                index: export.index.clone(),
            },
        );
        self.replace_timers(key, export.timers.clone());
        for message in &export.outbox {
            let seq = next_seq();
            self.outbox_seq.insert(message.id.clone(), seq);
            self.outbox.insert(seq, message.clone());
        }
        for dead in &export.dead_letters {
            let seq = next_seq();
            self.dead_seq.insert(dead.message.id.clone(), seq);
            self.dead.insert(seq, dead.clone());
        }
        for work in &export.work {
            let seq = next_seq();
            self.work_seq.insert(work.id, seq);
            self.work.insert(seq, work.clone());
        }
    }
}
