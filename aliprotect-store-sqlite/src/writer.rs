//! The single writer: one connection on its own thread, committing whatever arrived while
//! the previous transaction ran as the next transaction (group commit). Each commit is still
//! checked against its own expected version and gets its own result. A caller may borrow the
//! connection to commit in place while the writer has nothing to do ([`commit_now`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use aliprotect_core::store::{Receipt, SnapshotCache, StoreError};
use foldhash::HashMap;
use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use tokio::sync::oneshot;

use crate::checkpoint::Wrote;
use crate::prepare::Prepared;
use crate::tallies::TallyChanges;
use crate::unavailable;

/// Work for the writer thread.
pub(crate) enum Job {
    /// Commits, each with its own result.
    Commit {
        items: Vec<Result<Prepared, StoreError>>,
        reply: oneshot::Sender<Vec<Result<(), StoreError>>>,
    },
    /// Anything else that writes (outbox leases, powers), in a transaction of its own.
    Run(Box<dyn FnOnce(&mut Connection) + Send>),
}

/// Largest number of commits in one transaction.
pub(crate) const MAX_BATCH: usize = 20_000;

/// Runs the writer until every sender of `jobs` is gone, signalling `wrote` (if there is a
/// background checkpointer) after each transaction of commits.
pub(crate) fn run(
    connection: Arc<Mutex<Connection>>,
    jobs: Receiver<Job>,
    queued: Arc<AtomicUsize>,
    cache: Arc<SnapshotCache>,
    wrote: Option<Arc<Wrote>>,
) {
    let mut waiting: Option<Job> = None;
    // Lone commits in a row: a sign that one caller at a time is waiting on the writer.
    let mut lone_commits = 0u32;
    loop {
        let job = match waiting.take() {
            Some(job) => job,
            None => match next_job(&jobs, lone_commits >= 8) {
                Some(job) => job,
                // Every sender is gone: the store was dropped.
                None => return,
            },
        };
        queued.fetch_sub(1, Ordering::SeqCst);
        match job {
            Job::Run(work) => work(&mut connection.lock()),
            Job::Commit { items, reply } => {
                let mut batch = vec![(items, reply)];
                let mut count = batch[0].0.len();
                while count < MAX_BATCH {
                    match jobs.try_recv() {
                        Ok(Job::Commit { items, reply }) => {
                            queued.fetch_sub(1, Ordering::SeqCst);
                            count += items.len();
                            batch.push((items, reply));
                        }
                        Ok(other) => {
                            waiting = Some(other);
                            break;
                        }
                        Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                    }
                }
                lone_commits = if count == 1 {
                    lone_commits.saturating_add(1)
                } else {
                    0
                };
                commit_batch(&mut connection.lock(), batch, &cache);
                if let Some(wrote) = &wrote {
                    wrote.signal();
                }
            }
        }
    }
}

/// The next job. After lone commits (one caller at a time) that caller usually sends the
/// next within tens of microseconds, so poll briefly before sleeping, since waking a sleeping
/// thread costs more; after a group commit, sleep at once and leave the CPU to the callers.
fn next_job(jobs: &Receiver<Job>, spin: bool) -> Option<Job> {
    if !spin {
        return jobs.recv().ok();
    }
    let spin_until = std::time::Instant::now() + std::time::Duration::from_micros(50);
    while std::time::Instant::now() < spin_until {
        match jobs.try_recv() {
            Ok(job) => return Some(job),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => std::hint::spin_loop(),
        }
    }
    jobs.recv().ok()
}

/// The writer's connection with no busy timeout for as long as this lives; the timeout is
/// `patience` again when it is dropped, even by a panic, so that the writer thread still
/// waits for another process's lock.
struct Impatient<'a>(&'a mut Connection, Duration);

impl<'a> Impatient<'a> {
    fn new(connection: &'a mut Connection, patience: Duration) -> rusqlite::Result<Self> {
        // Restored by `drop` even when this fails halfway.
        let impatient = Self(connection, patience);
        impatient.0.busy_timeout(Duration::ZERO)?;
        Ok(impatient)
    }
}

impl Drop for Impatient<'_> {
    fn drop(&mut self) {
        if let Err(error) = self.0.busy_timeout(self.1) {
            tracing::warn!(%error, "cannot restore the writer's busy timeout");
        }
    }
}

/// Commits ready to write, or why one could not be encoded.
pub(crate) type Items = Vec<Result<Prepared, StoreError>>;
/// Each commit's result, in order.
pub(crate) type Results = Vec<Result<(), StoreError>>;

type Batch = Vec<(
    Vec<Result<Prepared, StoreError>>,
    oneshot::Sender<Vec<Result<(), StoreError>>>,
)>;

