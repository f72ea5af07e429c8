//! The store's queries and small writes, each a function of a connection.

use std::sync::Arc;

use aliprotect_core::campaign::Campaign;
use aliprotect_core::complaint::{Complaint, ComplaintStatus};
use aliprotect_core::evidence::ContentHash;
use aliprotect_core::ids::{CampaignId, RepresentativeId, RightId, TenantId};
use aliprotect_core::listing::ListingKey;
use aliprotect_core::marketplace::Marketplace;
use aliprotect_core::power::Power;
use aliprotect_core::relisting::RemovedListing;
use aliprotect_core::right::{IpRight, RightStatus};
use aliprotect_core::store::{
    ComplaintRow, Count, CountBy, GroupKey, IdempotencyKey, Loaded, Receipt, RequestFingerprint,
    Snapshot, StoreError, StoredEvent, StoredReceipt, StreamId,
};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::codec::{self, KIND_COMPLAINT, KIND_RIGHT};
use crate::unavailable;

pub(crate) fn version_of(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| codec::corrupt("version", value))
}

/// The stream's stored version (`None` for an unknown stream): what a cached snapshot is
/// checked against, since another handle or process may have committed since.
pub(crate) fn version(
    connection: &Connection,
    tenant: TenantId,
    stream: StreamId,
) -> Result<Option<u64>, StoreError> {
    let version: Option<i64> = connection
        .prepare_cached("SELECT version FROM streams WHERE tenant = ?1 AND stream = ?2")
        .and_then(|mut statement| {
            statement
                .query_row(
                    params![
                        &codec::tenant_key(tenant)[..],
                        &codec::stream_key(stream)[..]
                    ],
                    |row| row.get(0),
                )
                .optional()
        })
        .map_err(unavailable)?;
    version.map(version_of).transpose()
}

pub(crate) fn load(
    connection: &Connection,
    tenant: TenantId,
    stream: StreamId,
) -> Result<Option<Loaded>, StoreError> {
    let row: Option<(i64, String)> = connection
        .prepare_cached("SELECT version, snapshot FROM streams WHERE tenant = ?1 AND stream = ?2")
        .and_then(|mut statement| {
            statement
                .query_row(
                    params![
                        &codec::tenant_key(tenant)[..],
                        &codec::stream_key(stream)[..]
                    ],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
        })
        .map_err(unavailable)?;
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

fn status_counts(
    connection: &Connection,
    tenant: TenantId,
    kind: u8,
) -> Result<Vec<(i64, u64)>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT status, n FROM status_counts
             WHERE tenant = ?1 AND kind = ?2 AND n > 0 ORDER BY status",
        )
        .map_err(unavailable)?;
    let rows = statement
        .query_map(params![&codec::tenant_key(tenant)[..], kind], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
        })
        .map_err(unavailable)?;
    rows.map(|row| {
        let (status, n) = row.map_err(unavailable)?;
        Ok((
            status,
            u64::try_from(n).map_err(|_| codec::corrupt("count", n))?,
        ))
    })
    .collect()
}

fn uuid_of(bytes: Option<Vec<u8>>) -> Result<Option<Uuid>, StoreError> {
    bytes
        .map(|b| Uuid::from_slice(&b).map_err(|e| codec::corrupt("id column", e)))
        .transpose()
}

