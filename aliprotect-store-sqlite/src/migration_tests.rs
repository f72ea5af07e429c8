//! Files of older schemas, built from the migration scripts themselves and filled with rows
//! copied from a current file, open with everything kept: events, snapshots, tallies, and the
//! outbox messages and timers still waiting, each with its tenant.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use aliprotect_core::campaign::Campaign;
use aliprotect_core::ids::{
    CampaignId, ComplaintId, PowerOfAttorneyId, RepresentativeId, TenantId, WorkerId,
};
use aliprotect_core::metrics::Tallies;
use aliprotect_core::notify::{MessageId, NotificationBody};
use aliprotect_core::party::{PowerOfAttorney, PowerScope};
use aliprotect_core::power::PowerStatus;
use aliprotect_core::store::{
    Claim, Commit, Lease, OutboxMessage, Snapshot, StreamId, Timer, TimerKind,
};
use aliprotect_core::testkit::fixtures;
use chrono::Duration;
use rusqlite::Connection;

use crate::SqliteStore;
use crate::schema::MIGRATIONS;
use aliprotect_core::store::prelude::*;

/// A filed complaint of `tenant` against a named seller, with a pending message and a timer.
fn commit_of(tenant: TenantId, product: u64) -> Commit {
    let mut commit = fixtures::filed_commit(tenant, product, ComplaintId::new());
    let stream = commit.stream;
    commit.outbox = vec![OutboxMessage::new(
        MessageId {
            tenant,
            stream,
            version: 1,
        },
        fixtures::now(),
        NotificationBody::CheckBackDue { number: 1 },
    )];
    commit.timers = vec![Timer {
        tenant,
        stream,
        kind: TimerKind::CheckBack,
        due: fixtures::now() + Duration::days(3),
    }];
    commit
}

/// Copies the rows of the current file `from` into a new file at `to` of schema `version`.
fn downgrade(from: &Path, to: &Path, version: usize) {
    let connection = Connection::open(to).unwrap();
    for script in &MIGRATIONS[..version] {
        connection.execute_batch(script).unwrap();
    }
    connection
        .pragma_update(None, "user_version", version as i64)
        .unwrap();
    connection
        .execute("ATTACH DATABASE ?1 AS current", [from.to_str().unwrap()])
        .unwrap();
    let outbox_columns = if version >= 2 {
        "seq, stream, version, message, attempts, available_at, tenant, dead_error"
    } else {
        "seq, stream, version, message, attempts, available_at"
    };
    let mut copy = format!(
        "INSERT INTO events SELECT tenant, stream, version, type, schema, payload
             FROM current.events;
         INSERT INTO streams(tenant, stream, version, kind, status, prev_status, snapshot,
             timers, next_due)
             SELECT tenant, stream, version, kind, status, prev_status, snapshot, timers,
             next_due FROM current.streams;
         INSERT INTO status_counts SELECT * FROM current.status_counts;
         INSERT INTO receipts(tenant, key, stream, version, events)
             SELECT tenant, key, stream, version, events FROM current.receipts;
         INSERT INTO outbox({outbox_columns}) SELECT {outbox_columns} FROM current.outbox;"
    );
    if version >= 9 {
        copy.push_str(
            "INSERT INTO metric_groups SELECT * FROM current.metric_groups;
             INSERT INTO removal_hours SELECT * FROM current.removal_hours;",
        );
    } else if version >= 4 {
        // The rights' and weeks' rows as schema 4 kept them, and a seller by name alone: the
        // migration to 9 counts everything again, so these must not add up twice.
        copy.push_str(
            "INSERT INTO metric_groups SELECT tenant, campaign, dimension, key, filed,
                 in_progress, removed, unable_to_process, counter_noticed, restored, relisted
                 FROM current.metric_groups WHERE dimension IN (0, 1);
             INSERT INTO metric_groups SELECT tenant, campaign, 2, 'shop', 1, 1, 0, 0, 0, 0, 0
                 FROM current.metric_groups WHERE dimension = 0;
             INSERT INTO removal_hours SELECT * FROM current.removal_hours;",
        );
    }
    connection.execute_batch(&copy).unwrap();
}

