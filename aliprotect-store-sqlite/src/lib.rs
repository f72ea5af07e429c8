//! # aliprotect-store-sqlite
//!
//! The durable [`Store`](aliprotect_core::store::Store) of aliprotect on one embedded SQLite file: no server, crash-safe,
//! and close to SQLite's own speed.
//!
//! ```
//! use aliprotect_core::ids::{RightId, TenantId};
//! use aliprotect_core::store::{StreamId, prelude::*};
//! use aliprotect_store_sqlite::SqliteStore;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let dir = std::env::temp_dir().join(format!("aliprotect-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let store = SqliteStore::open(dir.join("enforcement.sqlite")).unwrap();
//! let loaded = store.load(TenantId::new(), StreamId::Right(RightId::new())).await.unwrap();
//! assert!(loaded.is_none());
//! # drop(store); std::fs::remove_dir_all(dir).unwrap();
//! # });
//! ```
//!
//! How it works:
//! - WAL mode, a busy timeout, `synchronous = NORMAL` by default ([`Durability::Full`] on
//!   request).
//! - One writer connection on its own thread. Commits that arrive while a transaction runs
//!   are committed together in the next one (group commit), each checked against its own
//!   expected version and answered with its own result; [`EventLog::commit_batch`] sends
//!   thousands at once for bulk filing. When the writer is idle and durability is NORMAL, a
//!   commit of a few streams is made on the caller's thread instead (tens of microseconds of
//!   WAL writes, never a wait: a write lock held by another process sends it to the writer).
//! - Reads run on a small pool of reader connections through `spawn_blocking`, so the tokio
//!   runtime is never blocked; recently committed snapshots are served from memory.
//! - One row per stream holds its snapshot, read-model columns and timers; dashboard counts
//!   by status are counters kept by the writer; indexes serve every other query.
//! - The schema is versioned with `PRAGMA user_version`; a file from a newer build, a file
//!   that is not SQLite, or a path that cannot be opened is an [`OpenError`].
#![deny(missing_docs)]

mod backfill;
mod checkpoint;
mod claims;
mod codec;
#[cfg(test)]
mod migration_tests;
mod party_streams;
mod prepare;
mod queries;
mod schema;
mod tallies;
mod transfer;
mod unique_keys;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread::JoinHandle;
use std::time::Duration as StdDuration;

use aliprotect_core::ids::{CampaignId, TenantId, WorkerId};
use aliprotect_core::metrics::Tallies;
use aliprotect_core::notify::MessageId;
use aliprotect_core::store::{
    Claim, Commit, CountQuery, DeadLetter, Due, EventLog, Find, IdempotencyKey, Loaded, Outbox,
    OutboxMessage, ReadModel, Schedule, Settlement, Snapshot, SnapshotCache, StatusCount,
    StoreError, StoredEvent, StoredReceipt, StreamId, Timer, TimerPage, WorkId,
};
use async_trait::async_trait;
use parking_lot::Mutex;
use rusqlite::Connection;
use tokio::sync::oneshot;

pub use schema::{Durability, OpenError, SCHEMA_VERSION};
pub use transfer::BackupError;

use prepare::Prepared;
use writer::Job;

/// Settings of a [`SqliteStore`]; the defaults suit most embedders. Start from
/// `SqliteOptions::default()` and set the fields to change (new settings may be added).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// How hard a commit insists on reaching the disk.
    pub durability: Durability,
    /// How long a connection waits for a lock held by another process before failing.
    pub busy_timeout: StdDuration,
    /// Snapshots kept in memory for loads (about 1-2 KiB each); 0 disables the cache.
    pub cache_capacity: usize,
    /// Reader connections kept open.
    pub readers: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            durability: Durability::Normal,
            busy_timeout: StdDuration::from_secs(5),
            cache_capacity: 20_000,
            readers: 4,
        }
    }
}

