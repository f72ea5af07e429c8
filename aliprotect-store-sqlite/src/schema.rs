//! Opening a database file: connection settings, schema migrations and the checks that turn
//! a wrong file into a clear error.
//!
//! Migrations are numbered SQL scripts tracked in `PRAGMA user_version`; a file whose version
//! is above the newest script was written by a newer build and is refused, never altered.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

/// How hard a commit insists that its data reached the disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous = NORMAL` in WAL mode: a commit survives a crash of the process; the
    /// last commits before a power loss may be lost (never corrupted).
    #[default]
    Normal,
    /// `synchronous = FULL`: every commit is on disk before it is acknowledged.
    Full,
}

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The file cannot be opened or created (missing directory, no permission, read-only).
    #[error("cannot open {path}: {source}")]
    CannotOpen {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The file can only be read; the store needs to write.
    #[error("{path} is read-only")]
    ReadOnly {
        /// The file.
        path: PathBuf,
    },
    /// The file exists but is not an SQLite database.
    #[error("{path} is not an SQLite database")]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// The file is an SQLite database of another program: it is left untouched.
    #[error("{path} is a database of another program ({found}); refusing to add tables to it")]
    NotOurs {
        /// The file.
        path: PathBuf,
        /// What gave it away: its application id, or some of its tables.
        found: String,
    },
    /// The file was written by a newer version of this store.
    #[error("{path} has schema version {found}; this build supports up to {supported}")]
    SchemaTooNew {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// The writer thread could not be started.
    #[error("cannot start the writer thread: {0}")]
    Thread(#[source] std::io::Error),
    /// Setting up the connection or migrating failed.
    #[error("cannot prepare {path}: {source}")]
    Setup {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
}

/// The migrations, in order; `user_version` is the number applied.
pub(crate) const MIGRATIONS: &[&str] = &[
    r#"
-- Rowid tables: rows hold kilobytes of JSON, which SQLite stores best in a rowid table
-- with a small unique index for the key.
CREATE TABLE events(
    tenant BLOB NOT NULL,
    stream BLOB NOT NULL,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    schema INTEGER NOT NULL,
    payload TEXT NOT NULL
);
CREATE UNIQUE INDEX events_by_stream ON events(tenant, stream, version);

-- One row per stream: its snapshot, the read-model columns and its timers.
CREATE TABLE streams(
    tenant BLOB NOT NULL,
    stream BLOB NOT NULL,
    version INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    status INTEGER NOT NULL,
    -- The status before the last update: UPDATE ... SET prev_status = status returns it.
    prev_status INTEGER,
    snapshot TEXT NOT NULL,
    right_id BLOB,
    campaign BLOB,
    seller TEXT,
    listing TEXT,
    filed_at INTEGER,
    timers TEXT,
    next_due INTEGER
);
CREATE UNIQUE INDEX streams_by_key ON streams(tenant, stream);
-- Status is left out of these keys so that a status change rewrites no index entry.
CREATE INDEX streams_by_right ON streams(tenant, right_id) WHERE kind = 1;
CREATE INDEX streams_by_campaign ON streams(tenant, campaign) WHERE kind = 1;
CREATE INDEX streams_by_seller ON streams(tenant, seller) WHERE kind = 1;
CREATE INDEX streams_by_listing ON streams(tenant, listing) WHERE kind = 1;
CREATE INDEX streams_by_due ON streams(next_due) WHERE next_due IS NOT NULL;

-- Dashboard counters per status, kept by the writer so counting never scans.
CREATE TABLE status_counts(
    tenant BLOB NOT NULL,
    kind INTEGER NOT NULL,
    status INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (tenant, kind, status)
) WITHOUT ROWID;

CREATE TABLE receipts(
    tenant BLOB NOT NULL,
    key TEXT NOT NULL,
    stream BLOB NOT NULL,
    version INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (tenant, key)
) WITHOUT ROWID;

CREATE TABLE outbox(
    seq INTEGER PRIMARY KEY,
    stream BLOB NOT NULL,
    version INTEGER NOT NULL,
    message TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    available_at INTEGER NOT NULL,
    UNIQUE (stream, version)
);
CREATE INDEX outbox_available ON outbox(available_at, seq);

CREATE TABLE powers(
    tenant BLOB NOT NULL,
    representative BLOB NOT NULL,
    id BLOB NOT NULL,
    power TEXT NOT NULL,
    PRIMARY KEY (tenant, representative, id)
) WITHOUT ROWID;
"#,
    r#"
-- 2: dead letters. Messages written by schema 1 keep a NULL tenant.
ALTER TABLE outbox ADD COLUMN tenant BLOB;
ALTER TABLE outbox ADD COLUMN dead_error TEXT;
CREATE INDEX outbox_dead ON outbox(tenant, seq) WHERE dead_error IS NOT NULL;
"#,
    r#"
-- 3: campaigns.
CREATE TABLE campaigns(
    tenant BLOB NOT NULL,
    id BLOB NOT NULL,
    campaign TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;
"#,
    r#"
-- 4: metric tallies, summed by the writer from each commit's change; campaign is x'' for
-- complaints without one. Filled from the existing complaints at version 9.
CREATE TABLE metric_groups(
    tenant BLOB NOT NULL,
    campaign BLOB NOT NULL,
    dimension INTEGER NOT NULL,
    key TEXT NOT NULL,
    filed INTEGER NOT NULL,
    in_progress INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    unable_to_process INTEGER NOT NULL,
    counter_noticed INTEGER NOT NULL,
    restored INTEGER NOT NULL,
    relisted INTEGER NOT NULL,
    PRIMARY KEY (tenant, campaign, dimension, key)
) WITHOUT ROWID;
CREATE TABLE removal_hours(
    tenant BLOB NOT NULL,
    campaign BLOB NOT NULL,
    dimension INTEGER NOT NULL,
    key TEXT NOT NULL,
    hours INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (tenant, campaign, dimension, key, hours)
) WITHOUT ROWID;
"#,
    r#"
-- 5: the tenant in every outbox key (two tenants may use one stream id), and claims with a
-- lease (owner, until) on timers, outbox messages and pending cross-stream work, so that
-- several engines can share the file. Messages of schema 1 had no tenant: they take their
-- stream's, else the one in the message itself.
CREATE TABLE outbox5(
    seq INTEGER PRIMARY KEY,
    tenant BLOB NOT NULL,
    stream BLOB NOT NULL,
    version INTEGER NOT NULL,
    message TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    available_at INTEGER NOT NULL,
    dead_error TEXT,
    lease_owner BLOB
);
INSERT INTO outbox5(seq, tenant, stream, version, message, attempts, available_at, dead_error)
SELECT o.seq,
       COALESCE(
           o.tenant,
           (SELECT s.tenant FROM streams s WHERE s.stream = o.stream LIMIT 1),
           CASE WHEN json_valid(o.message)
                THEN unhex(replace(json_extract(o.message, '$.tenant'), '-', '')) END,
           zeroblob(16)),
       o.stream, o.version, o.message, o.attempts, o.available_at, o.dead_error
FROM outbox o;
DROP TABLE outbox;
ALTER TABLE outbox5 RENAME TO outbox;
CREATE UNIQUE INDEX outbox_by_id ON outbox(tenant, stream, version);
CREATE INDEX outbox_available ON outbox(available_at, seq) WHERE dead_error IS NULL;
CREATE INDEX outbox_dead ON outbox(tenant, seq) WHERE dead_error IS NOT NULL;

ALTER TABLE streams ADD COLUMN lease_owner BLOB;
ALTER TABLE streams ADD COLUMN lease_until INTEGER;

CREATE TABLE work(
    seq INTEGER PRIMARY KEY,
    tenant BLOB NOT NULL,
    stream BLOB NOT NULL,
    version INTEGER NOT NULL,
    work TEXT NOT NULL,
    lease_owner BLOB NOT NULL,
    lease_until INTEGER NOT NULL
);
CREATE UNIQUE INDEX work_by_id ON work(tenant, stream, version);
CREATE INDEX work_available ON work(lease_until, seq);
"#,
    r#"
-- 6: powers of attorney and campaigns become streams; `party_streams::convert` moves their
-- rows into `streams` and `events`, then drops the two tables.
SELECT 1;
"#,
    r#"
-- 7: unique keys held by streams (one open complaint per listing and tenant), enforced by
-- the writer with each commit; `backfill::unique_keys` fills them from the open complaints.
-- Receipts keep the fingerprint of the request that used their key.
CREATE TABLE unique_keys(
    tenant BLOB NOT NULL,
    key TEXT NOT NULL,
    stream BLOB NOT NULL,
    PRIMARY KEY (tenant, key)
) WITHOUT ROWID;
ALTER TABLE receipts ADD COLUMN request BLOB;
"#,
    r#"
-- 8: the read model knows no kind of stream. Each stream's index keys (what the core says it
-- is found by: its right, campaign, seller, listing, representative) are name and value
-- text, filled by `backfill::index` from every stream's snapshot; the columns that
-- held them for complaints only, and their indexes, go.
CREATE TABLE stream_index(
    tenant BLOB NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    stream BLOB NOT NULL,
    PRIMARY KEY (tenant, name, value, stream)
) WITHOUT ROWID;
DROP INDEX streams_by_right;
DROP INDEX streams_by_campaign;
DROP INDEX streams_by_seller;
DROP INDEX streams_by_listing;
ALTER TABLE streams DROP COLUMN right_id;
ALTER TABLE streams DROP COLUMN campaign;
ALTER TABLE streams DROP COLUMN seller;
ALTER TABLE streams DROP COLUMN listing;
ALTER TABLE streams DROP COLUMN filed_at;
"#,
    r#"
-- 9: the tallies count each seller per marketplace, complaints taken up per day and reason
-- (what the filer's accuracy reads), and counter-notices: `tallies::backfill` counts every
-- complaint again. The index of streams by soonest timer holds their tenant and id too.
ALTER TABLE metric_groups ADD COLUMN counter_notices INTEGER NOT NULL DEFAULT 0;
DELETE FROM metric_groups;
DELETE FROM removal_hours;
-- Streams by soonest timer, then tenant and stream: the claims' order, and, read for one
-- tenant, what is coming for people; one index for both, so a commit maintains no more.
DROP INDEX streams_by_due;
CREATE INDEX streams_by_due ON streams(next_due, tenant, stream) WHERE next_due IS NOT NULL;
"#,
    r#"
-- 10: the index of streams by soonest timer holds their timers too, so that reading what is
-- coming for a tenant reads the index alone, not each stream's row beside its snapshot.
DROP INDEX streams_by_due;
CREATE INDEX streams_by_due ON streams(next_due, tenant, stream, timers)
    WHERE next_due IS NOT NULL;
"#,
];

/// The schema version whose migration turns powers and campaigns into streams.
const PARTY_STREAMS: usize = 6;
/// The schema version whose migration creates the unique keys.
const UNIQUE_KEYS: usize = 7;
/// The schema version whose migration creates the generic index.
const STREAM_INDEX: usize = 8;
/// The schema version whose migration gives the tallies their present groups and sums; a
/// file migrated to it has its existing complaints counted (the tables of version 4 stay
/// empty until then).
const TALLIES: usize = 9;

/// `PRAGMA application_id` of a store file: "ALPT". Files of schema 6 and before have 0.
pub(crate) const APPLICATION_ID: i32 = 0x414C_5054;

/// The newest schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn setup(path: &Path) -> impl Fn(rusqlite::Error) -> OpenError + '_ {
    move |source| match source.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => OpenError::NotADatabase {
            path: path.to_owned(),
        },
        Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => {
            OpenError::CannotOpen {
                path: path.to_owned(),
                source,
            }
        }
        _ => OpenError::Setup {
            path: path.to_owned(),
            source,
        },
    }
}

/// Page cache of the writer connection, in KiB: it touches every index on every commit.
/// Not larger: at the end of each transaction SQLite walks the cache's hash table
/// (`pcache1Truncate`), so 32 MiB cost 64 tasks 10-15 % of their commits, and filing
/// 1,000,000 complaints was no faster with it (BENCHMARKS.md).
pub(crate) const WRITER_CACHE_KIB: i64 = 8 * 1024;
/// Page cache of each reader connection, in KiB.
pub(crate) const READER_CACHE_KIB: i64 = 4 * 1024;

/// Opens a connection with the store's settings and `cache_kib` KiB of page cache.
pub(crate) fn connect(
    path: &Path,
    durability: Durability,
    busy_timeout: Duration,
    cache_kib: i64,
) -> Result<Connection, OpenError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection =
        Connection::open_with_flags(path, flags).map_err(|source| OpenError::CannotOpen {
            path: path.to_owned(),
            source,
        })?;
    let fail = setup(path);
    if connection.is_readonly(rusqlite::MAIN_DB).map_err(&fail)? {
        return Err(OpenError::ReadOnly {
            path: path.to_owned(),
        });
    }
    connection.busy_timeout(busy_timeout).map_err(&fail)?;
    // Before any setting that writes to the file (WAL mode is kept in its header): another
    // program's file is left exactly as it was. One read transaction, so that the version
    // and the tables are of one moment (another process may be creating them meanwhile).
    let read = connection.unchecked_transaction().map_err(&fail)?;
    let version: i64 = read
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(&fail)?;
    check_ours(&read, path, version)?;
    read.commit().map_err(&fail)?;
    set_wal(&connection, busy_timeout).map_err(&fail)?;
    let synchronous = match durability {
        Durability::Normal => "NORMAL",
        Durability::Full => "FULL",
    };
    connection
        .pragma_update(None, "synchronous", synchronous)
        .map_err(&fail)?;
    // A negative cache_size is in KiB.
    connection
        .pragma_update(None, "cache_size", -cache_kib)
        .map_err(&fail)?;
    connection
        .pragma_update(None, "temp_store", "MEMORY")
        .map_err(&fail)?;
    Ok(connection)
}

/// Switches the file to WAL, waiting up to `patience` for other connections doing the same:
/// the switch needs the file to itself, and SQLite answers "busy" at once, without its busy
/// handler, to a connection that would otherwise deadlock with another (seen: six processes
/// opening a new file at once).
fn set_wal(connection: &Connection, patience: Duration) -> rusqlite::Result<()> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        match connection.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(error, _))
                if error.code == ErrorCode::DatabaseBusy && started.elapsed() < patience =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// Brings the file's schema up to date, or refuses a file from a newer build. Each step