/// Commits `items` in one transaction on `connection`, which the caller holds, if the
/// database's write lock is free at once: their results. Otherwise (another connection, of
/// another process, holds the lock, or a statement failed) nothing of them is written and
/// they come back, for the writer thread to commit: it may wait for the lock, and a caller's
/// thread must not.
pub(crate) fn commit_now(
    connection: &mut Connection,
    items: Items,
    cache: &SnapshotCache,
    patience: Duration,
) -> Result<Results, Items> {
    let mut slots: Vec<Slot> = items.into_iter().map(Slot::of).collect();
    let written = Impatient::new(connection, patience)
        .and_then(|impatient| write_all(impatient.0, &mut slots));
    if written.is_err() {
        return Err(slots.into_iter().map(Slot::into_item).collect());
    }
    for slot in &slots {
        if let (Some(prepared), Some(result)) = (&slot.prepared, &slot.result) {
            cache.after_commit(&prepared.commit, result);
        }
    }
    Ok(slots.into_iter().map(Slot::into_result).collect())
}

fn commit_batch(connection: &mut Connection, batch: Batch, cache: &SnapshotCache) {
    let mut items: Vec<Slot> = Vec::new();
    let mut replies = Vec::with_capacity(batch.len());
    for (prepared, reply) in batch {
        replies.push((reply, prepared.len()));
        items.extend(prepared.into_iter().map(Slot::of));
    }
    if let Err(error) = write_all(connection, &mut items) {
        // A statement failed for a reason other than the checks (disk full, I/O): nothing of
        // the batch was committed. Try each commit alone so only the guilty one fails.
        tracing::warn!(%error, commits = items.len(), "batch failed; retrying one by one");
        for slot in items.iter_mut().filter(|s| s.prepared.is_some()) {
            slot.result = None;
            let one = std::slice::from_mut(slot);
            if let Err(error) = write_all(connection, one) {
                one[0].result = Some(Err(unavailable(error)));
            }
        }
    }
    for slot in &items {
        if let (Some(prepared), Some(result)) = (&slot.prepared, &slot.result) {
            cache.after_commit(&prepared.commit, result);
        }
    }
    let mut results = items.into_iter().map(Slot::into_result);
    for (reply, count) in replies {
        let mine: Vec<_> = results.by_ref().take(count).collect();
        // A caller that stopped waiting does not need its result.
        let _ = reply.send(mine);
    }
}

fn not_attempted() -> StoreError {
    StoreError::Unsupported("commit was not attempted")
}

struct Slot {
    prepared: Option<Prepared>,
    result: Option<Result<(), StoreError>>,
}

impl Slot {
    /// The commit to write again (its earlier result dropped), or why it could not be.
    fn into_item(self) -> Result<Prepared, StoreError> {
        match (self.prepared, self.result) {
            (Some(prepared), _) => Ok(prepared),
            (None, Some(Err(error))) => Err(error),
            (None, _) => Err(not_attempted()),
        }
    }

    fn into_result(self) -> Result<(), StoreError> {
        self.result.unwrap_or_else(|| Err(not_attempted()))
    }

    /// A slot to write `item` in, or holding its error (a commit that failed to encode).
    fn of(item: Result<Prepared, StoreError>) -> Slot {
        let (prepared, result) = match item {
            Ok(prepared) => (Some(prepared), None),
            Err(error) => (None, Some(Err(error))),
        };
        Slot { prepared, result }
    }
}

/// Writes every slot without a result in one transaction. On a SQL error the transaction is
/// rolled back and the error returned (the slots' results are then meaningless).
fn write_all(connection: &mut Connection, slots: &mut [Slot]) -> Result<(), rusqlite::Error> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut counts: HashMap<([u8; 16], u8, i64), i64> = HashMap::default();
    let mut tallies = TallyChanges::default();
    for slot in slots.iter_mut() {
        let Some(prepared) = &slot.prepared else {
            continue;
        };
        if slot.result.is_some() {
            continue;
        }
        let result = write_one(&tx, prepared, &mut counts)?;
        if result.is_ok()
            && let Some(change) = &prepared.commit.metrics
        {
            tallies.record(prepared.tenant, change);
        }
        slot.result = Some(result);
    }
    tallies.write(&tx)?;
    let mut upsert = tx.prepare_cached(
        "INSERT INTO status_counts(tenant, kind, status, n) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(tenant, kind, status) DO UPDATE SET n = n + excluded.n",
    )?;
    for ((tenant, kind, status), delta) in counts {
        if delta != 0 {
            upsert.execute(params![tenant, kind, status, delta])?;
        }
    }
    drop(upsert);
    tx.commit()
}

