//! Work shared by every engine on the database: due timers, outbox messages and pending
//! cross-stream work, each claimed with a lease (owner, until) by one statement that picks
//! its rows `FOR UPDATE SKIP LOCKED`, so that engines claiming at once never wait on each
//! other or get the same row. Lease times are the engines' clocks, as the contract says.

use aliprotect_core::ids::{TenantId, WorkerId};
use aliprotect_core::notify::MessageId;
use aliprotect_core::store::columns;
use aliprotect_core::store::{
    Claim, DeadLetter, FollowUpWork, OutboxMessage, PendingWork, Settlement, StoreError, Timer,
    TimerPage, WorkId, order_stream_timers,
};
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use tokio_postgres::types::Type;
use uuid::Uuid;

use crate::error::{corrupt, unavailable};
use crate::queries::{query, version_of};
use crate::statements::{Conn, Param};

fn limit_sql(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn text<'a>(row: &'a Row, index: usize, location: &str) -> Result<&'a str, StoreError> {
    row.try_get(index).map_err(|e| corrupt(location, e))
}

fn json<T: serde::de::DeserializeOwned>(
    row: &Row,
    index: usize,
    location: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text(row, index, location)?).map_err(|e| corrupt(location, e))
}

/// A message or work id from columns (tenant, kind, stream, version) at `first`.
fn key_of(row: &Row, first: usize, location: &str) -> Result<MessageId, StoreError> {
    let get_err = |e| corrupt(location, e);
    let tenant: Uuid = row.try_get(first).map_err(get_err)?;
    let kind: i16 = row.try_get(first + 1).map_err(get_err)?;
    let stream: Uuid = row.try_get(first + 2).map_err(get_err)?;
    let version: i64 = row.try_get(first + 3).map_err(get_err)?;
    Ok(MessageId {
        tenant: TenantId::from_uuid(tenant),
        stream: columns::stream_from_parts(i64::from(kind), stream)?,
        version: version_of(version)?,
    })
}

/// Key columns of a message id: tenant, kind, stream, version.
fn key_params(id: &MessageId) -> Result<(Uuid, i16, Uuid, i64), StoreError> {
    let (kind, stream) = columns::stream_parts(id.stream);
    let version = i64::try_from(id.version).map_err(|_| corrupt("message id", id.version))?;
    Ok((id.tenant.as_uuid(), i16::from(kind), stream, version))
}

