//! Writing your own backend: a deliberately simple store (one lock, plain maps, every query
//! a scan) that implements the five backend traits, and so is a `Store`, and passes the
//! conformance suite every backend runs.
//!
//! Run it with `cargo run --example custom_backend`. A real backend (Postgres, DynamoDB, ...)
//! keeps the same promises with indexes and transactions; call
//! `aliprotect::testkit::conformance::run_all` from one of its tests (feature `testkit`) the
//! way `main` does here, and it is checked like ours. The read model is two generic queries
//! over each stream's kind, status and index keys (the typed queries are built on them), and
//! the metric tallies are left to their default, computed from every complaint.
#![allow(clippy::print_stdout)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use aliprotect::backend::async_trait;
use aliprotect::backend::{
    Claim, Commit, CountQuery, DeadLetter, DomainEvent, Due, EventLog, Find, IdempotencyKey,
    IndexKey, Lease, Loaded, Outbox, OutboxMessage, PendingWork, ReadModel, Schedule, Settlement,
    Snapshot, StatusCount, StoreError, StoredEvent, StoredReceipt, StreamId, StreamStatus, Timer,
    UniqueKey, WorkId, columns,
};
use aliprotect::ids::{TenantId, WorkerId};
use aliprotect::notify::MessageId;

/// An outbox message, who holds its claim, and why it was given up on, if it was.
struct Queued {
    message: OutboxMessage,
    owner: Option<WorkerId>,
    dead: Option<String>,
}

/// Everything, behind one lock. Maps keyed by (tenant, id) or by insertion order, so that
/// "in id order" and "oldest first" are key order.
#[derive(Default)]
struct State {
    streams: BTreeMap<(TenantId, StreamId), (Vec<DomainEvent>, Snapshot)>,
    receipts: HashMap<(TenantId, IdempotencyKey), StoredReceipt>,
    /// The keys each stream is found by, as its first commit gave them.
    index: HashMap<(TenantId, StreamId), Vec<IndexKey>>,
    /// Which stream holds each unique key of each tenant.
    unique: HashMap<(TenantId, UniqueKey), StreamId>,
    /// Each stream's timers, and the claim on them (ended by the stream's next commit).
    timers: HashMap<(TenantId, StreamId), (Vec<Timer>, Option<Lease>)>,
    outbox: BTreeMap<u64, Queued>,
    work: BTreeMap<u64, PendingWork>,
    next_seq: u64,
}

impl State {
    fn queued(&mut self, id: &MessageId) -> Option<(&u64, &mut Queued)> {
        self.outbox.iter_mut().find(|(_, q)| &q.message.id == id)
    }

    /// The live message `owner` holds.
    fn held(&mut self, id: &MessageId, owner: WorkerId) -> Option<(u64, &mut Queued)> {
        let (seq, queued) = self.queued(id)?;
        (queued.owner == Some(owner) && queued.dead.is_none()).then_some((*seq, queued))
    }

    fn push(&mut self, message: OutboxMessage) {
        self.next_seq += 1;
        let queued = Queued {
            message,
            owner: None,
            dead: None,
        };
        self.outbox.insert(self.next_seq, queued);
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
impl EventLog for SimpleStore {
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
        commit.check()?;
        let actual = state.streams.get(&key).map_or(0, |(e, _)| e.len() as u64);
        if actual != commit.expected_version {
            return Err(StoreError::Conflict {
                stream: commit.stream,
                expected: commit.expected_version,
                actual,
            });
        }
        if let Some(record) = &commit.receipt
            && state.receipts.contains_key(&(key.0, record.key.clone()))
        {
            return Err(StoreError::DuplicateIdempotencyKey(record.key.clone()));
        }
        for taken in &commit.unique.take {
            match state.unique.get(&(key.0, taken.clone())) {
                Some(holder) if *holder != key.1 => {
                    return Err(StoreError::UniqueKeyTaken {
                        key: taken.clone(),
                        holder: *holder,
                    });
                }
                _ => {}
            }
        }
        // Every check passed: write it all.
        if let Some(record) = commit.receipt {
            let stored = StoredReceipt {
                receipt: record.receipt,
                request: Some(record.request),
            };
            state.receipts.insert((key.0, record.key), stored);
        }
        state.index.entry(key).or_default().extend(commit.index);
        for released in commit.unique.release {
            if state.unique.get(&(key.0, released.clone())) == Some(&key.1) {
                state.unique.remove(&(key.0, released));
            }
        }
        for taken in commit.unique.take {
            state.unique.insert((key.0, taken), key.1);
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
            state.outbox.retain(|_, q| q.message.id != message.id);
            state.push(message);
        }
        if let Some(work) = commit.work {
            state.next_seq += 1;
            let seq = state.next_seq;
            state.work.insert(seq, work);
        }
        Ok(())
    }

    async fn receipt(
        &self,
        tenant: TenantId,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredReceipt>, StoreError> {
        Ok(self.state()?.receipts.get(&(tenant, key.clone())).copied())
    }

    async fn stream_keys(
        &self,
        after: Option<(TenantId, StreamId)>,
        limit: usize,
    ) -> Result<Vec<(TenantId, StreamId)>, StoreError> {
        let state = self.state()?;
        let keys = state.streams.keys().copied();
        Ok(keys
            .filter(|k| after.is_none_or(|a| *k > a))
            .take(limit)
            .collect())
    }

    async fn history(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let state = self.state()?;
        let events = state.streams.get(&(tenant, stream)).map(|(e, _)| e.iter());
        Ok(events
            .into_iter()
            .flatten()
            .zip(1..)
            .map(|(event, version)| StoredEvent {
                stream,
                version,
                event: event.clone(),
            })
            .collect())
    }
}

#[async_trait]
impl Schedule for SimpleStore {
    async fn claim_due(&self, claim: Claim) -> Result<Due, StoreError> {
        let Claim { now, lease, limit } = claim;
        let mut state = self.state()?;
        let mut due = Due::default();
        let claimable = state.timers.values_mut().filter(|(timers, held)| {
            timers.iter().any(|t| t.due <= now) && held.is_none_or(|l| l.until <= now)
        });
        for (timers, held) in claimable.take(limit) {
            *held = Some(lease);
            due.timers
                .extend(timers.iter().filter(|t| t.due <= now).cloned());
        }
        due.timers
            .sort_by_key(|t| (t.due, t.tenant, t.stream, t.kind));
        let available = state.work.values_mut().filter(|w| w.lease.until <= now);
        for work in available.take(limit) {
            work.lease = lease;
            due.work.push(work.clone());
        }
        Ok(due)
    }

    async fn complete_work(&self, id: &WorkId, owner: WorkerId) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let before = state.work.len();
        state
            .work
            .retain(|_, w| !(w.id == *id && w.lease.owner == owner));
        Ok(state.work.len() < before)
    }
}

#[async_trait]
impl Outbox for SimpleStore {
    async fn claim_outbox(&self, claim: Claim) -> Result<Vec<OutboxMessage>, StoreError> {
        let Claim { now, lease, limit } = claim;
        let mut state = self.state()?;
        let available = (state.outbox.values_mut())
            .filter(|q| q.dead.is_none() && q.message.available_at <= now);
        Ok(available
            .take(limit)
            .map(|queued| {
                queued.message.attempts = queued.message.attempts.saturating_add(1);
                queued.message.available_at = lease.until;
                queued.owner = Some(lease.owner);
                queued.message.clone()
            })
            .collect())
    }

