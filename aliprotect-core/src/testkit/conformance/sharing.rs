//! Checks of the promises that hold when several workers (engine processes) and many
//! tenants share one database: tenant-scoped keys, visibility across handles, engines
//! sharing work, and racing duplicate requests.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::Notify;

use super::{Builder, claim_timers, key, lease_until, message, record, version_of};
use crate::clock::ManualClock;
use crate::complaint::{ComplaintChange, ComplaintCommand};
use crate::engine::{Command, Engine, Request};
use crate::ids::{ComplaintId, RightId, TenantId, WorkerId};
use crate::notify::MessageId;
use crate::party::Actor;
use crate::policy::MarketplacePolicy;
use crate::store::ReadModelExt;
use crate::store::{
    Claim, CountBy, DomainEvent, IdempotencyKey, Lease, OutboxMessage, Receipt, Settlement,
    Snapshot, Store, StoreError, StreamId, Timer, TimerKind,
};
use crate::testkit::engines::{RecordingNotifier, approve_right};
use crate::testkit::fixtures;

/// Two tenants using the same stream id keep everything apart: events, snapshots, outbox
/// messages (with the same stream and version), timers, receipts under the same key, and
/// counts. Acknowledging one tenant's message leaves the other's in the outbox.
pub async fn tenants_share_stream_ids(store: &dyn Store) {
    let (first, second) = (TenantId::new(), TenantId::new());
    let mut one = Builder::new(first);
    let mut other = Builder::new(second);
    other.id = one.id;
    let stream = one.stream();
    let base = DateTime::<Utc>::UNIX_EPOCH + Duration::days(5);
    for (builder, version_key) in [(&mut one, "shared-key"), (&mut other, "shared-key")] {
        let filing = builder.filing();
        builder
            .run(store, ComplaintCommand::File(Box::new(filing)))
            .await;
        let mut submit = builder.decide(ComplaintCommand::Submit);
        submit.outbox = vec![message(stream, 2, builder.tenant, base)];
        submit.timers = vec![Timer {
            tenant: builder.tenant,
            stream,
            kind: TimerKind::CheckBack,
            due: base,
        }];
        submit.receipt = Some(record(
            key(version_key),
            Receipt {
                stream,
                version: 2,
                events: 1,
            },
        ));
        store
            .commit(submit.clone())
            .await
            .unwrap_or_else(|e| panic!("the same stream id in another tenant is its own: {e}"));
        builder.applied(&submit);
    }
    for builder in [&one, &other] {
        let history = store
            .history(builder.tenant, stream)
            .await
            .expect("history");
        assert_eq!(history.len(), 2, "each tenant has its own two events");
        let loaded = store
            .load(builder.tenant, stream)
            .await
            .expect("load")
            .expect("exists");
        let Snapshot::Complaint(complaint) = loaded.snapshot else {
            panic!("a complaint snapshot");
        };
        assert_eq!(complaint.filed.tenant, builder.tenant, "own snapshot");
        assert!(
            store
                .receipt(builder.tenant, &key("shared-key"))
                .await
                .expect("receipt")
                .is_some(),
            "a key used by two tenants is two receipts"
        );
        let counts = store
            .complaint_counts(builder.tenant, CountBy::Status)
            .await
            .expect("counts");
        assert_eq!(counts.iter().map(|c| c.count).sum::<u64>(), 1);
    }
    let worker = WorkerId::new();
    let at = base + Duration::seconds(1);
    let timers: Vec<TenantId> = claim_timers(store, at, lease_until(at), 10_000)
        .await
        .expect("timers")
        .into_iter()
        .filter(|t| t.stream == stream)
        .map(|t| t.tenant)
        .collect();
    assert_eq!(
        timers.iter().collect::<BTreeSet<_>>(),
        BTreeSet::from([&first, &second]),
        "both tenants' timers on the same stream id are due"
    );
    let lease = Lease {
        owner: worker,
        until: at + Duration::seconds(60),
    };
    let claimed: Vec<OutboxMessage> = store
        .claim_outbox(Claim {
            now: at,
            lease,
            limit: 10_000,
        })
        .await
        .expect("claim")
        .into_iter()
        .filter(|m| m.id.stream == stream)
        .collect();
    assert_eq!(claimed.len(), 2, "one message per tenant, none replaced");
    for message in &claimed {
        assert_eq!(
            message.notification.tenant, message.id.tenant,
            "each message keeps its own tenant's notification"
        );
    }
    assert!(
        store
            .settle_outbox(&claimed[0].id, Settlement::Delivered { owner: worker })
            .await
            .expect("ack")
    );
    let later = at + Duration::seconds(120);
    let left: Vec<MessageId> = store
        .claim_outbox(Claim {
            now: later,
            lease: lease_until(later),
            limit: 10_000,
        })
        .await
        .expect("claim")
        .into_iter()
        .filter(|m| m.id.stream == stream)
        .map(|m| m.id)
        .collect();
    assert_eq!(
        left,
        vec![claimed[1].id.clone()],
        "acknowledging one tenant's message leaves the other's"
    );
}

