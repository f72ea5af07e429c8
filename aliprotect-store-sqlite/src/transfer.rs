//! Copying the file's data out and in ([`Transfer`]), and a consistent copy of the live file
//! ([`SqliteStore::backup_to`]).
//!
//! An export reads a page of stream rows and everything kept under them in one read
//! transaction, so the page is one consistent view. An import is one write transaction on
//! the writer: each stream is looked up first (present at the same version and snapshot:
//! skipped; otherwise a typed error and nothing of the page written), then written with its
//! events, keys, timers (unclaimed), messages and work, and the status counters and metric
//! tallies move for the new streams as the migration that created the tallies counts a
//! file's complaints (`tallies::backfill`): one [`MetricsChange`] from nothing per complaint,
//! summed in [`TallyChanges`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use aliprotect_core::ids::{TenantId, WorkerId};
use aliprotect_core::notify::{MessageId, Notification};
use aliprotect_core::store::{
    DeadLetter, FollowUpWork, IdempotencyKey, ImportReport, IndexKey, IndexName, Lease,
    OutboxMessage, PendingWork, Receipt, ReceiptExport, RequestFingerprint, Snapshot, StoreError,
    StoredReceipt, StreamExport, StreamId, Transfer, UniqueKey, WorkId, possible_keys,
};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use uuid::Uuid;

use crate::tallies::TallyChanges;
use crate::{SqliteStore, codec, queries, unavailable};

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn version_of(location: &str, n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| codec::corrupt(location, n))
}

fn worker_of(bytes: &[u8]) -> Result<WorkerId, StoreError> {
    Uuid::from_slice(bytes)
        .map(WorkerId::from_uuid)
        .map_err(|e| codec::corrupt("lease owner", e))
}

