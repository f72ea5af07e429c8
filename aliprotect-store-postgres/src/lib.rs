//! # aliprotect-store-postgres
//!
//! The [`Store`](aliprotect_core::store::Store) of aliprotect on PostgreSQL, for a firm that
//! has outgrown one machine: several engine processes, on several hosts, share one database
//! without losing or doubling anything.
//!
//! ```no_run
//! use aliprotect_core::ids::{RightId, TenantId};
//! use aliprotect_core::store::{StreamId, prelude::*};
//! use aliprotect_store_postgres::PostgresStore;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let store = PostgresStore::connect("postgresql://aliprotect@db.internal/enforcement").await?;
//! let loaded = store.load(TenantId::new(), StreamId::Right(RightId::new())).await?;
//! assert!(loaded.is_none());
//! # Ok(()) }
//! ```
//!
//! How it works:
//! - Every key carries the tenant: events have `PRIMARY KEY (tenant, kind, stream, version)`,
//!   one row per stream holds its version, snapshot and read-model columns, and counters and
//!   metric tallies are moved in the same transaction as the commit.
//! - A commit is one statement whose parts all hang on its version and idempotency-key
//!   checks: refused, it writes nothing. Group commit: commits that arrive while the writers
//!   are busy are written together by one statement over arrays, each answered with its own
//!   result; [`EventLog::commit_batch`] sends thousands at once. Serialization failures and
//!   deadlocks are retried with backoff; a version conflict is returned, never retried
//!   blindly.
//! - Due timers, outbox messages and pending work are claimed `FOR UPDATE SKIP LOCKED` with a
//!   lease that another engine takes over once it runs out. Only transaction-scoped locks
//!   are used, so a pooler in transaction mode is safe.
//! - Wake-ups: commits that leave work for others `NOTIFY`; [`PostgresStore::wake_ups`]
//!   gives what an idle worker waits on ([`WakeUps::PollOnly`] for poolers and databases
//!   without LISTEN).
//! - The schema is versioned in the database; a database of a newer build, a missing
//!   database, wrong credentials and an unreachable server are [`ConnectError`]s.
//!
//! [`test_server`] starts a throwaway PostgreSQL cluster for tests and benchmarks.
#![deny(missing_docs)]

mod batch;
mod claims;
mod connection_url;
mod error;
mod lone;
mod prepare;
mod queries;
mod schema;
#[cfg(test)]
mod statement_tests;
mod statements;
mod tallies;
pub mod test_server;
mod tls;
mod transfer;
mod wake;
mod writer;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use aliprotect_core::ids::{CampaignId, TenantId, WorkerId};
use aliprotect_core::metrics::Tallies;
use aliprotect_core::notify::MessageId;
use aliprotect_core::store::{
    Claim, Commit, CountQuery, DeadLetter, Due, EventLog, Find, IdempotencyKey, Loaded, Outbox,
    OutboxMessage, ReadModel, Schedule, Settlement, Snapshot, SnapshotCache, StatusCount,
    StoreError, StoredEvent, StoredReceipt, StreamId, Timer, TimerPage, WorkId,
};
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio::sync::{Mutex, Notify, mpsc, oneshot};

pub use error::ConnectError;
pub use schema::SCHEMA_VERSION;
pub use statements::Pooler;
pub use wake::WakeUps;

use connection_url::ConnectionUrl;
use error::unavailable;
use prepare::Prepared;
use queries::Fresh;
use statements::{Conn, Connections};
use writer::{Job, WriterContext};

