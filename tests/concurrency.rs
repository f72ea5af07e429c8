//! Many tasks hammer the same complaints through one engine, on the memory store (16 tasks,
//! 10 complaints) and on SQLite (32 tasks, 10 complaints): no update is lost, every stream's
//! version equals its event count, and the read model equals a replay.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use aliprotect::clock::ManualClock;
use aliprotect::complaint::{ComplaintCommand, ComplaintDecider, ComplaintStatus};
use aliprotect::decider::Decider;
use aliprotect::engine::{Command, Engine, Request};
use aliprotect::ids::{ComplaintId, TenantId};
use aliprotect::notify::DiscardNotifier;
use aliprotect::party::Actor;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store::{CountBy, GroupKey, Store, StreamId};
use aliprotect::store_sqlite::SqliteStore;
use aliprotect::testkit::engines::approved_right;
use aliprotect::testkit::fixtures;

const ROUNDS: usize = 60;
const COMPLAINTS: usize = 10;

/// Lets `tasks` tasks send check-backs, counter-notices (accepted up to the policy's limit)
/// and responses (accepted only after a counter-notice) at the same complaints, then checks
/// that the accepted ones, and only they, are stored.
async fn hammer<S: Store, C: aliprotect::clock::Clock>(
    engine: Engine<S, DiscardNotifier, C>,
    tenant: TenantId,
    ids: Vec<ComplaintId>,
    tasks: usize,
) {
    let mut handles = Vec::new();
    for task in 0..tasks {
        let engine = engine.clone();
        let ids = ids.clone();
        handles.push(tokio::spawn(async move {
            let mut accepted = 0usize;
            for round in 0..ROUNDS {
                let id = ids[(task + round) % COMPLAINTS];
                let (actor, command) = match round % 7 {
                    3 => (
                        Actor::Platform,
                        ComplaintCommand::ReceiveCounterNotice {
                            statement: fixtures::text("dispute"),
                            evidence: vec![],
                        },
                    ),
                    4 | 5 => (
                        fixtures::holder_user(),
                        ComplaintCommand::Respond {
                            statement: fixtures::text("answer"),
                            evidence: vec![],
                        },
                    ),
                    _ => (Actor::System, ComplaintCommand::CheckBackDue),
                };
                let request = Request::new(tenant, actor, Command::complaint(id, command));
                if engine.execute(request).await.is_ok() {
                    accepted += 1;
                }
                tokio::task::yield_now().await;
            }
            accepted
        }));
    }
    let mut accepted = 0;
    for handle in handles {
        accepted += handle.await.unwrap();
    }

    let mut replayed = Vec::new();
    let mut events_total = 0;
    for id in &ids {
        let history = engine
            .read()
            .history(tenant, StreamId::Complaint(*id))
            .await
            .unwrap();
        let versions: Vec<u64> = history.iter().map(|e| e.version).collect();
        assert_eq!(versions, (1..=history.len() as u64).collect::<Vec<_>>());
        let events = fixtures::complaint_events(history);
        events_total += events.len();
        let state = ComplaintDecider::fold(&events).unwrap();
        let loaded = engine.read().complaint(tenant, *id).await.unwrap().unwrap();
        assert_eq!(state, loaded, "snapshot equals the replay");
        replayed.push(state);
    }
    // File, Submit and Accept per complaint, then one event per accepted command.
    assert_eq!(events_total, COMPLAINTS * 3 + accepted, "no lost update");
    assert!(
        accepted > tasks * ROUNDS / 2,
        "most commands went through: {accepted}"
    );

    let mut expected: BTreeMap<ComplaintStatus, u64> = BTreeMap::new();
    for complaint in &replayed {
        *expected.entry(complaint.status()).or_default() += 1;
    }
    let counts: BTreeMap<ComplaintStatus, u64> = engine
        .read()
        .complaint_counts(tenant, CountBy::Status)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.group == GroupKey::All)
        .map(|c| (c.status, c.count))
        .collect();
    assert_eq!(counts, expected, "read model equals the replay");
}

async fn prepared<S: Store, C: aliprotect::clock::Clock>(
    engine: &Engine<S, DiscardNotifier, C>,
) -> Vec<ComplaintId> {
    let tenant = fixtures::tenant();
    let right = approved_right(engine, tenant).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..COMPLAINTS {
        let id = ComplaintId::new();
        let filing = fixtures::complaint_filing_on(tenant, right, id, 5_000 + i as u64);
        // Filed, submitted and accepted: the first three steps of a disputed complaint's life.
        for (actor, command) in fixtures::life_of_a_complaint(filing).into_iter().take(3) {
            let request = Request::new(tenant, actor, Command::complaint(id, command));
            engine.execute(request).await.unwrap();
        }
        ids.push(id);
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_tasks_on_ten_complaints_lose_nothing_in_memory() {
    let engine = Engine::new(
        aliprotect::store_memory::MemoryStore::new(),
        DiscardNotifier,
        ManualClock::at(fixtures::now()),
        MarketplacePolicy::alibaba_ipp(),
    );
    let ids = prepared(&engine).await;
    hammer(engine, fixtures::tenant(), ids, 16).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_tasks_on_ten_complaints_lose_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("hammer.sqlite")).unwrap();
    let engine = Engine::new(
        store,
        DiscardNotifier,
        ManualClock::at(fixtures::now()),
        MarketplacePolicy::alibaba_ipp(),
    );
    let ids = prepared(&engine).await;
    hammer(engine, fixtures::tenant(), ids, 32).await;
}