/// Everything kept under the streams `keys` name, read on one connection.
fn export(
    connection: &Connection,
    keys: &[(TenantId, StreamId)],
) -> Result<Vec<StreamExport>, StoreError> {
    let mut exports = Vec::with_capacity(keys.len());
    let mut stream_row = connection
        .prepare_cached(
            "SELECT version, snapshot, timers FROM streams WHERE tenant = ?1 AND stream = ?2",
        )
        .map_err(unavailable)?;
    let mut index = connection
        .prepare_cached("SELECT name, value FROM stream_index WHERE tenant = ?1 AND stream = ?2")
        .map_err(unavailable)?;
    let mut unique = connection
        .prepare_cached("SELECT key FROM unique_keys WHERE tenant = ?1 AND stream = ?2")
        .map_err(unavailable)?;
    let mut index_point = connection
        .prepare_cached(
            "SELECT 1 FROM stream_index WHERE tenant = ?1 AND name = ?2 AND value = ?3
                 AND stream = ?4",
        )
        .map_err(unavailable)?;
    let mut unique_point = connection
        .prepare_cached("SELECT stream FROM unique_keys WHERE tenant = ?1 AND key = ?2")
        .map_err(unavailable)?;
    let mut outbox = connection
        .prepare_cached(
            "SELECT version, message, attempts, available_at, dead_error, lease_owner IS NOT NULL
             FROM outbox WHERE tenant = ?1 AND stream = ?2 ORDER BY version",
        )
        .map_err(unavailable)?;
    let mut work = connection
        .prepare_cached(
            "SELECT version, work, lease_owner, lease_until FROM work
             WHERE tenant = ?1 AND stream = ?2 ORDER BY version",
        )
        .map_err(unavailable)?;
    for &(tenant, stream) in keys {
        let (t, s) = (codec::tenant_key(tenant), codec::stream_key(stream));
        let location = format!("stream {stream}");
        let row: Option<(i64, String, Option<String>)> = stream_row
            .query_row(params![&t[..], &s[..]], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .optional()
            .map_err(unavailable)?;
        // Gone since its key was read: it is in the next walk's view, or never was.
        let Some((version, snapshot, timers)) = row else {
            continue;
        };
        let snapshot: Snapshot = codec::from_json(&location, &snapshot)?;
        let timers = match timers {
            Some(json) => codec::decode_timers(tenant, stream, &json)?,
            None => Vec::new(),
        };
        let (keys, held) = match possible_keys(&snapshot) {
            // Point lookups of the keys the stream may have: the tables have no index by
            // stream.
            Some((candidates, unique_candidates)) => {
                let mut keys = Vec::with_capacity(candidates.len());
                for key in candidates {
                    let found = index_point
                        .exists(params![&t[..], key.name.as_str(), key.value, &s[..]])
                        .map_err(unavailable)?;
                    if found {
                        keys.push(key);
                    }
                }
                let mut held = Vec::new();
                for key in unique_candidates {
                    let holder: Option<Vec<u8>> = unique_point
                        .query_row(params![&t[..], key.as_str()], |row| row.get(0))
                        .optional()
                        .map_err(unavailable)?;
                    if holder.is_some_and(|holder| holder[..] == s[..]) {
                        held.push(key);
                    }
                }
                (keys, held)
            }
            // An extension kind's keys: only a scan of the tenant's keys finds them.
            None => {
                let mut keys = Vec::new();
                let mut rows = index.query(params![&t[..], &s[..]]).map_err(unavailable)?;
                while let Some(row) = rows.next().map_err(unavailable)? {
                    let (name, value): (String, String) = (
                        row.get(0).map_err(unavailable)?,
                        row.get(1).map_err(unavailable)?,
                    );
                    let name = IndexName::stored(&name)
                        .ok_or_else(|| codec::corrupt("stream_index", format!("name {name:?}")))?;
                    keys.push(IndexKey::new(name, value));
                }
                let mut held = Vec::new();
                let mut rows = unique.query(params![&t[..], &s[..]]).map_err(unavailable)?;
                while let Some(row) = rows.next().map_err(unavailable)? {
                    let key: String = row.get(0).map_err(unavailable)?;
                    held.push(UniqueKey::from_stored(key));
                }
                (keys, held)
            }
        };
        let (mut messages, mut claimed, mut dead) = (Vec::new(), Vec::new(), Vec::new());
        let mut rows = outbox.query(params![&t[..], &s[..]]).map_err(unavailable)?;
        while let Some(row) = rows.next().map_err(unavailable)? {
            let get = |e| unavailable(e);
            let version = version_of("outbox", row.get(0).map_err(get)?)?;
            let notification: Notification =
                codec::from_json("outbox message", &row.get::<_, String>(1).map_err(get)?)?;
            let attempts: i64 = row.get(2).map_err(get)?;
            let message = OutboxMessage {
                id: MessageId {
                    tenant,
                    stream,
                    version,
                },
                notification,
                attempts: u32::try_from(attempts).map_err(|e| codec::corrupt("outbox", e))?,
                available_at: codec::instant(row.get(3).map_err(get)?)?,
            };
            let error: Option<String> = row.get(4).map_err(get)?;
            let held: bool = row.get(5).map_err(get)?;
            match error {
                Some(error) => dead.push(DeadLetter { message, error }),
                None => {
                    if held {
                        claimed.push(version);
                    }
                    messages.push(message);
                }
            }
        }
        let mut pending = Vec::new();
        let mut rows = work.query(params![&t[..], &s[..]]).map_err(unavailable)?;
        while let Some(row) = rows.next().map_err(unavailable)? {
            let get = |e| unavailable(e);
            let version = version_of("work", row.get(0).map_err(get)?)?;
            let follow_up: FollowUpWork =
                codec::from_json("pending work", &row.get::<_, String>(1).map_err(get)?)?;
            let owner: Vec<u8> = row.get(2).map_err(get)?;
            pending.push(PendingWork {
                id: WorkId {
                    tenant,
                    stream,
                    version,
                },
                follow_up,
                lease: Lease {
                    owner: worker_of(&owner)?,
                    until: codec::instant(row.get(3).map_err(get)?)?,
                },
            });
        }
        exports.push(
            StreamExport {
                tenant,
                stream,
                version: version_of(&location, version)?,
                snapshot,
                events: queries::history(connection, tenant, stream)?,
                index: keys,
                unique: held,
                timers,
                outbox: messages,
                claimed,
                dead_letters: dead,
                work: pending,
            }
            .canonical(),
        );
    }
    Ok(exports)
}

/// Up to `limit` receipts after `after`, in key order.
fn export_receipts(
    connection: &Connection,
    after: Option<(TenantId, IdempotencyKey)>,
    limit: usize,
) -> Result<Vec<ReceiptExport>, StoreError> {
    let (tenant, key) = match &after {
        Some((tenant, key)) => (codec::tenant_key(*tenant).to_vec(), key.as_str().to_owned()),
        None => (Vec::new(), String::new()),
    };
    let mut statement = connection
        .prepare_cached(
            "SELECT tenant, key, stream, version, events, request FROM receipts
             WHERE (tenant, key) > (?1, ?2) ORDER BY tenant, key LIMIT ?3",
        )
        .map_err(unavailable)?;
    let mut rows = statement
        .query(params![tenant, key, as_i64(limit as u64)])
        .map_err(unavailable)?;
    let mut receipts = Vec::new();
    while let Some(row) = rows.next().map_err(unavailable)? {
        let get = |e| unavailable(e);
        let tenant = codec::tenant_of(&row.get::<_, Vec<u8>>(0).map_err(get)?)?;
        let key = IdempotencyKey::new(row.get::<_, String>(1).map_err(get)?)
            .map_err(|e| codec::corrupt("receipts", e))?;
        let stream = codec::stream_of(&row.get::<_, Vec<u8>>(2).map_err(get)?)?;
        let version = version_of("receipts", row.get(3).map_err(get)?)?;
        let events: u32 = row.get(4).map_err(get)?;
        let request = match row.get::<_, Option<Vec<u8>>>(5).map_err(get)? {
            Some(bytes) => Some(
                RequestFingerprint::from_slice(&bytes)
                    .ok_or_else(|| codec::corrupt("receipts", "a fingerprint of another length"))?,
            ),
            None => None,
        };
        receipts.push(ReceiptExport {
            tenant,
            key,
            receipt: StoredReceipt {
                receipt: Receipt {
                    stream,
                    version,
                    events,
                },
                request,
            },
        });
    }
    Ok(receipts)
}

/// Whether the stream is present as exported (`true`: skip it), absent (`false`), or present
/// otherwise (an error).
fn present(tx: &Transaction<'_>, export: &StreamExport) -> Result<bool, StoreError> {
    let (t, s) = (
        codec::tenant_key(export.tenant),
        codec::stream_key(export.stream),
    );
    let row: Option<(i64, String)> = tx
        .prepare_cached("SELECT version, snapshot FROM streams WHERE tenant = ?1 AND stream = ?2")
        .and_then(|mut statement| {
            statement
                .query_row(params![&t[..], &s[..]], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()
        })
        .map_err(unavailable)?;
    let Some((version, json)) = row else {
        return Ok(false);
    };
    let version = version_of("streams", version)?;
    if version != export.version {
        return Err(StoreError::Conflict {
            stream: export.stream,
            expected: export.version,
            actual: version,
        });
    }
    let snapshot: Snapshot = codec::from_json("snapshot", &json)?;
    if snapshot != export.snapshot {
        return Err(StoreError::ImportMismatch {
            stream: export.stream,
            detail: "its snapshot differs".to_owned(),
        });
    }
    Ok(true)
}

/// Writes a stream that is not in the file, as exported.
fn write(
    tx: &Transaction<'_>,
    export: &StreamExport,
    counts: &mut HashMap<([u8; 16], i64, i64), i64>,
    tallies: &mut TallyChanges,
) -> Result<(), StoreError> {
    let (tenant, stream) = (export.tenant, export.stream);
    let (t, s) = (codec::tenant_key(tenant), codec::stream_key(stream));
    let sql = |e| unavailable(e);
    let status = codec::status_code(export.status());
    let kind = i64::from(codec::kind_of(&export.snapshot));
    let (timers, next_due) = codec::encode_timers(&export.timers)?;
    let snapshot = codec::to_json(&export.snapshot)?;
    tx.prepare_cached(
        "INSERT INTO streams(tenant, stream, version, kind, status, snapshot, timers, next_due)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            &t[..],
            &s[..],
            as_i64(export.version),
            kind,
            status,
            snapshot,
            timers,
            next_due
        ])
    })
    .map_err(sql)?;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO events(tenant, stream, version, type, schema, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(sql)?;
    for stored in &export.events {
        let event = codec::encode_event(&stored.event)?;
        insert
            .execute(params![
                &t[..],
                &s[..],
                as_i64(stored.version),
                event.type_name,
                aliprotect_core::store::DomainEvent::SCHEMA_VERSION,
                event.json
            ])
            .map_err(sql)?;
    }
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO stream_index(tenant, name, value, stream) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
        )
        .map_err(sql)?;
    for key in &export.index {
        insert
            .execute(params![&t[..], key.name.as_str(), key.value, &s[..]])
            .map_err(sql)?;
    }
    for key in &export.unique {
        let holder: Option<Vec<u8>> = tx
            .prepare_cached("SELECT stream FROM unique_keys WHERE tenant = ?1 AND key = ?2")
            .and_then(|mut st| {
                st.query_row(params![&t[..], key.as_str()], |row| row.get(0))
                    .optional()
            })
            .map_err(sql)?;
        match holder {
            Some(holder) if holder[..] != s[..] => {
                return Err(StoreError::UniqueKeyTaken {
                    key: key.clone(),
                    holder: codec::stream_of(&holder)?,
                });
            }
            Some(_) => {}
            None => {
                tx.prepare_cached(
                    "INSERT INTO unique_keys(tenant, key, stream) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut st| st.execute(params![&t[..], key.as_str(), &s[..]]))
                .map_err(sql)?;
            }
        }
    }
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO outbox(tenant, stream, version, message, attempts, available_at,
                 dead_error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(sql)?;
    let messages = export.outbox.iter().map(|m| (m, None)).chain(
        export
            .dead_letters
            .iter()
            .map(|d| (&d.message, Some(&d.error))),
    );
    for (message, error) in messages {
        insert
            .execute(params![
                &t[..],
                &s[..],
                as_i64(message.id.version),
                codec::to_json(&message.notification)?,
                message.attempts,
                codec::micros(message.available_at),
                error
            ])
            .map_err(sql)?;
    }
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO work(tenant, stream, version, work, lease_owner, lease_until)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(sql)?;
    for work in &export.work {
        insert
            .execute(params![
                &t[..],
                &s[..],
                as_i64(work.id.version),
                codec::to_json(&work.follow_up)?,
                &work.lease.owner.as_uuid().into_bytes()[..],
                codec::micros(work.lease.until)
            ])
            .map_err(sql)?;
    }
    *counts.entry((t, kind, status)).or_default() += 1;
    if let Some(change) = export.metrics() {
        tallies.record(t, &change);
    }
    Ok(())
}

/// Imports a page in the writer's transaction `tx`.
fn import(tx: &Transaction<'_>, streams: &[StreamExport]) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    let mut counts = HashMap::new();
    let mut tallies = TallyChanges::default();
    for export in streams {
        if present(tx, export)? {
            report.skipped += 1;
            continue;
        }
        write(tx, export, &mut counts, &mut tallies)?;
        report.imported += 1;
        report.events += export.version;
    }
    tallies.write(tx).map_err(unavailable)?;
    let mut upsert = tx
        .prepare_cached(
            "INSERT INTO status_counts(tenant, kind, status, n) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(tenant, kind, status) DO UPDATE SET n = n + excluded.n",
        )
        .map_err(unavailable)?;
    for ((tenant, kind, status), n) in counts {
        upsert
            .execute(params![&tenant[..], kind, status, n])
            .map_err(unavailable)?;
    }
    Ok(report)
}

fn import_receipts(
    tx: &Transaction<'_>,
    receipts: &[ReceiptExport],
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    for export in receipts {
        let t = codec::tenant_key(export.tenant);
        let present = queries::receipt(tx, export.tenant, &export.key)?;
        match present {
            Some(present) if present == export.receipt => {
                report.skipped += 1;
                continue;
            }
            Some(_) => return Err(StoreError::DuplicateIdempotencyKey(export.key.clone())),
            None => {}
        }
        let Receipt {
            stream,
            version,
            events,
        } = export.receipt.receipt;
        let request = export.receipt.request.map(|r| r.as_bytes().to_vec());
        tx.prepare_cached(
            "INSERT INTO receipts(tenant, key, stream, version, events, request)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut st| {
            st.execute(params![
                &t[..],
                export.key.as_str(),
                &codec::stream_key(stream)[..],
                as_i64(version),
                events,
                request
            ])
        })
        .map_err(unavailable)?;
        report.imported += 1;
    }
    Ok(report)
}

