//! Work shared by every engine on the file: due timers, outbox messages and pending
//! cross-stream work, each claimed with a lease (owner, until) in one UPDATE ... RETURNING,
//! so two engines claiming at once never get the same row.

use aliprotect_core::ids::{TenantId, WorkerId};
use aliprotect_core::notify::{MessageId, Notification};
use aliprotect_core::store::{
    Claim, DeadLetter, FollowUpWork, OutboxMessage, PendingWork, Settlement, StoreError, Timer,
    WorkId,
};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};

use crate::codec;
use crate::queries::version_of;
use crate::unavailable;

fn limit_sql(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn owner_key(owner: WorkerId) -> [u8; 16] {
    owner.as_uuid().into_bytes()
}

/// A message's key columns: tenant, stream and version.
fn message_key(id: &MessageId) -> Result<([u8; 16], [u8; 17], i64), StoreError> {
    let version =
        i64::try_from(id.version).map_err(|_| codec::corrupt("message id", id.version))?;
    Ok((
        codec::tenant_key(id.tenant),
        codec::stream_key(id.stream),
        version,
    ))
}

pub(crate) fn claim_timers(tx: &Transaction<'_>, claim: Claim) -> Result<Vec<Timer>, StoreError> {
    let Claim { now, lease, limit } = claim;
    let now_sql = codec::micros(now);
    let mut statement = tx
        .prepare_cached(
            "UPDATE streams SET lease_owner = ?1, lease_until = ?2
             WHERE rowid IN (
                 SELECT rowid FROM streams
                 WHERE next_due IS NOT NULL AND next_due <= ?3
                   AND (lease_until IS NULL OR lease_until <= ?3)
                 ORDER BY next_due LIMIT ?4)
             RETURNING tenant, stream, timers",
        )
        .map_err(unavailable)?;
    let rows = statement
        .query_map(
            params![
                &owner_key(lease.owner)[..],
                codec::micros(lease.until),
                now_sql,
                limit_sql(limit)
            ],
            |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    row.get::<_, Vec<u8>>(1)?,
                    row.get::<_, String>(2)?,
                ))
            },
        )
        .map_err(unavailable)?;
    let mut due = Vec::new();
    for row in rows {
        let (tenant, stream, timers) = row.map_err(unavailable)?;
        let (tenant, stream) = (codec::tenant_of(&tenant)?, codec::stream_of(&stream)?);
        due.extend(
            codec::decode_timers(tenant, stream, &timers)?
                .into_iter()
                .filter(|timer| timer.due <= now),
        );
    }
    due.sort_by_key(|t| (t.due, t.tenant, t.stream, t.kind));
    Ok(due)
}

pub(crate) fn claim_outbox(
    tx: &Transaction<'_>,
    claim: Claim,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let Claim { now, lease, limit } = claim;
    let until = codec::micros(lease.until);
    let mut statement = tx
        .prepare_cached(
            "UPDATE outbox SET attempts = attempts + 1, available_at = ?2, lease_owner = ?3
             WHERE seq IN (
                 SELECT seq FROM outbox WHERE available_at <= ?1 AND dead_error IS NULL
                 ORDER BY seq LIMIT ?4)
             RETURNING seq, tenant, stream, version, message, attempts",
        )
        .map_err(unavailable)?;
    let rows = statement
        .query_map(
            params![
                codec::micros(now),
                until,
                &owner_key(lease.owner)[..],
                limit_sql(limit)
            ],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, Vec<u8>>(1)?,
                    row.get::<_, Vec<u8>>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, i64>(5)?,
                ))
            },
        )
        .map_err(unavailable)?;
    let mut messages = Vec::new();
    for row in rows {
        let (seq, tenant, stream, version, json, attempts) = row.map_err(unavailable)?;
        let notification: Notification = codec::from_json("outbox message", &json)?;
        let message = OutboxMessage {
            id: MessageId {
                tenant: codec::tenant_of(&tenant)?,
                stream: codec::stream_of(&stream)?,
                version: version_of(version)?,
            },
            notification,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            available_at: codec::instant(until)?,
        };
        messages.push((seq, message));
    }
    // RETURNING gives no order: oldest first is the promise.
    messages.sort_by_key(|(seq, _)| *seq);
    Ok(messages.into_iter().map(|(_, m)| m).collect())
}

/// Runs `sql` on the message `owner` holds (parameters 1-4: tenant, stream, version,
/// owner; `extra` after them); returns whether it did.
fn on_held(
    tx: &Transaction<'_>,
    sql: &str,
    id: &MessageId,
    owner: WorkerId,
    extra: &dyn rusqlite::ToSql,
) -> Result<bool, StoreError> {
    let (tenant, stream, version) = message_key(id)?;
    let changed = tx
        .prepare_cached(sql)
        .and_then(|mut s| {
            s.execute(params![
                &tenant[..],
                &stream[..],
                version,
                &owner_key(owner)[..],
                extra
            ])
        })
        .map_err(unavailable)?;
    Ok(changed > 0)
}

const HELD: &str =
    "tenant = ?1 AND stream = ?2 AND version = ?3 AND lease_owner = ?4 AND dead_error IS NULL";