struct Shared {
    path: PathBuf,
    options: SqliteOptions,
    /// `None` for a private in-memory database: reads then go through the writer.
    pool: Option<Mutex<Vec<Connection>>>,
    cache: Arc<SnapshotCache>,
    jobs: Mutex<Option<Sender<Job>>>,
    /// Jobs sent to the writer and not yet taken.
    queued: Arc<AtomicUsize>,
    /// The writer's connection: the writer thread's, lent to a caller that commits while
    /// the writer has nothing to do.
    connection: Arc<Mutex<Connection>>,
    /// Tells the checkpointer of a commit made by a caller.
    wrote: Mutex<Option<Arc<checkpoint::Wrote>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    /// The background checkpointer, for a file; it stops after the writer.
    checkpointer: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Closing the channel ends the writer after the jobs already queued.
        self.jobs.lock().take();
        self.wrote.lock().take();
        if let Some(writer) = self.writer.lock().take()
            && writer.join().is_err()
        {
            tracing::error!("the SQLite writer thread panicked");
        }
        if let Some(checkpointer) = self.checkpointer.lock().take()
            && checkpointer.join().is_err()
        {
            tracing::error!("the SQLite checkpoint thread panicked");
        }
    }
}

/// Most commits made on the caller's thread at once (see `SqliteStore::commit_in_place`).
const IN_PLACE_MAX: usize = 4;

/// The SQLite store. Cheap to clone; clones share the file, the writer and the cache.
#[derive(Clone)]
pub struct SqliteStore {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.shared.path)
            .field("options", &self.shared.options)
            .finish()
    }
}

pub(crate) fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

