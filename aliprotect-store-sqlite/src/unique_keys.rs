//! Unique keys (one open complaint per listing and tenant): checked and written by the
//! writer inside each commit's transaction, so a key is taken by at most one stream
//! whichever process commits.

use aliprotect_core::store::{Commit, StoreError, UniqueKey};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::codec;

/// Takes the keys `commit` takes, first of its writes: a key another stream of the tenant
/// holds refuses the commit (naming the holder) with nothing taken; a key this stream holds
/// stays. Inserting first and looking only on a conflict costs one B-tree search per key,
/// not two. Returns the keys newly taken, for [`untake`] should a later check refuse the
/// commit.
pub(crate) fn take<'c>(
    tx: &Transaction<'_>,
    tenant: &[u8],
    stream: &[u8],
    commit: &'c Commit,
) -> Result<Result<Vec<&'c UniqueKey>, StoreError>, rusqlite::Error> {
    let mut taken = Vec::with_capacity(commit.unique.take.len());
    for key in &commit.unique.take {
        let inserted = tx
            .prepare_cached(
                "INSERT INTO unique_keys(tenant, key, stream) VALUES (?1, ?2, ?3)
                 ON CONFLICT(tenant, key) DO NOTHING",
            )?
            .execute(params![tenant, key.as_str(), stream])?;
        if inserted == 1 {
            taken.push(key);
            continue;
        }
        let holder: Option<Vec<u8>> = tx
            .prepare_cached("SELECT stream FROM unique_keys WHERE tenant = ?1 AND key = ?2")?
            .query_row(params![tenant, key.as_str()], |row| row.get(0))
            .optional()?;
        if let Some(holder) = holder.filter(|holder| holder != stream) {
            untake(tx, tenant, &taken)?;
            return Ok(Err(match codec::stream_of(&holder) {
                Ok(holder) => StoreError::UniqueKeyTaken {
                    key: key.clone(),
                    holder,
                },
                Err(corrupt) => corrupt,
            }));
        }
    }
    Ok(Ok(taken))
}

/// Gives back keys [`take`] took for a commit refused afterwards.
pub(crate) fn untake(
    tx: &Transaction<'_>,
    tenant: &[u8],
    taken: &[&UniqueKey],
) -> Result<(), rusqlite::Error> {
    for key in taken {
        tx.prepare_cached("DELETE FROM unique_keys WHERE tenant = ?1 AND key = ?2")?
            .execute(params![tenant, key.as_str()])?;
    }
    Ok(())
}

/// Releases the keys a written commit releases (those this stream holds).
pub(crate) fn release(
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
    Ok(())
}
