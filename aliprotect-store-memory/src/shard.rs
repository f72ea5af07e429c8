//! One shard of the store: the streams whose id hashes to it, with their events, snapshots,
//! timers, outbox messages and their share of the tenant's counters. `lib.rs` keeps each
//! shard behind its own lock and merges shards for tenant-wide queries.

use std::collections::{BTreeMap, BTreeSet};

use foldhash::HashMap;

use std::sync::Arc;

use aliprotect_core::campaign::Campaign;
use aliprotect_core::complaint::{Complaint, ComplaintStatus};
use aliprotect_core::ids::{
    CampaignId, ComplaintId, PowerOfAttorneyId, RepresentativeId, RightId, TenantId, WorkerId,
};
use aliprotect_core::listing::ListingKey;
use aliprotect_core::metrics::Tallies;
use aliprotect_core::notify::MessageId;
use aliprotect_core::power::Power;
use aliprotect_core::right::{IpRight, RightStatus};
use aliprotect_core::store::{
    Commit, ComplaintRow, Count, CountBy, DeadLetter, DomainEvent, Lease, Loaded, OutboxMessage,
    PendingWork, Settlement, Snapshot, StoreError, StoredEvent, StreamId, StreamStatus, Timer,
    TimerKind, WorkId,
};
use chrono::{DateTime, Utc};

use crate::counts::Counts;

#[derive(Debug)]
struct Stream {
    events: Vec<DomainEvent>,
    snapshot: Snapshot,
}

type StreamKey = (TenantId, StreamId);

/// What a commit replaced (old snapshot, old timers), to be dropped outside the lock.
pub(crate) type Replaced = (Option<Snapshot>, Option<Vec<TimerKey>>);
pub(crate) type TimerKey = (DateTime<Utc>, TenantId, StreamId, TimerKind);

