//! Copying the database's data out and in ([`Transfer`]).
//!
//! Every statement here is unnamed (`query_typed`, `execute_typed`: the types given with the
//! parameters), so nothing outlives its transaction and the copy works behind a pooler in
//! transaction mode. An export reads a page of streams and everything under them in one
//! `REPEATABLE READ READ ONLY` transaction, with one statement per table over the page's key
//! range (or its keys); an import is one transaction: the page's streams are looked up
//! first (present as exported: skipped; otherwise a typed error and nothing written), then
//! written one statement per table over arrays, and the status counters and metric tallies
//! move for the new streams as the migration that created the tallies counts a database's
//! complaints (`schema::backfill_tallies`: one [`MetricsChange`] from nothing per complaint,
//! summed per tenant and campaign and added by the same statements, `tallies::Rows`).
//!
//! [`MetricsChange`]: aliprotect_core::metrics::MetricsChange

use std::collections::HashMap;

use aliprotect_core::ids::{TenantId, WorkerId};
use aliprotect_core::metrics::Tallies;
use aliprotect_core::notify::{MessageId, Notification};
use aliprotect_core::store::{
    DeadLetter, DomainEvent, FollowUpWork, IdempotencyKey, ImportReport, IndexKey, IndexName,
    Lease, OutboxMessage, PendingWork, Receipt, ReceiptExport, RequestFingerprint, Snapshot,
    StoreError, StoredEvent, StoredReceipt, StreamExport, StreamId, Transfer, UniqueKey, WorkId,
    columns, possible_keys, upcast_event,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

use crate::PostgresStore;
use crate::error::{corrupt, unavailable};

/// A stream's key as the tables hold it.
type Key = (Uuid, i16, Uuid);

fn key_of(tenant: TenantId, stream: StreamId) -> Key {
    let (kind, id) = columns::stream_parts(stream);
    (tenant.as_uuid(), i16::from(kind), id)
}

fn stream_of(key: Key) -> Result<(TenantId, StreamId), StoreError> {
    Ok((
        TenantId::from_uuid(key.0),
        columns::stream_from_parts(i64::from(key.1), key.2)?,
    ))
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
    table: &str,
) -> Result<T, StoreError> {
    row.try_get(index).map_err(|e| corrupt(table, e))
}

fn key_in(row: &Row, table: &str) -> Result<Key, StoreError> {
    Ok((
        get(row, 0, table)?,
        get(row, 1, table)?,
        get(row, 2, table)?,
    ))
}

fn version_of(table: &str, n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| corrupt(table, n))
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// One unnamed statement with its parameters' types.
async fn query(
    client: &impl GenericClient,
    sql: &str,
    params: &[(&(dyn ToSql + Sync), Type)],
) -> Result<Vec<Row>, StoreError> {
    client.query_typed(sql, params).await.map_err(unavailable)
}

async fn execute(
    client: &impl GenericClient,
    sql: &str,
    params: &[(&(dyn ToSql + Sync), Type)],
) -> Result<u64, StoreError> {
    client.execute_typed(sql, params).await.map_err(unavailable)
}

/// The page's keys, as arrays for `unnest`.
#[derive(Default)]
struct Keys {
    tenants: Vec<Uuid>,
    kinds: Vec<i16>,
    streams: Vec<Uuid>,
}

impl Keys {
    fn push(&mut self, key: Key) {
        self.tenants.push(key.0);
        self.kinds.push(key.1);
        self.streams.push(key.2);
    }
}

/// The rows of `table` in the key range `lo..=hi`, by key, then by `then` (a stream's rows
/// in their order: events by version).
async fn in_range(
    client: &impl GenericClient,
    select: &str,
    table: &str,
    then: &str,
    (lo, hi): (Key, Key),
) -> Result<Vec<Row>, StoreError> {
    let sql = format!(
        "{select} FROM {table} WHERE (tenant, kind, stream) >= ($1, $2, $3)
             AND (tenant, kind, stream) <= ($4, $5, $6) ORDER BY tenant, kind, stream{then}"
    );
    query(
        client,
        &sql,
        &[
            (&lo.0, Type::UUID),
            (&lo.1, Type::INT2),
            (&lo.2, Type::UUID),
            (&hi.0, Type::UUID),
            (&hi.1, Type::INT2),
            (&hi.2, Type::UUID),
        ],
    )
    .await
}

/// A page of streams after `after`, with everything under them.
async fn export(
    client: &impl GenericClient,
    after: Option<(TenantId, StreamId)>,
    limit: usize,
) -> Result<Vec<StreamExport>, StoreError> {
    // Below every key: kinds start at 0.
    let after = after.map_or((Uuid::nil(), -1, Uuid::nil()), |(t, s)| key_of(t, s));
    let limit = as_i64(limit as u64);
    let rows = query(
        client,
        "SELECT tenant, kind, stream, version, snapshot::text FROM streams
         WHERE (tenant, kind, stream) > ($1, $2, $3) ORDER BY tenant, kind, stream LIMIT $4",
        &[
            (&after.0, Type::UUID),
            (&after.1, Type::INT2),
            (&after.2, Type::UUID),
            (&limit, Type::INT8),
        ],
    )
    .await?;
    let mut exports: Vec<(Key, StreamExport)> = Vec::with_capacity(rows.len());
    for row in &rows {
        let key = key_in(row, "streams")?;
        let (tenant, stream) = stream_of(key)?;
        let snapshot: Snapshot = serde_json::from_str(get(row, 4, "streams")?)
            .map_err(|e| corrupt(&format!("snapshot of {stream}"), e))?;
        exports.push((
            key,
            StreamExport {
                tenant,
                stream,
                version: version_of("streams", get(row, 3, "streams")?)?,
                snapshot,
                events: Vec::new(),
                index: Vec::new(),
                unique: Vec::new(),
                timers: Vec::new(),
                outbox: Vec::new(),
                claimed: Vec::new(),
                dead_letters: Vec::new(),
                work: Vec::new(),
            },
        ));
    }
    let (Some((lo, _)), Some((hi, _))) = (exports.first(), exports.last()) else {
        return Ok(Vec::new());
    };
    let range = (*lo, *hi);
    let position: HashMap<Key, usize> = exports
        .iter()
        .enumerate()
        .map(|(i, (key, _))| (*key, i))
        .collect();
    let at = |row: &Row, table: &str| -> Result<Option<usize>, StoreError> {
        Ok(position.get(&key_in(row, table)?).copied())
    };
    let select = "SELECT tenant, kind, stream, version, type, schema, payload::text";
    for row in in_range(client, select, "events", ", version", range).await? {
        if let Some(i) = at(&row, "events")? {
            let export = &mut exports[i].1;
            let schema: i32 = get(&row, 5, "events")?;
            let schema = u32::try_from(schema).map_err(|_| corrupt("event schema", schema))?;
            let event = upcast_event(get(&row, 4, "events")?, schema, get(&row, 6, "events")?)?;
            export.events.push(StoredEvent {
                stream: export.stream,
                version: version_of("events", get(&row, 3, "events")?)?,
                event,
            });
        }
    }
    let select = "SELECT tenant, kind, stream, timers::text";
    for row in in_range(client, select, "timers", "", range).await? {
        if let Some(i) = at(&row, "timers")? {
            let export = &mut exports[i].1;
            let json: &str = get(&row, 3, "timers")?;
            export.timers = columns::decode_timers(export.tenant, export.stream, json)?;
        }
    }
    let select = "SELECT tenant, kind, stream, version, message::text, attempts, available_at,
                      dead_error, lease_owner IS NOT NULL";
    for row in in_range(client, select, "outbox", ", version", range).await? {
        if let Some(i) = at(&row, "outbox")? {
            let export = &mut exports[i].1;
            let version = version_of("outbox", get(&row, 3, "outbox")?)?;
            let notification: Notification = serde_json::from_str(get(&row, 4, "outbox")?)
                .map_err(|e| corrupt("outbox message", e))?;
            let attempts: i32 = get(&row, 5, "outbox")?;
            let message = OutboxMessage {
                id: MessageId {
                    tenant: export.tenant,
                    stream: export.stream,
                    version,
                },
                notification,
                attempts: u32::try_from(attempts).map_err(|e| corrupt("outbox", e))?,
                available_at: get(&row, 6, "outbox")?,
            };
            match get::<Option<String>>(&row, 7, "outbox")? {
                Some(error) => export.dead_letters.push(DeadLetter { message, error }),
                None => {
                    if get(&row, 8, "outbox")? {
                        export.claimed.push(version);
                    }
                    export.outbox.push(message);
                }
            }
        }
    }
    let select = "SELECT tenant, kind, stream, version, work::text, lease_owner, lease_until";
    for row in in_range(client, select, "work", ", version", range).await? {
        if let Some(i) = at(&row, "work")? {
            let export = &mut exports[i].1;
            let follow_up: FollowUpWork = serde_json::from_str(get(&row, 4, "work")?)
                .map_err(|e| corrupt("pending work", e))?;
            export.work.push(PendingWork {
                id: WorkId {
                    tenant: export.tenant,
                    stream: export.stream,
                    version: version_of("work", get(&row, 3, "work")?)?,
                },
                follow_up,
                lease: Lease {
                    owner: WorkerId::from_uuid(get(&row, 5, "work")?),
                    until: get(&row, 6, "work")?,
                },
            });
        }
    }
    // Index and unique keys: the tables are keyed by key, not stream, so the keys a stream
    // of a core kind may have are looked up; an extension kind's are read by stream.
    let (mut candidates, mut unique_candidates, mut unknown) =
        (Vec::new(), Vec::new(), Keys::default());
    for (key, export) in &exports {
        match possible_keys(&export.snapshot) {
            Some((index, unique)) => {
                candidates.extend(index.into_iter().map(|k| (*key, k)));
                unique_candidates.extend(unique.into_iter().map(|k| (*key, k)));
            }
            None => unknown.push(*key),
        }
    }
    let mut index_rows = index_lookup(client, &candidates).await?;
    let mut unique_rows = unique_lookup(client, &unique_candidates).await?;
    if !unknown.tenants.is_empty() {
        let params: [(&(dyn ToSql + Sync), Type); 3] = [
            (&unknown.tenants, Type::UUID_ARRAY),
            (&unknown.kinds, Type::INT2_ARRAY),
            (&unknown.streams, Type::UUID_ARRAY),
        ];
        let rows = query(
            client,
            "SELECT tenant, kind, stream, name, value FROM stream_index
             WHERE (tenant, kind, stream) IN (SELECT * FROM unnest($1::uuid[], $2::int2[], $3::uuid[]))",
            &params,
        )
        .await?;
        for row in rows {
            let name: String = get(&row, 3, "stream_index")?;
            let name = IndexName::stored(&name)
                .ok_or_else(|| corrupt("stream_index", format!("name {name:?}")))?;
            index_rows.push((
                key_in(&row, "stream_index")?,
                IndexKey::new(name, get::<String>(&row, 4, "stream_index")?),
            ));
        }
        let rows = query(
            client,
            "SELECT tenant, kind, stream, key FROM unique_keys
             WHERE (tenant, kind, stream) IN (SELECT * FROM unnest($1::uuid[], $2::int2[], $3::uuid[]))",
            &params,
        )
        .await?;
        for row in rows {
            let key = UniqueKey::from_stored(get(&row, 3, "unique_keys")?);
            unique_rows.push((key_in(&row, "unique_keys")?, key));
        }
    }
    for (key, index) in index_rows {
        if let Some(i) = position.get(&key) {
            exports[*i].1.index.push(index);
        }
    }
    for (key, unique) in unique_rows {
        if let Some(i) = position.get(&key) {
            exports[*i].1.unique.push(unique);
        }
    }
    Ok(exports
        .into_iter()
        .map(|(_, export)| export.canonical())
        .collect())
}

/// Which of `candidates` (a stream's key and an index key it may have) are in the index.
async fn index_lookup(
    client: &impl GenericClient,
    candidates: &[(Key, IndexKey)],
) -> Result<Vec<(Key, IndexKey)>, StoreError> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let mut keys = Keys::default();
    let (mut names, mut values) = (Vec::new(), Vec::new());
    for (key, index) in candidates {
        keys.push(*key);
        names.push(index.name.as_str());
        values.push(index.value.as_str());
    }
    let rows = query(
        client,
        "SELECT i.tenant, i.kind, i.stream, i.name, i.value FROM stream_index i
         JOIN unnest($1::uuid[], $2::text[], $3::text[], $4::int2[], $5::uuid[])
             AS c(tenant, name, value, kind, stream) USING (tenant, name, value, kind, stream)",
        &[
            (&keys.tenants, Type::UUID_ARRAY),
            (&names, Type::TEXT_ARRAY),
            (&values, Type::TEXT_ARRAY),
            (&keys.kinds, Type::INT2_ARRAY),
            (&keys.streams, Type::UUID_ARRAY),
        ],
    )
    .await?;
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        let name: String = get(&row, 3, "stream_index")?;
        let name = IndexName::stored(&name)
            .ok_or_else(|| corrupt("stream_index", format!("name {name:?}")))?;
        let value: String = get(&row, 4, "stream_index")?;
        found.push((key_in(&row, "stream_index")?, IndexKey::new(name, value)));
    }
    Ok(found)
}