fn writer_gone() -> StoreError {
    StoreError::Unavailable("the SQLite writer thread has stopped".into())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens the database file at `path`.
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, OpenError> {
        let path = path.as_ref().to_owned();
        let mut writer = schema::connect(
            &path,
            options.durability,
            options.busy_timeout,
            schema::WRITER_CACHE_KIB,
        )?;
        schema::migrate(&mut writer, &path)?;
        writer
            .pragma_update(
                None,
                "wal_autocheckpoint",
                checkpoint::WRITER_AUTOCHECKPOINT_PAGES,
            )
            .map_err(|source| OpenError::Setup {
                path: path.clone(),
                source,
            })?;
        let reader = || {
            schema::connect(
                &path,
                options.durability,
                options.busy_timeout,
                schema::READER_CACHE_KIB,
            )
        };
        let readers = (0..options.readers)
            .map(|_| reader())
            .collect::<Result<Vec<_>, _>>()?;
        let checkpointer = checkpoint::spawn(reader()?).map_err(OpenError::Thread)?;
        Self::start(path, options, writer, Some(readers), Some(checkpointer))
    }

    /// A private database in memory: for tests, or an embedder that wants SQLite's
    /// behaviour without a file. Reads go through the writer connection.
    pub fn in_memory() -> Result<Self, OpenError> {
        let path = PathBuf::from(":memory:");
        let options = SqliteOptions::default();
        let mut writer = schema::connect(
            &path,
            options.durability,
            options.busy_timeout,
            schema::WRITER_CACHE_KIB,
        )?;
        schema::migrate(&mut writer, &path)?;
        Self::start(path, options, writer, None, None)
    }

    fn start(
        path: PathBuf,
        options: SqliteOptions,
        writer: Connection,
        readers: Option<Vec<Connection>>,
        checkpointer: Option<(checkpoint::Wrote, JoinHandle<()>)>,
    ) -> Result<Self, OpenError> {
        let cache = Arc::new(SnapshotCache::new(options.cache_capacity));
        let (jobs, receiver) = mpsc::channel();
        let writer_cache = Arc::clone(&cache);
        let (wrote, checkpointer) = checkpointer.unzip();
        let wrote = wrote.map(Arc::new);
        let connection = Arc::new(Mutex::new(writer));
        let queued = Arc::new(AtomicUsize::new(0));
        let handle = {
            let (connection, queued, wrote) =
                (Arc::clone(&connection), Arc::clone(&queued), wrote.clone());
            std::thread::Builder::new()
                .name("aliprotect-sqlite-writer".to_owned())
                .spawn(move || writer::run(connection, receiver, queued, writer_cache, wrote))
                .map_err(OpenError::Thread)?
        };
        Ok(Self {
            shared: Arc::new(Shared {
                path,
                options,
                pool: readers.map(Mutex::new),
                cache,
                jobs: Mutex::new(Some(jobs)),
                queued,
                connection,
                wrote: Mutex::new(wrote),
                writer: Mutex::new(Some(handle)),
                checkpointer: Mutex::new(checkpointer),
            }),
        })
    }

    /// The database file's path (`:memory:` for [`SqliteStore::in_memory`]).
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    fn send(&self, job: Job) -> Result<(), StoreError> {
        match self.shared.jobs.lock().as_ref() {
            Some(jobs) => {
                self.shared.queued.fetch_add(1, Ordering::SeqCst);
                jobs.send(job).map_err(|_| writer_gone())
            }
            None => Err(writer_gone()),
        }
    }

    /// Runs `work` on the writer connection in a transaction of its own.
    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Run(Box::new(move |connection| {
            let result = connection
                .transaction()
                .map_err(unavailable)
                .and_then(|tx| {
                    let value = work(&tx)?;
                    tx.commit().map_err(unavailable)?;
                    Ok(value)
                });
            let _ = reply.send(result);
        })))?;
        answer.await.map_err(|_| writer_gone())?
    }

    /// Commits `items` on the caller's thread when that is cheaper than handing them to the
    /// writer: a few commits, nothing queued for the writer, its connection free, the
    /// database's write lock free at once, and durability NORMAL (a commit then writes the
    /// WAL without waiting for the disk: tens of microseconds of the caller's thread, where
    /// the hand-off to the writer thread and back cost as much again). Otherwise the items
    /// come back, unwritten.
    fn commit_in_place(&self, items: writer::Items) -> Result<writer::Results, writer::Items> {
        let shared = &self.shared;
        if items.len() > IN_PLACE_MAX
            || shared.options.durability != Durability::Normal
            || shared.queued.load(Ordering::SeqCst) > 0
        {
            return Err(items);
        }
        let Some(mut connection) = shared.connection.try_lock() else {
            return Err(items);
        };
        let results = writer::commit_now(
            &mut connection,
            items,
            &shared.cache,
            shared.options.busy_timeout,
        )?;
        drop(connection);
        if let Some(wrote) = shared.wrote.lock().as_ref() {
            wrote.signal();
        }
        Ok(results)
    }

    /// Whether `version` is still the stream's stored version. Another handle or process
    /// may have committed since a snapshot was cached, so the cache is a hint checked here,
    /// never the answer. The check is one point read of an indexed row, done in place: it
    /// costs less than handing it to a blocking thread would.
    fn is_current(
        &self,
        tenant: TenantId,
        stream: StreamId,
        version: u64,
    ) -> Result<bool, StoreError> {
        let Some(pool) = &self.shared.pool else {
            // A private in-memory database has no other handle: its cache is exact.
            return Ok(true);
        };
        let Some(connection) = pool.lock().pop() else {
            // Every reader is busy: let the caller read the row in full instead.
            return Ok(false);
        };
        let stored = queries::version(&connection, tenant, stream);
        pool.lock().push(connection);
        Ok(stored? == Some(version))
    }

    /// Runs `work` on a reader connection, off the async runtime.
    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        if self.shared.pool.is_none() {
            return self.write(move |tx| work(tx)).await;
        }
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || {
            let pool = shared.pool.as_ref().ok_or_else(writer_gone)?;
            let taken = pool.lock().pop();
            let connection = match taken {
                Some(connection) => connection,
                None => schema::connect(
                    &shared.path,
                    shared.options.durability,
                    shared.options.busy_timeout,
                    schema::READER_CACHE_KIB,
                )
                .map_err(unavailable)?,
            };
            let result = work(&connection);
            let mut pool = pool.lock();
            if pool.len() < shared.options.readers {
                pool.push(connection);
            }
            result
        })
        .await
        .map_err(unavailable)?
    }
}

