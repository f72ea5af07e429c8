//! Group commit: commits that arrive while a writer's transaction runs are written together
//! in its next one, each by one statement that checks its own expected version and
//! idempotency key and writes nothing when they fail, so each gets its own result. Every
//! statement of a transaction is sent at once (pipelined): one round trip and one WAL flush
//! carry the whole group. Commits are written in key order, and counters and tallies last
//! in key order, so that two transactions never wait on each other in a cycle.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aliprotect_core::metrics::Tallies;
use aliprotect_core::store::{DomainEvent, SnapshotCache, StoreError};
use deadpool_postgres::{Object, Pool};
use futures_util::future::join_all;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

use crate::error::{is_transient, unavailable, unique_violation};
use crate::prepare::Prepared;
use crate::tallies;

/// Commits of one caller, and where their results go.
pub(crate) struct Job {
    pub(crate) items: Vec<Result<Prepared, StoreError>>,
    pub(crate) reply: oneshot::Sender<Vec<Result<(), StoreError>>>,
}

/// Largest number of commits in one transaction.
const MAX_BATCH: usize = 2_000;

/// The channel wake-ups are sent on.
pub(crate) const WAKE_CHANNEL: &str = "aliprotect_wake";

/// What a writer needs.
pub(crate) struct WriterContext {
    pub(crate) pool: Pool,
    pub(crate) cache: Arc<SnapshotCache>,
    pub(crate) max_retries: u32,
    pub(crate) notify: bool,
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
        write_jobs(&context, batch).await;
    }
}

struct Slot {
    prepared: Option<Prepared>,
    result: Option<Result<(), StoreError>>,
}

async fn write_jobs(context: &WriterContext, batch: Vec<Job>) {
    let mut slots = Vec::new();
    let mut replies = Vec::with_capacity(batch.len());
    for job in batch {
        replies.push((job.reply, job.items.len()));
        slots.extend(job.items.into_iter().map(|item| match item {
            Ok(prepared) => Slot {
                prepared: Some(prepared),
                result: None,
            },
            Err(error) => Slot {
                prepared: None,
                result: Some(Err(error)),
            },
        }));
    }
    write_slots(context, &mut slots).await;
    for slot in &slots {
        let Some(prepared) = &slot.prepared else {
            continue;
        };
        let commit = &prepared.commit;
        match &slot.result {
            Some(Ok(())) => {
                let version = commit.expected_version + commit.events.len() as u64;
                context.cache.put(
                    commit.tenant,
                    commit.stream,
                    version,
                    commit.snapshot.clone(),
                );
            }
            // Decided on a stale state, perhaps from the cache: the retry reads the database.
            Some(Err(StoreError::Conflict { .. })) => {
                context.cache.forget(commit.tenant, commit.stream);
            }
            _ => {}
        }
    }
    let mut results = slots.into_iter().map(|slot| {
        slot.result
            .unwrap_or_else(|| Err(StoreError::Unavailable("commit was not attempted".into())))
    });
    for (reply, count) in replies {
        // A caller that stopped waiting does not need its result.
        let _ = reply.send(results.by_ref().take(count).collect());
    }
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
    Store(StoreError),
}