/// Writes one commit, or returns why it is refused (having written nothing).
fn write_one(
    tx: &Transaction<'_>,
    prepared: &Prepared,
    counts: &mut HashMap<([u8; 16], u8, i64), i64>,
) -> Result<Result<(), StoreError>, rusqlite::Error> {
    let commit = &prepared.commit;
    let (tenant, stream) = (&prepared.tenant[..], &prepared.stream[..]);
    if let Some(record) = &commit.receipt {
        let used: Option<i64> = tx
            .prepare_cached("SELECT 1 FROM receipts WHERE tenant = ?1 AND key = ?2")?
            .query_row(params![tenant, record.key.as_str()], |row| row.get(0))
            .optional()?;
        if used.is_some() {
            return Ok(Err(StoreError::DuplicateIdempotencyKey(record.key.clone())));
        }
    }
    // Inside the writer's transaction, which no other writer shares: a key is taken by one
    // stream at most. Given back if the version check below refuses the commit.
    let taken = match crate::unique_keys::take(tx, tenant, stream, commit)? {
        Ok(taken) => taken,
        Err(refused) => return Ok(Err(refused)),
    };
    let refuse = |refusal: StoreError| -> Result<Result<(), StoreError>, rusqlite::Error> {
        crate::unique_keys::untake(tx, tenant, &taken)?;
        Ok(Err(refusal))
    };
    let version = commit.expected_version + commit.events.len() as u64;
    let (expected, new_version) = (as_i64(commit.expected_version), as_i64(version));
    let previous_status: Option<i64> = if commit.expected_version == 0 {
        let inserted = tx
            .prepare_cached(
                "INSERT INTO streams(tenant, stream, version, kind, status, snapshot, timers,
                     next_due)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(tenant, stream) DO NOTHING",
            )?
            .execute(params![
                tenant,
                stream,
                new_version,
                prepared.kind,
                prepared.status,
                prepared.snapshot_json,
                prepared.timers_json,
                prepared.next_due,
            ])?;
        if inserted == 0 {
            return refuse(conflict(tx, prepared)?);
        }
        None
    } else {
        // The version check is the lock: a refused update writes nothing. The status before
        // comes with the commit (the engine decided on that version), not from the row.
        let updated = tx
            .prepare_cached(
                "UPDATE streams SET version = ?3, status = ?4, snapshot = ?5, timers = ?6,
                     next_due = ?7, lease_owner = NULL, lease_until = NULL
                 WHERE tenant = ?1 AND stream = ?2 AND version = ?8",
            )?
            .execute(params![
                tenant,
                stream,
                new_version,
                prepared.status,
                prepared.snapshot_json,
                prepared.timers_json,
                prepared.next_due,
                expected,
            ])?;
        if updated == 0 {
            return refuse(conflict(tx, prepared)?);
        }
        prepared.status_before
    };
    if previous_status != Some(prepared.status) {
        if let Some(previous) = previous_status {
            *counts
                .entry((prepared.tenant, prepared.kind, previous))
                .or_default() -= 1;
        }
        *counts
            .entry((prepared.tenant, prepared.kind, prepared.status))
            .or_default() += 1;
    }
    if !commit.index.is_empty() {
        let mut insert_key = tx.prepare_cached(
            "INSERT INTO stream_index(tenant, name, value, stream) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
        )?;
        for key in &commit.index {
            insert_key.execute(params![tenant, key.name.as_str(), key.value, stream])?;
        }
    }
    let mut insert_event = tx.prepare_cached(
        "INSERT INTO events(tenant, stream, version, type, schema, payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (offset, event) in prepared.events.iter().enumerate() {
        insert_event.execute(params![
            tenant,
            stream,
            expected + 1 + offset as i64,
            event.type_name,
            aliprotect_core::store::DomainEvent::SCHEMA_VERSION,
            event.json,
        ])?;
    }
    if !prepared.outbox.is_empty() {
        let mut insert_message = tx.prepare_cached(
            "INSERT INTO outbox(stream, version, message, attempts, available_at, tenant)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(tenant, stream, version) DO UPDATE SET message = excluded.message,
                 attempts = excluded.attempts, available_at = excluded.available_at,
                 dead_error = NULL, lease_owner = NULL",
        )?;
        for message in &prepared.outbox {
            insert_message.execute(params![
                stream,
                message.version,
                message.json,
                message.attempts,
                message.available_at,
                tenant,
            ])?;
        }
    }
    if let Some(work) = &prepared.work {
        tx.prepare_cached(
            "INSERT INTO work(tenant, stream, version, work, lease_owner, lease_until)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(tenant, stream, version) DO NOTHING",
        )?
        .execute(params![
            tenant,
            stream,
            work.version,
            work.json,
            &work.owner[..],
            work.until
        ])?;
    }
    if let Some(record) = &commit.receipt {
        let Receipt {
            version, events, ..
        } = record.receipt;
        tx.prepare_cached(
            "INSERT INTO receipts(tenant, key, stream, version, events, request)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            tenant,
            record.key.as_str(),
            stream,
            as_i64(version),
            events,
            &record.request.as_bytes()[..],
        ])?;
    }
    if !commit.unique.release.is_empty() {
        crate::unique_keys::release(tx, tenant, stream, commit)?;
    }
    Ok(Ok(()))
}

fn conflict(tx: &Transaction<'_>, prepared: &Prepared) -> Result<StoreError, rusqlite::Error> {
    let actual: Option<i64> = tx
        .prepare_cached("SELECT version FROM streams WHERE tenant = ?1 AND stream = ?2")?
        .query_row(params![&prepared.tenant[..], &prepared.stream[..]], |row| {
            row.get(0)
        })
        .optional()?;
    Ok(StoreError::Conflict {
        stream: prepared.commit.stream,
        expected: prepared.commit.expected_version,
        actual: actual.and_then(|v| u64::try_from(v).ok()).unwrap_or(0),
    })
}

fn as_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
