//! The store's queries and small writes, each a function of a connection.

use aliprotect_core::ids::TenantId;
use aliprotect_core::store::{
    Find, IdempotencyKey, IndexName, Loaded, Receipt, RequestFingerprint, Snapshot, StatusCount,
    StoreError, StoredEvent, StoredReceipt, StreamId, StreamKind, Timer, TimerPage,
    order_stream_timers,
};
use rusqlite::{Connection, OptionalExtension, params};

use crate::codec;
use crate::unavailable;

pub(crate) fn version_of(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| codec::corrupt("version", value))
}

/// The stream's row, read by `sql` (selecting from `streams` by `?1` tenant and `?2` stream)
/// and `row`; `None` for an unknown stream.
fn stream_row<T>(
    connection: &Connection,
    sql: &str,
    tenant: TenantId,
    stream: StreamId,
    row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>, StoreError> {
    let key = (codec::tenant_key(tenant), codec::stream_key(stream));
    connection
        .prepare_cached(sql)
        .and_then(|mut statement| {
            statement
                .query_row(params![&key.0[..], &key.1[..]], row)
                .optional()
        })
        .map_err(unavailable)
}

/// The stream's stored version (`None` for an unknown stream): what a cached snapshot is
/// checked against, since another handle or process may have committed since.
pub(crate) fn version(
    connection: &Connection,
    tenant: TenantId,
    stream: StreamId,
) -> Result<Option<u64>, StoreError> {
    let sql = "SELECT version FROM streams WHERE tenant = ?1 AND stream = ?2";
    let version = stream_row(connection, sql, tenant, stream, |row| row.get::<_, i64>(0))?;
    version.map(version_of).transpose()
}

pub(crate) fn load(
    connection: &Connection,
    tenant: TenantId,
    stream: StreamId,
) -> Result<Option<Loaded>, StoreError> {
    let sql = "SELECT version, snapshot FROM streams WHERE tenant = ?1 AND stream = ?2";
    let row = stream_row(connection, sql, tenant, stream, |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
    })?;
    let Some((version, json)) = row else {
        return Ok(None);
    };
    let snapshot: Snapshot = codec::from_json(&format!("snapshot of {stream}"), &json)?;
    Ok(Some(Loaded {
        version: version_of(version)?,
        snapshot,
    }))
}

pub(crate) fn receipt(
    connection: &Connection,
    tenant: TenantId,
    key: &IdempotencyKey,
) -> Result<Option<StoredReceipt>, StoreError> {
    type Row = (Vec<u8>, i64, i64, Option<Vec<u8>>);
    let row: Option<Row> = connection
        .prepare_cached(
            "SELECT stream, version, events, request FROM receipts WHERE tenant = ?1 AND key = ?2",
        )
        .and_then(|mut statement| {
            statement
                .query_row(
                    params![&codec::tenant_key(tenant)[..], key.as_str()],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
                .optional()
        })
        .map_err(unavailable)?;
    row.map(|(stream, version, events, request)| {
        let request = request
            .map(|bytes| {
                RequestFingerprint::from_slice(&bytes)
                    .ok_or_else(|| codec::corrupt("receipt", "fingerprint of the wrong length"))
            })
            .transpose()?;
        Ok(StoredReceipt {
            receipt: Receipt {
                stream: codec::stream_of(&stream)?,
                version: version_of(version)?,
                events: u32::try_from(events).map_err(|_| codec::corrupt("receipt", events))?,
            },
            request,
        })
    })
    .transpose()
}

/// A page of every tenant's stream keys, in key order (the streams' unique index).
pub(crate) fn stream_keys(
    connection: &Connection,
    after: Option<(TenantId, StreamId)>,
    limit: usize,
) -> Result<Vec<(TenantId, StreamId)>, StoreError> {
    let (tenant, stream) = match after {
        Some((tenant, stream)) => (
            codec::tenant_key(tenant).to_vec(),
            codec::stream_key(stream).to_vec(),
        ),
        // Below every 16-byte tenant key.
        None => (Vec::new(), Vec::new()),
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut statement = connection
        .prepare_cached(
            "SELECT tenant, stream FROM streams WHERE (tenant, stream) > (?1, ?2)
             ORDER BY tenant, stream LIMIT ?3",
        )
        .map_err(unavailable)?;
    let rows = statement
        .query_map(params![tenant, stream, limit], |row| {
            Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?))
        })
        .map_err(unavailable)?;
    rows.map(|row| {
        let (tenant, stream) = row.map_err(unavailable)?;
        Ok((codec::tenant_of(&tenant)?, codec::stream_of(&stream)?))
    })
    .collect()
}