/// Which of `candidates` (a stream's key and a unique key it may hold) it holds.
async fn unique_lookup(
    client: &impl GenericClient,
    candidates: &[(Key, UniqueKey)],
) -> Result<Vec<(Key, UniqueKey)>, StoreError> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let holders = holders(
        client,
        candidates.iter().map(|(key, unique)| (key.0, unique)),
    )
    .await?;
    Ok(candidates
        .iter()
        .filter(|(key, unique)| holders.get(&(key.0, unique.as_str().to_owned())) == Some(key))
        .cloned()
        .collect())
}

/// The holders of the tenants' unique keys `keys`.
async fn holders<'a>(
    client: &impl GenericClient,
    keys: impl Iterator<Item = (Uuid, &'a UniqueKey)>,
) -> Result<HashMap<(Uuid, String), Key>, StoreError> {
    let (mut tenants, mut texts) = (Vec::new(), Vec::new());
    for (tenant, key) in keys {
        tenants.push(tenant);
        texts.push(key.as_str());
    }
    if tenants.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = query(
        client,
        "SELECT u.tenant, u.kind, u.stream, u.key FROM unique_keys u
         JOIN unnest($1::uuid[], $2::text[]) AS c(tenant, key) USING (tenant, key)",
        &[(&tenants, Type::UUID_ARRAY), (&texts, Type::TEXT_ARRAY)],
    )
    .await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        let key = key_in(&row, "unique_keys")?;
        found.insert((key.0, get::<String>(&row, 3, "unique_keys")?), key);
    }
    Ok(found)
}

