//! The schema and its migrations: numbered SQL scripts recorded in `aliprotect_schema`,
//! applied in one transaction that first takes a transaction-scoped advisory lock, so that
//! engines started together migrate once and never through a session lock (which would
//! leak through a connection pooler). A database whose version is above the newest script
//! was migrated by a newer build and is refused, never altered.

use std::collections::HashMap;

use aliprotect_core::metrics::{MetricsChange, Tallies};
use aliprotect_core::store::{Snapshot, columns};
use tokio_postgres::{Client, Transaction};

use crate::error::ConnectError;

/// Stream kinds in `kind` columns are `aliprotect_core::store::columns::KIND_*`; statuses
/// their `columns::status_code`; times `timestamptz`; documents `json` (kept verbatim:
/// cheaper to write than `jsonb`, and still queryable).
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE events (
    tenant uuid NOT NULL,
    kind smallint NOT NULL,
    stream uuid NOT NULL,
    version bigint NOT NULL,
    type text NOT NULL,
    schema integer NOT NULL,
    payload json NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, kind, stream, version)
);

-- One row per stream: its version, snapshot and read-model columns. Nothing that a commit
-- changes is indexed, so that the update is HOT (no index entry written) when the page has
-- room, which the fillfactor keeps.
CREATE TABLE streams (
    tenant uuid NOT NULL,
    kind smallint NOT NULL,
    stream uuid NOT NULL,
    version bigint NOT NULL,
    status smallint NOT NULL,
    snapshot json NOT NULL,
    right_id uuid,
    campaign uuid,
    seller text,
    listing text,
    representative uuid,
    PRIMARY KEY (tenant, kind, stream)
) WITH (fillfactor = 70);
-- Status is left out of these keys so that a status change rewrites no index entry.
CREATE INDEX streams_by_right ON streams (tenant, right_id) WHERE kind = 1;
CREATE INDEX streams_by_campaign ON streams (tenant, campaign) WHERE kind = 1;
CREATE INDEX streams_by_seller ON streams (tenant, seller) WHERE kind = 1;
CREATE INDEX streams_by_listing ON streams (tenant, listing) WHERE kind = 1;
CREATE INDEX streams_by_representative ON streams (tenant, representative) WHERE kind = 3;

-- The timers of streams that have some, and their claim.
CREATE TABLE timers (
    tenant uuid NOT NULL,
    kind smallint NOT NULL,
    stream uuid NOT NULL,
    timers json NOT NULL,
    next_due timestamptz NOT NULL,
    lease_owner uuid,
    lease_until timestamptz,
    PRIMARY KEY (tenant, kind, stream)
);
CREATE INDEX timers_due ON timers (next_due);

-- Dashboard counters, moved by each commit's status change in its own transaction. These and
-- the tallies are few rows updated by every commit: a low fillfactor keeps their updates HOT
-- and the tables small.
CREATE TABLE status_counts (
    tenant uuid NOT NULL,
    kind smallint NOT NULL,
    status smallint NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (tenant, kind, status)
) WITH (fillfactor = 50);

CREATE TABLE receipts (
    tenant uuid NOT NULL,
    key text NOT NULL,
    kind smallint NOT NULL,
    stream uuid NOT NULL,
    version bigint NOT NULL,
    events integer NOT NULL,
    PRIMARY KEY (tenant, key)
);

CREATE TABLE outbox (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    tenant uuid NOT NULL,
    kind smallint NOT NULL,
    stream uuid NOT NULL,
    version bigint NOT NULL,
    message json NOT NULL,
    attempts integer NOT NULL,
    available_at timestamptz NOT NULL,
    dead_error text,
    lease_owner uuid,
    PRIMARY KEY (tenant, kind, stream, version)
);
CREATE INDEX outbox_available ON outbox (available_at, seq) WHERE dead_error IS NULL;
CREATE INDEX outbox_dead ON outbox (tenant, seq) WHERE dead_error IS NOT NULL;

CREATE TABLE work (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    tenant uuid NOT NULL,
    kind smallint NOT NULL,
    stream uuid NOT NULL,
    version bigint NOT NULL,
    work json NOT NULL,
    lease_owner uuid NOT NULL,
    lease_until timestamptz NOT NULL,
    PRIMARY KEY (tenant, kind, stream, version)
);
CREATE INDEX work_available ON work (lease_until, seq);