/// Settings of a [`PostgresStore`]; the defaults suit most deployments. Start from
/// `PostgresOptions::default()` and set the fields to change (new settings may be added).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// Connections in the pool (reads, claims and the writers' transactions).
    pub pool_size: usize,
    /// Group-commit transactions in flight at once: while one waits for its flush, the next
    /// gathers the commits that arrive meanwhile.
    pub writers: usize,
    /// Snapshots kept in memory for deciding commands (about 1-2 KiB each); 0 disables it.
    pub cache_capacity: usize,
    /// Times a transaction is run again after a serialization failure or a deadlock.
    pub max_retries: u32,
    /// How long connecting to one host (unless the URL's `connect_timeout` says otherwise), or
    /// waiting for a free connection, may take.
    pub connect_timeout: Duration,
    /// How idle engines learn of new work. Behind a pooler in transaction mode it is
    /// [`WakeUps::PollOnly`] whatever it says here.
    pub wake_ups: WakeUps,
    /// What sits between the store and the server; the URL's `pooler=transaction` sets it.
    pub pooler: Pooler,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            pool_size: 16,
            writers: 2,
            cache_capacity: 20_000,
            max_retries: 8,
            connect_timeout: Duration::from_secs(10),
            wake_ups: WakeUps::Listen,
            pooler: Pooler::None,
        }
    }
}

struct Shared {
    connections: Connections,
    cache: Arc<SnapshotCache>,
    writers: Arc<WriterContext>,
    jobs: mpsc::UnboundedSender<Job>,
    wake: Arc<Notify>,
}

/// The PostgreSQL store. Cheap to clone; clones share the pool, the writers and the cache.
#[derive(Clone)]
pub struct PostgresStore {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("pool", &self.shared.connections.pool.status())
            .finish_non_exhaustive()
    }
}

fn writers_gone() -> StoreError {
    StoreError::Unavailable("the PostgreSQL store's writers have stopped".into())
}

impl PostgresStore {
    /// Connects to the database at `url` with default options, creating or migrating the
    /// schema. Must run inside a tokio runtime, whose tasks then run the writers and the
    /// wake-up listener.
    ///
    /// The URL is libpq's: `postgresql://user:password@host:port/database?parameters`,
    /// with several hosts as `host1:5432,host2:5432` (tried in turn; add
    /// `target_session_attrs=read-write` to skip a standby), and parameters such as
    /// `connect_timeout`, `application_name` and `options=-c%20statement_timeout%3D5s`.
    /// TLS: `sslmode` (`disable`, `prefer` (the default), `require`, `verify-ca`,
    /// `verify-full`), `sslrootcert` (a PEM file, or `system`; the platform's roots when
    /// absent), `sslcert` and `sslkey` (a client certificate). Behind a pooler in
    /// transaction mode (PgBouncer's `pool_mode = transaction`) add `pooler=transaction`,
    /// a parameter of ours that `psql` does not know: see [`Pooler::Transaction`].
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        Self::connect_with(url, PostgresOptions::default()).await
    }

    /// Connects to the database at `url` with `options`.
    pub async fn connect_with(url: &str, options: PostgresOptions) -> Result<Self, ConnectError> {
        let ConnectionUrl {
            mut config,
            tls,
            pooler,
        } = url.parse()?;
        let pooler = pooler.unwrap_or(options.pooler);
        let wake_ups = match pooler {
            Pooler::None => options.wake_ups,
            Pooler::Transaction => WakeUps::PollOnly,
        };
        let tls = tls::connector(&tls)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("aliprotect");
        }
        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(options.writers + 1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(options.connect_timeout))
            .create_timeout(Some(options.connect_timeout))
            .build()
            .map_err(|e| ConnectError::Unreachable(Box::new(e)))?;
        {
            let mut client = pool.get().await.map_err(ConnectError::from_pool)?;
            schema::migrate(&mut client).await?;
        }
        let cache = Arc::new(SnapshotCache::new(options.cache_capacity));
        let (jobs, receiver) = mpsc::unbounded_channel();
        let receiver = Arc::new(Mutex::new(receiver));
        let connections = Connections { pool, pooler };
        let context = Arc::new(WriterContext {
            connections: connections.clone(),
            cache: Arc::clone(&cache),
            max_retries: options.max_retries,
            notify: wake_ups == WakeUps::Listen,
            busy: AtomicUsize::new(0),
        });
        for _ in 0..options.writers.max(1) {
            tokio::spawn(writer::run(Arc::clone(&receiver), Arc::clone(&context)));
        }
        let wake = Arc::new(Notify::new());
        if wake_ups == WakeUps::Listen {
            wake::spawn_listener(config, tls, Arc::clone(&wake));
        }
        Ok(Self {
            shared: Arc::new(Shared {
                connections,
                cache,
                writers: context,
                jobs,
                wake,
            }),
        })
    }

    /// What an idle worker waits on: woken when another engine (or this one) commits work
    /// that can be taken up now. With [`WakeUps::PollOnly`] it is never woken; workers
    /// then find work at their poll interval. Give it to
    /// [`Jobs::spawn_worker`](aliprotect_core::engine::Jobs::spawn_worker).
    pub fn wake_ups(&self) -> Arc<Notify> {
        Arc::clone(&self.shared.wake)
    }

    async fn client(&self) -> Result<Conn, StoreError> {
        self.shared.connections.get().await.map_err(unavailable)
    }
}