#[async_trait]
impl EventLog for SqliteStore {
    async fn load(&self, tenant: TenantId, stream: StreamId) -> Result<Option<Loaded>, StoreError> {
        if let Some(loaded) = self.shared.cache.get(tenant, stream)
            && self.is_current(tenant, stream, loaded.version)?
        {
            return Ok(Some(loaded));
        }
        let loaded = self
            .read(move |connection| queries::load(connection, tenant, stream))
            .await?;
        if let Some(loaded) = &loaded {
            self.shared
                .cache
                .put(tenant, stream, loaded.version, loaded.snapshot.clone());
        }
        Ok(loaded)
    }

    async fn load_many(
        &self,
        keys: &[(TenantId, StreamId)],
    ) -> Result<Vec<Option<Loaded>>, StoreError> {
        let wanted: Vec<((TenantId, StreamId), Option<Loaded>)> = keys
            .iter()
            .map(|&(tenant, stream)| ((tenant, stream), self.shared.cache.get(tenant, stream)))
            .collect();
        // One read transaction on one reader: a cached snapshot costs a version lookup,
        // and the rest one row each, all of one moment.
        let loaded = self
            .read(move |connection| {
                let read = match connection.is_autocommit() {
                    true => Some(connection.unchecked_transaction().map_err(unavailable)?),
                    false => None,
                };
                let mut loaded = Vec::with_capacity(wanted.len());
                for ((tenant, stream), cached) in wanted {
                    loaded.push(match cached {
                        Some(cached)
                            if queries::version(connection, tenant, stream)?
                                == Some(cached.version) =>
                        {
                            Some(cached)
                        }
                        _ => queries::load(connection, tenant, stream)?,
                    });
                }
                drop(read);
                Ok(loaded)
            })
            .await?;
        for (&(tenant, stream), loaded) in keys.iter().zip(&loaded) {
            if let Some(loaded) = loaded {
                self.shared
                    .cache
                    .put(tenant, stream, loaded.version, loaded.snapshot.clone());
            }
        }
        Ok(loaded)
    }

    async fn load_to_decide(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Option<Loaded>, StoreError> {
        // Unchecked: the commit's version check, or the engine's exact reload before a
        // refusal, catches a snapshot another handle has made stale.
        match self.shared.cache.get(tenant, stream) {
            Some(loaded) => Ok(Some(loaded)),
            None => self.load(tenant, stream).await,
        }
    }

    async fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        let mut results = self.commit_batch(vec![commit]).await;
        results.pop().unwrap_or_else(|| Err(writer_gone()))
    }

    async fn commit_batch(&self, commits: Vec<Commit>) -> Vec<Result<(), StoreError>> {
        // Encoding is the caller's work: hand the writer each chunk as soon as it is encoded,
        // so the writer commits one chunk while the next is being encoded. Chunks that queue
        // up meanwhile are committed in one transaction anyway (group commit).
        const CHUNK: usize = 1_000;
        let total = commits.len();
        let mut commits = commits.into_iter();
        let mut answers = Vec::new();
        loop {
            let mut items: Vec<_> = commits.by_ref().take(CHUNK).map(Prepared::new).collect();
            if items.is_empty() {
                break;
            }
            if answers.is_empty() && items.len() == total {
                match self.commit_in_place(items) {
                    Ok(results) => return results,
                    Err(unwritten) => items = unwritten,
                }
            }
            let count = items.len();
            let (reply, answer) = oneshot::channel();
            let sent = self.send(Job::Commit { items, reply });
            answers.push((count, sent.map(|()| answer)));
        }
        let mut results = Vec::with_capacity(total);
        for (count, answer) in answers {
            match answer {
                Ok(answer) => match answer.await {
                    Ok(chunk) => results.extend(chunk),
                    Err(_) => results.extend((0..count).map(|_| Err(writer_gone()))),
                },
                Err(error) => {
                    let message = error.to_string();
                    results.extend(
                        (0..count).map(|_| Err(StoreError::Unavailable(message.clone().into()))),
                    );
                }
            }
        }
        results
    }