-- Metric tallies per group; campaign is the nil UUID for complaints without one.
CREATE TABLE metric_groups (
    tenant uuid NOT NULL,
    campaign uuid NOT NULL,
    dimension smallint NOT NULL,
    key text NOT NULL,
    filed bigint NOT NULL,
    in_progress bigint NOT NULL,
    removed bigint NOT NULL,
    unable_to_process bigint NOT NULL,
    counter_noticed bigint NOT NULL,
    restored bigint NOT NULL,
    relisted bigint NOT NULL,
    PRIMARY KEY (tenant, campaign, dimension, key)
) WITH (fillfactor = 50);
CREATE TABLE removal_hours (
    tenant uuid NOT NULL,
    campaign uuid NOT NULL,
    dimension smallint NOT NULL,
    key text NOT NULL,
    hours integer NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (tenant, campaign, dimension, key, hours)
) WITH (fillfactor = 50);
"#,
    r#"
-- 2: unique keys held by streams (one open complaint per listing and tenant): a commit
-- inserts the keys it takes in its own statement, so a racing second taker fails on the
-- primary key; `backfill_unique_keys` fills them from the open complaints. Receipts keep
-- the fingerprint of the request that used their key.
CREATE TABLE unique_keys (
    tenant uuid NOT NULL,
    key text NOT NULL,
    kind smallint NOT NULL,
    stream uuid NOT NULL,
    PRIMARY KEY (tenant, key)
);
ALTER TABLE receipts ADD COLUMN request bytea;
"#,
    r#"
-- 3: the read model knows no kind of stream. Each stream's index keys (what the core says
-- it is found by: its right, campaign, seller, listing, representative) are name and value
-- text, filled by `backfill_index` from every stream's snapshot; the columns that held them
-- (and their indexes, dropped with them) go.
CREATE TABLE stream_index (
    tenant uuid NOT NULL,
    name text NOT NULL,
    value text NOT NULL,
    kind smallint NOT NULL,
    stream uuid NOT NULL,
    PRIMARY KEY (tenant, name, value, kind, stream)
);
ALTER TABLE streams DROP COLUMN right_id, DROP COLUMN campaign, DROP COLUMN seller,
    DROP COLUMN listing, DROP COLUMN representative;
"#,
    r#"
-- 4: the tallies count each seller per marketplace, complaints taken up per day and reason
-- (what the filer's accuracy reads), and counter-notices: `backfill_tallies` counts every
-- complaint again. Timer rows get an index by tenant and soonest due time.
ALTER TABLE metric_groups ADD COLUMN counter_notices bigint NOT NULL DEFAULT 0;
DELETE FROM metric_groups;
DELETE FROM removal_hours;
-- A tenant's timer rows in the order they fall due: what is coming, for people.
CREATE INDEX timers_by_tenant_due ON timers (tenant, next_due, kind, stream);
"#,
    r#"
-- 5: the outbox's queue in its own order. A claim takes the oldest available messages: read
-- by availability, every available message was read and sorted by seq for each claim (18 ms
-- a claim with 100,000 waiting); read in seq order, it stops after the batch.
DROP INDEX outbox_available;
CREATE INDEX outbox_queue ON outbox (seq) WHERE dead_error IS NULL;
"#,
];

/// The schema version whose migration creates the unique keys.
const UNIQUE_KEYS: usize = 2;
/// The schema version whose migration creates the generic index.
const STREAM_INDEX: usize = 3;
/// The schema version whose migration gives the tallies their present groups and sums.
const TALLIES: usize = 4;

/// The newest schema version this build writes.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Any 64-bit number of our own: the advisory lock that serializes migrations.
const MIGRATION_LOCK: i64 = 0x616c_6970_726f_7465; // "aliprote"