#[async_trait]
impl EventLog for PostgresStore {
    async fn load(&self, tenant: TenantId, stream: StreamId) -> Result<Option<Loaded>, StoreError> {
        let cached = self.shared.cache.get(tenant, stream);
        let client = self.client().await?;
        let fresh =
            queries::load(&client, tenant, stream, cached.as_ref().map(|c| c.version)).await?;
        Ok(match fresh {
            Fresh::Missing => None,
            Fresh::Current => cached,
            Fresh::Newer(loaded) => {
                self.shared
                    .cache
                    .put(tenant, stream, loaded.version, loaded.snapshot.clone());
                Some(loaded)
            }
        })
    }

    /// One statement for them all; cached snapshots still current are not sent again.
    async fn load_many(
        &self,
        keys: &[(TenantId, StreamId)],
    ) -> Result<Vec<Option<Loaded>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let cached: Vec<Option<Loaded>> = keys
            .iter()
            .map(|(tenant, stream)| self.shared.cache.get(*tenant, *stream))
            .collect();
        let asked: Vec<(TenantId, StreamId, Option<u64>)> = keys
            .iter()
            .zip(&cached)
            .map(|((tenant, stream), cached)| {
                (*tenant, *stream, cached.as_ref().map(|c| c.version))
            })
            .collect();
        let fresh = queries::load_many(&self.client().await?, &asked).await?;
        Ok(fresh
            .into_iter()
            .zip(cached)
            .zip(keys)
            .map(|((fresh, cached), (tenant, stream))| match fresh {
                Fresh::Missing => None,
                Fresh::Current => cached,
                Fresh::Newer(loaded) => {
                    self.shared.cache.put(
                        *tenant,
                        *stream,
                        loaded.version,
                        loaded.snapshot.clone(),
                    );
                    Some(loaded)
                }
            })
            .collect())
    }

    async fn load_to_decide(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Option<Loaded>, StoreError> {
        // Unchecked: the commit's version check, or the engine's exact reload before a
        // refusal, catches a snapshot another process has made stale.
        match self.shared.cache.get(tenant, stream) {
            Some(loaded) => Ok(Some(loaded)),
            None => self.load(tenant, stream).await,
        }
    }

    async fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        let mut results = self.commit_batch(vec![commit]).await;
        results.pop().unwrap_or_else(|| Err(writers_gone()))
    }

    async fn commit_batch(&self, commits: Vec<Commit>) -> Vec<Result<(), StoreError>> {
        // Encoding is the caller's work: each chunk goes to the writers as soon as it is
        // encoded, and chunks that queue up meanwhile share a transaction.
        const CHUNK: usize = 1_000;
        let total = commits.len();
        let mut commits = commits.into_iter();
        let mut answers = Vec::new();
        loop {
            let items: Vec<_> = commits.by_ref().take(CHUNK).map(Prepared::new).collect();
            if items.is_empty() {
                break;
            }
            let count = items.len();
            if count == 1 && total == 1 {
                let written = writer::commit(&self.shared.writers, &self.shared.jobs, items);
                return written.await.unwrap_or_else(|| vec![Err(writers_gone())]);
            }
            let (reply, answer) = oneshot::channel();
            let sent = self.shared.jobs.send(Job { items, reply }).is_ok();
            answers.push((count, sent.then_some(answer)));
        }
        let mut results = Vec::with_capacity(total);
        for (count, answer) in answers {
            match answer {
                Some(answer) => match answer.await {
                    Ok(chunk) => results.extend(chunk),
                    Err(_) => results.extend((0..count).map(|_| Err(writers_gone()))),
                },
                None => results.extend((0..count).map(|_| Err(writers_gone()))),
            }
        }
        results
    }

    async fn receipt(
        &self,
        tenant: TenantId,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredReceipt>, StoreError> {
        queries::receipt(&self.client().await?, tenant, key).await
    }

    async fn stream_keys(
        &self,
        after: Option<(TenantId, StreamId)>,
        limit: usize,
    ) -> Result<Vec<(TenantId, StreamId)>, StoreError> {
        queries::stream_keys(&self.client().await?, after, limit).await
    }

    async fn history(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        queries::history(&self.client().await?, tenant, stream).await
    }
}