/// Up to `limit` receipts after `after`, in `(tenant, key)` order (keys by their bytes).
async fn export_receipts(
    client: &impl GenericClient,
    after: Option<(TenantId, IdempotencyKey)>,
    limit: usize,
) -> Result<Vec<ReceiptExport>, StoreError> {
    let (tenant, key) = match &after {
        Some((tenant, key)) => (tenant.as_uuid(), key.as_str().to_owned()),
        None => (Uuid::nil(), String::new()),
    };
    let first = after.is_none();
    let limit = as_i64(limit as u64);
    let rows = query(
        client,
        "SELECT tenant, key, kind, stream, version, events, request FROM receipts
         WHERE $4 OR tenant > $1 OR (tenant = $1 AND key COLLATE \"C\" > $2 COLLATE \"C\")
         ORDER BY tenant, key COLLATE \"C\" LIMIT $3",
        &[
            (&tenant, Type::UUID),
            (&key, Type::TEXT),
            (&limit, Type::INT8),
            (&first, Type::BOOL),
        ],
    )
    .await?;
    let mut receipts = Vec::with_capacity(rows.len());
    for row in rows {
        let tenant = TenantId::from_uuid(get(&row, 0, "receipts")?);
        let key = IdempotencyKey::new(get::<String>(&row, 1, "receipts")?)
            .map_err(|e| corrupt("receipts", e))?;
        let kind: i16 = get(&row, 2, "receipts")?;
        let stream = columns::stream_from_parts(i64::from(kind), get(&row, 3, "receipts")?)?;
        let events: i32 = get(&row, 5, "receipts")?;
        let request = match get::<Option<Vec<u8>>>(&row, 6, "receipts")? {
            Some(bytes) => Some(
                RequestFingerprint::from_slice(&bytes)
                    .ok_or_else(|| corrupt("receipts", "a fingerprint of another length"))?,
            ),
            None => None,
        };
        receipts.push(ReceiptExport {
            tenant,
            key,
            receipt: StoredReceipt {
                receipt: Receipt {
                    stream,
                    version: version_of("receipts", get(&row, 4, "receipts")?)?,
                    events: u32::try_from(events).map_err(|e| corrupt("receipts", e))?,
                },
                request,
            },
        });
    }
    Ok(receipts)
}

/// The streams of `streams` not yet present; an error for one present otherwise.
async fn fresh<'a>(
    client: &impl GenericClient,
    streams: &'a [StreamExport],
) -> Result<Vec<&'a StreamExport>, StoreError> {
    let mut keys = Keys::default();
    for export in streams {
        keys.push(key_of(export.tenant, export.stream));
    }
    let rows = query(
        client,
        "SELECT tenant, kind, stream, version, snapshot::text FROM streams
         WHERE (tenant, kind, stream) IN (SELECT * FROM unnest($1::uuid[], $2::int2[], $3::uuid[]))",
        &[
            (&keys.tenants, Type::UUID_ARRAY),
            (&keys.kinds, Type::INT2_ARRAY),
            (&keys.streams, Type::UUID_ARRAY),
        ],
    )
    .await?;
    let mut present: HashMap<Key, (u64, Snapshot)> = HashMap::with_capacity(rows.len());
    for row in rows {
        let snapshot: Snapshot =
            serde_json::from_str(get(&row, 4, "streams")?).map_err(|e| corrupt("snapshot", e))?;
        let version = version_of("streams", get(&row, 3, "streams")?)?;
        present.insert(key_in(&row, "streams")?, (version, snapshot));
    }
    let mut fresh = Vec::with_capacity(streams.len());
    for export in streams {
        match present.get(&key_of(export.tenant, export.stream)) {
            None => fresh.push(export),
            Some((version, _)) if *version != export.version => {
                return Err(StoreError::Conflict {
                    stream: export.stream,
                    expected: export.version,
                    actual: *version,
                });
            }
            Some((_, snapshot)) if *snapshot != export.snapshot => {
                return Err(StoreError::ImportMismatch {
                    stream: export.stream,
                    detail: "its snapshot differs".to_owned(),
                });
            }
            Some(_) => {}
        }
    }
    Ok(fresh)
}