/// Two handles on one database (as two processes would open it) see each other's commits
/// at once: a load through either reflects every commit that returned before it, whichever
/// handle made it, and a decision on a stale state is refused as a conflict.
///
/// Not part of [`super::run_all`], which has one handle: a backend whose database can be
/// opened twice calls it with two handles.
pub async fn two_handles(first: &dyn Store, second: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(first, tenant).await;
    let stream = builder.stream();
    // Warm both handles' caches, if they keep any.
    for handle in [first, second] {
        assert_eq!(version_of(handle, tenant, stream).await, Some(1));
    }
    builder.run(second, ComplaintCommand::Submit).await;
    let seen = first
        .load(tenant, stream)
        .await
        .expect("load")
        .expect("exists");
    assert_eq!(seen.version, 2, "the other handle's commit is seen at once");

    assert_eq!(
        Some(seen.snapshot),
        builder
            .state
            .clone()
            .map(|c| Snapshot::Complaint(Arc::new(c))),
        "with its state"
    );
    builder.run(first, ComplaintCommand::Accept).await;
    let many = second
        .load_many(&[(tenant, stream)])
        .await
        .expect("load_many");
    assert_eq!(
        many.first().cloned().flatten().map(|l| l.version),
        Some(3),
        "by load_many too, whatever the handle's cache holds"
    );
    assert_eq!(
        version_of(second, tenant, stream).await,
        Some(3),
        "and the other way round"
    );
    let mut stale = builder.decide(ComplaintCommand::RecordRemoval {
        cause: crate::complaint::RemovalCause::PlatformReported,
    });
    stale.expected_version = 2;
    assert!(matches!(
        second.commit(stale).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        second.history(tenant, stream).await.expect("history").len(),
        3
    );
}

pub(super) type CheckEngine<S> = Engine<Arc<S>, RecordingNotifier, ManualClock>;

/// What the checks that drive engines put around a store: the store shared, a manual clock at
/// the fixtures' now and a recording notifier, for [`engine`] to build engines on.
pub(super) fn surroundings<S: Store>(store: S) -> (Arc<S>, ManualClock, RecordingNotifier) {
    (
        Arc::new(store),
        ManualClock::at(fixtures::now()),
        RecordingNotifier::default(),
    )
}

pub(super) fn engine<S: Store>(
    store: &Arc<S>,
    clock: &ManualClock,
    notifier: &RecordingNotifier,
) -> CheckEngine<S> {
    Engine::new(
        Arc::clone(store),
        notifier.clone(),
        clock.clone(),
        MarketplacePolicy::alibaba_ipp(),
    )
}

/// A fresh tenant with an approved right.
pub(super) async fn approved_right<S: Store>(engine: &CheckEngine<S>) -> (TenantId, RightId) {
    let (tenant, right) = (TenantId::new(), RightId::new());
    approve_right(engine, tenant, right)
        .await
        .expect("approval story");
    (tenant, right)
}

/// An approved right of a fresh tenant, and `count` complaints filed, submitted and
/// accepted on it.
async fn accepted_complaints<S: Store>(
    engine: &CheckEngine<S>,
    count: usize,
) -> (TenantId, Vec<ComplaintId>) {
    let (tenant, right) = approved_right(engine).await;
    let run = |actor, command| engine.execute(Request::new(tenant, actor, command));
    let mut ids = Vec::new();
    for i in 0..count {
        let id = ComplaintId::new();
        let filing = fixtures::complaint_filing_on(tenant, right, id, 7_000 + i as u64);
        // Filed, submitted and accepted: the first three steps of a disputed complaint's life.
        for (actor, command) in fixtures::life_of_a_complaint(filing).into_iter().take(3) {
            run(actor, Command::complaint(id, command))
                .await
                .expect("complaint story");
        }
        ids.push(id);
    }
    (tenant, ids)
}

/// Two engines on one store tick and dispatch at the same time: every due timer fires once
/// in effect (one event per timer, never two), and every notification is delivered once
/// (both engines share the receiver, and no lease runs out meanwhile).
pub async fn engines_share_work<S: Store>(store: S) {
    let (store, clock, notifier) = surroundings(store);
    let (a, b) = (
        engine(&store, &clock, &notifier),
        engine(&store, &clock, &notifier),
    );
    let (tenant, ids) = accepted_complaints(&a, 12).await;
    // Past every seller's answer window: each listing's removal is expected (and checked).
    clock.advance(Duration::days(30));
    let (first, second) = tokio::join!(a.jobs().tick(), b.jobs().tick());
    let fired = first.expect("tick").fired + second.expect("tick").fired;
    assert!(fired >= ids.len(), "every complaint's timer fired: {fired}");
    let mut expected = BTreeSet::new();
    for id in &ids {
        let stream = StreamId::Complaint(*id);
        let history = a.read().history(tenant, stream).await.expect("history");
        let expectations = history
            .iter()
            .filter(|e| {
                matches!(
                    &e.event,
                    DomainEvent::Complaint(event)
                        if matches!(event.change, ComplaintChange::RemovalExpected)
                )
            })
            .count();
        assert_eq!(expectations, 1, "{id}: the deadline fired once in effect");
        let events: Vec<DomainEvent> = history.iter().map(|e| e.event.clone()).collect();
        let at = fixtures::now();
        for message in crate::engine::effects::outbox_for(tenant, stream, 1, &events, at) {
            expected.insert(message.id);
        }
    }
    loop {
        let (first, second) = tokio::join!(a.jobs().dispatch(), b.jobs().dispatch());
        let (first, second) = (first.expect("dispatch"), second.expect("dispatch"));
        if !first.handled_any() && !second.handled_any() {
            break;
        }
    }
    let delivered = notifier.delivered().into_iter().map(|(id, _)| id);
    let mut seen: BTreeMap<MessageId, usize> = BTreeMap::new();
    let ours = |id: &MessageId| id.tenant == tenant && matches!(id.stream, StreamId::Complaint(_));
    for id in delivered.filter(ours) {
        *seen.entry(id).or_default() += 1;
    }
    assert!(
        seen.values().all(|n| *n == 1),
        "no message delivered twice while its lease lasted: {seen:?}"
    );
    assert_eq!(
        seen.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "every notification delivered"
    );
}

/// Racing runs of the same request with the same idempotency key all answer with the first
/// run's receipt, and the command is carried out once.
pub async fn racing_idempotent_requests<S: Store>(store: S) {
    let (store, clock, notifier) = surroundings(store);
    let engine = engine(&store, &clock, &notifier);
    let (tenant, ids) = accepted_complaints(&engine, 1).await;
    let id = ids[0];
    for round in 0..8 {
        let key = IdempotencyKey::new(format!("race-{round}")).expect("valid key");
        let command = ComplaintCommand::CheckBackDue;
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let engine = engine.clone();
            let request = Request::new(
                tenant,
                Actor::System,
                Command::complaint(id, command.clone()),
            )
            .idempotent(key.clone());
            tasks.spawn(async move { engine.execute(request).await });
        }
        let mut receipts = BTreeSet::new();
        while let Some(joined) = tasks.join_next().await {
            let receipt = joined
                .expect("task")
                .unwrap_or_else(|e| panic!("a racing duplicate must get the receipt: {e}"));
            receipts.insert((receipt.version, receipt.events));
        }
        assert_eq!(receipts.len(), 1, "round {round}: one receipt for all");
    }
    let history = engine
        .read()
        .history(tenant, StreamId::Complaint(id))
        .await
        .expect("history");
    assert_eq!(history.len(), 3 + 8, "each keyed command ran once");
}

