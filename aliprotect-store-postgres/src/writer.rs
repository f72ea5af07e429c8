//! Group commit: commits that arrive while a writer's statement runs are written together
//! by its next one ([`crate::batch`]; a commit that arrives alone by [`crate::lone`]), each
//! with its own result. Commits to one stream go in successive statements, in order. A
//! statement that fails on a serialization failure or a deadlock runs again; one that fails
//! otherwise is split, so that only the guilty commit fails.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aliprotect_core::store::{SnapshotCache, StoreError};
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use crate::error::{is_transient, unavailable, unique_violation};
use crate::prepare::Prepared;
use crate::statements::Connections;
use crate::{batch, lone};

/// Commits of one caller, and where their results go.
pub(crate) struct Job {
    pub(crate) items: Vec<Result<Prepared, StoreError>>,
    pub(crate) reply: oneshot::Sender<Vec<Result<(), StoreError>>>,
}

/// Largest number of commits in one statement.
const STATEMENT_BATCH: usize = 500;

/// Largest number of commits a writer gathers at once.
const MAX_BATCH: usize = 2_000;

/// What a writer needs.
pub(crate) struct WriterContext {
    pub(crate) connections: Connections,
    pub(crate) cache: Arc<SnapshotCache>,
    pub(crate) max_retries: u32,
    pub(crate) notify: bool,
    /// Writers (and direct writes) at work: a lone commit while none is goes straight to
    /// the database from its caller's task, saving two task switches.
    pub(crate) busy: AtomicUsize,
}

/// Writes `items`, from the caller's task if no writer is at work (a lone caller gains
/// nothing from group commit and saves the hand-over), else through the writers. `None`
/// when the writers are gone.
pub(crate) async fn commit(
    context: &WriterContext,
    jobs: &mpsc::UnboundedSender<Job>,
    items: Vec<Result<Prepared, StoreError>>,
) -> Option<Vec<Result<(), StoreError>>> {
    if items.len() == 1
        && context
            .busy
            .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    {
        let _busy = Busy(&context.busy);
        return Some(write_all(context, items).await);
    }
    let (reply, answer) = oneshot::channel();
    jobs.send(Job { items, reply }).ok()?;
    answer.await.ok()
}

/// Counts down `busy` when dropped (also if the caller's future is).
struct Busy<'a>(&'a AtomicUsize);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs one writer until the job channel closes. Several writers share `jobs`: the one
/// holding the receiver gathers what has arrived, lets go, and writes it, so that the
/// next group gathers while this one waits for its flush.
pub(crate) async fn run(
    jobs: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>,
    context: Arc<WriterContext>,
) {
    loop {
        let batch = {
            let mut receiver = jobs.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            let mut count = first.items.len();
            let mut batch = vec![first];
            while count < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(job) => {
                        count += job.items.len();
                        batch.push(job);
                    }
                    Err(_) => break,
                }
            }
            batch
        };
        context.busy.fetch_add(1, Ordering::AcqRel);
        let _busy = Busy(&context.busy);
        let mut replies = Vec::with_capacity(batch.len());
        let mut items = Vec::new();
        for job in batch {
            replies.push((job.reply, job.items.len()));
            items.extend(job.items);
        }
        let mut results = write_all(&context, items).await.into_iter();
        for (reply, count) in replies {
            // A caller that stopped waiting does not need its result.
            let _ = reply.send(results.by_ref().take(count).collect());
        }
    }
}

struct Slot {
    prepared: Option<Prepared>,
    result: Option<Result<(), StoreError>>,
}

impl Slot {
    const EMPTY: Slot = Slot {
        prepared: None,
        result: None,
    };

    /// A slot to write `item` in, or holding its error (a commit that failed to encode).
    fn of(item: Result<Prepared, StoreError>) -> Slot {
        match item {
            Ok(prepared) => Slot {
                prepared: Some(prepared),
                ..Slot::EMPTY
            },
            Err(error) => Slot {
                result: Some(Err(error)),
                ..Slot::EMPTY
            },
        }
    }
}