#[async_trait]
impl Transfer for SqliteStore {
    async fn export_streams(
        &self,
        after: Option<(TenantId, StreamId)>,
        limit: usize,
    ) -> Result<Vec<StreamExport>, StoreError> {
        self.read(move |connection| {
            // One read transaction: the page is one consistent view of the file (the
            // writer's connection of a private database is in one already).
            let own = connection.is_autocommit();
            if own {
                connection
                    .execute_batch("BEGIN DEFERRED")
                    .map_err(unavailable)?;
            }
            let page = queries::stream_keys(connection, after, limit)
                .and_then(|keys| export(connection, &keys));
            if own {
                connection.execute_batch("COMMIT").map_err(unavailable)?;
            }
            page
        })
        .await
    }

    async fn export_receipts(
        &self,
        after: Option<(TenantId, IdempotencyKey)>,
        limit: usize,
    ) -> Result<Vec<ReceiptExport>, StoreError> {
        self.read(move |connection| export_receipts(connection, after, limit))
            .await
    }

    async fn import_streams(&self, streams: &[StreamExport]) -> Result<ImportReport, StoreError> {
        for export in streams {
            export.check()?;
        }
        let streams = streams.to_vec();
        let report = self.write(move |tx| import(tx, &streams)).await?;
        Ok(report)
    }