pub(crate) fn history(
    connection: &Connection,
    tenant: TenantId,
    stream: StreamId,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT version, type, schema, payload FROM events
             WHERE tenant = ?1 AND stream = ?2 ORDER BY version",
        )
        .map_err(unavailable)?;
    let rows = statement
        .query_map(
            params![
                &codec::tenant_key(tenant)[..],
                &codec::stream_key(stream)[..]
            ],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, String>(3)?,
                ))
            },
        )
        .map_err(unavailable)?;
    rows.map(|row| {
        let (version, type_name, schema, payload) = row.map_err(unavailable)?;
        Ok(StoredEvent {
            stream,
            version: version_of(version)?,
            event: codec::decode_event(&type_name, schema, &payload)?,
        })
    })
    .collect()
}

/// The streams `query` finds: through the index when it names a key, else a range of the
/// `(tenant, stream)` key, whose first byte is the kind.
pub(crate) fn find(
    connection: &Connection,
    tenant: TenantId,
    query: &Find,
) -> Result<Vec<(StreamId, Snapshot)>, StoreError> {
    let kind = query.kind.code();
    // A one-byte key sorts before every stream of its kind, so `stream > lower` starts at the
    // kind's first stream or right after `query.after`.
    let lower: Vec<u8> = match query.after {
        Some(after) if after.kind() == query.kind => codec::stream_key(after).to_vec(),
        Some(after) if after.kind() > query.kind => return Ok(Vec::new()),
        _ => vec![kind],
    };
    // Above every stream of the kind: the next kind's one-byte key, or for the last code a
    // key longer than any stream key and of 0xFF bytes only.
    let upper: Vec<u8> = match kind.checked_add(1) {
        Some(next) => vec![next],
        None => vec![u8::MAX; codec::stream_key(StreamId::Policy).len() + 1],
    };
    let status = query.status.map(codec::status_code);
    let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
    let tenant = codec::tenant_key(tenant);
    let mut rows = Vec::new();
    let mut collect = |row: &rusqlite::Row<'_>| -> rusqlite::Result<()> {
        rows.push((row.get::<_, Vec<u8>>(0)?, row.get::<_, String>(1)?));
        Ok(())
    };
    match &query.key {
        Some(key) => {
            let mut statement = connection
                .prepare_cached(
                    "SELECT s.stream, s.snapshot FROM stream_index i
                     JOIN streams s ON s.tenant = i.tenant AND s.stream = i.stream
                     WHERE i.tenant = ?1 AND i.name = ?2 AND i.value = ?3
                       AND i.stream > ?4 AND i.stream < ?5 AND (?6 IS NULL OR s.status = ?6)
                     ORDER BY i.stream LIMIT ?7",
                )
                .map_err(unavailable)?;
            let mut found = statement
                .query(params![
                    &tenant[..],
                    key.name.as_str(),
                    key.value,
                    lower,
                    &upper[..],
                    status,
                    limit
                ])
                .map_err(unavailable)?;
            while let Some(row) = found.next().map_err(unavailable)? {
                collect(row).map_err(unavailable)?;
            }
        }
        None => {
            let mut statement = connection
                .prepare_cached(
                    "SELECT stream, snapshot FROM streams
                     WHERE tenant = ?1 AND stream > ?2 AND stream < ?3
                       AND (?4 IS NULL OR status = ?4)
                     ORDER BY stream LIMIT ?5",
                )
                .map_err(unavailable)?;
            let mut found = statement
                .query(params![&tenant[..], lower, &upper[..], status, limit])
                .map_err(unavailable)?;
            while let Some(row) = found.next().map_err(unavailable)? {
                collect(row).map_err(unavailable)?;
            }
        }
    }
    rows.into_iter()
        .map(|(stream, json)| {
            let stream = codec::stream_of(&stream)?;
            let snapshot: Snapshot = codec::from_json("snapshot", &json)?;
            if snapshot.kind() != stream.kind() {
                return Err(codec::corrupt("stream row", "snapshot of another kind"));
            }
            Ok((stream, snapshot))
        })
        .collect()
}

