//! A group of commits (to distinct streams) written by ONE statement over arrays: the
//! commits whose idempotency key is fresh update or insert their stream rows at their
//! expected version; only those that did write their events, outbox messages, pending work
//! and receipts, and move the counters and tallies, summed per row in key order. One
//! statement starts one executor for the whole group, and commits by itself.
//!
//! The statement answers, per commit, whether its key was fresh, whether it was written and
//! the stream's version, so that each commit gets its own result.

use std::sync::LazyLock;

use aliprotect_core::store::{DomainEvent, StoreError};
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

use crate::prepare::Prepared;
use crate::statements::{Conn, typed};
use crate::tallies;
use crate::wake::WAKE_CHANNEL;

static SQL: LazyLock<String> = LazyLock::new(|| {
    let written = "u.idx IN (SELECT idx FROM written)";
    format!(
        "WITH input AS (
    SELECT * FROM unnest($1::int4[], $2::uuid[], $3::int2[], $4::uuid[], $5::int8[],
        $6::int8[], $7::int2[], $8::text[], $9::text[], $10::timestamptz[], $11::text[],
        $12::int8[], $13::int4[], $14::text[], $15::uuid[], $16::timestamptz[], $17::bool[],
        $52::bytea[])
    AS i(idx, tenant, kind, stream, expected, version, status, snapshot, timers, next_due,
        receipt_key, receipt_version, receipt_events, work, work_owner, work_until, wakes,
        receipt_request)),
fresh AS (
    SELECT i.* FROM input i
    WHERE i.receipt_key IS NULL OR NOT EXISTS (
        SELECT 1 FROM receipts r WHERE r.tenant = i.tenant AND r.key = i.receipt_key)),
updated AS (
    UPDATE streams SET version = f.version, status = f.status, snapshot = f.snapshot::json
    FROM fresh f
    WHERE f.expected > 0 AND streams.tenant = f.tenant AND streams.kind = f.kind
      AND streams.stream = f.stream AND streams.version = f.expected
    RETURNING f.idx),
inserted AS (
    INSERT INTO streams (tenant, kind, stream, version, status, snapshot)
    SELECT tenant, kind, stream, version, status, snapshot::json
    FROM fresh WHERE expected = 0
    ON CONFLICT (tenant, kind, stream) DO NOTHING
    RETURNING tenant, kind, stream),
written AS (
    SELECT idx FROM updated
    UNION ALL
    SELECT idx FROM fresh
    WHERE expected = 0 AND (tenant, kind, stream) IN (SELECT tenant, kind, stream FROM inserted)),
ok AS (SELECT i.* FROM input i JOIN written USING (idx)),
e AS (
    INSERT INTO events (tenant, kind, stream, version, type, schema, payload)
    SELECT ok.tenant, ok.kind, ok.stream, u.version, u.type, $18, u.payload::json
    FROM unnest($19::int4[], $20::int8[], $21::text[], $22::text[])
        AS u(idx, version, type, payload)
    JOIN ok USING (idx)),
o AS (
    INSERT INTO outbox (tenant, kind, stream, version, message, attempts, available_at)
    SELECT ok.tenant, ok.kind, ok.stream, u.version, u.message::json, u.attempts, u.at
    FROM unnest($23::int4[], $24::int8[], $25::text[], $26::int4[], $27::timestamptz[])
        AS u(idx, version, message, attempts, at)
    JOIN ok USING (idx)
    ON CONFLICT (tenant, kind, stream, version) DO UPDATE SET message = excluded.message,
        attempts = excluded.attempts, available_at = excluded.available_at,
        dead_error = NULL, lease_owner = NULL),
t AS (
    INSERT INTO timers (tenant, kind, stream, timers, next_due)
    SELECT tenant, kind, stream, timers::json, next_due FROM ok WHERE timers IS NOT NULL
    ON CONFLICT (tenant, kind, stream) DO UPDATE SET timers = excluded.timers,
        next_due = excluded.next_due, lease_owner = NULL, lease_until = NULL),
untimed AS (
    DELETE FROM timers USING ok
    WHERE ok.timers IS NULL AND ok.expected > 0 AND timers.tenant = ok.tenant
      AND timers.kind = ok.kind AND timers.stream = ok.stream),
w AS (
    INSERT INTO work (tenant, kind, stream, version, work, lease_owner, lease_until)
    SELECT tenant, kind, stream, version, work::json, work_owner, work_until
    FROM ok WHERE work IS NOT NULL
    ON CONFLICT (tenant, kind, stream, version) DO NOTHING),
r AS (
    INSERT INTO receipts (tenant, key, kind, stream, version, events, request)
    SELECT tenant, receipt_key, kind, stream, receipt_version, receipt_events, receipt_request
    FROM ok WHERE receipt_key IS NOT NULL),
ur AS (
    DELETE FROM unique_keys USING ok, unnest($55::int4[], $56::text[]) AS u(idx, key)
    WHERE u.idx = ok.idx AND unique_keys.tenant = ok.tenant AND unique_keys.key = u.key
      AND unique_keys.kind = ok.kind AND unique_keys.stream = ok.stream),
x AS (
    INSERT INTO stream_index (tenant, name, value, kind, stream)
    SELECT ok.tenant, u.name, u.value, ok.kind, ok.stream
    FROM unnest($57::int4[], $58::text[], $59::text[]) AS u(idx, name, value)
    JOIN ok USING (idx)
    ON CONFLICT DO NOTHING),
ut AS (
    INSERT INTO unique_keys (tenant, key, kind, stream)
    SELECT ok.tenant, u.key, ok.kind, ok.stream
    FROM unnest($53::int4[], $54::text[]) AS u(idx, key) JOIN ok USING (idx)
    WHERE NOT EXISTS (SELECT 1 FROM unique_keys h WHERE h.tenant = ok.tenant
                      AND h.key = u.key AND h.kind = ok.kind AND h.stream = ok.stream)),
c AS (
    INSERT INTO status_counts (tenant, kind, status, n)
    SELECT ok.tenant, ok.kind, u.status, sum(u.delta)::int8
    FROM unnest($28::int4[], $29::int2[], $30::int8[]) AS u(idx, status, delta)
    JOIN ok USING (idx)
    GROUP BY 1, 2, 3 HAVING sum(u.delta) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (tenant, kind, status) DO UPDATE SET n = status_counts.n + excluded.n),
g AS ({groups}),
h AS ({hours}),
n AS (
    SELECT pg_notify('{WAKE_CHANNEL}', '')
    WHERE $51::bool AND EXISTS (SELECT 1 FROM ok WHERE wakes))
SELECT i.idx, f.idx IS NOT NULL, w.idx IS NOT NULL, s.version, (SELECT count(*) FROM n)
FROM input i
LEFT JOIN fresh f USING (idx)
LEFT JOIN written w USING (idx)
LEFT JOIN streams s ON s.tenant = i.tenant AND s.kind = i.kind AND s.stream = i.stream",
        groups = tallies::add_groups_sql(31, written),
        hours = tallies::add_hours_sql(44, written),
    )
});