    async fn import_receipts(
        &self,
        receipts: &[ReceiptExport],
    ) -> Result<ImportReport, StoreError> {
        let receipts = receipts.to_vec();
        self.write(move |tx| import_receipts(tx, &receipts)).await
    }
}

/// Why [`SqliteStore::backup_to`] made no backup.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// Something is already at the path: a backup never overwrites.
    #[error("{0} already exists; a backup never overwrites a file")]
    Exists(PathBuf),
    /// The store is a private database in memory: there is no file to back up.
    #[error("a private in-memory database has no file to back up")]
    InMemory,
    /// The path is not valid UTF-8, which SQLite needs to name the file.
    #[error("{0} is not a path SQLite can name (not UTF-8)")]
    Path(PathBuf),
    /// The live file could not be opened for reading.
    #[error(transparent)]
    Open(#[from] crate::OpenError),
    /// SQLite failed to write the backup (the partial file is removed).
    #[error("cannot back up to {path}: {source}")]
    Sqlite {
        /// Where the backup was being written.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The blocking task that writes the backup stopped.
    #[error("the backup task stopped: {0}")]
    Task(String),
}

impl SqliteStore {
    /// Writes a consistent copy of the database to a new file at `path`, while engines go
    /// on writing to this one: SQLite's `VACUUM INTO`, run by a connection of its own in
    /// one read transaction, so the copy is the file as of one instant (every commit that
    /// returned before the call, none half-written) and writers are never held up (WAL).
    /// The copy is compact and opens with [`SqliteStore::open`] like the original. Refuses
    /// a `path` where anything exists ([`BackupError::Exists`]); a backup that fails midway
    /// leaves no file behind.
    pub async fn backup_to(&self, path: impl AsRef<Path>) -> Result<(), BackupError> {
        let target = path.as_ref().to_owned();
        if self.shared.pool.is_none() {
            return Err(BackupError::InMemory);
        }
        if target.symlink_metadata().is_ok() {
            return Err(BackupError::Exists(target));
        }
        let Some(text) = target.to_str().map(str::to_owned) else {
            return Err(BackupError::Path(target));
        };
        let source = self.shared.path.clone();
        let options = self.shared.options.clone();
        let done = tokio::task::spawn_blocking(move || {
            let connection = crate::schema::connect(
                &source,
                options.durability,
                options.busy_timeout,
                crate::schema::READER_CACHE_KIB,
            )?;
            // VACUUM INTO itself refuses a file that is there and not empty, so one that
            // appeared since the check above is not overwritten either.
            if let Err(source) = connection.execute("VACUUM INTO ?1", params![text]) {
                if target.metadata().is_ok_and(|m| m.len() == 0) || !is_exists(&source) {
                    let _ = std::fs::remove_file(&target);
                }
                return Err(BackupError::Sqlite {
                    path: target,
                    source,
                });
            }
            tracing::info!(backup = %target.display(), "backed up the SQLite file");
            Ok(())
        })
        .await;
        done.unwrap_or_else(|join| Err(BackupError::Task(join.to_string())))
    }
}

/// Whether SQLite refused because the output file exists.
fn is_exists(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(_, Some(message)) if message.contains("exists"))
}