pub(crate) fn complaint_counts(
    connection: &Connection,
    tenant: TenantId,
    by: CountBy,
) -> Result<Vec<Count>, StoreError> {
    if by == CountBy::Status {
        return status_counts(connection, tenant, KIND_COMPLAINT)?
            .into_iter()
            .map(|(status, count)| {
                Ok(Count {
                    group: GroupKey::All,
                    status: codec::complaint_status(status)?,
                    count,
                })
            })
            .collect();
    }
    let sql = match by {
        CountBy::Right => {
            "SELECT right_id, NULL, status, count(*) FROM streams
             WHERE tenant = ?1 AND kind = 1 GROUP BY right_id, status"
        }
        CountBy::Campaign => {
            "SELECT campaign, NULL, status, count(*) FROM streams
             WHERE tenant = ?1 AND kind = 1 GROUP BY campaign, status"
        }
        CountBy::Seller | CountBy::Status => {
            "SELECT NULL, seller, status, count(*) FROM streams
             WHERE tenant = ?1 AND kind = 1 GROUP BY seller, status"
        }
    };
    let mut statement = connection.prepare_cached(sql).map_err(unavailable)?;
    let rows = statement
        .query_map(params![&codec::tenant_key(tenant)[..]], |row| {
            Ok((
                row.get::<_, Option<Vec<u8>>>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })
        .map_err(unavailable)?;
    let mut counts = Vec::new();
    for row in rows {
        let (id, seller, status, count) = row.map_err(unavailable)?;
        let group = match by {
            CountBy::Right => GroupKey::Right(RightId::from_uuid(
                uuid_of(id)?.ok_or_else(|| codec::corrupt("right_id", "missing"))?,
            )),
            CountBy::Campaign => GroupKey::Campaign(uuid_of(id)?.map(CampaignId::from_uuid)),
            CountBy::Seller | CountBy::Status => GroupKey::Seller(seller),
        };
        counts.push(Count {
            group,
            status: codec::complaint_status(status)?,
            count: u64::try_from(count).map_err(|_| codec::corrupt("count", count))?,
        });
    }
    counts.sort();
    Ok(counts)
}

pub(crate) fn right_counts(
    connection: &Connection,
    tenant: TenantId,
) -> Result<Vec<(RightStatus, u64)>, StoreError> {
    status_counts(connection, tenant, KIND_RIGHT)?
        .into_iter()
        .map(|(status, count)| Ok((codec::right_status(status)?, count)))
        .collect()
}

fn complaint_rows(
    connection: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<ComplaintRow>, StoreError> {
    let mut statement = connection.prepare_cached(sql).map_err(unavailable)?;
    let rows = statement
        .query_map(params, |row| row.get::<_, String>(0))
        .map_err(unavailable)?;
    rows.map(|json| {
        let json = json.map_err(unavailable)?;
        match codec::from_json::<Snapshot>("complaint snapshot", &json)? {
            Snapshot::Complaint(complaint) => Ok(ComplaintRow::of(&complaint)),
            _ => Err(codec::corrupt(
                "complaint row",
                "holds another kind of stream",
            )),
        }
    })
    .collect()
}

pub(crate) fn complaints_on_listing(
    connection: &Connection,
    tenant: TenantId,
    key: &ListingKey,
) -> Result<Vec<ComplaintRow>, StoreError> {
    let mut rows = complaint_rows(
        connection,
        "SELECT snapshot FROM streams WHERE tenant = ?1 AND kind = 1 AND listing = ?2",
        params![&codec::tenant_key(tenant)[..], key.as_str()],
    )?;
    rows.sort_by_key(|row| (row.filed_at, row.id));
    Ok(rows)
}

/// The removed listings of a right in one query: SQLite picks the few fields out of each
/// snapshot, so no complaint is decoded whole.
pub(crate) fn removed_listings(
    connection: &Connection,
    tenant: TenantId,
    right: RightId,
) -> Result<Vec<RemovedListing>, StoreError> {
    type Fields = (
        Marketplace,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<ContentHash>,
        Option<DateTime<Utc>>,
    );
    let mut statement = connection
        .prepare_cached(
            "SELECT stream, listing, json_extract(snapshot,
                 '$.Complaint.filed.listing.marketplace', '$.Complaint.filed.listing.seller_id',
                 '$.Complaint.filed.details.seller_name', '$.Complaint.filed.details.title',
                 '$.Complaint.filed.details.image_hash', '$.Complaint.removed_at')
             FROM streams
             WHERE tenant = ?1 AND kind = 1 AND right_id = ?2 AND status = ?3 ORDER BY stream",
        )
        .map_err(unavailable)?;
    let status = ComplaintStatus::ListingRemoved as i64;
    let rows = statement
        .query_map(
            params![
                &codec::tenant_key(tenant)[..],
                &right.as_uuid().into_bytes()[..],
                status
            ],
            |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            },
        )
        .map_err(unavailable)?;
    rows.map(|row| {
        let (stream, listing, fields) = row.map_err(unavailable)?;
        let StreamId::Complaint(complaint) = codec::stream_of(&stream)? else {
            return Err(codec::corrupt("complaint row", "holds another stream"));
        };
        let (marketplace, seller_id, seller_name, title, image_hash, removed_at): Fields =
            codec::from_json("removed listing", &fields)?;
        Ok(RemovedListing {
            complaint,
            marketplace,
            listing: ListingKey::from_stored(listing),
            seller: seller_id.or(seller_name),
            title,
            image_hash,
            removed_at,
        })
    })
    .collect()
}

pub(crate) fn complaints_of_right(
    connection: &Connection,
    tenant: TenantId,
    right: RightId,
    status: ComplaintStatus,
) -> Result<Vec<ComplaintRow>, StoreError> {
    complaint_rows(
        connection,
        "SELECT snapshot FROM streams
         WHERE tenant = ?1 AND kind = 1 AND right_id = ?2 AND status = ?3 ORDER BY stream",
        params![
            &codec::tenant_key(tenant)[..],
            &right.as_uuid().into_bytes()[..],
            status as i64
        ],
    )
}

pub(crate) fn complaints(
    connection: &Connection,
    tenant: TenantId,
    campaign: Option<CampaignId>,
) -> Result<Vec<std::sync::Arc<Complaint>>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT snapshot FROM streams WHERE tenant = ?1 AND kind = 1
             AND (?2 IS NULL OR campaign = ?2) ORDER BY stream",
        )
        .map_err(unavailable)?;
    let campaign = campaign.map(|c| c.as_uuid().into_bytes().to_vec());
    let rows = statement
        .query_map(params![&codec::tenant_key(tenant)[..], campaign], |row| {
            row.get::<_, String>(0)
        })
        .map_err(unavailable)?;
    rows.map(|json| {
        match codec::from_json::<Snapshot>("complaint snapshot", &json.map_err(unavailable)?)? {
            Snapshot::Complaint(complaint) => Ok(complaint),
            _ => Err(codec::corrupt(
                "complaint row",
                "holds another kind of stream",
            )),
        }
    })
    .collect()
}