/// Two engines, each on its own handle of one database, take turns on a complaint: each
/// command is valid only after the other engine's last one, so an engine deciding on a
/// stale cached state would refuse it. Every command succeeds, and both engines then read
/// the same state and history.
///
/// Not part of [`super::run_all`], which has one handle: a backend whose database can be
/// opened twice calls it with two handles.
pub async fn two_engines_on_two_handles<S: Store>(first: S, second: S) {
    let clock = ManualClock::at(fixtures::now());
    let notifier = RecordingNotifier::default();
    let (a, b) = (
        engine(&Arc::new(first), &clock, &notifier),
        engine(&Arc::new(second), &clock, &notifier),
    );
    let (tenant, ids) = accepted_complaints(&a, 1).await;
    let id = ids[0];
    // Each engine reads the complaint, so a cache (if any) holds it.
    for engine in [&a, &b] {
        engine.read().complaint(tenant, id).await.expect("load");
    }
    let steps = [
        (
            &b,
            Actor::Seller,
            ComplaintCommand::ReceiveCounterNotice {
                statement: fixtures::text("We are an authorised reseller."),
                evidence: vec![],
            },
        ),
        (
            &a,
            fixtures::holder_user(),
            ComplaintCommand::Respond {
                statement: fixtures::text("The reseller holds no licence."),
                evidence: vec![],
            },
        ),
        (
            &b,
            Actor::Platform,
            ComplaintCommand::RecordRemoval {
                cause: crate::complaint::RemovalCause::PlatformReported,
            },
        ),
    ];
    for (engine, actor, command) in steps {
        let actor = match actor {
            Actor::HolderUser { user, .. } => Actor::HolderUser { tenant, user },
            other => other,
        };
        let name = command.name();
        engine
            .execute(Request::new(tenant, actor, Command::complaint(id, command)))
            .await
            .unwrap_or_else(|e| panic!("{name} after the other engine's command: {e}"));
    }
    let (seen_a, seen_b) = (
        a.read().complaint(tenant, id).await.expect("load"),
        b.read().complaint(tenant, id).await.expect("load"),
    );
    assert_eq!(seen_a, seen_b, "both engines see the same state");
    let history = a
        .read()
        .history(tenant, StreamId::Complaint(id))
        .await
        .expect("history");
    assert_eq!(
        history.len(),
        3 + 3,
        "filed, submitted, accepted, then the three steps"
    );
}

/// For a store that hands out wake-ups (`wake`, woken by commits of any handle of the
/// database): a worker on `first`, idle for an hour, delivers a notification committed
/// through `second` at once, without waiting for its poll.
pub async fn wake_ups_reach_idle_workers<S: Store>(first: S, second: S, wake: Arc<Notify>) {
    let clock = ManualClock::at(fixtures::now());
    let notifier = RecordingNotifier::default();
    let (a, b) = (
        engine(&Arc::new(first), &clock, &notifier),
        engine(&Arc::new(second), &clock, &notifier),
    );
    let worker = a
        .jobs()
        .spawn_worker(std::time::Duration::from_secs(3600), Some(wake));
    // Let the worker's first look find nothing and go idle.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(notifier.delivered().is_empty(), "nothing to deliver yet");
    accepted_complaints(&b, 1).await;
    let delivered = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while notifier.delivered().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    worker.shutdown().await;
    assert!(
        delivered.is_ok(),
        "an idle worker must be woken by another handle's commit, not wait for its poll"
    );
}
