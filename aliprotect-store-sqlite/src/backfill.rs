//! Keys the core computes from a stream's snapshot, filled in by a migration for the streams
//! of a file written before the store kept them: the unique keys of schema 7, the index of
//! schema 8.

use aliprotect_core::store::Snapshot;
use rusqlite::{Transaction, params};

use crate::codec;

/// Calls `visit` with each stream row `sql` selects (tenant, stream, snapshot) whose snapshot
/// can be read, one row at a time, so that a large file is never in memory at once. A row
/// whose snapshot cannot be read gets no key (it is reported as corrupt when read, as
/// before).
fn for_each_snapshot(
    tx: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
    mut visit: impl FnMut(&[u8], &[u8], Snapshot) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let mut statement = tx.prepare(sql)?;
    let mut rows = statement.query(params)?;
    while let Some(row) = rows.next()? {
        let json: String = row.get(2)?;
        match codec::from_json::<Snapshot>("snapshot", &json) {
            Ok(snapshot) => {
                let (tenant, stream): (Vec<u8>, Vec<u8>) = (row.get(0)?, row.get(1)?);
                visit(&tenant, &stream, snapshot)?;
            }
            Err(error) => tracing::warn!(%error, "stream row holds no readable snapshot; no key"),
        }
    }
    Ok(())
}

/// Fills the unique keys of a file that had none: every stream's keys as its snapshot
/// holds them. Where two open complaints of a tenant share a listing (filed before the rule
/// was enforced), the one of the smaller id keeps the key; the other still ends as usual.
pub(crate) fn unique_keys(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO unique_keys(tenant, key, stream) VALUES (?1, ?2, ?3)
         ON CONFLICT(tenant, key) DO NOTHING",
    )?;
    for_each_snapshot(
        tx,
        "SELECT tenant, stream, snapshot FROM streams WHERE kind = ?1 ORDER BY stream",
        params![codec::KIND_COMPLAINT],
        |tenant, stream, snapshot| {
            for key in snapshot.unique_keys() {
                insert.execute(params![tenant, key.as_str(), stream])?;
            }
            Ok(())
        },
    )
}

/// Fills the index from every stream's snapshot.
pub(crate) fn index(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO stream_index(tenant, name, value, stream) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO NOTHING",
    )?;
    let sql = "SELECT tenant, stream, snapshot FROM streams";
    for_each_snapshot(tx, sql, [], |tenant, stream, snapshot| {
        for key in snapshot.index_keys() {
            insert.execute(params![tenant, key.name.as_str(), key.value, stream])?;
        }
        Ok(())
    })
}