/// The snapshots of the tenant's streams of one kind, in id order: a range of the
/// `(tenant, stream)` key, whose first byte is the kind.
fn snapshots_of_kind(
    connection: &Connection,
    tenant: TenantId,
    kind: u8,
) -> Result<Vec<Snapshot>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT snapshot FROM streams
             WHERE tenant = ?1 AND stream >= ?2 AND stream < ?3 ORDER BY stream",
        )
        .map_err(unavailable)?;
    let rows = statement
        .query_map(
            params![&codec::tenant_key(tenant)[..], &[kind][..], &[kind + 1][..]],
            |row| row.get::<_, String>(0),
        )
        .map_err(unavailable)?;
    rows.map(|json| codec::from_json("snapshot", &json.map_err(unavailable)?))
        .collect()
}

/// The tenant's streams of `kind`, in id order, as the state `pick` takes out of each
/// snapshot; a snapshot of another kind is corrupt data.
fn states_of_kind<T: Clone>(
    connection: &Connection,
    tenant: TenantId,
    kind: u8,
    pick: fn(Snapshot) -> Option<Arc<T>>,
    what: &str,
) -> Result<Vec<T>, StoreError> {
    snapshots_of_kind(connection, tenant, kind)?
        .into_iter()
        .map(|snapshot| {
            pick(snapshot)
                .map(Arc::unwrap_or_clone)
                .ok_or_else(|| codec::corrupt(what, "snapshot of another kind"))
        })
        .collect()
}

pub(crate) fn rights(
    connection: &Connection,
    tenant: TenantId,
) -> Result<Vec<IpRight>, StoreError> {
    states_of_kind(
        connection,
        tenant,
        codec::KIND_RIGHT,
        Snapshot::into_right,
        "right row",
    )
}

pub(crate) fn campaigns(
    connection: &Connection,
    tenant: TenantId,
) -> Result<Vec<Campaign>, StoreError> {
    let kind = codec::KIND_CAMPAIGN;
    states_of_kind(
        connection,
        tenant,
        kind,
        Snapshot::into_campaign,
        "campaign row",
    )
}

pub(crate) fn powers(
    connection: &Connection,
    tenant: TenantId,
    representative: RepresentativeId,
) -> Result<Vec<Power>, StoreError> {
    let snapshots = snapshots_of_kind(connection, tenant, codec::KIND_POWER)?;
    let mut powers = Vec::new();
    for snapshot in snapshots {
        match snapshot {
            Snapshot::Power(power) if power.grant.representative == representative => {
                powers.push(Arc::unwrap_or_clone(power));
            }
            Snapshot::Power(_) => {}
            _ => return Err(codec::corrupt("power row", "snapshot of another kind")),
        }
    }
    Ok(powers)
}
