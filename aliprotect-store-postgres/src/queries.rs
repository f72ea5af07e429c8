//! The read side: loads, history, receipts and read-model queries, each one statement.

use std::sync::Arc;

use aliprotect_core::campaign::Campaign;
use aliprotect_core::complaint::{Complaint, ComplaintStatus};
use aliprotect_core::ids::{CampaignId, RepresentativeId, RightId, TenantId};
use aliprotect_core::listing::ListingKey;
use aliprotect_core::power::Power;
use aliprotect_core::relisting::RemovedListing;
use aliprotect_core::right::{IpRight, RightStatus};
use aliprotect_core::store::columns::{
    self, KIND_CAMPAIGN, KIND_COMPLAINT, KIND_POWER, KIND_RIGHT,
};
use aliprotect_core::store::{
    ComplaintRow, Count, CountBy, GroupKey, IdempotencyKey, Loaded, Receipt, RequestFingerprint,
    Snapshot, StoreError, StoredEvent, StoredReceipt, StreamId, UniqueKey,
};
use deadpool_postgres::Object;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, ToSql};
use uuid::Uuid;

use crate::error::{corrupt, unavailable};

fn get<'a, T: FromSql<'a>>(row: &'a Row, index: usize, location: &str) -> Result<T, StoreError> {
    row.try_get(index).map_err(|e| corrupt(location, e))
}

pub(crate) fn version_of(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt("version", value))
}

/// Runs `sql` as a statement cached on the connection; a driver error is `Unavailable`.
pub(crate) async fn query(
    client: &Object,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, StoreError> {
    let statement = client.prepare_cached(sql).await.map_err(unavailable)?;
    client.query(&statement, params).await.map_err(unavailable)
}

fn snapshot(json: &str, location: &str) -> Result<Snapshot, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt(location, e))
}

fn complaint(json: &str) -> Result<Arc<Complaint>, StoreError> {
    match snapshot(json, "complaint snapshot")? {
        Snapshot::Complaint(complaint) => Ok(complaint),
        _ => Err(corrupt("complaint row", "holds another kind of stream")),
    }
}