/// The parameter types: commits, events, outbox messages and counters (`$1..$30`), tallies
/// (`$31..$50`), the wake-up (`$51`), receipts' requests (`$52`), unique keys taken and
/// released (`$53..$56`), index keys (`$57..$59`).
static TYPES: LazyLock<Vec<Type>> = LazyLock::new(|| {
    [
        &COMMIT_TYPES[..],
        &tallies::GROUP_TYPES,
        &tallies::HOUR_TYPES,
        &[
            Type::BOOL,
            Type::BYTEA_ARRAY,
            Type::INT4_ARRAY,
            Type::TEXT_ARRAY,
            Type::INT4_ARRAY,
            Type::TEXT_ARRAY,
            Type::INT4_ARRAY,
            Type::TEXT_ARRAY,
            Type::TEXT_ARRAY,
        ],
    ]
    .concat()
});

const COMMIT_TYPES: [Type; 30] = [
    // Commits.
    Type::INT4_ARRAY,
    Type::UUID_ARRAY,
    Type::INT2_ARRAY,
    Type::UUID_ARRAY,
    Type::INT8_ARRAY,
    Type::INT8_ARRAY,
    Type::INT2_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TIMESTAMPTZ_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT8_ARRAY,
    Type::INT4_ARRAY,
    Type::TEXT_ARRAY,
    Type::UUID_ARRAY,
    Type::TIMESTAMPTZ_ARRAY,
    Type::BOOL_ARRAY,
    // Event schema, events.
    Type::INT4,
    Type::INT4_ARRAY,
    Type::INT8_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    // Outbox.
    Type::INT4_ARRAY,
    Type::INT8_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT4_ARRAY,
    Type::TIMESTAMPTZ_ARRAY,
    // Counters.
    Type::INT4_ARRAY,
    Type::INT2_ARRAY,
    Type::INT8_ARRAY,
];

/// The group's values as columns.
#[derive(Default)]
struct Columns<'a> {
    idx: Vec<i32>,
    tenant: Vec<Uuid>,
    kind: Vec<i16>,
    stream: Vec<Uuid>,
    expected: Vec<i64>,
    version: Vec<i64>,
    status: Vec<i16>,
    snapshot: Vec<&'a str>,
    timers: Vec<Option<&'a str>>,
    next_due: Vec<Option<chrono::DateTime<chrono::Utc>>>,
    receipt_key: Vec<Option<&'a str>>,
    receipt_version: Vec<Option<i64>>,
    receipt_events: Vec<Option<i32>>,
    work: Vec<Option<&'a str>>,
    work_owner: Vec<Option<Uuid>>,
    work_until: Vec<Option<chrono::DateTime<chrono::Utc>>>,
    wakes: Vec<bool>,
    event_idx: Vec<i32>,
    event_version: Vec<i64>,
    event_type: Vec<&'static str>,
    event_payload: Vec<&'a str>,
    outbox_idx: Vec<i32>,
    outbox_version: Vec<i64>,
    outbox_message: Vec<&'a str>,
    outbox_attempts: Vec<i32>,
    outbox_at: Vec<chrono::DateTime<chrono::Utc>>,
    count_idx: Vec<i32>,
    count_status: Vec<i16>,
    count_delta: Vec<i64>,
    tallies: tallies::Rows,
    receipt_request: Vec<Option<&'a [u8]>>,
    take_idx: Vec<i32>,
    take_key: Vec<&'a str>,
    release_idx: Vec<i32>,
    release_key: Vec<&'a str>,
    index_idx: Vec<i32>,
    index_name: Vec<&'a str>,
    index_value: Vec<&'a str>,
}

