//! The store's data and the synchronous operations on it; `lib.rs` wraps them in a lock.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aliprotect_core::complaint::ComplaintStatus;
use aliprotect_core::ids::{ComplaintId, RepresentativeId, RightId, TenantId};
use aliprotect_core::listing::ListingKey;
use aliprotect_core::notify::MessageId;
use aliprotect_core::party::PowerOfAttorney;
use aliprotect_core::right::RightStatus;
use aliprotect_core::store::{
    Commit, ComplaintRow, Count, CountBy, DomainEvent, IdempotencyKey, Loaded, OutboxMessage,
    Receipt, Snapshot, StoreError, StoredEvent, StreamId, Timer, TimerKind,
};
use chrono::{DateTime, Duration, Utc};

use crate::counts::Counts;

#[derive(Debug)]
struct Stream {
    events: Vec<DomainEvent>,
    snapshot: Snapshot,
}

type StreamKey = (TenantId, StreamId);
type TimerKey = (DateTime<Utc>, TenantId, StreamId, TimerKind);

#[derive(Debug, Default)]
pub(crate) struct State {
    streams: HashMap<StreamKey, Stream>,
    receipts: HashMap<(TenantId, IdempotencyKey), Receipt>,
    counts: HashMap<TenantId, Counts>,
    listings: HashMap<(TenantId, ListingKey), Vec<ComplaintId>>,
    complaints_by_right: HashMap<(TenantId, RightId), BTreeSet<ComplaintId>>,
    timers: BTreeSet<TimerKey>,
    stream_timers: HashMap<StreamKey, Vec<TimerKey>>,
    /// Outbox in insertion order; `outbox_seq` finds a message's place by id.
    outbox: BTreeMap<u64, OutboxMessage>,
    outbox_seq: HashMap<MessageId, u64>,
    next_seq: u64,
    powers: HashMap<(TenantId, RepresentativeId), Vec<PowerOfAttorney>>,
}

fn matches_stream(stream: StreamId, snapshot: &Snapshot) -> bool {
    match (stream, snapshot) {
        (StreamId::Right(id), Snapshot::Right(right)) => right.id == id,
        (StreamId::Complaint(id), Snapshot::Complaint(complaint)) => complaint.id() == id,
        _ => false,
    }
}

impl State {
    pub(crate) fn load(&self, tenant: TenantId, stream: StreamId) -> Option<Loaded> {
        self.streams.get(&(tenant, stream)).map(|s| Loaded {
            version: s.events.len() as u64,
            snapshot: s.snapshot.clone(),
        })
    }

    pub(crate) fn commit(&mut self, commit: Commit) -> Result<(), StoreError> {
        let key = (commit.tenant, commit.stream);
        // Validate everything before the first mutation: a refused commit writes nothing.
        let actual = self.streams.get(&key).map_or(0, |s| s.events.len() as u64);
        if actual != commit.expected_version {
            return Err(StoreError::Conflict {
                stream: commit.stream,
                expected: commit.expected_version,
                actual,
            });
        }
        if let Some((idempotency_key, _)) = &commit.receipt
            && self
                .receipts
                .contains_key(&(commit.tenant, idempotency_key.clone()))
        {
            return Err(StoreError::DuplicateIdempotencyKey(idempotency_key.clone()));
        }
        if !matches_stream(commit.stream, &commit.snapshot) {
            return Err(StoreError::Corrupt {
                location: commit.stream.to_string(),
                detail: "commit snapshot is not of the committed stream".to_owned(),
            });
        }

        let Commit {
            tenant,
            events,
            snapshot,
            outbox,
            timers,
            receipt,
            ..
        } = commit;
        let old = self.streams.get(&key).map(|s| &s.snapshot);
        let counts = self.counts.entry(tenant).or_default();
        match &snapshot {
            Snapshot::Complaint(complaint) => {
                let row = ComplaintRow::of(complaint);
                let old_status = old.and_then(Snapshot::complaint_row).map(|r| r.status);
                counts.complaint_moved(old_status, &row);
                if old.is_none() {
                    self.listings
                        .entry((tenant, row.listing.clone()))
                        .or_default()
                        .push(row.id);
                    self.complaints_by_right
                        .entry((tenant, row.right))
                        .or_default()
                        .insert(row.id);
                }
            }
            Snapshot::Right(right) => {
                let old_status = old.and_then(Snapshot::right_row).map(|r| r.status);
                counts.right_moved(old_status, right.status);
            }
        }
        match self.streams.get_mut(&key) {
            Some(existing) => {
                existing.events.extend(events);
                existing.snapshot = snapshot;
            }
            None => {
                self.streams.insert(key, Stream { events, snapshot });
            }
        }
        self.replace_timers(key, timers);
        for message in outbox {
            let seq = self.next_seq;
            self.next_seq += 1;
            if let Some(previous) = self.outbox_seq.insert(message.id.clone(), seq) {
                self.outbox.remove(&previous);
            }
            self.outbox.insert(seq, message);
        }
        if let Some((idempotency_key, receipt)) = receipt {
            self.receipts.insert((tenant, idempotency_key), receipt);
        }
        Ok(())
    }

    fn replace_timers(&mut self, key: StreamKey, timers: Vec<Timer>) {
        if let Some(old) = self.stream_timers.remove(&key) {
            for timer in old {
                self.timers.remove(&timer);
            }
        }
        if timers.is_empty() {
            return;
        }
        let keys: Vec<TimerKey> = timers
            .into_iter()
            .map(|t| (t.due, t.tenant, t.stream, t.kind))
            .collect();
        self.timers.extend(keys.iter().copied());
        self.stream_timers.insert(key, keys);
    }

    pub(crate) fn receipt(&self, tenant: TenantId, key: &IdempotencyKey) -> Option<Receipt> {
        self.receipts.get(&(tenant, key.clone())).copied()
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

    pub(crate) fn due_timers(&self, now: DateTime<Utc>, limit: usize) -> Vec<Timer> {
        self.timers
            .iter()
            .take_while(|(due, ..)| *due <= now)
            .take(limit)
            .map(|&(due, tenant, stream, kind)| Timer {
                tenant,
                stream,
                kind,
                due,
            })
            .collect()
    }

    pub(crate) fn claim_outbox(
        &mut self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Vec<OutboxMessage> {
        let hidden_until = now.checked_add_signed(lease).unwrap_or(now);
        self.outbox
            .values_mut()
            .filter(|m| m.available_at <= now)
            .take(limit)
            .map(|m| {
                m.attempts = m.attempts.saturating_add(1);
                m.available_at = hidden_until;
                m.clone()
            })
            .collect()
    }

    pub(crate) fn ack_outbox(&mut self, id: &MessageId) {
        if let Some(seq) = self.outbox_seq.remove(id) {
            self.outbox.remove(&seq);
        }
    }

    pub(crate) fn release_outbox(&mut self, id: &MessageId, at: DateTime<Utc>) {
        if let Some(message) = self
            .outbox_seq
            .get(id)
            .and_then(|seq| self.outbox.get_mut(seq))
        {
            message.available_at = at;
        }
    }

    pub(crate) fn save_power(&mut self, tenant: TenantId, power: PowerOfAttorney) {
        let powers = self
            .powers
            .entry((tenant, power.representative))
            .or_default();
        powers.retain(|p| p.id != power.id);
        powers.push(power);
    }

    pub(crate) fn powers(
        &self,
        tenant: TenantId,
        representative: RepresentativeId,
    ) -> Vec<PowerOfAttorney> {
        self.powers
            .get(&(tenant, representative))
            .cloned()
            .unwrap_or_default()
    }
}
