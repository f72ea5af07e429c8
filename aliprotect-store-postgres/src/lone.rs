//! A lone commit (none other waiting) written by ONE statement, committed by itself like the
//! reference's single statement: every data-modifying part hangs on the version check
//! (`s`), so a refused commit writes nothing and answers why; it checks the idempotency
//! key, writes the stream row, events, outbox messages, pending work, receipt, counters and
//! tallies, and sends the wake-up. Parts the commit does not need are left out of its
//! statement: a statement of ten data-modifying parts costs more to start than to run.

use std::sync::LazyLock;

use aliprotect_core::store::{DomainEvent, StoreError};
use tokio_postgres::types::{ToSql, Type};

use crate::prepare::Prepared;
use crate::statements::{Conn, typed};
use crate::tallies;
use crate::wake::WAKE_CHANNEL;

/// Which parts a commit's statement needs: a part it leaves out costs nothing to plan or
/// start, and a statement of ten data-modifying parts costs more to start than to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Shape {
    new_stream: bool,
    receipt: bool,
    events: bool,
    outbox: bool,
    work: bool,
    /// The commit leaves timers (else it removes any the stream had).
    timers: bool,
    /// It moves status counters.
    counts: bool,
    /// It moves metric tallies, and removal times.
    groups: bool,
    hours: bool,
    /// It sends a wake-up.
    wake: bool,
    /// It takes unique keys, and releases some.
    take: bool,
    release: bool,
    /// It adds index keys.
    index: bool,
}

impl Shape {
    fn of(p: &Prepared, counts: bool, tallies: &tallies::Rows, notify: bool) -> Self {
        Self {
            new_stream: p.expected == 0,
            receipt: p.receipt_key.is_some(),
            events: !p.event_types.is_empty(),
            outbox: !p.outbox_versions.is_empty(),
            work: p.work.is_some(),
            timers: p.timers.is_some(),
            counts,
            groups: !tallies.is_empty(),
            hours: tallies.has_hours(),
            wake: notify && p.wakes(),
            take: !p.unique_take.is_empty(),
            release: !p.unique_release.is_empty(),
            index: !p.index_names.is_empty(),
        }
    }