    async fn settle_outbox(
        &self,
        id: &MessageId,
        settlement: Settlement,
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let seq = match &settlement {
            Settlement::Delivered { owner }
            | Settlement::Retry { owner, .. }
            | Settlement::DeadLetter { owner, .. } => state.held(id, *owner).map(|(seq, _)| seq),
            Settlement::Revive { .. } => (state.queued(id))
                .filter(|(_, queued)| queued.dead.is_some())
                .map(|(seq, _)| *seq),
        };
        let Some(seq) = seq else {
            return Ok(false);
        };
        if let Settlement::Delivered { .. } = settlement {
            return Ok(state.outbox.remove(&seq).is_some());
        }
        let Some(queued) = state.outbox.get_mut(&seq) else {
            return Ok(false);
        };
        queued.owner = None;
        match settlement {
            Settlement::Retry { at, .. } => queued.message.available_at = at,
            Settlement::DeadLetter { error, .. } => queued.dead = Some(error),
            Settlement::Revive { at } => {
                queued.dead = None;
                queued.message.attempts = 0;
                queued.message.available_at = at;
            }
            Settlement::Delivered { .. } => {}
        }
        Ok(true)
    }

    async fn dead_letters(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let state = self.state()?;
        let dead = state.outbox.values().filter_map(|q| match &q.dead {
            Some(error) if q.message.id.tenant == tenant => Some(DeadLetter {
                message: q.message.clone(),
                error: error.clone(),
            }),
            _ => None,
        });
        Ok(dead.take(limit).collect())
    }
}

#[async_trait]
impl ReadModel for SimpleStore {
    async fn find(
        &self,
        tenant: TenantId,
        query: &Find,
    ) -> Result<Vec<(StreamId, Snapshot)>, StoreError> {
        let state = self.state()?;
        let found = (state.streams.iter())
            .filter(|((t, stream), (_, snapshot))| {
                let keys = state
                    .index
                    .get(&(*t, *stream))
                    .map_or(&[][..], Vec::as_slice);
                *t == tenant && query.matches(*stream, StreamStatus::of(snapshot), keys)
            })
            .take(query.limit)
            .map(|((_, stream), (_, snapshot))| (*stream, snapshot.clone()));
        Ok(found.collect())
    }

    async fn count(
        &self,
        tenant: TenantId,
        query: &CountQuery,
    ) -> Result<Vec<StatusCount>, StoreError> {
        let CountQuery { kind, by, .. } = *query;
        let state = self.state()?;
        let mut counts: BTreeMap<(Option<String>, i16), u64> = BTreeMap::new();
        for ((t, stream), (_, snapshot)) in &state.streams {
            if *t != tenant || stream.kind() != kind {
                continue;
            }
            let status = columns::status_code(StreamStatus::of(snapshot));
            let keys = state.index.get(&(*t, *stream)).into_iter().flatten();
            match by {
                None => *counts.entry((None, status)).or_default() += 1,
                Some(by) => {
                    for key in keys.filter(|key| key.name == by) {
                        *counts.entry((Some(key.value.clone()), status)).or_default() += 1;
                    }
                }
            }
        }
        let counts = counts
            .into_iter()
            .map(|((group, status), count)| StatusCount {
                group,
                status,
                count,
            });
        Ok(counts.collect())
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