    async fn receipt(
        &self,
        tenant: TenantId,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredReceipt>, StoreError> {
        let key = key.clone();
        self.read(move |connection| queries::receipt(connection, tenant, &key))
            .await
    }

    async fn stream_keys(
        &self,
        after: Option<(TenantId, StreamId)>,
        limit: usize,
    ) -> Result<Vec<(TenantId, StreamId)>, StoreError> {
        self.read(move |connection| queries::stream_keys(connection, after, limit))
            .await
    }

    async fn history(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.read(move |connection| queries::history(connection, tenant, stream))
            .await
    }
}

#[async_trait]
impl Schedule for SqliteStore {
    async fn claim_due(&self, claim: Claim) -> Result<Due, StoreError> {
        // One write transaction for both: one lock taken per tick, not two.
        self.write(move |tx| {
            Ok(Due {
                timers: claims::claim_timers(tx, claim)?,
                work: claims::claim_work(tx, claim)?,
            })
        })
        .await
    }

    async fn complete_work(&self, id: &WorkId, owner: WorkerId) -> Result<bool, StoreError> {
        let id = *id;
        self.write(move |tx| claims::complete_work(tx, &id, owner))
            .await
    }

    async fn pending_timers(
        &self,
        tenant: TenantId,
        page: &TimerPage,
    ) -> Result<Option<Vec<Timer>>, StoreError> {
        let page = *page;
        self.read(move |connection| queries::pending_timers(connection, tenant, &page))
            .await
            .map(Some)
    }

    async fn count_pending_timers(&self, tenant: TenantId) -> Result<Option<u64>, StoreError> {
        self.read(move |connection| queries::count_pending_timers(connection, tenant))
            .await
            .map(Some)
    }
}

#[async_trait]
impl Outbox for SqliteStore {
    async fn claim_outbox(&self, claim: Claim) -> Result<Vec<OutboxMessage>, StoreError> {
        self.write(move |tx| claims::claim_outbox(tx, claim)).await
    }

    async fn settle_outbox(
        &self,
        id: &MessageId,
        settlement: Settlement,
    ) -> Result<bool, StoreError> {
        let id = id.clone();
        self.write(move |tx| claims::settle_outbox(tx, &id, settlement))
            .await
    }

    /// One write transaction for the whole batch.
    async fn settle_outbox_batch(
        &self,
        settlements: Vec<(MessageId, Settlement)>,
    ) -> Result<Vec<bool>, StoreError> {
        if settlements.is_empty() {
            return Ok(Vec::new());
        }
        self.write(move |tx| {
            settlements
                .into_iter()
                .map(|(id, settlement)| claims::settle_outbox(tx, &id, settlement))
                .collect()
        })
        .await
    }

    async fn dead_letters(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        self.read(move |connection| claims::dead_letters(connection, tenant, limit))
            .await
    }

    async fn pending_outbox(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Option<Vec<OutboxMessage>>, StoreError> {
        self.read(move |connection| claims::pending_outbox(connection, tenant, limit))
            .await
            .map(Some)
    }
}

#[async_trait]
impl ReadModel for SqliteStore {
    async fn find(
        &self,
        tenant: TenantId,
        query: &Find,
    ) -> Result<Vec<(StreamId, Snapshot)>, StoreError> {
        let query = query.clone();
        self.read(move |connection| queries::find(connection, tenant, &query))
            .await
    }

    async fn count(
        &self,
        tenant: TenantId,
        query: &CountQuery,
    ) -> Result<Vec<StatusCount>, StoreError> {
        let (kind, by) = (query.kind, query.by);
        self.read(move |connection| queries::count(connection, tenant, kind, by))
            .await
    }

    async fn metric_tallies(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<Tallies, StoreError> {
        self.read(move |connection| tallies::read(connection, tenant, campaign))
            .await
    }
}