    /// The statement, its parameters numbered as in [`TYPES`] whether it uses them or not.
    fn sql(self) -> String {
        let written = "EXISTS (SELECT 1 FROM s)";
        let mut parts = Vec::new();
        let fresh = if self.receipt {
            parts.push(
                "fresh AS (SELECT NOT EXISTS (
    SELECT 1 FROM receipts WHERE tenant = $1 AND key = $20::text) AS ok)"
                    .to_owned(),
            );
            "(SELECT ok FROM fresh)"
        } else {
            "TRUE"
        };
        parts.push(if self.new_stream {
            format!(
                "s AS (
    INSERT INTO streams (tenant, kind, stream, version, status, snapshot)
    SELECT $1, $2, $3, $5, $6, $7::text::json
    WHERE $4 = 0 AND {fresh}
    ON CONFLICT (tenant, kind, stream) DO NOTHING
    RETURNING 1)"
            )
        } else {
            format!(
                "s AS (
    UPDATE streams SET version = $5, status = $6, snapshot = $7::text::json
    WHERE tenant = $1 AND kind = $2 AND stream = $3 AND version = $4 AND {fresh}
    RETURNING 1)"
            )
        });
        if self.events {
            parts.push(format!(
                "e AS (
    INSERT INTO events (tenant, kind, stream, version, type, schema, payload)
    SELECT $1, $2, $3, $4 + u.n, u.t, $12, u.p::json
    FROM unnest($10::text[], $11::text[]) WITH ORDINALITY AS u(t, p, n)
    WHERE {written})"
            ));
        }
        if self.outbox {
            parts.push(format!(
                "o AS (
    INSERT INTO outbox (tenant, kind, stream, version, message, attempts, available_at)
    SELECT $1, $2, $3, u.v, u.m::json, u.a, u.at
    FROM unnest($13::int8[], $14::text[], $15::int4[], $16::timestamptz[]) AS u(v, m, a, at)
    WHERE {written}
    ON CONFLICT (tenant, kind, stream, version) DO UPDATE SET message = excluded.message,
        attempts = excluded.attempts, available_at = excluded.available_at,
        dead_error = NULL, lease_owner = NULL)"
            ));
        }
        if self.timers {
            // Replacing the timers ends any claim on them.
            parts.push(format!(
                "t AS (
    INSERT INTO timers (tenant, kind, stream, timers, next_due)
    SELECT $1, $2, $3, $8::text::json, $9 WHERE {written}
    ON CONFLICT (tenant, kind, stream) DO UPDATE SET timers = excluded.timers,
        next_due = excluded.next_due, lease_owner = NULL, lease_until = NULL)"
            ));
        } else if !self.new_stream {
            parts.push(format!(
                "t AS (
    DELETE FROM timers WHERE tenant = $1 AND kind = $2 AND stream = $3 AND {written})"
            ));
        }
        if self.work {
            parts.push(format!(
                "w AS (
    INSERT INTO work (tenant, kind, stream, version, work, lease_owner, lease_until)
    SELECT $1, $2, $3, $5, $17::text::json, $18, $19 WHERE {written}
    ON CONFLICT (tenant, kind, stream, version) DO NOTHING)"
            ));
        }
        if self.receipt {
            parts.push(format!(
                "r AS (
    INSERT INTO receipts (tenant, key, kind, stream, version, events, request)
    SELECT $1, $20::text, $2, $3, $21, $22, $45 WHERE {written})"
            ));
        }
        if self.release {
            parts.push(format!(
                "ur AS (
    DELETE FROM unique_keys
    WHERE tenant = $1 AND key = ANY($47::text[]) AND kind = $2 AND stream = $3 AND {written})"
            ));
        }
        if self.index {
            parts.push(format!(
                "x AS (
    INSERT INTO stream_index (tenant, name, value, kind, stream)
    SELECT $1, u.n, u.v, $2, $3 FROM unnest($48::text[], $49::text[]) AS u(n, v)
    WHERE {written}
    ON CONFLICT DO NOTHING)"
            ));
        }
        if self.take {
            // No ON CONFLICT: a key another stream holds (or is taking, in a transaction
            // not yet committed) fails the whole statement on the primary key. A key this
            // stream holds already is kept as it is.
            parts.push(format!(
                "ut AS (
    INSERT INTO unique_keys (tenant, key, kind, stream)
    SELECT $1, k, $2, $3 FROM unnest($46::text[]) AS k WHERE {written}
      AND NOT EXISTS (SELECT 1 FROM unique_keys h
                      WHERE h.tenant = $1 AND h.key = k AND h.kind = $2 AND h.stream = $3))"
            ));
        }
        if self.counts {
            parts.push(format!(
                "c AS (
    INSERT INTO status_counts (tenant, kind, status, n)
    SELECT $1, $2, u.st, u.d FROM unnest($23::int2[], $24::int8[]) AS u(st, d)
    WHERE {written}
    ON CONFLICT (tenant, kind, status) DO UPDATE SET n = status_counts.n + excluded.n)"
            ));
        }
        if self.groups {
            parts.push(format!(
                "g AS ({})",
                tallies::add_groups_sql(25, &format!("u.idx = 0 AND {written}"))
            ));
        }
        if self.hours {
            parts.push(format!(
                "h AS ({})",
                tallies::add_hours_sql(38, &format!("u.idx = 0 AND {written}"))
            ));
        }
        let mut answer = format!(
            "SELECT {fresh}, {written},
    (SELECT version FROM streams WHERE tenant = $1 AND kind = $2 AND stream = $3)"
        );
        if self.wake {
            parts.push(format!(
                "n AS (SELECT pg_notify('{WAKE_CHANNEL}', '') WHERE {written})"
            ));
            // A CTE that modifies nothing runs only if read.
            answer.push_str(", (SELECT count(*) FROM n)");
        }
        format!("WITH {}\n{answer}", parts.join(",\n"))
    }
}