/// The pending slots in rounds of distinct streams: the n-th commit to a stream goes in
/// round n, so commits to one stream keep their order.
fn rounds(slots: &[Slot]) -> Vec<Vec<usize>> {
    let mut seen: std::collections::HashMap<(Uuid, i16, Uuid), usize> = Default::default();
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    for (i, slot) in slots.iter().enumerate() {
        let Some(p) = slot.prepared.as_ref().filter(|_| slot.result.is_none()) else {
            continue;
        };
        let round = seen.entry((p.tenant, p.kind, p.stream)).or_default();
        if rounds.len() <= *round {
            rounds.push(Vec::new());
        }
        rounds[*round].push(i);
        *round += 1;
    }
    rounds
}

/// Writes the commits, each with its own result, in order.
async fn write_all(
    context: &WriterContext,
    items: Vec<Result<Prepared, StoreError>>,
) -> Vec<Result<(), StoreError>> {
    let mut slots: Vec<Slot> = items.into_iter().map(Slot::of).collect();
    // Commits to one stream go in successive rounds: each statement writes distinct streams,
    // and at most STATEMENT_BATCH of them (the planner expects arrays of a few rows).
    for round in rounds(&slots).into_iter().flat_map(|round| {
        round
            .chunks(STATEMENT_BATCH)
            .map(<[usize]>::to_vec)
            .collect::<Vec<_>>()
    }) {
        let mut batch: Vec<Slot> = round
            .iter()
            .map(|&i| std::mem::replace(&mut slots[i], Slot::EMPTY))
            .collect();
        write_slots(context, &mut batch).await;
        for (i, slot) in round.into_iter().zip(batch) {
            slots[i] = slot;
        }
    }
    for slot in &mut slots {
        let Some(prepared) = &slot.prepared else {
            continue;
        };
        // A statement that waited for the winner's lock still reads the version from its own
        // snapshot, from before the winner committed: ask again for the version it lost to.
        if let Some(Err(StoreError::Conflict {
            expected, actual, ..
        })) = &slot.result
            && actual <= expected
            && let refreshed @ StoreError::Conflict { .. } = lost_to(context, prepared).await
        {
            slot.result = Some(Err(refreshed));
        }
        if let Some(result) = &slot.result {
            context.cache.after_commit(&prepared.commit, result);
        }
    }
    slots
        .into_iter()
        .map(|slot| {
            slot.result
                .unwrap_or_else(|| Err(StoreError::Unavailable("commit was not attempted".into())))
        })
        .collect()
}

/// Writes every slot without a result: all in one transaction, retried on a transient
/// failure; should it fail otherwise, each commit alone, so only the guilty one fails.
async fn write_slots(context: &WriterContext, slots: &mut [Slot]) {
    let pending = slots.iter().filter(|s| s.result.is_none()).count();
    if pending == 0 {
        return;
    }
    let error = match attempt(context, slots).await {
        Ok(()) => return,
        Err(error) => error,
    };
    if pending == 1 {
        let result = match error {
            Failure::Conflict => conflict(context, slots).await,
            Failure::Taken => taken(context, slots).await,
            Failure::Store(error) => Err(error),
        };
        if let Some(slot) = slots.iter_mut().find(|s| s.result.is_none()) {
            slot.result = Some(result);
        }
        return;
    }
    tracing::warn!(
        commits = pending,
        "group commit failed; writing its commits one by one"
    );
    for index in 0..slots.len() {
        if slots[index].result.is_none() {
            Box::pin(write_slots(context, &mut slots[index..=index])).await;
        }
    }
}

enum Failure {
    /// A unique key of the event log was taken: another commit won the version.
    Conflict,
    /// A unique key the commit takes is held by another stream.
    Taken,
    Store(StoreError),
}

