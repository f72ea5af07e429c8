//! The generic index of schema 8: every stream's keys, as the core computes them from its
//! snapshot, filled in for files written before it.

use aliprotect_core::store::Snapshot;
use rusqlite::{Transaction, params};

use crate::codec;

/// Fills the index from every stream's snapshot. A row whose snapshot cannot be read keeps
/// no key (it is reported as corrupt when read, as before).
pub(crate) fn backfill(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut statement = tx.prepare("SELECT tenant, stream, snapshot FROM streams")?;
    let mut rows = statement.query([])?;
    let mut insert = tx.prepare(
        "INSERT INTO stream_index(tenant, name, value, stream) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO NOTHING",
    )?;
    while let Some(row) = rows.next()? {
        let tenant: Vec<u8> = row.get(0)?;
        let stream: Vec<u8> = row.get(1)?;
        let json: String = row.get(2)?;
        let keys = match codec::from_json::<Snapshot>("snapshot", &json) {
            Ok(snapshot) => snapshot.index_keys(),
            Err(error) => {
                tracing::warn!(%error, "stream row holds no readable snapshot; not indexed");
                continue;
            }
        };
        for key in keys {
            insert.execute(params![tenant, key.name.as_str(), key.value, stream])?;
        }
    }
    Ok(())
}
