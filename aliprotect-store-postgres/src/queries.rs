//! The read side: loads, history, receipts and read-model queries, each one statement.

use aliprotect_core::ids::TenantId;
use aliprotect_core::store::columns;
use aliprotect_core::store::{
    Find, IdempotencyKey, IndexName, Loaded, Receipt, RequestFingerprint, Snapshot, StatusCount,
    StoreError, StoredEvent, StoredReceipt, StreamId, StreamKind, UniqueKey,
};
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, Type};
use uuid::Uuid;

use crate::error::{corrupt, unavailable};
use crate::statements::{Conn, Param};

fn get<'a, T: FromSql<'a>>(row: &'a Row, index: usize, location: &str) -> Result<T, StoreError> {
    row.try_get(index).map_err(|e| corrupt(location, e))
}

pub(crate) fn version_of(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt("version", value))
}

/// Runs `sql`; a driver error is `Unavailable`.
pub(crate) async fn query(
    client: &Conn,
    sql: &str,
    params: &[Param<'_>],
) -> Result<Vec<Row>, StoreError> {
    client.query(sql, params).await.map_err(unavailable)
}

fn snapshot(json: &str, location: &str) -> Result<Snapshot, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt(location, e))
}

/// The stream's stored version (`None` for an unknown stream).
pub(crate) async fn version(
    client: &Conn,
    tenant: Uuid,
    kind: i16,
    stream: Uuid,
) -> Result<Option<u64>, StoreError> {
    let rows = query(
        client,
        "SELECT version FROM streams WHERE tenant = $1 AND kind = $2 AND stream = $3",
        &[
            (&tenant, Type::UUID),
            (&kind, Type::INT2),
            (&stream, Type::UUID),
        ],
    )
    .await?;
    rows.first()
        .map(|row| version_of(get(row, 0, "streams")?))
        .transpose()
}

/// What a load found: nothing, the cached version still current, or a newer state.
pub(crate) enum Fresh {
    Missing,
    Current,
    Newer(Loaded),
}

/// Loads the stream, sending its snapshot only if its version is not `cached`.
pub(crate) async fn load(
    client: &Conn,
    tenant: TenantId,
    stream: StreamId,
    cached: Option<u64>,
) -> Result<Fresh, StoreError> {
    let (kind, id) = columns::stream_parts(stream);
    let cached = cached.and_then(|v| i64::try_from(v).ok()).unwrap_or(-1);
    let rows = query(
        client,
        "SELECT version, CASE WHEN version = $4 THEN NULL ELSE snapshot::text END
         FROM streams WHERE tenant = $1 AND kind = $2 AND stream = $3",
        &[
            (&tenant.as_uuid(), Type::UUID),
            (&i16::from(kind), Type::INT2),
            (&id, Type::UUID),
            (&cached, Type::INT8),
        ],
    )
    .await?;
    let Some(row) = rows.first() else {
        return Ok(Fresh::Missing);
    };
    let location = format!("snapshot of {stream}");
    let version = version_of(get(row, 0, &location)?)?;
    match get::<Option<&str>>(row, 1, &location)? {
        None => Ok(Fresh::Current),
        Some(json) => Ok(Fresh::Newer(Loaded {
            version,
            snapshot: snapshot(json, &location)?,
        })),
    }
}

/// [`load`] for each of `keys` (a stream and the version of its cached snapshot), in one
/// statement: one snapshot of the database for them all, one round trip.
pub(crate) async fn load_many(
    client: &Conn,
    keys: &[(TenantId, StreamId, Option<u64>)],
) -> Result<Vec<Fresh>, StoreError> {
    let mut tenants = Vec::with_capacity(keys.len());
    let mut kinds = Vec::with_capacity(keys.len());
    let mut ids = Vec::with_capacity(keys.len());
    let mut cached = Vec::with_capacity(keys.len());
    for (tenant, stream, version) in keys {
        let (kind, id) = columns::stream_parts(*stream);
        tenants.push(tenant.as_uuid());
        kinds.push(i16::from(kind));
        ids.push(id);
        cached.push(version.and_then(|v| i64::try_from(v).ok()).unwrap_or(-1));
    }
    let rows = query(
        client,
        "SELECT k.at, s.version, CASE WHEN s.version = k.cached THEN NULL ELSE s.snapshot::text END
         FROM unnest($1::uuid[], $2::int2[], $3::uuid[], $4::int8[])
              WITH ORDINALITY AS k(tenant, kind, stream, cached, at)
         JOIN streams s ON s.tenant = k.tenant AND s.kind = k.kind AND s.stream = k.stream",
        &[
            (&tenants, Type::UUID_ARRAY),
            (&kinds, Type::INT2_ARRAY),
            (&ids, Type::UUID_ARRAY),
            (&cached, Type::INT8_ARRAY),
        ],
    )
    .await?;
    let mut found: Vec<Fresh> = keys.iter().map(|_| Fresh::Missing).collect();
    for row in &rows {
        // WITH ORDINALITY counts from 1.
        let at: i64 = get(row, 0, "streams")?;
        let (slot, (_, stream, _)) = usize::try_from(at - 1)
            .ok()
            .and_then(|at| Some((found.get_mut(at)?, keys.get(at)?)))
            .ok_or_else(|| corrupt("streams", format!("a load answered for key {at}")))?;
        let location = format!("snapshot of {stream}");
        let version = version_of(get(row, 1, &location)?)?;
        *slot = match get::<Option<&str>>(row, 2, &location)? {
            None => Fresh::Current,
            Some(json) => Fresh::Newer(Loaded {
                version,
                snapshot: snapshot(json, &location)?,
            }),
        };
    }
    Ok(found)
}