/// One transaction over the slots, retried with backoff on serialization failures and
/// deadlocks (and on a receipt key taken meanwhile: the retry then sees it).
async fn attempt(context: &WriterContext, slots: &mut [Slot]) -> Result<(), Failure> {
    let mut delay = Duration::from_millis(2);
    let mut tries = 0;
    loop {
        let client = context
            .connections
            .get()
            .await
            .map_err(|e| Failure::Store(unavailable(e)))?;
        let pending: Vec<&Prepared> = slots
            .iter()
            .filter(|s| s.result.is_none())
            .filter_map(|s| s.prepared.as_ref())
            .collect();
        let written = match pending.as_slice() {
            [one] => lone::write(&client, one, context.notify)
                .await
                .map(|outcome| vec![outcome]),
            group => batch::write(&client, group, context.notify).await,
        };
        let error = match written {
            Ok(outcomes) => {
                let mut outcomes = outcomes.into_iter();
                for slot in slots.iter_mut().filter(|s| s.result.is_none()) {
                    slot.result = outcomes.next();
                }
                return Ok(());
            }
            Err(error) => error,
        };
        let retry_receipt = unique_violation(&error) == Some("receipts_pkey");
        tries += 1;
        if (is_transient(&error) || retry_receipt) && tries <= context.max_retries {
            tracing::debug!(%error, tries, "transaction failed; trying again");
            tokio::time::sleep(jitter(delay)).await;
            delay = (delay * 2).min(Duration::from_millis(500));
            continue;
        }
        return Err(match unique_violation(&error) {
            Some("events_pkey" | "streams_pkey") => Failure::Conflict,
            Some("unique_keys_pkey") => Failure::Taken,
            _ => Failure::Store(unavailable(error)),
        });
    }
}

fn jitter(delay: Duration) -> Duration {
    let random = Uuid::new_v4().as_u128() as u64;
    delay / 2 + Duration::from_micros(random % (delay.as_micros() as u64 / 2 + 1))
}

/// A conflict found by a unique key: report the stored version.
async fn conflict(context: &WriterContext, slots: &[Slot]) -> Result<(), StoreError> {
    match slots
        .iter()
        .find(|s| s.result.is_none())
        .and_then(|s| s.prepared.as_ref())
    {
        Some(prepared) => Err(lost_to(context, prepared).await),
        None => Ok(()),
    }
}

/// A unique key found taken: name its holder, read now (after the holder committed). A
/// holder that let go meanwhile makes it a conflict, which the engine decides again.
async fn taken(context: &WriterContext, slots: &[Slot]) -> Result<(), StoreError> {
    let Some(prepared) = slots
        .iter()
        .find(|s| s.result.is_none())
        .and_then(|s| s.prepared.as_ref())
    else {
        return Ok(());
    };
    let client = context.connections.get().await.map_err(unavailable)?;
    let tenant = prepared.commit.tenant;
    let own = (prepared.kind, prepared.stream);
    match crate::queries::unique_key_holder(&client, tenant, &prepared.unique_take, own).await? {
        Some((key, holder)) => Err(StoreError::UniqueKeyTaken { key, holder }),
        None => Err(lost_to(context, prepared).await),
    }
}

/// The conflict of `prepared` with the stream's stored version, read now (after the winner
/// committed); the stored version could not be read, an `Unavailable`.
async fn lost_to(context: &WriterContext, prepared: &Prepared) -> StoreError {
    let client = match context.connections.get().await {
        Ok(client) => client,
        Err(error) => return unavailable(error),
    };
    match crate::queries::version(&client, prepared.tenant, prepared.kind, prepared.stream).await {
        Ok(actual) => StoreError::Conflict {
            stream: prepared.commit.stream,
            expected: prepared.commit.expected_version,
            actual: actual.unwrap_or(0),
        },
        Err(error) => error,
    }
}