#[derive(Debug, Default)]
pub(crate) struct Shard {
    streams: HashMap<StreamKey, Stream>,
    counts: HashMap<TenantId, Counts>,
    /// Metric tallies by tenant and campaign, kept from each commit's change.
    tallies: HashMap<(TenantId, Option<CampaignId>), Tallies>,
    listings: HashMap<(TenantId, ListingKey), Vec<ComplaintId>>,
    complaints_by_right: HashMap<(TenantId, RightId), BTreeSet<ComplaintId>>,
    powers: HashMap<(TenantId, RepresentativeId), BTreeSet<PowerOfAttorneyId>>,
    campaigns: HashMap<TenantId, BTreeSet<CampaignId>>,
    rights: HashMap<TenantId, BTreeSet<RightId>>,
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
            ..
        } = commit;
        if let Some(change) = &metrics {
            self.tallies
                .entry((tenant, change.after.campaign()))
                .or_default()
                .record(change);
        }
        let counts = self.counts.entry(tenant).or_default();
        match &snapshot {
            Snapshot::Complaint(complaint) => {
                let old_status = match status.before {
                    Some(StreamStatus::Complaint(old)) => Some(old),
                    _ => None,
                };
                counts.complaint_moved(old_status, complaint);
                if status.before.is_none() {
                    let filed = &complaint.filed;
                    self.listings
                        .entry((tenant, filed.listing.key.clone()))
                        .or_default()
                        .push(filed.id);
                    self.complaints_by_right
                        .entry((tenant, filed.right))
                        .or_default()
                        .insert(filed.id);
                }
            }
            Snapshot::Right(right) => {
                let old_status = match status.before {
                    Some(StreamStatus::Right(old)) => Some(old),
                    _ => None,
                };
                counts.right_moved(old_status, right.status);
                self.rights.entry(tenant).or_default().insert(right.id);
            }
            Snapshot::Power(power) => {
                self.powers
                    .entry((tenant, power.grant.representative))
                    .or_default()
                    .insert(power.grant.id);
            }
            Snapshot::Campaign(campaign) => {
                self.campaigns
                    .entry(tenant)
                    .or_default()
                    .insert(campaign.id);
            }
            Snapshot::Policy(_) => {}
        }
        let snapshot = match self.streams.get_mut(&key) {
            Some(existing) => {
                existing.events.extend(events);
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

    pub(crate) fn complaint_counts(&self, tenant: TenantId, by: CountBy) -> Vec<Count> {
        self.counts
            .get(&tenant)
            .map(|c| c.complaints(by))
            .unwrap_or_default()
    }

    pub(crate) fn right_counts(&self, tenant: TenantId) -> Vec<(RightStatus, u64)> {
        self.counts
            .get(&tenant)
            .map(Counts::rights)
            .unwrap_or_default()
    }

    fn complaint_row(&self, tenant: TenantId, id: ComplaintId) -> Option<ComplaintRow> {
        self.streams
            .get(&(tenant, StreamId::Complaint(id)))
            .and_then(|s| s.snapshot.complaint_row())
    }

    pub(crate) fn complaints_on_listing(
        &self,
        tenant: TenantId,
        key: &ListingKey,
    ) -> Vec<ComplaintRow> {
        self.listings
            .get(&(tenant, key.clone()))
            .into_iter()
            .flatten()
            .filter_map(|id| self.complaint_row(tenant, *id))
            .collect()
    }

    pub(crate) fn complaints_of_right(
        &self,
        tenant: TenantId,
        right: RightId,
        status: ComplaintStatus,
    ) -> Vec<ComplaintRow> {
        self.complaints_by_right
            .get(&(tenant, right))
            .into_iter()
            .flatten()
            .filter_map(|id| self.complaint_row(tenant, *id))
            .filter(|row| row.status == status)
            .collect()
    }

    /// This shard's powers of attorney held by `representative`, with their ids.
    pub(crate) fn powers(&self, tenant: TenantId, representative: RepresentativeId) -> Vec<Power> {
        let ids = self
            .powers
            .get(&(tenant, representative))
            .into_iter()
            .flatten();
        ids.filter_map(
            |id| match self.streams.get(&(tenant, StreamId::Power(*id))) {
                Some(Stream {
                    snapshot: Snapshot::Power(power),
                    ..
                }) => Some((**power).clone()),
                _ => None,
            },
        )
        .collect()
    }

    /// The states of the streams `ids` of the tenant in this shard, as `pick` takes them
    /// out of each snapshot.
    fn states<I: Copy, T: Clone>(
        &self,
        tenant: TenantId,
        ids: Option<&BTreeSet<I>>,
        stream: fn(I) -> StreamId,
        pick: fn(Snapshot) -> Option<Arc<T>>,
    ) -> Vec<T> {
        ids.into_iter()
            .flatten()
            .filter_map(|id| self.streams.get(&(tenant, stream(*id))))
            .filter_map(|s| pick(s.snapshot.clone()).map(|state| (*state).clone()))
            .collect()
    }

    /// This shard's rights of the tenant.
    pub(crate) fn rights(&self, tenant: TenantId) -> Vec<IpRight> {
        let ids = self.rights.get(&tenant);
        self.states(tenant, ids, StreamId::Right, Snapshot::into_right)
    }

    /// This shard's campaigns of the tenant.
    pub(crate) fn campaigns(&self, tenant: TenantId) -> Vec<Campaign> {
        let ids = self.campaigns.get(&tenant);
        self.states(tenant, ids, StreamId::Campaign, Snapshot::into_campaign)
    }

    pub(crate) fn complaints(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Vec<Arc<Complaint>> {
        self.streams
            .iter()
            .filter(|((t, _), _)| *t == tenant)
            .filter_map(|(_, stream)| match &stream.snapshot {
                Snapshot::Complaint(c) if campaign.is_none() || c.filed.campaign == campaign => {
                    Some(Arc::clone(c))
                }
                _ => None,
            })
            .collect()
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

    /// Claims the due timers of up to `limit` streams without a live lease; returns them
    /// and how many streams were claimed.
    pub(crate) fn claim_timers(
        &mut self,
        now: DateTime<Utc>,
        lease: Lease,
        limit: usize,
    ) -> (Vec<Timer>, usize) {
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

    /// Adds a message unless its id is in the outbox or the dead letters.
    pub(crate) fn enqueue_outbox(&mut self, message: OutboxMessage, seq: u64) -> bool {
        if self.outbox_seq.contains_key(&message.id) || self.dead_seq.contains_key(&message.id) {
            return false;
        }
        self.outbox_seq.insert(message.id.clone(), seq);
        self.outbox.insert(seq, message);
        true
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