/// Brings the schema up to date, or refuses a database of a newer build.
pub(crate) async fn migrate(client: &mut Client) -> Result<(), ConnectError> {
    let tx = client
        .transaction()
        .await
        .map_err(ConnectError::from_driver)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(ConnectError::from_driver)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS aliprotect_schema (
             version integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await
    .map_err(ConnectError::from_driver)?;
    let found: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM aliprotect_schema",
            &[],
        )
        .await
        .and_then(|row| row.try_get(0))
        .map_err(ConnectError::from_driver)?;
    if found > SCHEMA_VERSION {
        return Err(ConnectError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found == 0 {
        check_ours(&tx).await?;
    }
    let applied = usize::try_from(found).unwrap_or(0);
    for (index, script) in MIGRATIONS.iter().enumerate().skip(applied) {
        let version = index as i32 + 1;
        tx.batch_execute(script)
            .await
            .map_err(ConnectError::Migration)?;
        if index + 1 == UNIQUE_KEYS {
            backfill_unique_keys(&tx).await?;
        }
        if index + 1 == STREAM_INDEX {
            backfill_index(&tx).await?;
        }
        if index + 1 == TALLIES {
            backfill_tallies(&tx).await?;
        }
        tx.execute(
            "INSERT INTO aliprotect_schema (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(ConnectError::Migration)?;
        tracing::info!(version, "migrated the PostgreSQL schema");
    }
    tx.commit().await.map_err(ConnectError::from_driver)
}

/// Refuses a database whose schema already has tables of ours by name but no record of
/// our migrations: another program's, which the migration would otherwise fail on half way.
async fn check_ours(tx: &Transaction<'_>) -> Result<(), ConnectError> {
    let rows = tx
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema()
               AND table_name IN ('events', 'streams', 'timers', 'receipts', 'outbox', 'work')
             ORDER BY 1",
            &[],
        )
        .await
        .map_err(ConnectError::from_driver)?;
    let tables: Vec<String> = rows.iter().filter_map(|row| row.try_get(0).ok()).collect();
    match tables.is_empty() {
        true => Ok(()),
        false => Err(ConnectError::NotOurs {
            tables: tables.join(", "),
        }),
    }
}

/// A stream row's tenant, kind and stream, and its snapshot.
type StreamRow = (uuid::Uuid, i16, uuid::Uuid, Snapshot);

/// Stream rows read per page by a backfill: a large database is never in memory at once.
const BACKFILL_PAGE: i64 = 1_000;

/// The page of stream rows (of `kind` only, when given) after `after` in key order whose
/// snapshot can be read, decoded, and the key of the page's last row (`None`: no rows left).
/// A row whose snapshot cannot be read gets no key (it is reported as corrupt when read, as
/// before).
async fn snapshot_page(
    tx: &Transaction<'_>,
    kind: Option<i16>,
    after: (uuid::Uuid, i16, uuid::Uuid),
) -> Result<(Vec<StreamRow>, Option<(uuid::Uuid, i16, uuid::Uuid)>), ConnectError> {
    let rows = tx
        .query(
            "SELECT tenant, kind, stream, snapshot::text FROM streams
             WHERE (tenant, kind, stream) > ($1, $2, $3) AND ($4::int2 IS NULL OR kind = $4)
             ORDER BY tenant, kind, stream LIMIT $5",
            &[&after.0, &after.1, &after.2, &kind, &BACKFILL_PAGE],
        )
        .await
        .map_err(ConnectError::Migration)?;
    let mut readable = Vec::with_capacity(rows.len());
    let mut last = None;
    for row in &rows {
        let (tenant, kind, stream, json): (uuid::Uuid, i16, uuid::Uuid, String) = (
            row.try_get(0).map_err(ConnectError::Migration)?,
            row.try_get(1).map_err(ConnectError::Migration)?,
            row.try_get(2).map_err(ConnectError::Migration)?,
            row.try_get(3).map_err(ConnectError::Migration)?,
        );
        last = Some((tenant, kind, stream));
        match serde_json::from_str::<Snapshot>(&json) {
            Ok(snapshot) => readable.push((tenant, kind, stream, snapshot)),
            Err(error) => {
                tracing::warn!(%error, %stream, "stream row holds no readable snapshot; no key");
            }
        }
    }
    Ok((readable, last))
}

/// Before every stream key: kinds start at 0.
const FIRST: (uuid::Uuid, i16, uuid::Uuid) = (uuid::Uuid::nil(), -1, uuid::Uuid::nil());

/// Hands every readable stream row (of `kind` only, when given) to `each`, a page of
/// [`BACKFILL_PAGE`] rows at a time, in key order: what every backfill walks.
async fn each_page(
    tx: &Transaction<'_>,
    kind: Option<u8>,
    mut each: impl AsyncFnMut(Vec<StreamRow>) -> Result<(), ConnectError>,
) -> Result<(), ConnectError> {
    let kind = kind.map(i16::from);
    let mut after = FIRST;
    loop {
        let (page, last) = snapshot_page(tx, kind, after).await?;
        let Some(last) = last else {
            return Ok(());
        };
        after = last;
        each(page).await?;
    }
}

/// Fills the unique keys from the open complaints' snapshots (where two share a listing,
/// the first in key order keeps the key), one statement per page.
async fn backfill_unique_keys(tx: &Transaction<'_>) -> Result<(), ConnectError> {
    each_page(tx, Some(columns::KIND_COMPLAINT), async |page| {
        let (mut tenants, mut keys, mut kinds, mut streams) = (vec![], vec![], vec![], vec![]);
        for (tenant, kind, stream, snapshot) in page {
            for key in snapshot.unique_keys() {
                tenants.push(tenant);
                keys.push(key.as_str().to_owned());
                kinds.push(kind);
                streams.push(stream);
            }
        }
        tx.execute(
            "INSERT INTO unique_keys (tenant, key, kind, stream)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::int2[], $4::uuid[])
             ON CONFLICT (tenant, key) DO NOTHING",
            &[&tenants, &keys, &kinds, &streams],
        )
        .await
        .map_err(ConnectError::Migration)?;
        Ok(())
    })
    .await
}

/// Fills the index from every stream's snapshot, one statement per page.
async fn backfill_index(tx: &Transaction<'_>) -> Result<(), ConnectError> {
    each_page(tx, None, async |page| {
        let (mut tenants, mut names, mut values) = (vec![], vec![], vec![]);
        let (mut kinds, mut streams) = (vec![], vec![]);
        for (tenant, kind, stream, snapshot) in page {
            for key in snapshot.index_keys() {
                tenants.push(tenant);
                names.push(key.name.as_str());
                values.push(key.value);
                kinds.push(kind);
                streams.push(stream);
            }
        }
        tx.execute(
            "INSERT INTO stream_index (tenant, name, value, kind, stream)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int2[], $5::uuid[])
             ON CONFLICT DO NOTHING",
            &[&tenants, &names, &values, &kinds, &streams],
        )
        .await
        .map_err(ConnectError::Migration)?;
        Ok(())
    })
    .await
}

/// Counts every complaint into the emptied tallies: each page's sums are added with one
/// statement per table, so memory holds a page's groups, not the database's.
async fn backfill_tallies(tx: &Transaction<'_>) -> Result<(), ConnectError> {
    each_page(tx, Some(columns::KIND_COMPLAINT), async |page| {
        let mut sums: HashMap<(uuid::Uuid, uuid::Uuid), Tallies> = HashMap::new();
        for (tenant, _, _, snapshot) in page {
            let Snapshot::Complaint(complaint) = snapshot else {
                continue;
            };
            if let Some(change) = MetricsChange::between(None, &complaint) {
                let campaign = complaint.filed.campaign;
                let campaign = campaign.map_or(uuid::Uuid::nil(), |c| c.as_uuid());
                sums.entry((tenant, campaign)).or_default().record(&change);
            }
        }
        let mut rows = crate::tallies::Rows::default();
        for ((tenant, campaign), tallies) in &sums {
            rows.add(0, *tenant, *campaign, tallies);
        }
        if !rows.is_empty() {
            let groups: Vec<_> = rows.group_params().collect();
            tx.execute(&crate::tallies::add_groups_sql(1, "true"), &groups)
                .await
                .map_err(ConnectError::Migration)?;
        }
        if rows.has_hours() {
            let hours = rows.hour_params();
            tx.execute(&crate::tallies::add_hours_sql(1, "true"), &hours)
                .await
                .map_err(ConnectError::Migration)?;
        }
        Ok(())
    })
    .await
}