/// Columns of the rows to insert, for `unnest`: one tuple of columns per table, in the order
/// of the statement that inserts them (what `clippy::type_complexity` counts is that order).
#[derive(Default)]
#[allow(clippy::type_complexity)]
struct Inserts {
    streams: (Keys, Vec<i64>, Vec<i16>, Vec<String>),
    events: (Keys, Vec<i64>, Vec<&'static str>, Vec<i32>, Vec<String>),
    timers: (Keys, Vec<String>, Vec<DateTime<Utc>>),
    outbox: (
        Keys,
        Vec<i64>,
        Vec<String>,
        Vec<i32>,
        Vec<DateTime<Utc>>,
        Vec<Option<String>>,
    ),
    work: (Keys, Vec<i64>, Vec<String>, Vec<Uuid>, Vec<DateTime<Utc>>),
    index: (Keys, Vec<String>, Vec<String>),
    unique: (Keys, Vec<String>),
    counts: HashMap<(Uuid, i16, i16), i64>,
    tallies: HashMap<(Uuid, Uuid), Tallies>,
}

fn json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| corrupt("encoding", e))
}

impl Inserts {
    fn add(&mut self, export: &StreamExport) -> Result<(), StoreError> {
        let key = key_of(export.tenant, export.stream);
        let status = columns::status_code(export.status());
        self.streams.0.push(key);
        self.streams.1.push(as_i64(export.version));
        self.streams.2.push(status);
        self.streams.3.push(json(&export.snapshot)?);
        for stored in &export.events {
            self.events.0.push(key);
            self.events.1.push(as_i64(stored.version));
            self.events.2.push(stored.event.type_name());
            self.events.3.push(DomainEvent::SCHEMA_VERSION as i32);
            self.events.4.push(json(&stored.event)?);
        }
        if let Some((timers, next)) = columns::encode_timers(&export.timers)? {
            self.timers.0.push(key);
            self.timers.1.push(timers);
            self.timers.2.push(next);
        }
        let messages = export.outbox.iter().map(|m| (m, None)).chain(
            export
                .dead_letters
                .iter()
                .map(|d| (&d.message, Some(d.error.clone()))),
        );
        for (message, error) in messages {
            self.outbox.0.push(key);
            self.outbox.1.push(as_i64(message.id.version));
            self.outbox.2.push(json(&message.notification)?);
            self.outbox
                .3
                .push(i32::try_from(message.attempts).unwrap_or(i32::MAX));
            self.outbox.4.push(message.available_at);
            self.outbox.5.push(error);
        }
        for work in &export.work {
            self.work.0.push(key);
            self.work.1.push(as_i64(work.id.version));
            self.work.2.push(json(&work.follow_up)?);
            self.work.3.push(work.lease.owner.as_uuid());
            self.work.4.push(work.lease.until);
        }
        for index in &export.index {
            self.index.0.push(key);
            self.index.1.push(index.name.as_str().to_owned());
            self.index.2.push(index.value.clone());
        }
        for unique in &export.unique {
            self.unique.0.push(key);
            self.unique.1.push(unique.as_str().to_owned());
        }
        *self.counts.entry((key.0, key.1, status)).or_default() += 1;
        if let Some(change) = export.metrics() {
            let campaign = change.after.campaign().map_or(Uuid::nil(), |c| c.as_uuid());
            self.tallies
                .entry((key.0, campaign))
                .or_default()
                .record(&change);
        }
        Ok(())
    }