/// One transaction over the slots, retried with backoff on serialization failures and
/// deadlocks (and on a receipt key taken meanwhile: the retry then sees it).
async fn attempt(context: &WriterContext, slots: &mut [Slot]) -> Result<(), Failure> {
    let mut delay = Duration::from_millis(2);
    let mut tries = 0;
    loop {
        let client = context
            .pool
            .get()
            .await
            .map_err(|e| Failure::Store(unavailable(e)))?;
        let error = match transaction(&client, slots, context.notify).await {
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
    let Some(prepared) = slots
        .iter()
        .find(|s| s.result.is_none())
        .and_then(|s| s.prepared.as_ref())
    else {
        return Ok(());
    };
    let client = context.pool.get().await.map_err(unavailable)?;
    let actual = crate::queries::version(&client, prepared.tenant, prepared.kind, prepared.stream)
        .await?
        .unwrap_or(0);
    Err(StoreError::Conflict {
        stream: prepared.commit.stream,
        expected: prepared.commit.expected_version,
        actual,
    })
}

const CHECK_RECEIPT: &str = "
WITH fresh AS (
    SELECT $20::text IS NULL
        OR NOT EXISTS (SELECT 1 FROM receipts WHERE tenant = $1 AND key = $20::text) AS ok),";

const INSERT_STREAM: &str = "
s AS (
    INSERT INTO streams (tenant, kind, stream, version, status, snapshot, timers, next_due,
        right_id, campaign, seller, listing, representative)
    SELECT $1, $2, $3, $5, $6, $7::text::json, $8::text::json, $9, $23, $24, $25, $26, $27
    WHERE $4 = 0 AND (SELECT ok FROM fresh)
    ON CONFLICT (tenant, kind, stream) DO NOTHING
    RETURNING 1),";

const UPDATE_STREAM: &str = "
s AS (
    UPDATE streams SET version = $5, status = $6, snapshot = $7::text::json,
        timers = $8::text::json, next_due = $9, lease_owner = NULL, lease_until = NULL
    WHERE tenant = $1 AND kind = $2 AND stream = $3 AND version = $4 AND (SELECT ok FROM fresh)
    RETURNING 1),";

const WRITE_REST: &str = "
e AS (
    INSERT INTO events (tenant, kind, stream, version, type, schema, payload)
    SELECT $1, $2, $3, $4 + u.n, u.t, $12, u.p::json
    FROM unnest($10::text[], $11::text[]) WITH ORDINALITY AS u(t, p, n)
    WHERE EXISTS (SELECT 1 FROM s)),
o AS (
    INSERT INTO outbox (tenant, kind, stream, version, message, attempts, available_at)
    SELECT $1, $2, $3, u.v, u.m::json, u.a, u.at
    FROM unnest($13::int8[], $14::text[], $15::int4[], $16::timestamptz[]) AS u(v, m, a, at)
    WHERE EXISTS (SELECT 1 FROM s)
    ON CONFLICT (tenant, kind, stream, version) DO UPDATE SET message = excluded.message,
        attempts = excluded.attempts, available_at = excluded.available_at,
        dead_error = NULL, lease_owner = NULL),
w AS (
    INSERT INTO work (tenant, kind, stream, version, work, lease_owner, lease_until)
    SELECT $1, $2, $3, $5, $17::text::json, $18, $19
    WHERE $17::text IS NOT NULL AND EXISTS (SELECT 1 FROM s)
    ON CONFLICT (tenant, kind, stream, version) DO NOTHING),
r AS (
    INSERT INTO receipts (tenant, key, kind, stream, version, events)
    SELECT $1, $20::text, $2, $3, $21, $22
    WHERE $20::text IS NOT NULL AND EXISTS (SELECT 1 FROM s))
SELECT (SELECT ok FROM fresh), EXISTS (SELECT 1 FROM s),
    (SELECT version FROM streams WHERE tenant = $1 AND kind = $2 AND stream = $3)";

/// The parameters of a commit's statement: those of an update, then a new stream's keys.
const COMMIT_TYPES: [Type; 27] = [
    Type::UUID,
    Type::INT2,
    Type::UUID,
    Type::INT8,
    Type::INT8,
    Type::INT2,
    Type::TEXT,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT4,
    Type::INT8_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT4_ARRAY,
    Type::TIMESTAMPTZ_ARRAY,
    Type::TEXT,
    Type::UUID,
    Type::TIMESTAMPTZ,
    Type::TEXT,
    Type::INT8,
    Type::INT4,
    Type::UUID,
    Type::UUID,
    Type::TEXT,
    Type::TEXT,
    Type::UUID,
];

const ADD_COUNTS: &str = "
INSERT INTO status_counts (tenant, kind, status, n)
SELECT * FROM unnest($1::uuid[], $2::int2[], $3::int2[], $4::int8[])
ON CONFLICT (tenant, kind, status) DO UPDATE SET n = status_counts.n + excluded.n";

/// Runs the slots without a result in one pipelined transaction; returns their outcomes in
/// order, or the error that rolled it back.
async fn transaction(
    client: &Object,
    slots: &[Slot],
    notify: bool,
) -> Result<Vec<Result<(), StoreError>>, tokio_postgres::Error> {
    let result = statements(client, slots, notify).await;
    if result.is_err() {
        // Leave the connection outside any transaction for its next user (a failed COMMIT
        // has ended it already; ROLLBACK then only warns).
        if let Err(error) = client.batch_execute("ROLLBACK").await {
            tracing::debug!(%error, "rollback after a failed transaction");
        }
    }
    result
}

async fn statements(
    client: &Object,
    slots: &[Slot],
    notify: bool,
) -> Result<Vec<Result<(), StoreError>>, tokio_postgres::Error> {
    let update = client
        .prepare_typed_cached(
            &format!("{CHECK_RECEIPT}{UPDATE_STREAM}{WRITE_REST}"),
            &COMMIT_TYPES[..22],
        )
        .await?;
    let insert = client
        .prepare_typed_cached(
            &format!("{CHECK_RECEIPT}{INSERT_STREAM}{WRITE_REST}"),
            &COMMIT_TYPES,
        )
        .await?;
    let add_counts = client.prepare_cached(ADD_COUNTS).await?;
    let tally = tallies::Statements::prepare(client).await?;

    let order: Vec<&Prepared> = slots
        .iter()
        .filter(|s| s.result.is_none())
        .filter_map(|s| s.prepared.as_ref())
        .collect();
    let mut positions: Vec<usize> = (0..order.len()).collect();
    // Key order (stable: commits to one stream stay in their order).
    positions.sort_by_key(|&i| (order[i].tenant, order[i].kind, order[i].stream));
    let sorted: Vec<&Prepared> = positions.iter().map(|&i| order[i]).collect();

    let schema = DomainEvent::SCHEMA_VERSION as i32;
    let params: Vec<Vec<&(dyn ToSql + Sync)>> = sorted
        .iter()
        .map(|p| {
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![
                &p.tenant,
                &p.kind,
                &p.stream,
                &p.expected,
                &p.version,
                &p.status,
                &p.snapshot,
                &p.timers,
                &p.next_due,
                &p.event_types,
                &p.event_payloads,
                &schema,
                &p.outbox_versions,
                &p.outbox_messages,
                &p.outbox_attempts,
                &p.outbox_available,
                &p.work,
                &p.work_owner,
                &p.work_until,
                &p.receipt_key,
                &p.receipt_version,
                &p.receipt_events,
            ];
            if p.expected == 0 {
                params.extend([
                    &p.right_id as &(dyn ToSql + Sync),
                    &p.campaign,
                    &p.seller,
                    &p.listing,
                    &p.representative,
                ]);
            }
            params
        })
        .collect();

    let begin = client.batch_execute("BEGIN");
    let writes = join_all(sorted.iter().zip(&params).map(|(p, params)| {
        let statement = if p.expected == 0 { &insert } else { &update };
        client.query_one(statement, params)
    }));
    let (begin, rows) = tokio::join!(begin, writes);
    begin?;
    let mut outcomes: Vec<Result<(), StoreError>> = Vec::with_capacity(rows.len());
    for (row, p) in rows.into_iter().zip(&sorted) {
        let row = row?;
        let fresh: bool = row.try_get(0)?;
        let written: bool = row.try_get(1)?;
        let stored: Option<i64> = row.try_get(2)?;
        outcomes.push(if !fresh {
            let key = p.commit.receipt.as_ref().map(|(key, _)| key.clone());
            Err(match key {
                Some(key) => StoreError::DuplicateIdempotencyKey(key),
                None => StoreError::Unavailable("receipt check without a key".into()),
            })
        } else if written {
            Ok(())
        } else {
            Err(StoreError::Conflict {
                stream: p.commit.stream,
                expected: p.commit.expected_version,
                actual: stored.and_then(|v| u64::try_from(v).ok()).unwrap_or(0),
            })
        });
    }

    // Counters and tallies of the commits that were written, summed, in key order.
    let mut counts: BTreeMap<(Uuid, i16, i16), i64> = BTreeMap::new();
    let mut sums: BTreeMap<(Uuid, Uuid), Tallies> = BTreeMap::new();
    let mut wakes = false;
    for (p, outcome) in sorted.iter().zip(&outcomes) {
        if outcome.is_err() {
            continue;
        }
        wakes |= p.wakes();
        if p.status_before != Some(p.status) {
            if let Some(before) = p.status_before {
                *counts.entry((p.tenant, p.kind, before)).or_default() -= 1;
            }
            *counts.entry((p.tenant, p.kind, p.status)).or_default() += 1;
        }
        if let Some(change) = &p.commit.metrics {
            let campaign = change.after.campaign().map_or(Uuid::nil(), |c| c.as_uuid());
            sums.entry((p.tenant, campaign)).or_default().record(change);
        }
    }
    counts.retain(|_, delta| *delta != 0);
    let count_keys: (Vec<Uuid>, Vec<i16>, Vec<i16>, Vec<i64>) = counts
        .iter()
        .map(|(&(tenant, kind, status), &n)| (tenant, kind, status, n))
        .fold(Default::default(), |mut columns, (t, k, s, n)| {
            columns.0.push(t);
            columns.1.push(k);
            columns.2.push(s);
            columns.3.push(n);
            columns
        });
    let tally_rows = tallies::Rows::of(&sums);
    let notify_wake = format!("NOTIFY {WAKE_CHANNEL}");

    let add_counts = async {
        if counts.is_empty() {
            return Ok(0);
        }
        client
            .execute(
                &add_counts,
                &[&count_keys.0, &count_keys.1, &count_keys.2, &count_keys.3],
            )
            .await
    };
    let add_tallies = tally.write(client, &tally_rows);
    let wake = async {
        if notify && wakes {
            client.batch_execute(&notify_wake).await
        } else {
            Ok(())
        }
    };
    let commit = client.batch_execute("COMMIT");
    let (counted, tallied, woke, committed) = tokio::join!(add_counts, add_tallies, wake, commit);
    counted?;
    tallied?;
    woke?;
    committed?;

    // Back to the callers' order.
    let mut in_order: Vec<Option<Result<(), StoreError>>> =
        (0..order.len()).map(|_| None).collect();
    for (outcome, &position) in outcomes.into_iter().zip(&positions) {
        in_order[position] = Some(outcome);
    }
    Ok(in_order
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(StoreError::Unavailable("lost result".into()))))
        .collect())
}