/// reads the version under the write lock (`BEGIN IMMEDIATE`), so processes opening a new or
/// older file at once apply each migration exactly once between them.
pub(crate) fn migrate(connection: &mut Connection, path: &Path) -> Result<(), OpenError> {
    let fail = setup(path);
    loop {
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&fail)?;
        let found: i64 = tx
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(&fail)?;
        if found > SCHEMA_VERSION {
            return Err(OpenError::SchemaTooNew {
                path: path.to_owned(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let index = usize::try_from(found).unwrap_or(0);
        let Some(script) = MIGRATIONS.get(index) else {
            tx.commit().map_err(&fail)?;
            break;
        };
        tx.execute_batch(script).map_err(&fail)?;
        if index + 1 == PARTY_STREAMS {
            crate::party_streams::convert(&tx).map_err(&fail)?;
        }
        if index + 1 == UNIQUE_KEYS {
            crate::backfill::unique_keys(&tx).map_err(&fail)?;
        }
        if index + 1 == STREAM_INDEX {
            crate::backfill::index(&tx).map_err(&fail)?;
        }
        if index + 1 == TALLIES {
            crate::tallies::backfill(&tx).map_err(&fail)?;
        }
        tx.pragma_update(None, "user_version", index as i64 + 1)
            .map_err(&fail)?;
        tx.commit().map_err(&fail)?;
        tracing::info!(path = %path.display(), version = index + 1, "migrated schema");
    }
    // Written once: an open that writes nothing takes no write lock from other processes.
    let application_id: i32 = connection
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(&fail)?;
    if application_id != APPLICATION_ID {
        connection
            .pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(&fail)?;
    }
    Ok(())
}

/// Refuses a file another program made: another application id, or (for files without
/// one) tables that a store of ours at that schema version would not have.
fn check_ours(connection: &Connection, path: &Path, version: i64) -> Result<(), OpenError> {
    let fail = setup(path);
    let not_ours = |found: String| OpenError::NotOurs {
        path: path.to_owned(),
        found,
    };
    let application_id: i32 = connection
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(&fail)?;
    match application_id {
        APPLICATION_ID => return Ok(()),
        0 => {}
        other => return Err(not_ours(format!("application id {other:#x}"))),
    }
    let mut statement = connection
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )
        .map_err(&fail)?;
    let tables: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .and_then(|rows| rows.collect())
        .map_err(&fail)?;
    // A new file has no tables; one of ours of any schema has its event log and streams.
    let ours = tables.is_empty()
        || (version > 0
            && ["events", "streams"]
                .iter()
                .all(|t| tables.iter().any(|n| n == t)));
    if ours {
        return Ok(());
    }
    let shown: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
    Err(not_ours(format!("tables {}", shown.join(", "))))
}