/// The tenant's streams of `kind` per status: from the counters the writer keeps, or
/// grouped by their values under the index `by`.
pub(crate) fn count(
    connection: &Connection,
    tenant: TenantId,
    kind: StreamKind,
    by: Option<IndexName>,
) -> Result<Vec<StatusCount>, StoreError> {
    let tenant = codec::tenant_key(tenant);
    let mut counts = Vec::new();
    let mut collect = |row: &rusqlite::Row<'_>| -> rusqlite::Result<()> {
        counts.push((
            row.get::<_, Option<String>>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, i64>(2)?,
        ));
        Ok(())
    };
    match by {
        None => {
            let mut statement = connection
                .prepare_cached(
                    "SELECT NULL, status, n FROM status_counts
                     WHERE tenant = ?1 AND kind = ?2 AND n > 0 ORDER BY status",
                )
                .map_err(unavailable)?;
            let mut rows = statement
                .query(params![&tenant[..], kind.code()])
                .map_err(unavailable)?;
            while let Some(row) = rows.next().map_err(unavailable)? {
                collect(row).map_err(unavailable)?;
            }
        }
        Some(by) => {
            let mut statement = connection
                .prepare_cached(
                    "SELECT i.value, s.status, count(*) FROM stream_index i
                     JOIN streams s ON s.tenant = i.tenant AND s.stream = i.stream
                     WHERE i.tenant = ?1 AND i.name = ?2 AND s.kind = ?3
                     GROUP BY i.value, s.status ORDER BY i.value, s.status",
                )
                .map_err(unavailable)?;
            let mut rows = statement
                .query(params![&tenant[..], by.as_str(), kind.code()])
                .map_err(unavailable)?;
            while let Some(row) = rows.next().map_err(unavailable)? {
                collect(row).map_err(unavailable)?;
            }
        }
    }
    counts
        .into_iter()
        .map(|(group, status, count)| {
            Ok(StatusCount {
                group,
                status: i16::try_from(status).map_err(|_| codec::corrupt("status", status))?,
                count: u64::try_from(count).map_err(|_| codec::corrupt("count", count))?,
            })
        })
        .collect()
}

/// The query of [`pending_timers`]: it reads the index of streams by soonest timer alone,
/// which holds each stream's timers, never the rows beside their snapshots.
const PENDING_TIMERS: &str = "SELECT stream, timers FROM streams INDEXED BY streams_by_due
     WHERE next_due IS NOT NULL AND (next_due, tenant, stream) > (?3, ?4, ?5)
       AND next_due <= ?2 AND +tenant = ?1
     ORDER BY next_due, tenant, stream LIMIT ?6";

