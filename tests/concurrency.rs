//! 16 tasks hammer the same 10 complaints on two worker threads: no update is lost, every
//! stream's version equals its event count, and the read model equals a replay.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use aliprotect::complaint::{ComplaintCommand, ComplaintDecider, ComplaintStatus};
use aliprotect::decider::Decider;
use aliprotect::engine::{Command, Request};
use aliprotect::party::Actor;
use aliprotect::store::{CountBy, DomainEvent, GroupKey, StreamId};
use common::Harness;

const TASKS: usize = 16;
const ROUNDS: usize = 60;
const COMPLAINTS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_tasks_on_ten_complaints_lose_nothing() {
    let h = Harness::new();
    let right = h.approved_right().await;
    let mut ids = Vec::new();
    for i in 0..COMPLAINTS {
        let id = h.filed(right, 5_000 + i as u64).await;
        h.platform(Command::complaint(id, ComplaintCommand::Accept))
            .await;
        ids.push(id);
    }

    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let engine = h.engine.clone();
        let ids = ids.clone();
        let tenant = h.tenant;
        tasks.push(tokio::spawn(async move {
            let mut accepted = 0usize;
            for round in 0..ROUNDS {
                let id = ids[(task + round) % COMPLAINTS];
                // Check-backs always apply; counter-notices only up to the policy's limit,
                // so some of these are refused: refusals must write nothing.
                let (actor, command) = if round % 7 == 3 {
                    (
                        Actor::Platform,
                        ComplaintCommand::ReceiveCounterNotice {
                            statement: aliprotect::testkit::fixtures::text("dispute"),
                            evidence: vec![],
                        },
                    )
                } else {
                    (Actor::System, ComplaintCommand::CheckBackDue)
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
    for task in tasks {
        accepted += task.await.unwrap();
    }

    let mut replayed = Vec::new();
    let mut events_total = 0;
    for id in &ids {
        let history = h
            .engine
            .history(h.tenant, StreamId::Complaint(*id))
            .await
            .unwrap();
        let versions: Vec<u64> = history.iter().map(|e| e.version).collect();
        assert_eq!(versions, (1..=history.len() as u64).collect::<Vec<_>>());
        let events: Vec<_> = history
            .into_iter()
            .filter_map(|e| match e.event {
                DomainEvent::Complaint(e) => Some(e),
                DomainEvent::Right(_) => None,
            })
            .collect();
        events_total += events.len();
        let state = ComplaintDecider::fold(&events).unwrap();
        let loaded = h.engine.complaint(h.tenant, *id).await.unwrap().unwrap();
        assert_eq!(state, loaded, "snapshot equals the replay");
        replayed.push(state);
    }
    // File, Submit and Accept per complaint, then one event per accepted command.
    assert_eq!(events_total, COMPLAINTS * 3 + accepted, "no lost update");

    let mut expected: BTreeMap<ComplaintStatus, u64> = BTreeMap::new();
    for complaint in &replayed {
        *expected.entry(complaint.status()).or_default() += 1;
    }
    let counts: BTreeMap<ComplaintStatus, u64> = h
        .engine
        .complaint_counts(h.tenant, CountBy::Status)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.group == GroupKey::All)
        .map(|c| (c.status, c.count))
        .collect();
    assert_eq!(counts, expected, "read model equals the replay");
}