async fn changed(client: &Conn, sql: &str, params: &[Param<'_>]) -> Result<bool, StoreError> {
    let count = client.execute(sql, params).await.map_err(unavailable)?;
    Ok(count > 0)
}

pub(crate) async fn claim_timers(client: &Conn, claim: Claim) -> Result<Vec<Timer>, StoreError> {
    let Claim { now, lease, limit } = claim;
    let rows = query(
        client,
        "UPDATE timers SET lease_owner = $1, lease_until = $2
         FROM (SELECT tenant, kind, stream FROM timers
               WHERE next_due <= $3 AND (lease_until IS NULL OR lease_until <= $3)
               ORDER BY next_due LIMIT $4 FOR UPDATE SKIP LOCKED) AS due
         WHERE timers.tenant = due.tenant AND timers.kind = due.kind
           AND timers.stream = due.stream
         RETURNING timers.tenant, timers.kind, timers.stream, timers.timers::text",
        &[
            (&lease.owner.as_uuid(), Type::UUID),
            (&lease.until, Type::TIMESTAMPTZ),
            (&now, Type::TIMESTAMPTZ),
            (&limit_sql(limit), Type::INT8),
        ],
    )
    .await?;
    let mut due = Vec::new();
    for row in &rows {
        let id = key_of_stream(row)?;
        let timers = text(row, 3, "timers")?;
        due.extend(
            columns::decode_timers(id.0, id.1, timers)?
                .into_iter()
                .filter(|timer| timer.due <= now),
        );
    }
    due.sort_by_key(|t| (t.due, t.tenant, t.stream, t.kind));
    Ok(due)
}

/// A page of the tenant's pending timers (see `Schedule::pending_timers`), through the
/// index of timer rows by tenant and soonest due time.
pub(crate) async fn pending_timers(
    client: &Conn,
    tenant: TenantId,
    page: &TimerPage,
) -> Result<Vec<Timer>, StoreError> {
    let after_due = page.after.map(|(due, _)| due);
    let after_stream = page.after.map(|(_, stream)| columns::stream_parts(stream));
    // Bounds that are always there (missing ones as infinities), never `$n IS NULL OR ...`:
    // the generic plan PostgreSQL switches a prepared statement to after five runs keeps
    // them on the index instead of filtering every row of the tenant.
    let rows = query(
        client,
        "SELECT tenant, kind, stream, timers::text FROM timers
         WHERE tenant = $1 AND next_due <= coalesce($2, 'infinity'::timestamptz)
           AND (next_due, kind, stream) > (coalesce($3, '-infinity'::timestamptz),
               coalesce($4::int2, -1::int2), coalesce($5::uuid, '00000000-0000-0000-0000-000000000000'))
         ORDER BY next_due, kind, stream LIMIT $6",
        &[
            (&tenant.as_uuid(), Type::UUID),
            (&page.until, Type::TIMESTAMPTZ),
            (&after_due, Type::TIMESTAMPTZ),
            (&after_stream.map(|(kind, _)| i16::from(kind)), Type::INT2),
            (&after_stream.map(|(_, stream)| stream), Type::UUID),
            (&limit_sql(page.limit), Type::INT8),
        ],
    )
    .await?;
    let mut timers = Vec::new();
    for row in &rows {
        let (tenant, stream) = key_of_stream(row)?;
        let mut of_stream = columns::decode_timers(tenant, stream, text(row, 3, "timers")?)?;
        order_stream_timers(&mut of_stream);
        timers.append(&mut of_stream);
    }
    Ok(timers)
}

/// How many pending timers the tenant has (see `Schedule::count_pending_timers`), from its
/// timer rows.
pub(crate) async fn count_pending_timers(
    client: &Conn,
    tenant: TenantId,
) -> Result<u64, StoreError> {
    let rows = query(
        client,
        "SELECT coalesce(sum(json_array_length(timers)), 0)::int8 FROM timers WHERE tenant = $1",
        &[(&tenant.as_uuid(), Type::UUID)],
    )
    .await?;
    let count: i64 = rows
        .first()
        .ok_or_else(|| corrupt("timers", "no count"))?
        .try_get(0)
        .map_err(|e| corrupt("timers", e))?;
    u64::try_from(count).map_err(|_| corrupt("count of timers", count))
}

fn key_of_stream(row: &Row) -> Result<(TenantId, aliprotect_core::store::StreamId), StoreError> {
    let get_err = |e| corrupt("timers", e);
    let tenant: Uuid = row.try_get(0).map_err(get_err)?;
    let kind: i16 = row.try_get(1).map_err(get_err)?;
    let stream: Uuid = row.try_get(2).map_err(get_err)?;
    Ok((
        TenantId::from_uuid(tenant),
        columns::stream_from_parts(i64::from(kind), stream)?,
    ))
}

pub(crate) async fn claim_outbox(
    client: &Conn,
    claim: Claim,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let Claim { now, lease, limit } = claim;
    let rows = query(
        client,
        "UPDATE outbox SET attempts = outbox.attempts + 1, available_at = $2, lease_owner = $3
         FROM (SELECT seq FROM outbox WHERE available_at <= $1 AND dead_error IS NULL
               ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED) AS free
         WHERE outbox.seq = free.seq
         RETURNING outbox.seq, outbox.tenant, outbox.kind, outbox.stream, outbox.version,
             outbox.message::text, outbox.attempts",
        &[
            (&now, Type::TIMESTAMPTZ),
            (&lease.until, Type::TIMESTAMPTZ),
            (&lease.owner.as_uuid(), Type::UUID),
            (&limit_sql(limit), Type::INT8),
        ],
    )
    .await?;
    let mut messages = rows
        .iter()
        .map(|row| {
            let seq: i64 = row.try_get(0).map_err(|e| corrupt("outbox", e))?;
            let attempts: i32 = row.try_get(6).map_err(|e| corrupt("outbox", e))?;
            Ok((
                seq,
                OutboxMessage {
                    id: key_of(row, 1, "outbox")?,
                    notification: json(row, 5, "outbox message")?,
                    attempts: u32::try_from(attempts).unwrap_or(0),
                    available_at: lease.until,
                },
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    // RETURNING gives no order: oldest first is the promise.
    messages.sort_by_key(|(seq, _)| *seq);
    Ok(messages.into_iter().map(|(_, m)| m).collect())
}

/// The condition on a message `owner` holds: parameters 1-5 are its key and the owner.
const HELD: &str = "tenant = $1 AND kind = $2 AND stream = $3 AND version = $4
    AND lease_owner = $5 AND dead_error IS NULL";

async fn on_held(
    client: &Conn,
    sql: &str,
    id: &MessageId,
    owner: WorkerId,
    extra: Option<Param<'_>>,
) -> Result<bool, StoreError> {
    let (tenant, kind, stream, version) = key_params(id)?;
    let owner = owner.as_uuid();
    let mut params: Vec<Param<'_>> = vec![
        (&tenant, Type::UUID),
        (&kind, Type::INT2),
        (&stream, Type::UUID),
        (&version, Type::INT8),
        (&owner, Type::UUID),
    ];
    params.extend(extra);
    changed(client, sql, &params).await
}

/// Settles a message as [`Outbox::settle_outbox`](aliprotect_core::store::Outbox) says.
pub(crate) async fn settle_outbox(
    client: &Conn,
    id: &MessageId,
    settlement: Settlement,
) -> Result<bool, StoreError> {
    match settlement {
        Settlement::Delivered { owner } => {
            let sql = format!("DELETE FROM outbox WHERE {HELD}");
            on_held(client, &sql, id, owner, None).await
        }
        Settlement::Retry { owner, at } => {
            let sql =
                format!("UPDATE outbox SET available_at = $6, lease_owner = NULL WHERE {HELD}");
            on_held(client, &sql, id, owner, Some((&at, Type::TIMESTAMPTZ))).await
        }
        Settlement::DeadLetter { owner, error } => {
            let sql = format!("UPDATE outbox SET dead_error = $6, lease_owner = NULL WHERE {HELD}");
            // Text columns cannot hold NUL: keep the rest of the receiver's answer.
            let error = error.replace('\0', "\u{FFFD}");
            on_held(client, &sql, id, owner, Some((&error, Type::TEXT))).await
        }
        Settlement::Revive { at } => revive_dead_letter(client, id, at).await,
    }
}

/// Settles messages as [`Outbox::settle_outbox_batch`](aliprotect_core::store::Outbox)
/// says. When no message appears twice, the order between settlements cannot change an
/// answer (each touches its own row): the deliveries, what a dispatcher mostly settles, go
/// in one statement and the rest one by one. Otherwise each in turn, as alone.
pub(crate) async fn settle_outbox_batch(
    client: &Conn,
    settlements: Vec<(MessageId, Settlement)>,
) -> Result<Vec<bool>, StoreError> {
    let distinct: HashSet<&MessageId> = settlements.iter().map(|(id, _)| id).collect();
    let mut applied = vec![false; settlements.len()];
    if distinct.len() < settlements.len() {
        for ((id, settlement), applied) in settlements.into_iter().zip(&mut applied) {
            *applied = settle_outbox(client, &id, settlement).await?;
        }
        return Ok(applied);
    }
    let mut delivered = Vec::new();
    for (at, (id, settlement)) in settlements.into_iter().enumerate() {
        match settlement {
            Settlement::Delivered { owner } => delivered.push((at, id, owner)),
            other => applied[at] = settle_outbox(client, &id, other).await?,
        }
    }
    if delivered.is_empty() {
        return Ok(applied);
    }
    let mut columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (_, id, owner) in &delivered {
        let (tenant, kind, stream, version) = key_params(id)?;
        columns.0.push(tenant);
        columns.1.push(kind);
        columns.2.push(stream);
        columns.3.push(version);
        columns.4.push(owner.as_uuid());
    }
    let rows = query(
        client,
        "DELETE FROM outbox o
         USING unnest($1::uuid[], $2::int2[], $3::uuid[], $4::int8[], $5::uuid[])
               WITH ORDINALITY AS k(tenant, kind, stream, version, owner, at)
         WHERE o.tenant = k.tenant AND o.kind = k.kind AND o.stream = k.stream
           AND o.version = k.version AND o.lease_owner = k.owner AND o.dead_error IS NULL
         RETURNING k.at",
        &[
            (&columns.0, Type::UUID_ARRAY),
            (&columns.1, Type::INT2_ARRAY),
            (&columns.2, Type::UUID_ARRAY),
            (&columns.3, Type::INT8_ARRAY),
            (&columns.4, Type::UUID_ARRAY),
        ],
    )
    .await?;
    for row in &rows {
        // WITH ORDINALITY counts from 1.
        let at: i64 = row.try_get(0).map_err(|e| corrupt("outbox", e))?;
        let (at, _, _) = usize::try_from(at - 1)
            .ok()
            .and_then(|at| delivered.get(at))
            .ok_or_else(|| corrupt("outbox", format!("a settlement answered for key {at}")))?;
        applied[*at] = true;
    }
    Ok(applied)
}

pub(crate) async fn dead_letters(
    client: &Conn,
    tenant: TenantId,
    limit: usize,
) -> Result<Vec<DeadLetter>, StoreError> {
    let rows = query(
        client,
        "SELECT tenant, kind, stream, version, message::text, attempts, available_at, dead_error
         FROM outbox WHERE tenant = $1 AND dead_error IS NOT NULL ORDER BY seq LIMIT $2",
        &[
            (&tenant.as_uuid(), Type::UUID),
            (&limit_sql(limit), Type::INT8),
        ],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DeadLetter {
                message: message_of(row, "dead letter")?,
                error: row.try_get(7).map_err(|e| corrupt("dead letter", e))?,
            })
        })
        .collect()
}

/// The tenant's messages still to deliver, oldest first.
pub(crate) async fn pending_outbox(
    client: &Conn,
    tenant: TenantId,
    limit: usize,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let rows = query(
        client,
        "SELECT tenant, kind, stream, version, message::text, attempts, available_at
         FROM outbox WHERE tenant = $1 AND dead_error IS NULL ORDER BY seq LIMIT $2",
        &[
            (&tenant.as_uuid(), Type::UUID),
            (&limit_sql(limit), Type::INT8),
        ],
    )
    .await?;
    rows.iter()
        .map(|row| message_of(row, "outbox message"))
        .collect()
}

/// An outbox row (tenant, kind, stream, version, message, attempts, available at) as read.
fn message_of(row: &Row, what: &str) -> Result<OutboxMessage, StoreError> {
    let attempts: i32 = row.try_get(5).map_err(|e| corrupt(what, e))?;
    Ok(OutboxMessage {
        id: key_of(row, 0, what)?,
        notification: json(row, 4, what)?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        available_at: row.try_get(6).map_err(|e| corrupt(what, e))?,
    })
}

async fn revive_dead_letter(
    client: &Conn,
    id: &MessageId,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (tenant, kind, stream, version) = key_params(id)?;
    changed(
        client,
        "UPDATE outbox SET dead_error = NULL, attempts = 0, available_at = $5, lease_owner = NULL
         WHERE tenant = $1 AND kind = $2 AND stream = $3 AND version = $4
           AND dead_error IS NOT NULL",
        &[
            (&tenant, Type::UUID),
            (&kind, Type::INT2),
            (&stream, Type::UUID),
            (&version, Type::INT8),
            (&at, Type::TIMESTAMPTZ),
        ],
    )
    .await
}

pub(crate) async fn claim_work(
    client: &Conn,
    claim: Claim,
) -> Result<Vec<PendingWork>, StoreError> {
    let Claim { now, lease, limit } = claim;
    let rows = query(
        client,
        "UPDATE work SET lease_owner = $1, lease_until = $2
         FROM (SELECT seq FROM work WHERE lease_until <= $3
               ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED) AS free
         WHERE work.seq = free.seq
         RETURNING work.seq, work.tenant, work.kind, work.stream, work.version, work.work::text",
        &[
            (&lease.owner.as_uuid(), Type::UUID),
            (&lease.until, Type::TIMESTAMPTZ),
            (&now, Type::TIMESTAMPTZ),
            (&limit_sql(limit), Type::INT8),
        ],
    )
    .await?;
    let mut claimed = rows
        .iter()
        .map(|row| {
            let seq: i64 = row.try_get(0).map_err(|e| corrupt("work", e))?;
            let id = key_of(row, 1, "work")?;
            let follow_up: FollowUpWork = json(row, 5, "pending work")?;
            Ok((
                seq,
                PendingWork {
                    id: WorkId {
                        tenant: id.tenant,
                        stream: id.stream,
                        version: id.version,
                    },
                    follow_up,
                    lease,
                },
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    claimed.sort_by_key(|(seq, _)| *seq);
    Ok(claimed.into_iter().map(|(_, w)| w).collect())
}

pub(crate) async fn complete_work(
    client: &Conn,
    id: &WorkId,
    owner: WorkerId,
) -> Result<bool, StoreError> {
    let (kind, stream) = columns::stream_parts(id.stream);
    let version = i64::try_from(id.version).map_err(|_| corrupt("work id", id.version))?;
    changed(
        client,
        "DELETE FROM work
         WHERE tenant = $1 AND kind = $2 AND stream = $3 AND version = $4 AND lease_owner = $5",
        &[
            (&id.tenant.as_uuid(), Type::UUID),
            (&i16::from(kind), Type::INT2),
            (&stream, Type::UUID),
            (&version, Type::INT8),
            (&owner.as_uuid(), Type::UUID),
        ],
    )
    .await
}