/// Settles a message as [`Outbox::settle_outbox`](aliprotect_core::store::Outbox) says.
pub(crate) fn settle_outbox(
    tx: &Transaction<'_>,
    id: &MessageId,
    settlement: Settlement,
) -> Result<bool, StoreError> {
    match settlement {
        Settlement::Delivered { owner } => {
            // ?5 is unused by the DELETE but keeps one parameter list for every statement here.
            let sql = format!("DELETE FROM outbox WHERE {HELD} AND ?5 IS NULL");
            on_held(tx, &sql, id, owner, &rusqlite::types::Null)
        }
        Settlement::Retry { owner, at } => {
            let sql =
                format!("UPDATE outbox SET available_at = ?5, lease_owner = NULL WHERE {HELD}");
            on_held(tx, &sql, id, owner, &codec::micros(at))
        }
        Settlement::DeadLetter { owner, error } => {
            let sql = format!("UPDATE outbox SET dead_error = ?5, lease_owner = NULL WHERE {HELD}");
            on_held(tx, &sql, id, owner, &error)
        }
        Settlement::Revive { at } => revive_dead_letter(tx, id, at),
    }
}

pub(crate) fn dead_letters(
    connection: &Connection,
    tenant: TenantId,
    limit: usize,
) -> Result<Vec<DeadLetter>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT stream, version, message, attempts, available_at, dead_error FROM outbox
             WHERE tenant = ?1 AND dead_error IS NOT NULL ORDER BY seq LIMIT ?2",
        )
        .map_err(unavailable)?;
    let rows = statement
        .query_map(
            params![&codec::tenant_key(tenant)[..], limit_sql(limit)],
            |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, String>(5)?,
                ))
            },
        )
        .map_err(unavailable)?;
    rows.map(|row| {
        let (stream, version, json, attempts, available_at, error) = row.map_err(unavailable)?;
        let message = message_of(tenant, (stream, version, json, attempts, available_at))?;
        Ok(DeadLetter { message, error })
    })
    .collect()
}

/// The tenant's messages still to deliver, oldest first.
pub(crate) fn pending_outbox(
    connection: &Connection,
    tenant: TenantId,
    limit: usize,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT stream, version, message, attempts, available_at FROM outbox
             WHERE tenant = ?1 AND dead_error IS NULL ORDER BY seq LIMIT ?2",
        )
        .map_err(unavailable)?;
    let rows = statement
        .query_map(
            params![&codec::tenant_key(tenant)[..], limit_sql(limit)],
            |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, i64>(4)?,
                ))
            },
        )
        .map_err(unavailable)?;
    rows.map(|row| message_of(tenant, row.map_err(unavailable)?))
        .collect()
}

/// An outbox row of `tenant` (stream, version, message, attempts, available at) as read.
fn message_of(
    tenant: TenantId,
    (stream, version, json, attempts, available_at): (Vec<u8>, i64, String, i64, i64),
) -> Result<OutboxMessage, StoreError> {
    Ok(OutboxMessage {
        id: MessageId {
            tenant,
            stream: codec::stream_of(&stream)?,
            version: version_of(version)?,
        },
        notification: codec::from_json("outbox message", &json)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        available_at: codec::instant(available_at)?,
    })
}

fn revive_dead_letter(
    tx: &Transaction<'_>,
    id: &MessageId,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (tenant, stream, version) = message_key(id)?;
    let changed = tx
        .prepare_cached(
            "UPDATE outbox SET dead_error = NULL, attempts = 0, available_at = ?4,
                 lease_owner = NULL
             WHERE tenant = ?1 AND stream = ?2 AND version = ?3 AND dead_error IS NOT NULL",
        )
        .and_then(|mut s| {
            s.execute(params![
                &tenant[..],
                &stream[..],
                version,
                codec::micros(at)
            ])
        })
        .map_err(unavailable)?;
    Ok(changed > 0)
}

pub(crate) fn claim_work(
    tx: &Transaction<'_>,
    claim: Claim,
) -> Result<Vec<PendingWork>, StoreError> {
    let Claim { now, lease, limit } = claim;
    let mut statement = tx
        .prepare_cached(
            "UPDATE work SET lease_owner = ?1, lease_until = ?2
             WHERE seq IN (
                 SELECT seq FROM work WHERE lease_until <= ?3 ORDER BY seq LIMIT ?4)
             RETURNING seq, tenant, stream, version, work",
        )
        .map_err(unavailable)?;
    let rows = statement
        .query_map(
            params![
                &owner_key(lease.owner)[..],
                codec::micros(lease.until),
                codec::micros(now),
                limit_sql(limit)
            ],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, Vec<u8>>(1)?,
                    row.get::<_, Vec<u8>>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, String>(4)?,
                ))
            },
        )
        .map_err(unavailable)?;
    let mut claimed = Vec::new();
    for row in rows {
        let (seq, tenant, stream, version, json) = row.map_err(unavailable)?;
        let follow_up: FollowUpWork = codec::from_json("pending work", &json)?;
        let work = PendingWork {
            id: WorkId {
                tenant: codec::tenant_of(&tenant)?,
                stream: codec::stream_of(&stream)?,
                version: version_of(version)?,
            },
            follow_up,
            lease,
        };
        claimed.push((seq, work));
    }
    claimed.sort_by_key(|(seq, _)| *seq);
    Ok(claimed.into_iter().map(|(_, w)| w).collect())
}

pub(crate) fn complete_work(
    tx: &Transaction<'_>,
    id: &WorkId,
    owner: WorkerId,
) -> Result<bool, StoreError> {
    let version = i64::try_from(id.version).map_err(|_| codec::corrupt("work id", id.version))?;
    let changed = tx
        .prepare_cached(
            "DELETE FROM work
             WHERE tenant = ?1 AND stream = ?2 AND version = ?3 AND lease_owner = ?4",
        )
        .and_then(|mut s| {
            s.execute(params![
                &codec::tenant_key(id.tenant)[..],
                &codec::stream_key(id.stream)[..],
                version,
                &owner_key(owner)[..],
            ])
        })
        .map_err(unavailable)?;
    Ok(changed > 0)
}