#[async_trait]
impl Schedule for PostgresStore {
    async fn claim_due(&self, claim: Claim) -> Result<Due, StoreError> {
        let client = self.client().await?;
        Ok(Due {
            timers: claims::claim_timers(&client, claim).await?,
            work: claims::claim_work(&client, claim).await?,
        })
    }

    async fn complete_work(&self, id: &WorkId, owner: WorkerId) -> Result<bool, StoreError> {
        claims::complete_work(&self.client().await?, id, owner).await
    }

    async fn pending_timers(
        &self,
        tenant: TenantId,
        page: &TimerPage,
    ) -> Result<Option<Vec<Timer>>, StoreError> {
        claims::pending_timers(&self.client().await?, tenant, page)
            .await
            .map(Some)
    }

    async fn count_pending_timers(&self, tenant: TenantId) -> Result<Option<u64>, StoreError> {
        claims::count_pending_timers(&self.client().await?, tenant)
            .await
            .map(Some)
    }
}

#[async_trait]
impl Outbox for PostgresStore {
    async fn claim_outbox(&self, claim: Claim) -> Result<Vec<OutboxMessage>, StoreError> {
        claims::claim_outbox(&self.client().await?, claim).await
    }

    async fn settle_outbox(
        &self,
        id: &MessageId,
        settlement: Settlement,
    ) -> Result<bool, StoreError> {
        claims::settle_outbox(&self.client().await?, id, settlement).await
    }

    /// The deliveries of distinct messages in one statement (see `claims::settle_outbox_batch`).
    async fn settle_outbox_batch(
        &self,
        settlements: Vec<(MessageId, Settlement)>,
    ) -> Result<Vec<bool>, StoreError> {
        if settlements.is_empty() {
            return Ok(Vec::new());
        }
        claims::settle_outbox_batch(&self.client().await?, settlements).await
    }

    async fn dead_letters(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        claims::dead_letters(&self.client().await?, tenant, limit).await
    }

    async fn pending_outbox(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Option<Vec<OutboxMessage>>, StoreError> {
        claims::pending_outbox(&self.client().await?, tenant, limit)
            .await
            .map(Some)
    }
}

#[async_trait]
impl ReadModel for PostgresStore {
    async fn find(
        &self,
        tenant: TenantId,
        query: &Find,
    ) -> Result<Vec<(StreamId, Snapshot)>, StoreError> {
        queries::find(&self.client().await?, tenant, query).await
    }

    async fn count(
        &self,
        tenant: TenantId,
        query: &CountQuery,
    ) -> Result<Vec<StatusCount>, StoreError> {
        queries::count(&self.client().await?, tenant, query.kind, query.by).await
    }

    async fn metric_tallies(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<Tallies, StoreError> {
        tallies::read(&self.client().await?, tenant, campaign).await
    }
}
