//! How the store's values map to SQLite columns: ids as 16-byte blobs, streams as a kind byte
//! plus the id, instants as microseconds since the epoch, documents as JSON text.

use aliprotect_core::ids::TenantId;
use aliprotect_core::store::columns;
use aliprotect_core::store::{DomainEvent, StoreError, StreamId, StreamStatus, Timer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

pub(crate) use aliprotect_core::store::columns::KIND_COMPLAINT;

pub(crate) fn tenant_key(tenant: TenantId) -> [u8; 16] {
    tenant.as_uuid().into_bytes()
}

pub(crate) fn tenant_of(bytes: &[u8]) -> Result<TenantId, StoreError> {
    Uuid::from_slice(bytes)
        .map(TenantId::from_uuid)
        .map_err(|e| corrupt("tenant id", e))
}

pub(crate) fn stream_key(stream: StreamId) -> [u8; 17] {
    let (kind, uuid) = columns::stream_parts(stream);
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
    columns::stream_from_parts(i64::from(*kind), uuid)
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

pub(crate) fn status_code(status: StreamStatus) -> i64 {
    i64::from(columns::status_code(status))
}

pub(crate) use aliprotect_core::store::columns::kind_of;

/// Timers as stored in a stream row, and the earliest due time in microseconds.
pub(crate) fn encode_timers(timers: &[Timer]) -> Result<(Option<String>, Option<i64>), StoreError> {
    Ok(columns::encode_timers(timers)?
        .map(|(json, next)| (Some(json), Some(micros(next))))
        .unwrap_or((None, None)))
}

pub(crate) use aliprotect_core::store::columns::decode_timers;

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