pub(crate) async fn receipt(
    client: &Conn,
    tenant: TenantId,
    key: &IdempotencyKey,
) -> Result<Option<StoredReceipt>, StoreError> {
    let rows = query(
        client,
        "SELECT kind, stream, version, events, request FROM receipts
         WHERE tenant = $1 AND key = $2",
        &[(&tenant.as_uuid(), Type::UUID), (&key.as_str(), Type::TEXT)],
    )
    .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let events: i32 = get(row, 3, "receipts")?;
    let request = get::<Option<&[u8]>>(row, 4, "receipts")?
        .map(|bytes| {
            RequestFingerprint::from_slice(bytes)
                .ok_or_else(|| corrupt("receipts", "fingerprint of the wrong length"))
        })
        .transpose()?;
    Ok(Some(StoredReceipt {
        receipt: Receipt {
            stream: columns::stream_from_parts(
                i64::from(get::<i16>(row, 0, "receipts")?),
                get(row, 1, "receipts")?,
            )?,
            version: version_of(get(row, 2, "receipts")?)?,
            events: u32::try_from(events).map_err(|_| corrupt("receipts", events))?,
        },
        request,
    }))
}

/// A page of every tenant's stream keys, in key order (the streams' primary key).
pub(crate) async fn stream_keys(
    client: &Conn,
    after: Option<(TenantId, StreamId)>,
    limit: usize,
) -> Result<Vec<(TenantId, StreamId)>, StoreError> {
    let (tenant, kind, stream) = match after {
        Some((tenant, stream)) => {
            let (kind, id) = columns::stream_parts(stream);
            (tenant.as_uuid(), i16::from(kind), id)
        }
        // Below every key: the nil tenant's streams have kinds from 0.
        None => (Uuid::nil(), -1, Uuid::nil()),
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = query(
        client,
        "SELECT tenant, kind, stream FROM streams WHERE (tenant, kind, stream) > ($1, $2, $3)
         ORDER BY tenant, kind, stream LIMIT $4",
        &[
            (&tenant, Type::UUID),
            (&kind, Type::INT2),
            (&stream, Type::UUID),
            (&limit, Type::INT8),
        ],
    )
    .await?;
    rows.iter()
        .map(|row| {
            let tenant = TenantId::from_uuid(get(row, 0, "streams")?);
            let kind = i64::from(get::<i16>(row, 1, "streams")?);
            Ok((
                tenant,
                columns::stream_from_parts(kind, get(row, 2, "streams")?)?,
            ))
        })
        .collect()
}

/// The stream of the tenant holding one of `keys`, other than `(kind, stream)`.
pub(crate) async fn unique_key_holder(
    client: &Conn,
    tenant: TenantId,
    keys: &[String],
    (kind, stream): (i16, Uuid),
) -> Result<Option<(UniqueKey, StreamId)>, StoreError> {
    let rows = query(
        client,
        "SELECT key, kind, stream FROM unique_keys
         WHERE tenant = $1 AND key = ANY($2) AND (kind, stream) <> ($3, $4) LIMIT 1",
        &[
            (&tenant.as_uuid(), Type::UUID),
            (&keys, Type::TEXT_ARRAY),
            (&kind, Type::INT2),
            (&stream, Type::UUID),
        ],
    )
    .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let key = UniqueKey::from_stored(get(row, 0, "unique_keys")?);
    let kind = i64::from(get::<i16>(row, 1, "unique_keys")?);
    Ok(Some((
        key,
        columns::stream_from_parts(kind, get(row, 2, "unique_keys")?)?,
    )))
}

pub(crate) async fn history(
    client: &Conn,
    tenant: TenantId,
    stream: StreamId,
) -> Result<Vec<StoredEvent>, StoreError> {
    let (kind, id) = columns::stream_parts(stream);
    let rows = query(
        client,
        "SELECT version, type, schema, payload::text FROM events
         WHERE tenant = $1 AND kind = $2 AND stream = $3 ORDER BY version",
        &[
            (&tenant.as_uuid(), Type::UUID),
            (&i16::from(kind), Type::INT2),
            (&id, Type::UUID),
        ],
    )
    .await?;
    rows.iter()
        .map(|row| {
            let schema: i32 = get(row, 2, "events")?;
            let schema = u32::try_from(schema).map_err(|_| corrupt("event schema", schema))?;
            Ok(StoredEvent {
                stream,
                version: version_of(get(row, 0, "events")?)?,
                event: aliprotect_core::store::upcast_event(
                    get(row, 1, "events")?,
                    schema,
                    get(row, 3, "events")?,
                )?,
            })
        })
        .collect()
}

/// The streams `query` finds: through the index when it names a key, else the streams' own
/// primary key `(tenant, kind, stream)`.
pub(crate) async fn find(
    client: &Conn,
    tenant: TenantId,
    wanted: &Find,
) -> Result<Vec<(StreamId, Snapshot)>, StoreError> {
    let kind = i16::from(wanted.kind.code());
    let after: Option<Uuid> = match wanted.after {
        Some(after) if after.kind() == wanted.kind => Some(columns::stream_parts(after).1),
        Some(after) if after.kind() > wanted.kind => return Ok(Vec::new()),
        _ => None,
    };
    let status = wanted.status.map(columns::status_code);
    let limit = i64::try_from(wanted.limit).unwrap_or(i64::MAX);
    let tenant = tenant.as_uuid();
    let rows = match &wanted.key {
        Some(key) => {
            query(
                client,
                "SELECT s.stream, s.snapshot::text FROM stream_index i
                 JOIN streams s ON s.tenant = i.tenant AND s.kind = i.kind AND s.stream = i.stream
                 WHERE i.tenant = $1 AND i.name = $2 AND i.value = $3 AND i.kind = $4
                   AND ($5::uuid IS NULL OR i.stream > $5) AND ($6::int2 IS NULL OR s.status = $6)
                 ORDER BY i.stream LIMIT $7",
                &[
                    (&tenant, Type::UUID),
                    (&key.name.as_str(), Type::TEXT),
                    (&key.value, Type::TEXT),
                    (&kind, Type::INT2),
                    (&after, Type::UUID),
                    (&status, Type::INT2),
                    (&limit, Type::INT8),
                ],
            )
            .await?
        }
        None => {
            query(
                client,
                "SELECT stream, snapshot::text FROM streams
                 WHERE tenant = $1 AND kind = $2 AND ($3::uuid IS NULL OR stream > $3)
                   AND ($4::int2 IS NULL OR status = $4)
                 ORDER BY stream LIMIT $5",
                &[
                    (&tenant, Type::UUID),
                    (&kind, Type::INT2),
                    (&after, Type::UUID),
                    (&status, Type::INT2),
                    (&limit, Type::INT8),
                ],
            )
            .await?
        }
    };
    rows.iter()
        .map(|row| {
            let stream = columns::stream_from_parts(i64::from(kind), get(row, 0, "streams")?)?;
            let snapshot = snapshot(&get::<String>(row, 1, "streams")?, "snapshot")?;
            if snapshot.kind() != wanted.kind {
                return Err(corrupt("stream row", "snapshot of another kind"));
            }
            Ok((stream, snapshot))
        })
        .collect()
}

/// The tenant's streams of `kind` per status: from the counters the writers keep, or grouped
/// by their values under the index `by` (in byte order, whatever the database's collation).
pub(crate) async fn count(
    client: &Conn,
    tenant: TenantId,
    kind: StreamKind,
    by: Option<IndexName>,
) -> Result<Vec<StatusCount>, StoreError> {
    let tenant = tenant.as_uuid();
    let kind = i16::from(kind.code());
    let rows = match by {
        None => {
            query(
                client,
                "SELECT NULL::text, status, n FROM status_counts
                 WHERE tenant = $1 AND kind = $2 AND n > 0 ORDER BY status",
                &[(&tenant, Type::UUID), (&kind, Type::INT2)],
            )
            .await?
        }
        Some(by) => {
            query(
                client,
                r#"SELECT i.value, s.status, count(*) FROM stream_index i
                 JOIN streams s ON s.tenant = i.tenant AND s.kind = i.kind AND s.stream = i.stream
                 WHERE i.tenant = $1 AND i.name = $2 AND i.kind = $3
                 GROUP BY i.value, s.status ORDER BY i.value COLLATE "C", s.status"#,
                &[
                    (&tenant, Type::UUID),
                    (&by.as_str(), Type::TEXT),
                    (&kind, Type::INT2),
                ],
            )
            .await?
        }
    };
    rows.iter()
        .map(|row| {
            let count: i64 = get(row, 2, "status counts")?;
            Ok(StatusCount {
                group: get(row, 0, "status counts")?,
                status: get(row, 1, "status counts")?,
                count: u64::try_from(count).map_err(|_| corrupt("status counts", count))?,
            })
        })
        .collect()
}
