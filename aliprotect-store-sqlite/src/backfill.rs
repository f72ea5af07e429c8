//! Keys the core computes from a stream's snapshot, filled in by a migration for the streams
//! of a file written before the store kept them: the unique keys of schema 7, the index of
//! schema 8.

use aliprotect_core::store::Snapshot;
use rusqlite::{Transaction, params};

use crate::codec;

/// A stream row's tenant and stream keys, as stored, and its snapshot.
type StreamRow = (Vec<u8>, Vec<u8>, Snapshot);

/// The stream rows `sql` selects (tenant, stream, snapshot) whose snapshot can be read,
/// decoded. A row whose snapshot cannot be read gets no key (it is reported as corrupt when
/// read, as before).
fn readable_snapshots(
    tx: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<StreamRow>> {
    let mut statement = tx.prepare(sql)?;
    let mut rows = statement.query(params)?;
    let mut readable = Vec::new();
    while let Some(row) = rows.next()? {
        let json: String = row.get(2)?;
        match codec::from_json::<Snapshot>("snapshot", &json) {
            Ok(snapshot) => readable.push((row.get(0)?, row.get(1)?, snapshot)),
            Err(error) => tracing::warn!(%error, "stream row holds no readable snapshot; no key"),
        }
    }
    Ok(readable)
}

/// Fills the unique keys of a file that had none: every stream's keys as its snapshot
/// holds them. Where two open complaints of a tenant share a listing (filed before the rule
/// was enforced), the one of the smaller id keeps the key; the other still ends as usual.
pub(crate) fn unique_keys(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let complaints = readable_snapshots(
        tx,
        "SELECT tenant, stream, snapshot FROM streams WHERE kind = ?1 ORDER BY stream",
        params![codec::KIND_COMPLAINT],
    )?;
    let mut insert = tx.prepare(
        "INSERT INTO unique_keys(tenant, key, stream) VALUES (?1, ?2, ?3)
         ON CONFLICT(tenant, key) DO NOTHING",
    )?;
    for (tenant, stream, snapshot) in complaints {
        for key in snapshot.unique_keys() {
            insert.execute(params![tenant, key.as_str(), stream])?;
        }
    }
    Ok(())
}

/// Fills the index from every stream's snapshot.
pub(crate) fn index(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let streams = readable_snapshots(tx, "SELECT tenant, stream, snapshot FROM streams", [])?;
    let mut insert = tx.prepare(
        "INSERT INTO stream_index(tenant, name, value, stream) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO NOTHING",
    )?;
    for (tenant, stream, snapshot) in streams {
        for key in snapshot.index_keys() {
            insert.execute(params![tenant, key.name.as_str(), key.value, stream])?;
        }
    }
    Ok(())
}
