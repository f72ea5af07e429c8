//! Schema 6: powers of attorney and campaigns, rows of their own tables until then, become
//! streams. Each row turns into a stream with one event (granted, created) recorded by the
//! system at the time the row gives, so nothing is lost and later changes have a history.

use aliprotect_core::campaign::{Campaign, CampaignChange, CampaignDecider};
use aliprotect_core::decider::{Decider, Recorded};
use aliprotect_core::party::{Actor, PowerOfAttorney};
use aliprotect_core::power::{PowerChange, PowerDecider, PowerStatus};
use aliprotect_core::store::{DomainEvent, Snapshot, StreamId, Timer, TimerKind};
use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};

use crate::codec;

/// A failure while converting, as SQLite sees it (the migration is rolled back).
fn failed(error: impl ToString) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(error.to_string().into())
}

/// Converts every row of `powers` and `campaigns` into a stream, then drops both tables.
pub(crate) fn convert(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let powers: Vec<(Vec<u8>, String)> = tx
        .prepare("SELECT tenant, power FROM powers ORDER BY tenant, id")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (tenant_key, json) in powers {
        let tenant = codec::tenant_of(&tenant_key).map_err(failed)?;
        let power: PowerOfAttorney = codec::from_json("power", &json).map_err(failed)?;
        let stream = StreamId::Power(power.id);
        let at = power.valid_from;
        let until = power.valid_until;
        let event = Recorded {
            at,
            actor: Actor::System,
            change: PowerChange::Granted { tenant, power },
        };
        let Some(state) = PowerDecider::evolve(None, &event) else {
            return Err(failed("a grant makes a power"));
        };
        let change = DomainEvent::Power(event);
        let timers: Vec<Timer> = until
            .filter(|_| state.status == PowerStatus::InForce)
            .map(|due| Timer {
                tenant,
                stream,
                kind: TimerKind::PowerExpiry,
                due,
            })
            .into_iter()
            .collect();
        let snapshot = Snapshot::Power(state.into());
        insert_stream(tx, &tenant_key, stream, &change, &snapshot, &timers)?;
    }
    let campaigns: Vec<(Vec<u8>, String)> = tx
        .prepare("SELECT tenant, campaign FROM campaigns ORDER BY tenant, id")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (tenant_key, json) in campaigns {
        let campaign: Campaign = codec::from_json("campaign", &json).map_err(failed)?;
        let stream = StreamId::Campaign(campaign.id);
        let at: DateTime<Utc> = campaign.created_at;
        let event = Recorded {
            at,
            actor: Actor::System,
            change: CampaignChange::Created(Box::new(campaign)),
        };
        let Some(state) = CampaignDecider::evolve(None, &event) else {
            return Err(failed("a creation makes a campaign"));
        };
        let change = DomainEvent::Campaign(event);
        let snapshot = Snapshot::Campaign(state.into());
        insert_stream(tx, &tenant_key, stream, &change, &snapshot, &[])?;
    }
    tx.execute_batch("DROP TABLE powers; DROP TABLE campaigns;")
}

fn insert_stream(
    tx: &Transaction<'_>,
    tenant_key: &[u8],
    stream: StreamId,
    event: &DomainEvent,
    snapshot: &Snapshot,
    timers: &[Timer],
) -> rusqlite::Result<()> {
    let stream_key = codec::stream_key(stream);
    let encoded = codec::encode_event(event).map_err(failed)?;
    let (timers_json, next_due) = codec::encode_timers(timers).map_err(failed)?;
    let (kind, status) = (
        codec::kind_of(snapshot),
        codec::status_code(aliprotect_core::store::StreamStatus::of(snapshot)),
    );
    tx.execute(
        "INSERT INTO events(tenant, stream, version, type, schema, payload)
         VALUES (?1, ?2, 1, ?3, ?4, ?5)",
        params![
            tenant_key,
            &stream_key[..],
            encoded.type_name,
            DomainEvent::SCHEMA_VERSION,
            encoded.json
        ],
    )?;
    tx.execute(
        "INSERT INTO streams(tenant, stream, version, kind, status, snapshot, timers, next_due)
         VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7)",
        params![
            tenant_key,
            &stream_key[..],
            kind,
            status,
            codec::to_json(snapshot).map_err(failed)?,
            timers_json,
            next_due
        ],
    )?;
    tx.execute(
        "INSERT INTO status_counts(tenant, kind, status, n) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT(tenant, kind, status) DO UPDATE SET n = n + 1",
        params![tenant_key, kind, status],
    )?;
    Ok(())
}