/// A page of the tenant's pending timers (see `Schedule::pending_timers`), through the
/// index of streams by soonest due time, then tenant and stream: it walks every tenant's
/// entries from the page's start, reading only this tenant's rows.
pub(crate) fn pending_timers(
    connection: &Connection,
    tenant: TenantId,
    page: &TimerPage,
) -> Result<Vec<Timer>, StoreError> {
    let until = page.until.map_or(i64::MAX, codec::micros);
    let tenant_key = codec::tenant_key(tenant);
    // The index entry to start after: the previous page's last stream, else before all.
    let (after_due, after_tenant, after_stream) = match page.after {
        Some((due, stream)) => (
            codec::micros(due),
            tenant_key.to_vec(),
            codec::stream_key(stream).to_vec(),
        ),
        None => (i64::MIN, Vec::new(), Vec::new()),
    };
    let limit = i64::try_from(page.limit).unwrap_or(i64::MAX);
    // `+tenant`: a filter on the index entry, not a constraint, so that SQLite reads the
    // index in its own order (due, tenant, stream) and sorts nothing, however many streams
    // share a due time; it skips other tenants' entries without reading their rows.
    let mut statement = connection
        .prepare_cached(PENDING_TIMERS)
        .map_err(unavailable)?;
    let mut rows = statement
        .query(params![
            &tenant_key[..],
            until,
            after_due,
            after_tenant,
            after_stream,
            limit
        ])
        .map_err(unavailable)?;
    let mut timers = Vec::new();
    while let Some(row) = rows.next().map_err(unavailable)? {
        // Borrowed from the row: a long walk allocates nothing per stream to read it.
        let stream = row.get_ref(0).map_err(unavailable)?;
        let stream = stream
            .as_blob()
            .map_err(|e| codec::corrupt("stream key", e))?;
        let json = row.get_ref(1).map_err(unavailable)?;
        let json = json.as_str().map_err(|e| codec::corrupt("timers", e))?;
        let mut of_stream = codec::decode_timers(tenant, codec::stream_of(stream)?, json)?;
        order_stream_timers(&mut of_stream);
        timers.append(&mut of_stream);
    }
    Ok(timers)
}

/// How many pending timers the tenant has (see `Schedule::count_pending_timers`): the
/// lengths of its streams' timer lists, summed over the index of streams by soonest timer,
/// which holds them, in the order of [`PENDING_TIMERS`] (the tenant a filter, not a bound).
pub(crate) fn count_pending_timers(
    connection: &Connection,
    tenant: TenantId,
) -> Result<u64, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT coalesce(sum(json_array_length(timers)), 0) FROM streams
             INDEXED BY streams_by_due WHERE next_due IS NOT NULL AND +tenant = ?1",
        )
        .map_err(unavailable)?;
    let count: i64 = statement
        .query_row(params![&codec::tenant_key(tenant)[..]], |row| row.get(0))
        .map_err(|error| match error.to_string().contains("malformed JSON") {
            // A row's timers that are no JSON: the row is damaged, not the database away.
            true => codec::corrupt("timers", error),
            false => unavailable(error),
        })?;
    u64::try_from(count).map_err(|_| codec::corrupt("count of timers", count))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::schema::{self, Durability};

    /// A connection to a new store file at the present schema (in a directory that lives
    /// as long as the guard).
    fn fresh_file() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("store.db");
        let mut connection =
            schema::connect(&path, Durability::Normal, Duration::from_secs(1), 1024)
                .expect("connect");
        schema::migrate(&mut connection, &path).expect("migrate");
        (dir, connection)
    }

    #[test]
    fn timers_that_are_no_json_are_a_corrupt_row_when_counted() {
        let (_dir, connection) = fresh_file();
        let tenant = TenantId::new();
        connection
            .execute(
                "INSERT INTO streams(tenant, stream, version, kind, status, snapshot, timers,
                                     next_due)
                 VALUES (?1, x'01', 1, 1, 0, '{}', '[[\"CheckBack\", 1', 5)",
                params![&codec::tenant_key(tenant)[..]],
            )
            .expect("a damaged row");
        let counted = count_pending_timers(&connection, tenant);
        assert!(
            matches!(&counted, Err(StoreError::Corrupt { location, .. }) if location == "timers"),
            "{counted:?}"
        );
    }

    /// Reading what is coming must not read each stream's row (a snapshot of kilobytes):
    /// on 100,000 complaints that was most of `aliprotect due`'s time.
    #[test]
    fn what_is_coming_is_read_from_the_index_alone() {
        let (_dir, connection) = fresh_file();
        let plan: Vec<String> = connection
            .prepare(&format!("EXPLAIN QUERY PLAN {PENDING_TIMERS}"))
            .and_then(|mut statement| {
                statement
                    .query_map([rusqlite::types::Null; 6], |row| row.get::<_, String>(3))?
                    .collect()
            })
            .expect("plan");
        assert!(
            plan.iter()
                .any(|step| step.contains("COVERING INDEX streams_by_due")),
            "{plan:?}"
        );
    }
}