    /// Writes them, one statement per table.
    async fn write(&self, client: &impl GenericClient) -> Result<(), StoreError> {
        let (k, versions, statuses, snapshots) = &self.streams;
        execute(
            client,
            "INSERT INTO streams (tenant, kind, stream, version, status, snapshot)
             SELECT t, k, s, v, st, j::json
             FROM unnest($1::uuid[], $2::int2[], $3::uuid[], $4::int8[], $5::int2[], $6::text[])
                 AS x(t, k, s, v, st, j)",
            &[
                (&k.tenants, Type::UUID_ARRAY),
                (&k.kinds, Type::INT2_ARRAY),
                (&k.streams, Type::UUID_ARRAY),
                (versions, Type::INT8_ARRAY),
                (statuses, Type::INT2_ARRAY),
                (snapshots, Type::TEXT_ARRAY),
            ],
        )
        .await?;
        let (k, versions, types, schemas, payloads) = &self.events;
        execute(
            client,
            "INSERT INTO events (tenant, kind, stream, version, type, schema, payload)
             SELECT t, k, s, v, ty, sc, p::json
             FROM unnest($1::uuid[], $2::int2[], $3::uuid[], $4::int8[], $5::text[],
                 $6::int4[], $7::text[]) AS x(t, k, s, v, ty, sc, p)",
            &[
                (&k.tenants, Type::UUID_ARRAY),
                (&k.kinds, Type::INT2_ARRAY),
                (&k.streams, Type::UUID_ARRAY),
                (versions, Type::INT8_ARRAY),
                (types, Type::TEXT_ARRAY),
                (schemas, Type::INT4_ARRAY),
                (payloads, Type::TEXT_ARRAY),
            ],
        )
        .await?;
        let (k, timers, next) = &self.timers;
        if !timers.is_empty() {
            execute(
                client,
                "INSERT INTO timers (tenant, kind, stream, timers, next_due)
                 SELECT t, k, s, j::json, n
                 FROM unnest($1::uuid[], $2::int2[], $3::uuid[], $4::text[], $5::timestamptz[])
                     AS x(t, k, s, j, n)",
                &[
                    (&k.tenants, Type::UUID_ARRAY),
                    (&k.kinds, Type::INT2_ARRAY),
                    (&k.streams, Type::UUID_ARRAY),
                    (timers, Type::TEXT_ARRAY),
                    (next, Type::TIMESTAMPTZ_ARRAY),
                ],
            )
            .await?;
        }
        let (k, versions, messages, attempts, available, errors) = &self.outbox;
        if !messages.is_empty() {
            execute(
                client,
                "INSERT INTO outbox (tenant, kind, stream, version, message, attempts,
                     available_at, dead_error)
                 SELECT t, k, s, v, m::json, a, av, e
                 FROM unnest($1::uuid[], $2::int2[], $3::uuid[], $4::int8[], $5::text[],
                     $6::int4[], $7::timestamptz[], $8::text[]) AS x(t, k, s, v, m, a, av, e)
                 ORDER BY av",
                &[
                    (&k.tenants, Type::UUID_ARRAY),
                    (&k.kinds, Type::INT2_ARRAY),
                    (&k.streams, Type::UUID_ARRAY),
                    (versions, Type::INT8_ARRAY),
                    (messages, Type::TEXT_ARRAY),
                    (attempts, Type::INT4_ARRAY),
                    (available, Type::TIMESTAMPTZ_ARRAY),
                    (errors, Type::TEXT_ARRAY),
                ],
            )
            .await?;
        }
        let (k, versions, work, owners, until) = &self.work;
        if !work.is_empty() {
            execute(
                client,
                "INSERT INTO work (tenant, kind, stream, version, work, lease_owner, lease_until)
                 SELECT t, k, s, v, w::json, o, u
                 FROM unnest($1::uuid[], $2::int2[], $3::uuid[], $4::int8[], $5::text[],
                     $6::uuid[], $7::timestamptz[]) AS x(t, k, s, v, w, o, u)",
                &[
                    (&k.tenants, Type::UUID_ARRAY),
                    (&k.kinds, Type::INT2_ARRAY),
                    (&k.streams, Type::UUID_ARRAY),
                    (versions, Type::INT8_ARRAY),
                    (work, Type::TEXT_ARRAY),
                    (owners, Type::UUID_ARRAY),
                    (until, Type::TIMESTAMPTZ_ARRAY),
                ],
            )
            .await?;
        }
        let (k, names, values) = &self.index;
        if !names.is_empty() {
            execute(
                client,
                "INSERT INTO stream_index (tenant, name, value, kind, stream)
                 SELECT t, n, v, k, s
                 FROM unnest($1::uuid[], $2::int2[], $3::uuid[], $4::text[], $5::text[])
                     AS x(t, k, s, n, v)
                 ON CONFLICT DO NOTHING",
                &[
                    (&k.tenants, Type::UUID_ARRAY),
                    (&k.kinds, Type::INT2_ARRAY),
                    (&k.streams, Type::UUID_ARRAY),
                    (names, Type::TEXT_ARRAY),
                    (values, Type::TEXT_ARRAY),
                ],
            )
            .await?;
        }
        let (k, keys) = &self.unique;
        if !keys.is_empty() {
            execute(
                client,
                "INSERT INTO unique_keys (tenant, key, kind, stream)
                 SELECT t, u, k, s
                 FROM unnest($1::uuid[], $2::int2[], $3::uuid[], $4::text[]) AS x(t, k, s, u)
                 ON CONFLICT (tenant, key) DO NOTHING",
                &[
                    (&k.tenants, Type::UUID_ARRAY),
                    (&k.kinds, Type::INT2_ARRAY),
                    (&k.streams, Type::UUID_ARRAY),
                    (keys, Type::TEXT_ARRAY),
                ],
            )
            .await?;
        }
        self.write_counts(client).await
    }

    /// Adds the new streams to the status counters and metric tallies, in key order.
    async fn write_counts(&self, client: &impl GenericClient) -> Result<(), StoreError> {
        let mut counts: Vec<_> = self.counts.iter().collect();
        counts.sort();
        let (mut tenants, mut kinds, mut statuses, mut ns) = (vec![], vec![], vec![], vec![]);
        for ((tenant, kind, status), n) in counts {
            tenants.push(*tenant);
            kinds.push(*kind);
            statuses.push(*status);
            ns.push(*n);
        }
        execute(
            client,
            "INSERT INTO status_counts (tenant, kind, status, n)
             SELECT * FROM unnest($1::uuid[], $2::int2[], $3::int2[], $4::int8[])
             ON CONFLICT (tenant, kind, status) DO UPDATE SET n = status_counts.n + excluded.n",
            &[
                (&tenants, Type::UUID_ARRAY),
                (&kinds, Type::INT2_ARRAY),
                (&statuses, Type::INT2_ARRAY),
                (&ns, Type::INT8_ARRAY),
            ],
        )
        .await?;
        let mut rows = crate::tallies::Rows::default();
        for ((tenant, campaign), tallies) in &self.tallies {
            rows.add(0, *tenant, *campaign, tallies);
        }
        if !rows.is_empty() {
            let params: Vec<(&(dyn ToSql + Sync), Type)> = rows
                .group_params()
                .zip(crate::tallies::GROUP_TYPES)
                .collect();
            execute(client, &crate::tallies::add_groups_sql(1, "true"), &params).await?;
        }
        if rows.has_hours() {
            let params: Vec<(&(dyn ToSql + Sync), Type)> = rows
                .hour_params()
                .into_iter()
                .zip(crate::tallies::HOUR_TYPES)
                .collect();
            execute(client, &crate::tallies::add_hours_sql(1, "true"), &params).await?;
        }
        Ok(())
    }
}

