//! Writing your own backend: a deliberately simple store (one lock, plain maps, every query
//! a scan) that implements `Store` and passes the conformance suite every backend runs.
//!
//! Run it with `cargo run --example custom_backend`. A real backend (Postgres, DynamoDB, ...)
//! keeps the same promises with indexes and transactions; call
//! `aliprotect::testkit::conformance::run_all` from one of its tests (feature `testkit`) the
//! way `main` does here, and it is checked like ours. `metric_tallies` is left to its
//! default, which counts from `complaints`; override it to keep tallies from each commit's
//! `metrics` once tenants grow large.
#![allow(clippy::print_stdout)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use aliprotect::async_trait;
use aliprotect::campaign::Campaign;
use aliprotect::complaint::{Complaint, ComplaintStatus};
use aliprotect::ids::{CampaignId, RepresentativeId, RightId, TenantId, WorkerId};
use aliprotect::listing::ListingKey;
use aliprotect::notify::MessageId;
use aliprotect::power::Power;
use aliprotect::right::RightStatus;
use aliprotect::store::{
    Commit, ComplaintRow, Count, CountBy, DeadLetter, DomainEvent, GroupKey, IdempotencyKey, Lease,
    Loaded, OutboxMessage, PendingWork, Receipt, Snapshot, Store, StoreError, StoredEvent,
    StreamId, Timer, WorkId,
};
use chrono::{DateTime, Utc};

/// Everything, behind one lock.
#[derive(Default)]
struct State {
    streams: HashMap<(TenantId, StreamId), (Vec<DomainEvent>, Snapshot)>,
    receipts: HashMap<(TenantId, IdempotencyKey), Receipt>,
    /// Each stream's timers, and the claim on them (ended by the stream's next commit).
    timers: HashMap<(TenantId, StreamId), (Vec<Timer>, Option<Lease>)>,
    /// Outbox (with who holds each message), dead letters and pending work by insertion
    /// order, so "oldest first" is key order.
    outbox: BTreeMap<u64, (OutboxMessage, Option<WorkerId>)>,
    dead: BTreeMap<u64, DeadLetter>,
    work: BTreeMap<u64, PendingWork>,
    next_seq: u64,
}

impl State {
    fn snapshots(&self, tenant: TenantId) -> impl Iterator<Item = &Snapshot> {
        self.streams
            .iter()
            .filter(move |((t, _), _)| *t == tenant)
            .map(|(_, (_, snapshot))| snapshot)
    }

    fn complaints(&self, tenant: TenantId) -> impl Iterator<Item = &Arc<Complaint>> {
        self.snapshots(tenant)
            .filter_map(|snapshot| match snapshot {
                Snapshot::Complaint(complaint) => Some(complaint),
                _ => None,
            })
    }

    fn seq_of(&self, id: &MessageId) -> Option<u64> {
        self.outbox
            .iter()
            .find(|(_, (m, _))| &m.id == id)
            .map(|(seq, _)| *seq)
    }

    /// The sequence number of the message `owner` holds.
    fn held(&self, id: &MessageId, owner: WorkerId) -> Option<u64> {
        self.seq_of(id)
            .filter(|seq| self.outbox.get(seq).is_some_and(|(_, o)| *o == Some(owner)))
    }

    fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }
}

#[derive(Default)]
struct SimpleStore(Mutex<State>);

impl SimpleStore {
    fn state(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.0
            .lock()
            .map_err(|_| StoreError::Unsupported("a thread panicked while holding the store"))
    }
}

#[async_trait]
impl Store for SimpleStore {
    async fn load(&self, tenant: TenantId, stream: StreamId) -> Result<Option<Loaded>, StoreError> {
        Ok(self
            .state()?
            .streams
            .get(&(tenant, stream))
            .map(|(events, snapshot)| Loaded {
                version: events.len() as u64,
                snapshot: snapshot.clone(),
            }))
    }