/// The stream's stored version (`None` for an unknown stream).
pub(crate) async fn version(
    client: &Object,
    tenant: Uuid,
    kind: i16,
    stream: Uuid,
) -> Result<Option<u64>, StoreError> {
    let rows = query(
        client,
        "SELECT version FROM streams WHERE tenant = $1 AND kind = $2 AND stream = $3",
        &[&tenant, &kind, &stream],
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
    client: &Object,
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
        &[&tenant.as_uuid(), &i16::from(kind), &id, &cached],
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

pub(crate) async fn receipt(
    client: &Object,
    tenant: TenantId,
    key: &IdempotencyKey,
) -> Result<Option<StoredReceipt>, StoreError> {
    let rows = query(
        client,
        "SELECT kind, stream, version, events, request FROM receipts
         WHERE tenant = $1 AND key = $2",
        &[&tenant.as_uuid(), &key.as_str()],
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
    client: &Object,
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
        &[&tenant, &kind, &stream, &limit],
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
    client: &Object,
    tenant: TenantId,
    keys: &[String],
    (kind, stream): (i16, Uuid),
) -> Result<Option<(UniqueKey, StreamId)>, StoreError> {
    let rows = query(
        client,
        "SELECT key, kind, stream FROM unique_keys
         WHERE tenant = $1 AND key = ANY($2) AND (kind, stream) <> ($3, $4) LIMIT 1",
        &[&tenant.as_uuid(), &keys, &kind, &stream],
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
    client: &Object,
    tenant: TenantId,
    stream: StreamId,
) -> Result<Vec<StoredEvent>, StoreError> {
    let (kind, id) = columns::stream_parts(stream);
    let rows = query(
        client,
        "SELECT version, type, schema, payload::text FROM events
         WHERE tenant = $1 AND kind = $2 AND stream = $3 ORDER BY version",
        &[&tenant.as_uuid(), &i16::from(kind), &id],
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

async fn status_counts(
    client: &Object,
    tenant: TenantId,
    kind: u8,
) -> Result<Vec<(i64, u64)>, StoreError> {
    let rows = query(
        client,
        "SELECT status, n FROM status_counts
         WHERE tenant = $1 AND kind = $2 AND n > 0 ORDER BY status",
        &[&tenant.as_uuid(), &i16::from(kind)],
    )
    .await?;
    rows.iter()
        .map(|row| {
            let n: i64 = get(row, 1, "status_counts")?;
            Ok((
                i64::from(get::<i16>(row, 0, "status_counts")?),
                u64::try_from(n).map_err(|_| corrupt("status_counts", n))?,
            ))
        })
        .collect()
}

pub(crate) async fn complaint_counts(
    client: &Object,
    tenant: TenantId,
    by: CountBy,
) -> Result<Vec<Count>, StoreError> {
    if by == CountBy::Status {
        return status_counts(client, tenant, KIND_COMPLAINT)
            .await?
            .into_iter()
            .map(|(status, count)| {
                Ok(Count {
                    group: GroupKey::All,
                    status: columns::complaint_status(status)?,
                    count,
                })
            })
            .collect();
    }
    let sql = match by {
        CountBy::Right => {
            "SELECT right_id, NULL::text, status, count(*) FROM streams
             WHERE tenant = $1 AND kind = 1 GROUP BY right_id, status"
        }
        CountBy::Campaign => {
            "SELECT campaign, NULL::text, status, count(*) FROM streams
             WHERE tenant = $1 AND kind = 1 GROUP BY campaign, status"
        }
        CountBy::Seller | CountBy::Status => {
            "SELECT NULL::uuid, seller, status, count(*) FROM streams
             WHERE tenant = $1 AND kind = 1 GROUP BY seller, status"
        }
    };
    let rows = query(client, sql, &[&tenant.as_uuid()]).await?;
    let mut counts = rows
        .iter()
        .map(|row| {
            let id: Option<Uuid> = get(row, 0, "streams")?;
            let group = match by {
                CountBy::Right => GroupKey::Right(RightId::from_uuid(
                    id.ok_or_else(|| corrupt("right_id", "missing"))?,
                )),
                CountBy::Campaign => GroupKey::Campaign(id.map(CampaignId::from_uuid)),
                CountBy::Seller | CountBy::Status => GroupKey::Seller(get(row, 1, "streams")?),
            };
            let count: i64 = get(row, 3, "streams")?;
            Ok(Count {
                group,
                status: columns::complaint_status(i64::from(get::<i16>(row, 2, "streams")?))?,
                count: u64::try_from(count).map_err(|_| corrupt("count", count))?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    counts.sort();
    Ok(counts)
}

pub(crate) async fn right_counts(
    client: &Object,
    tenant: TenantId,
) -> Result<Vec<(RightStatus, u64)>, StoreError> {
    status_counts(client, tenant, KIND_RIGHT)
        .await?
        .into_iter()
        .map(|(status, count)| Ok((columns::right_status(status)?, count)))
        .collect()
}

async fn complaints_where(
    client: &Object,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Arc<Complaint>>, StoreError> {
    let rows = query(client, sql, params).await?;
    rows.iter()
        .map(|row| complaint(get(row, 0, "streams")?))
        .collect()
}

pub(crate) async fn complaints_on_listing(
    client: &Object,
    tenant: TenantId,
    key: &ListingKey,
) -> Result<Vec<ComplaintRow>, StoreError> {
    let complaints = complaints_where(
        client,
        "SELECT snapshot::text FROM streams WHERE tenant = $1 AND kind = 1 AND listing = $2",
        &[&tenant.as_uuid(), &key.as_str()],
    )
    .await?;
    let mut rows: Vec<ComplaintRow> = complaints.iter().map(|c| ComplaintRow::of(c)).collect();
    rows.sort_by_key(|row| (row.filed_at, row.id));
    Ok(rows)
}

async fn complaints_of_right_in(
    client: &Object,
    tenant: TenantId,
    right: RightId,
    status: ComplaintStatus,
) -> Result<Vec<Arc<Complaint>>, StoreError> {
    let status = columns::status_code(aliprotect_core::store::StreamStatus::Complaint(status));
    complaints_where(
        client,
        "SELECT snapshot::text FROM streams
         WHERE tenant = $1 AND kind = 1 AND right_id = $2 AND status = $3 ORDER BY stream",
        &[&tenant.as_uuid(), &right.as_uuid(), &status],
    )
    .await
}

pub(crate) async fn complaints_of_right(
    client: &Object,
    tenant: TenantId,
    right: RightId,
    status: ComplaintStatus,
) -> Result<Vec<ComplaintRow>, StoreError> {
    let complaints = complaints_of_right_in(client, tenant, right, status).await?;
    Ok(complaints.iter().map(|c| ComplaintRow::of(c)).collect())
}

pub(crate) async fn removed_listings(
    client: &Object,
    tenant: TenantId,
    right: RightId,
) -> Result<Vec<RemovedListing>, StoreError> {
    let removed =
        complaints_of_right_in(client, tenant, right, ComplaintStatus::ListingRemoved).await?;
    Ok(removed
        .iter()
        .filter_map(|c| RemovedListing::of(c))
        .collect())
}

pub(crate) async fn complaints(
    client: &Object,
    tenant: TenantId,
    campaign: Option<CampaignId>,
) -> Result<Vec<Arc<Complaint>>, StoreError> {
    complaints_where(
        client,
        "SELECT snapshot::text FROM streams WHERE tenant = $1 AND kind = 1
         AND ($2::uuid IS NULL OR campaign = $2) ORDER BY stream",
        &[&tenant.as_uuid(), &campaign.map(|c| c.as_uuid())],
    )
    .await
}

/// The tenant's streams of `kind`, in id order, as the state `pick` takes out of each
/// snapshot; a snapshot of another kind is corrupt data.
async fn states_of_kind<T: Clone>(
    client: &Object,
    tenant: TenantId,
    kind: u8,
    pick: fn(Snapshot) -> Option<Arc<T>>,
    what: &str,
) -> Result<Vec<T>, StoreError> {
    let rows = query(
        client,
        "SELECT snapshot::text FROM streams WHERE tenant = $1 AND kind = $2 ORDER BY stream",
        &[&tenant.as_uuid(), &i16::from(kind)],
    )
    .await?;
    rows.iter()
        .map(|row| {
            pick(snapshot(get(row, 0, "streams")?, what)?)
                .map(Arc::unwrap_or_clone)
                .ok_or_else(|| corrupt(what, "snapshot of another kind"))
        })
        .collect()
}

pub(crate) async fn rights(client: &Object, tenant: TenantId) -> Result<Vec<IpRight>, StoreError> {
    states_of_kind(
        client,
        tenant,
        KIND_RIGHT,
        Snapshot::into_right,
        "right row",
    )
    .await
}

pub(crate) async fn campaigns(
    client: &Object,
    tenant: TenantId,
) -> Result<Vec<Campaign>, StoreError> {
    states_of_kind(
        client,
        tenant,
        KIND_CAMPAIGN,
        Snapshot::into_campaign,
        "campaign row",
    )
    .await
}

pub(crate) async fn powers(
    client: &Object,
    tenant: TenantId,
    representative: RepresentativeId,
) -> Result<Vec<Power>, StoreError> {
    let rows = query(
        client,
        "SELECT snapshot::text FROM streams
         WHERE tenant = $1 AND kind = $2 AND representative = $3 ORDER BY stream",
        &[
            &tenant.as_uuid(),
            &i16::from(KIND_POWER),
            &representative.as_uuid(),
        ],
    )
    .await?;
    rows.iter()
        .map(
            |row| match snapshot(get(row, 0, "streams")?, "power snapshot")? {
                Snapshot::Power(power) => Ok(Arc::unwrap_or_clone(power)),
                _ => Err(corrupt("power row", "snapshot of another kind")),
            },
        )
        .collect()
}