/// A connection of the pool as it is: a copy runs its own transactions and sends every
/// statement unnamed, so it never needs the statement cache `Conn` chooses by.
async fn pooled(store: &PostgresStore) -> Result<deadpool_postgres::Object, StoreError> {
    store
        .shared
        .connections
        .pool
        .get()
        .await
        .map_err(unavailable)
}

#[async_trait]
impl Transfer for PostgresStore {
    async fn export_streams(
        &self,
        after: Option<(TenantId, StreamId)>,
        limit: usize,
    ) -> Result<Vec<StreamExport>, StoreError> {
        let mut client = pooled(self).await?;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(unavailable)?;
        let page = export(&*tx, after, limit).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(page)
    }

    async fn export_receipts(
        &self,
        after: Option<(TenantId, IdempotencyKey)>,
        limit: usize,
    ) -> Result<Vec<ReceiptExport>, StoreError> {
        let client = pooled(self).await?;
        export_receipts(&**client, after, limit).await
    }

    async fn import_streams(&self, streams: &[StreamExport]) -> Result<ImportReport, StoreError> {
        for export in streams {
            export.check()?;
        }
        let mut client = pooled(self).await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let fresh = fresh(&*tx, streams).await?;
        let mut report = ImportReport {
            skipped: (streams.len() - fresh.len()) as u64,
            ..ImportReport::default()
        };
        if fresh.is_empty() {
            tx.commit().await.map_err(unavailable)?;
            return Ok(report);
        }
        // Unique keys another stream holds refuse the page.
        let wanted: Vec<(Uuid, &UniqueKey)> = fresh
            .iter()
            .flat_map(|e| e.unique.iter().map(|u| (e.tenant.as_uuid(), u)))
            .collect();
        let taken = holders(&*tx, wanted.into_iter()).await?;
        let mut inserts = Inserts::default();
        for export in &fresh {
            let key = key_of(export.tenant, export.stream);
            for unique in &export.unique {
                if let Some(holder) = taken.get(&(key.0, unique.as_str().to_owned()))
                    && *holder != key
                {
                    return Err(StoreError::UniqueKeyTaken {
                        key: unique.clone(),
                        holder: stream_of(*holder)?.1,
                    });
                }
            }
            inserts.add(export)?;
            report.imported += 1;
            report.events += export.version;
        }
        inserts.write(&*tx).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(report)
    }

