//! Unique keys (one open complaint per listing and tenant): checked and written by the
//! writer inside each commit's transaction, so a key is taken by at most one stream
//! whichever process commits.

use aliprotect_core::store::{Commit, Snapshot, StoreError, UniqueKey};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::codec;

/// The first key `commit` takes that another stream of its tenant holds, with the holder.
pub(crate) fn taken(
    tx: &Transaction<'_>,
    tenant: &[u8],
    stream: &[u8],
    commit: &Commit,
) -> Result<Option<StoreError>, rusqlite::Error> {
    for key in &commit.unique.take {
        let holder: Option<Vec<u8>> = tx
            .prepare_cached("SELECT stream FROM unique_keys WHERE tenant = ?1 AND key = ?2")?
            .query_row(params![tenant, key.as_str()], |row| row.get(0))
            .optional()?;
        if let Some(holder) = holder.filter(|holder| holder != stream) {
            return Ok(Some(match codec::stream_of(&holder) {
                Ok(holder) => StoreError::UniqueKeyTaken {
                    key: key.clone(),
                    holder,
                },
                Err(corrupt) => corrupt,
            }));
        }
    }
    Ok(None)
}

/// Takes and releases the keys of a commit that was written.
pub(crate) fn write(
    tx: &Transaction<'_>,
    tenant: &[u8],
    stream: &[u8],
    commit: &Commit,
) -> Result<(), rusqlite::Error> {
    for key in &commit.unique.release {
        tx.prepare_cached(
            "DELETE FROM unique_keys WHERE tenant = ?1 AND key = ?2 AND stream = ?3",
        )?
        .execute(params![tenant, key.as_str(), stream])?;
    }
    for key in &commit.unique.take {
        tx.prepare_cached(
            "INSERT INTO unique_keys(tenant, key, stream) VALUES (?1, ?2, ?3)
             ON CONFLICT(tenant, key) DO NOTHING",
        )?
        .execute(params![tenant, key.as_str(), stream])?;
    }
    Ok(())
}

/// Fills the unique keys of a file that had none: every stream's keys as its snapshot
/// holds them. Where two open complaints of a tenant share a listing (filed before the rule
/// was enforced), the one of the smaller id keeps the key; the other still ends as usual.
pub(crate) fn backfill(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut statement =
        tx.prepare("SELECT tenant, stream, snapshot FROM streams WHERE kind = ?1 ORDER BY stream")?;
    let mut rows = statement.query(params![codec::KIND_COMPLAINT])?;
    let mut insert = tx.prepare(
        "INSERT INTO unique_keys(tenant, key, stream) VALUES (?1, ?2, ?3)
         ON CONFLICT(tenant, key) DO NOTHING",
    )?;
    while let Some(row) = rows.next()? {
        let tenant: Vec<u8> = row.get(0)?;
        let stream: Vec<u8> = row.get(1)?;
        let json: String = row.get(2)?;
        let keys: Vec<UniqueKey> = match codec::from_json::<Snapshot>("complaint snapshot", &json) {
            Ok(snapshot) => snapshot.unique_keys(),
            Err(error) => {
                tracing::warn!(%error, "complaint row holds no readable snapshot; no unique key");
                continue;
            }
        };
        for key in keys {
            insert.execute(params![tenant, key.as_str(), stream])?;
        }
    }
    Ok(())
}