async fn old_file_opens_with_everything(version: usize, null_tenants: bool) {
    let dir = tempfile::tempdir().unwrap();
    let (current, old) = (
        dir.path().join("current.sqlite"),
        dir.path().join("old.sqlite"),
    );
    let (first, second) = (TenantId::new(), TenantId::new());
    let commits = [commit_of(first, 1), commit_of(second, 2)];
    {
        let store = SqliteStore::open(&current).unwrap();
        for commit in &commits {
            store.commit(commit.clone()).await.unwrap();
        }
    }
    downgrade(&current, &old, version);
    if null_tenants {
        // As written by schema 1: messages without a tenant.
        Connection::open(&old)
            .unwrap()
            .execute("UPDATE outbox SET tenant = NULL", [])
            .unwrap();
    }
    let (power, campaign) = old_parties(&old, first, version);
    let store = SqliteStore::open(&old).unwrap();
    let powers = store.powers(first, power.representative).await.unwrap();
    assert_eq!(powers.len(), 1, "the power row became a stream");
    assert_eq!(powers[0].grant, power);
    assert_eq!(powers[0].status, PowerStatus::InForce);
    let history = store
        .history(first, StreamId::Power(power.id))
        .await
        .unwrap();
    assert_eq!(history.len(), 1, "with its grant as the first event");
    if let Some(campaign) = campaign {
        assert_eq!(
            store.campaigns(first).await.unwrap(),
            vec![campaign],
            "the campaign row became a stream"
        );
    }
    for commit in &commits {
        let loaded = store.load(commit.tenant, commit.stream).await.unwrap();
        assert_eq!(loaded.map(|l| l.snapshot), Some(commit.snapshot.clone()));
        assert_eq!(
            store
                .history(commit.tenant, commit.stream)
                .await
                .unwrap()
                .len(),
            1
        );
        let Snapshot::Complaint(complaint) = &commit.snapshot else {
            unreachable!("a complaint commit")
        };
        assert_eq!(
            store.metric_tallies(commit.tenant, None).await.unwrap(),
            Tallies::of([&**complaint]),
        );
        let on_listing = store
            .complaints_on_listing(commit.tenant, &complaint.filed.listing.key)
            .await
            .unwrap();
        assert_eq!(
            on_listing.iter().map(|row| row.id).collect::<Vec<_>>(),
            vec![complaint.id()],
            "found by its listing: the index was filled from the snapshots"
        );
    }
    let far = fixtures::now() + Duration::days(30);
    let claim = Claim {
        now: far,
        lease: Lease {
            owner: WorkerId::new(),
            until: far + Duration::seconds(60),
        },
        limit: 100,
    };
    let mut messages: Vec<(MessageId, TenantId)> = store
        .claim_outbox(claim)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.id, m.notification.tenant))
        .collect();
    messages.sort();
    let mut expected: Vec<(MessageId, TenantId)> = commits
        .iter()
        .map(|c| (c.outbox[0].id.clone(), c.tenant))
        .collect();
    expected.sort();
    assert_eq!(
        messages, expected,
        "pending messages kept, each with its tenant"
    );
    let mut timers = store.claim_due(claim).await.unwrap().timers;
    timers.sort_by_key(|t| t.tenant);
    let mut expected: Vec<Timer> = commits.iter().map(|c| c.timers[0].clone()).collect();
    expected.sort_by_key(|t| t.tenant);
    assert_eq!(timers, expected, "timers kept");
    let version: i64 = Connection::open(&old)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, crate::SCHEMA_VERSION);
}

/// Writes a power of attorney and (from schema 3, which added campaigns) a campaign into the
/// tables they had before schema 6.
fn old_parties(
    path: &Path,
    tenant: TenantId,
    version: usize,
) -> (PowerOfAttorney, Option<Campaign>) {
    let connection = Connection::open(path).unwrap();
    let power = PowerOfAttorney {
        id: PowerOfAttorneyId::new(),
        holder: fixtures::holder().id,
        representative: RepresentativeId::new(),
        scope: PowerScope::AllRights,
        valid_from: fixtures::now(),
        valid_until: Some(fixtures::now() + Duration::days(365)),
    };
    connection
        .execute(
            "INSERT INTO powers(tenant, representative, id, power) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![
                &tenant.as_uuid().into_bytes()[..],
                &power.representative.as_uuid().into_bytes()[..],
                &power.id.as_uuid().into_bytes()[..],
                serde_json::to_string(&power).unwrap(),
            ],
        )
        .unwrap();
    if version < 3 {
        return (power, None);
    }
    let campaign = Campaign::new(
        CampaignId::new(),
        tenant,
        fixtures::text("Earbuds sweep"),
        vec![],
        fixtures::now(),
    );
    // As schema 3 stored it: without the `archived` field added later.
    let mut json = serde_json::to_value(&campaign).unwrap();
    json.as_object_mut().unwrap().remove("archived");
    connection
        .execute(
            "INSERT INTO campaigns(tenant, id, campaign) VALUES (?1, ?2, ?3)",
            rusqlite::params![
                &tenant.as_uuid().into_bytes()[..],
                &campaign.id.as_uuid().into_bytes()[..],
                json.to_string(),
            ],
        )
        .unwrap();
    (power, Some(campaign))
}

#[tokio::test]
async fn a_schema_5_file_opens_with_its_powers_and_campaigns_as_streams() {
    old_file_opens_with_everything(5, false).await;
}

#[tokio::test]
async fn a_schema_4_file_opens_with_its_pending_messages_and_timers() {
    old_file_opens_with_everything(4, false).await;
}

#[tokio::test]
async fn a_schema_1_file_opens_and_its_messages_get_their_streams_tenants() {
    // Schema 1 had no tenant column: migration 2 adds it empty.
    old_file_opens_with_everything(1, false).await;
}

#[tokio::test]
async fn schema_1_messages_carried_into_schema_4_get_their_streams_tenants() {
    old_file_opens_with_everything(4, true).await;
}

#[tokio::test]
async fn a_schema_8_file_counts_its_complaints_again_in_the_present_groups() {
    let dir = tempfile::tempdir().unwrap();
    let (current, old) = (
        dir.path().join("current.sqlite"),
        dir.path().join("old.sqlite"),
    );
    let commits = [commit_of(TenantId::new(), 1), commit_of(TenantId::new(), 2)];
    {
        let store = SqliteStore::open(&current).unwrap();
        for commit in &commits {
            store.commit(commit.clone()).await.unwrap();
        }
    }
    downgrade(&current, &old, 8);
    let store = SqliteStore::open(&old).unwrap();
    for commit in &commits {
        let Snapshot::Complaint(complaint) = &commit.snapshot else {
            unreachable!("a complaint commit")
        };
        let tallies = store.metric_tallies(commit.tenant, None).await.unwrap();
        assert_eq!(tallies, Tallies::of([&**complaint]));
        assert_eq!(
            tallies.sellers().count(),
            1,
            "the seller by its marketplace, not the row by name alone"
        );
    }
}