    async fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let key = (commit.tenant, commit.stream);
        // Check everything first: a refused commit writes nothing.
        let actual = state
            .streams
            .get(&key)
            .map_or(0, |(events, _)| events.len() as u64);
        if actual != commit.expected_version {
            return Err(StoreError::Conflict {
                stream: commit.stream,
                expected: commit.expected_version,
                actual,
            });
        }
        commit.check()?;
        if let Some((idempotency, _)) = &commit.receipt
            && state
                .receipts
                .contains_key(&(commit.tenant, idempotency.clone()))
        {
            return Err(StoreError::DuplicateIdempotencyKey(idempotency.clone()));
        }
        let entry = state
            .streams
            .entry(key)
            .or_insert_with(|| (Vec::new(), commit.snapshot.clone()));
        entry.0.extend(commit.events);
        entry.1 = commit.snapshot;
        state.timers.insert(key, (commit.timers, None));
        for message in commit.outbox {
            // A message with the same id replaces the earlier one.
            if let Some(seq) = state.seq_of(&message.id) {
                state.outbox.remove(&seq);
            }
            let seq = state.next_seq();
            state.outbox.insert(seq, (message, None));
        }
        if let Some(work) = commit.work {
            let seq = state.next_seq();
            state.work.insert(seq, work);
        }
        if let Some((idempotency, receipt)) = commit.receipt {
            state.receipts.insert((commit.tenant, idempotency), receipt);
        }
        Ok(())
    }

    async fn receipt(
        &self,
        tenant: TenantId,
        key: &IdempotencyKey,
    ) -> Result<Option<Receipt>, StoreError> {
        Ok(self.state()?.receipts.get(&(tenant, key.clone())).copied())
    }

    async fn history(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let state = self.state()?;
        let events = state
            .streams
            .get(&(tenant, stream))
            .map(|(events, _)| events.as_slice());
        Ok(events
            .unwrap_or_default()
            .iter()
            .zip(1..)
            .map(|(event, version)| StoredEvent {
                stream,
                version,
                event: event.clone(),
            })
            .collect())
    }

    async fn complaint_counts(
        &self,
        tenant: TenantId,
        by: CountBy,
    ) -> Result<Vec<Count>, StoreError> {
        let state = self.state()?;
        let mut counts: BTreeMap<(GroupKey, ComplaintStatus), u64> = BTreeMap::new();
        for complaint in state.complaints(tenant) {
            let row = ComplaintRow::of(complaint);
            *counts
                .entry((GroupKey::of(&row, by), row.status))
                .or_default() += 1;
        }
        Ok(counts
            .into_iter()
            .map(|((group, status), count)| Count {
                group,
                status,
                count,
            })
            .collect())
    }

    async fn right_counts(&self, tenant: TenantId) -> Result<Vec<(RightStatus, u64)>, StoreError> {
        let state = self.state()?;
        let mut counts: BTreeMap<RightStatus, u64> = BTreeMap::new();
        for snapshot in state.snapshots(tenant) {
            if let Snapshot::Right(right) = snapshot {
                *counts.entry(right.status).or_default() += 1;
            }
        }
        Ok(counts.into_iter().collect())
    }

    async fn complaints_on_listing(
        &self,
        tenant: TenantId,
        key: &ListingKey,
    ) -> Result<Vec<ComplaintRow>, StoreError> {
        let state = self.state()?;
        let mut rows: Vec<ComplaintRow> = state
            .complaints(tenant)
            .filter(|c| &c.filed.listing.key == key)
            .map(|c| ComplaintRow::of(c))
            .collect();
        rows.sort_by_key(|row| (row.filed_at, row.id));
        Ok(rows)
    }

    async fn complaints_of_right(
        &self,
        tenant: TenantId,
        right: RightId,
        status: ComplaintStatus,
    ) -> Result<Vec<ComplaintRow>, StoreError> {
        let state = self.state()?;
        let mut rows: Vec<ComplaintRow> = state
            .complaints(tenant)
            .filter(|c| c.filed.right == right && c.status() == status)
            .map(|c| ComplaintRow::of(c))
            .collect();
        rows.sort_by_key(|row| row.id);
        Ok(rows)
    }

    async fn complaints(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<Vec<Arc<Complaint>>, StoreError> {
        let state = self.state()?;
        let mut complaints: Vec<Arc<Complaint>> = state
            .complaints(tenant)
            .filter(|c| campaign.is_none() || c.filed.campaign == campaign)
            .cloned()
            .collect();
        complaints.sort_by_key(|c| c.id());
        Ok(complaints)
    }

    async fn claim_timers(
        &self,
        now: DateTime<Utc>,
        lease: Lease,
        limit: usize,
    ) -> Result<Vec<Timer>, StoreError> {
        let mut state = self.state()?;
        let mut due = Vec::new();
        let claimable = state.timers.values_mut().filter(|(timers, held)| {
            timers.iter().any(|t| t.due <= now) && held.is_none_or(|l| l.until <= now)
        });
        for (timers, held) in claimable.take(limit) {
            *held = Some(lease);
            due.extend(timers.iter().filter(|t| t.due <= now).cloned());
        }
        due.sort_by_key(|t| (t.due, t.tenant, t.stream, t.kind));
        Ok(due)
    }

    async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease: Lease,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut state = self.state()?;
        let mut claimed = Vec::new();
        let available = state
            .outbox
            .values_mut()
            .filter(|(m, _)| m.available_at <= now);
        for (message, owner) in available.take(limit) {
            message.attempts = message.attempts.saturating_add(1);
            message.available_at = lease.until;
            *owner = Some(lease.owner);
            claimed.push(message.clone());
        }
        Ok(claimed)
    }

    async fn enqueue_outbox(&self, message: OutboxMessage) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let dead = state.dead.values().any(|d| d.message.id == message.id);
        if dead || state.seq_of(&message.id).is_some() {
            return Ok(false);
        }
        let seq = state.next_seq();
        state.outbox.insert(seq, (message, None));
        Ok(true)
    }

    async fn ack_outbox(&self, id: &MessageId, owner: WorkerId) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let held = state.held(id, owner);
        Ok(held.and_then(|seq| state.outbox.remove(&seq)).is_some())
    }

    async fn release_outbox(
        &self,
        id: &MessageId,
        owner: WorkerId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let held = state.held(id, owner);
        let Some((message, owner)) = held.and_then(|seq| state.outbox.get_mut(&seq)) else {
            return Ok(false);
        };
        message.available_at = at;
        *owner = None;
        Ok(true)
    }

    async fn dead_letter_outbox(
        &self,
        id: &MessageId,
        owner: WorkerId,
        error: &str,
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let Some(seq) = state.held(id, owner) else {
            return Ok(false);
        };
        if let Some((message, _)) = state.outbox.remove(&seq) {
            let error = error.to_owned();
            state.dead.insert(seq, DeadLetter { message, error });
        }
        Ok(true)
    }

    async fn dead_letters(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let state = self.state()?;
        Ok(state
            .dead
            .values()
            .filter(|d| d.message.notification.tenant == tenant)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn revive_dead_letter(
        &self,
        tenant: TenantId,
        id: &MessageId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let found = state
            .dead
            .iter()
            .find(|(_, d)| &d.message.id == id && d.message.notification.tenant == tenant)
            .map(|(seq, _)| *seq);
        let Some(DeadLetter { mut message, .. }) = found.and_then(|seq| state.dead.remove(&seq))
        else {
            return Ok(false);
        };
        message.attempts = 0;
        message.available_at = at;
        if let Some(seq) = found {
            state.outbox.insert(seq, (message, None));
        }
        Ok(true)
    }

    async fn claim_work(
        &self,
        now: DateTime<Utc>,
        lease: Lease,
        limit: usize,
    ) -> Result<Vec<PendingWork>, StoreError> {
        let mut state = self.state()?;
        let available = state.work.values_mut().filter(|w| w.lease.until <= now);
        Ok(available
            .take(limit)
            .map(|work| {
                work.lease = lease;
                work.clone()
            })
            .collect())
    }

    async fn complete_work(&self, id: &WorkId, owner: WorkerId) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let held = state
            .work
            .iter()
            .find(|(_, w)| w.id == *id && w.lease.owner == owner)
            .map(|(seq, _)| *seq);
        Ok(held.and_then(|seq| state.work.remove(&seq)).is_some())
    }

    async fn campaigns(&self, tenant: TenantId) -> Result<Vec<Campaign>, StoreError> {
        let state = self.state()?;
        let mut campaigns: Vec<Campaign> = state
            .snapshots(tenant)
            .filter_map(|snapshot| match snapshot {
                Snapshot::Campaign(campaign) => Some((**campaign).clone()),
                _ => None,
            })
            .collect();
        campaigns.sort_by_key(|c| c.id);
        Ok(campaigns)
    }

    async fn powers(
        &self,
        tenant: TenantId,
        representative: RepresentativeId,
    ) -> Result<Vec<Power>, StoreError> {
        let state = self.state()?;
        let mut powers: Vec<Power> = state
            .snapshots(tenant)
            .filter_map(|snapshot| match snapshot {
                Snapshot::Power(p) if p.grant.representative == representative => {
                    Some((**p).clone())
                }
                _ => None,
            })
            .collect();
        powers.sort_by_key(|p| p.grant.id);
        Ok(powers)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Panics (with the failed promise) if the store breaks one.
    aliprotect::testkit::conformance::run_all(|| async { SimpleStore::default() }).await;
    println!("SimpleStore passes the aliprotect conformance suite");
}

// `cargo test` runs this (the example is declared with `test = true`), the way a backend's
// own test suite would.
#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn simple_store_passes_the_conformance_suite() {
        aliprotect::testkit::conformance::run_all(|| async { super::SimpleStore::default() }).await;
    }
}