/// The parameter types: the commit's (`$1..$22`), its counters (`$23..$24`), tallies
/// (`$25..$44`), the receipt's request (`$45`), unique keys taken and released (`$46..$47`),
/// index keys' names and values (`$48..$49`).
static TYPES: LazyLock<Vec<Type>> = LazyLock::new(|| {
    [
        &COMMIT_TYPES[..],
        &tallies::GROUP_TYPES,
        &tallies::HOUR_TYPES,
        &[
            Type::BYTEA,
            Type::TEXT_ARRAY,
            Type::TEXT_ARRAY,
            Type::TEXT_ARRAY,
            Type::TEXT_ARRAY,
        ],
    ]
    .concat()
});

const COMMIT_TYPES: [Type; 24] = [
    Type::UUID,
    Type::INT2,
    Type::UUID,
    Type::INT8,
    Type::INT8,
    Type::INT2,
    Type::TEXT,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT4,
    Type::INT8_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT4_ARRAY,
    Type::TIMESTAMPTZ_ARRAY,
    Type::TEXT,
    Type::UUID,
    Type::TIMESTAMPTZ,
    Type::TEXT,
    Type::INT8,
    Type::INT4,
    // Counters.
    Type::INT2_ARRAY,
    Type::INT8_ARRAY,
];

const SCHEMA: i32 = DomainEvent::SCHEMA_VERSION as i32;

/// The parameter types of every lone statement.
#[cfg(test)]
pub(crate) fn types() -> &'static [Type] {
    &TYPES
}

/// The statement of every shape a commit can have (all 2^13 are few enough to prepare),
/// each with its shape for the message of a test.
#[cfg(test)]
pub(crate) fn every_shape() -> impl Iterator<Item = (String, String)> {
    (0u32..1 << 13).map(|bits| {
        let on = |bit: u32| bits & (1 << bit) != 0;
        let shape = Shape {
            new_stream: on(0),
            receipt: on(1),
            events: on(2),
            outbox: on(3),
            work: on(4),
            timers: on(5),
            counts: on(6),
            groups: on(7),
            hours: on(8),
            wake: on(9),
            take: on(10),
            release: on(11),
            index: on(12),
        };
        (format!("{shape:?}"), shape.sql())
    })
}

/// Writes one commit.
pub(crate) async fn write(
    client: &Conn,
    p: &Prepared,
    notify: bool,
) -> Result<Result<(), StoreError>, tokio_postgres::Error> {
    let deltas = p.status_deltas();
    let (statuses, deltas): (Vec<i16>, Vec<i64>) = deltas.into_iter().unzip();
    let mut rows = tallies::Rows::default();
    if let Some((campaign, tallies)) = p.tally_change() {
        rows.add(0, p.tenant, campaign, &tallies);
    }
    let shape = Shape::of(p, !statuses.is_empty(), &rows, notify);
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![
        &p.tenant,
        &p.kind,
        &p.stream,
        &p.expected,
        &p.version,
        &p.status,
        &p.snapshot,
        &p.timers,
        &p.next_due,
        &p.event_types,
        &p.event_payloads,
        &SCHEMA,
        &p.outbox_versions,
        &p.outbox_messages,
        &p.outbox_attempts,
        &p.outbox_available,
        &p.work,
        &p.work_owner,
        &p.work_until,
        &p.receipt_key,
        &p.receipt_version,
        &p.receipt_events,
        &statuses,
        &deltas,
    ];
    params.extend(rows.group_params());
    params.extend(rows.hour_params());
    params.extend([
        &p.receipt_request as &(dyn ToSql + Sync),
        &p.unique_take,
        &p.unique_release,
        &p.index_names,
        &p.index_values,
    ]);
    let row = client
        .query_one(&shape.sql(), &typed(&params, &TYPES))
        .await?;
    Ok(p.outcome(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
}
