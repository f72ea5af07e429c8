//! How the store's values map to SQLite columns: ids as 16-byte blobs, streams as a kind byte
//! plus the id, instants as microseconds since the epoch, documents as JSON text.

use aliprotect_core::complaint::ComplaintStatus;
use aliprotect_core::ids::{CampaignId, ComplaintId, PowerOfAttorneyId, RightId, TenantId};
use aliprotect_core::right::RightStatus;
use aliprotect_core::store::{
    DomainEvent, Snapshot, StoreError, StreamId, StreamStatus, Timer, TimerKind,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// Stream kind stored in the `kind` column and the first byte of a stream key.
pub(crate) const KIND_RIGHT: u8 = 0;
/// See [`KIND_RIGHT`].
pub(crate) const KIND_COMPLAINT: u8 = 1;
/// See [`KIND_RIGHT`]. Only in keys: a filer has no stream row.
pub(crate) const KIND_FILER: u8 = 2;
/// See [`KIND_RIGHT`].
pub(crate) const KIND_POWER: u8 = 3;
/// See [`KIND_RIGHT`].
pub(crate) const KIND_CAMPAIGN: u8 = 4;

pub(crate) fn tenant_key(tenant: TenantId) -> [u8; 16] {
    tenant.as_uuid().into_bytes()
}

pub(crate) fn tenant_of(bytes: &[u8]) -> Result<TenantId, StoreError> {
    Uuid::from_slice(bytes)
        .map(TenantId::from_uuid)
        .map_err(|e| corrupt("tenant id", e))
}

pub(crate) fn stream_key(stream: StreamId) -> [u8; 17] {
    let (kind, uuid) = match stream {
        StreamId::Right(id) => (KIND_RIGHT, id.as_uuid()),
        StreamId::Complaint(id) => (KIND_COMPLAINT, id.as_uuid()),
        StreamId::Filer(id) => (KIND_FILER, id.as_uuid()),
        StreamId::Power(id) => (KIND_POWER, id.as_uuid()),
        StreamId::Campaign(id) => (KIND_CAMPAIGN, id.as_uuid()),
    };
    let mut key = [0u8; 17];
    key[0] = kind;
    key[1..].copy_from_slice(uuid.as_bytes());
    key
}

pub(crate) fn stream_of(bytes: &[u8]) -> Result<StreamId, StoreError> {
    let (kind, id) = bytes
        .split_first()
        .ok_or_else(|| corrupt("stream key", "empty"))?;
    let uuid = Uuid::from_slice(id).map_err(|e| corrupt("stream key", e))?;
    match *kind {
        KIND_RIGHT => Ok(StreamId::Right(RightId::from_uuid(uuid))),
        KIND_COMPLAINT => Ok(StreamId::Complaint(ComplaintId::from_uuid(uuid))),
        KIND_FILER => Ok(StreamId::Filer(TenantId::from_uuid(uuid))),
        KIND_POWER => Ok(StreamId::Power(PowerOfAttorneyId::from_uuid(uuid))),
        KIND_CAMPAIGN => Ok(StreamId::Campaign(CampaignId::from_uuid(uuid))),
        other => Err(corrupt("stream key", format!("unknown kind {other}"))),
    }
}

pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub(crate) fn instant(micros: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| corrupt("instant", micros))
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        location: "encoding".to_owned(),
        detail: e.to_string(),
    })
}

pub(crate) fn from_json<T: DeserializeOwned>(location: &str, json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt(location, e))
}

pub(crate) fn corrupt(location: &str, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        location: location.to_owned(),
        detail: detail.to_string(),
    }
}

/// Index of a status in `ComplaintStatus::ALL` / `RightStatus::ALL` (the enum's order for
/// powers and campaigns), as stored.
pub(crate) fn status_code(status: StreamStatus) -> i64 {
    match status {
        StreamStatus::Right(status) => status as i64,
        StreamStatus::Complaint(status) => status as i64,
        StreamStatus::Power(status) => status as i64,
        StreamStatus::Campaign(status) => status as i64,
    }
}

/// The stream kind of a snapshot.
pub(crate) fn kind_of(snapshot: &Snapshot) -> u8 {
    match snapshot {
        Snapshot::Right(_) => KIND_RIGHT,
        Snapshot::Complaint(_) => KIND_COMPLAINT,
        Snapshot::Power(_) => KIND_POWER,
        Snapshot::Campaign(_) => KIND_CAMPAIGN,
    }
}

pub(crate) fn complaint_status(code: i64) -> Result<ComplaintStatus, StoreError> {
    usize::try_from(code)
        .ok()
        .and_then(|i| ComplaintStatus::ALL.get(i).copied())
        .ok_or_else(|| corrupt("complaint status", code))
}

pub(crate) fn right_status(code: i64) -> Result<RightStatus, StoreError> {
    usize::try_from(code)
        .ok()
        .and_then(|i| RightStatus::ALL.get(i).copied())
        .ok_or_else(|| corrupt("right status", code))
}

/// Timers as stored in a stream row: `[[kind, due_micros], ...]`.
pub(crate) fn encode_timers(timers: &[Timer]) -> Result<(Option<String>, Option<i64>), StoreError> {
    if timers.is_empty() {
        return Ok((None, None));
    }
    let pairs: Vec<(TimerKind, i64)> = timers.iter().map(|t| (t.kind, micros(t.due))).collect();
    let next = pairs.iter().map(|(_, due)| *due).min();
    Ok((Some(to_json(&pairs)?), next))
}

pub(crate) fn decode_timers(
    tenant: TenantId,
    stream: StreamId,
    json: &str,
) -> Result<Vec<Timer>, StoreError> {
    let pairs: Vec<(TimerKind, i64)> = from_json("timers", json)?;
    pairs
        .into_iter()
        .map(|(kind, due)| {
            Ok(Timer {
                tenant,
                stream,
                kind,
                due: instant(due)?,
            })
        })
        .collect()
}

/// An event ready to store: its type name, schema version and JSON payload.
pub(crate) struct EncodedEvent {
    pub(crate) type_name: &'static str,
    pub(crate) json: String,
}

pub(crate) fn encode_event(event: &DomainEvent) -> Result<EncodedEvent, StoreError> {
    Ok(EncodedEvent {
        type_name: event.type_name(),
        json: to_json(event)?,
    })
}

/// Reads a stored event, passing older schema versions through the upcaster.
pub(crate) fn decode_event(
    type_name: &str,
    schema: i64,
    json: &str,
) -> Result<DomainEvent, StoreError> {
    let schema = u32::try_from(schema).map_err(|_| corrupt("event schema", schema))?;
    aliprotect_core::store::upcast_event(type_name, schema, json)
}