impl<'a> Columns<'a> {
    fn push(&mut self, idx: i32, p: &'a Prepared) {
        self.idx.push(idx);
        self.tenant.push(p.tenant);
        self.kind.push(p.kind);
        self.stream.push(p.stream);
        self.expected.push(p.expected);
        self.version.push(p.version);
        self.status.push(p.status);
        self.snapshot.push(&p.snapshot);
        self.timers.push(p.timers.as_deref());
        self.next_due.push(p.next_due);
        self.receipt_key.push(p.receipt_key.as_deref());
        self.receipt_version.push(p.receipt_version);
        self.receipt_events.push(p.receipt_events);
        self.work.push(p.work.as_deref());
        self.work_owner.push(p.work_owner);
        self.work_until.push(p.work_until);
        self.wakes.push(p.wakes());
        self.receipt_request.push(p.receipt_request.as_deref());
        for key in &p.unique_take {
            self.take_idx.push(idx);
            self.take_key.push(key);
        }
        for key in &p.unique_release {
            self.release_idx.push(idx);
            self.release_key.push(key);
        }
        for (name, value) in p.index_names.iter().zip(&p.index_values) {
            self.index_idx.push(idx);
            self.index_name.push(name);
            self.index_value.push(value);
        }
        for (offset, (type_name, payload)) in
            p.event_types.iter().zip(&p.event_payloads).enumerate()
        {
            self.event_idx.push(idx);
            self.event_version.push(p.expected + 1 + offset as i64);
            self.event_type.push(type_name);
            self.event_payload.push(payload);
        }
        for i in 0..p.outbox_versions.len() {
            self.outbox_idx.push(idx);
            self.outbox_version.push(p.outbox_versions[i]);
            self.outbox_message.push(&p.outbox_messages[i]);
            self.outbox_attempts.push(p.outbox_attempts[i]);
            self.outbox_at.push(p.outbox_available[i]);
        }
        for (status, delta) in p.status_deltas() {
            self.count_idx.push(idx);
            self.count_status.push(status);
            self.count_delta.push(delta);
        }
        if let Some((campaign, tallies)) = p.tally_change() {
            self.tallies.add(idx, p.tenant, campaign, &tallies);
        }
    }
}

const SCHEMA: i32 = DomainEvent::SCHEMA_VERSION as i32;

/// The group statement and its parameter types.
#[cfg(test)]
pub(crate) fn statement() -> (&'static str, &'static [Type]) {
    (&SQL, &TYPES)
}

/// Writes `commits`, to distinct streams, with one statement; returns their outcomes in
/// order.
pub(crate) async fn write(
    client: &Conn,
    commits: &[&Prepared],
    notify: bool,
) -> Result<Vec<Result<(), StoreError>>, tokio_postgres::Error> {
    let mut columns = Columns::default();
    for (idx, p) in commits.iter().enumerate() {
        columns.push(i32::try_from(idx).unwrap_or(i32::MAX), p);
    }
    let c = &columns;
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![
        &c.idx,
        &c.tenant,
        &c.kind,
        &c.stream,
        &c.expected,
        &c.version,
        &c.status,
        &c.snapshot,
        &c.timers,
        &c.next_due,
        &c.receipt_key,
        &c.receipt_version,
        &c.receipt_events,
        &c.work,
        &c.work_owner,
        &c.work_until,
        &c.wakes,
        &SCHEMA,
        &c.event_idx,
        &c.event_version,
        &c.event_type,
        &c.event_payload,
        &c.outbox_idx,
        &c.outbox_version,
        &c.outbox_message,
        &c.outbox_attempts,
        &c.outbox_at,
        &c.count_idx,
        &c.count_status,
        &c.count_delta,
    ];
    params.extend(c.tallies.group_params());
    params.extend(c.tallies.hour_params());
    params.extend([
        &notify as &(dyn ToSql + Sync),
        &c.receipt_request,
        &c.take_idx,
        &c.take_key,
        &c.release_idx,
        &c.release_key,
        &c.index_idx,
        &c.index_name,
        &c.index_value,
    ]);
    let rows = client.query(&SQL, &typed(&params, &TYPES)).await?;
    let mut outcomes: Vec<Option<Result<(), StoreError>>> =
        (0..commits.len()).map(|_| None).collect();
    for row in &rows {
        let idx: i32 = row.try_get(0)?;
        let Some(p) = usize::try_from(idx).ok().and_then(|i| commits.get(i)) else {
            continue;
        };
        outcomes[idx as usize] = Some(p.outcome(row.try_get(1)?, row.try_get(2)?, row.try_get(3)?));
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(StoreError::Unavailable("no answer for a commit".into()))))
        .collect())
}