    async fn import_receipts(
        &self,
        receipts: &[ReceiptExport],
    ) -> Result<ImportReport, StoreError> {
        let mut report = ImportReport::default();
        if receipts.is_empty() {
            return Ok(report);
        }
        let mut client = pooled(self).await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let (mut tenants, mut keys) = (Vec::new(), Vec::new());
        for receipt in receipts {
            tenants.push(receipt.tenant.as_uuid());
            keys.push(receipt.key.as_str().to_owned());
        }
        let rows = query(
            &*tx,
            "SELECT r.tenant, r.key, r.kind, r.stream, r.version, r.events, r.request
             FROM receipts r JOIN unnest($1::uuid[], $2::text[]) AS c(tenant, key)
                 USING (tenant, key)",
            &[(&tenants, Type::UUID_ARRAY), (&keys, Type::TEXT_ARRAY)],
        )
        .await?;
        let mut present: HashMap<(Uuid, String), Row> = HashMap::with_capacity(rows.len());
        for row in rows {
            present.insert((get(&row, 0, "receipts")?, get(&row, 1, "receipts")?), row);
        }
        let mut new = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for receipt in receipts {
            let Receipt {
                stream,
                version,
                events,
            } = receipt.receipt.receipt;
            let (kind, id) = columns::stream_parts(stream);
            let request = receipt.receipt.request.map(|r| r.as_bytes().to_vec());
            if let Some(row) =
                present.get(&(receipt.tenant.as_uuid(), receipt.key.as_str().to_owned()))
            {
                let same = get::<i16>(row, 2, "receipts")? == i16::from(kind)
                    && get::<Uuid>(row, 3, "receipts")? == id
                    && get::<i64>(row, 4, "receipts")? == as_i64(version)
                    && get::<i32>(row, 5, "receipts")? == i32::try_from(events).unwrap_or(-1)
                    && get::<Option<Vec<u8>>>(row, 6, "receipts")? == request;
                if !same {
                    return Err(StoreError::DuplicateIdempotencyKey(receipt.key.clone()));
                }
                report.skipped += 1;
                continue;
            }
            new.0.push(receipt.tenant.as_uuid());
            new.1.push(receipt.key.as_str().to_owned());
            new.2.push(i16::from(kind));
            new.3.push(id);
            new.4.push(as_i64(version));
            new.5.push(i32::try_from(events).unwrap_or(i32::MAX));
            new.6.push(request);
            report.imported += 1;
        }
        if !new.0.is_empty() {
            execute(
                &*tx,
                "INSERT INTO receipts (tenant, key, kind, stream, version, events, request)
                 SELECT * FROM unnest($1::uuid[], $2::text[], $3::int2[], $4::uuid[],
                     $5::int8[], $6::int4[], $7::bytea[])
                 ON CONFLICT (tenant, key) DO NOTHING",
                &[
                    (&new.0, Type::UUID_ARRAY),
                    (&new.1, Type::TEXT_ARRAY),
                    (&new.2, Type::INT2_ARRAY),
                    (&new.3, Type::UUID_ARRAY),
                    (&new.4, Type::INT8_ARRAY),
                    (&new.5, Type::INT4_ARRAY),
                    (&new.6, Type::BYTEA_ARRAY),
                ],
            )
            .await?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(report)
    }
}
