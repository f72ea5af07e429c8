//! The engine's promises beyond the state machines: authorization, tenant isolation,
//! idempotency, timers that fire once, and notifications retried until delivered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aliprotect::backend::Due;
use aliprotect::complaint::ComplaintCommand;
use aliprotect::engine::{Command, EngineError, Forbidden, Request};
use aliprotect::ids::{
    ComplaintId, PowerOfAttorneyId, RepresentativeId, RightId, TenantId, UserId,
};
use aliprotect::notify::NotificationBody;
use aliprotect::party::{Actor, PowerOfAttorney, PowerScope};
use aliprotect::power::{PowerCommand, PowerStatus};
use aliprotect::right::{RightCommand, RightStatus};
use aliprotect::store::{IdempotencyKey, StreamId};
use aliprotect::testkit::fixtures;
use chrono::{Duration, TimeZone, Utc};
use common::Harness;

/// Why the engine forbade a command, if `err` is that refusal.
fn forbidden(err: &EngineError) -> Option<&Forbidden> {
    match err {
        EngineError::Forbidden { reason, .. } => Some(reason),
        _ => None,
    }
}

#[tokio::test]
async fn each_side_issues_only_its_own_commands() {
    let h = Harness::new();
    let right = RightId::new();
    h.holder(h.register(right)).await;
    h.holder(Command::right(right, RightCommand::Submit)).await;
    h.platform(Command::right(right, RightCommand::BeginReview))
        .await;
    let err = h
        .run(
            fixtures::holder_user(),
            Command::right(right, RightCommand::Approve),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(forbidden(&err), Some(Forbidden::WrongSide { .. })),
        "{err}"
    );
    let err = h
        .run(
            Actor::Seller,
            Command::right(right, RightCommand::Withdraw { reason: None }),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::Forbidden { .. }));
    let status = h.right(right).await.status;
    assert_eq!(status, RightStatus::UnderReview, "nothing written");
}

#[tokio::test]
async fn representatives_act_only_within_a_power_in_force() {
    let h = Harness::new();
    let rep = RepresentativeId::new();
    let actor = Actor::Representative {
        tenant: h.tenant,
        representative: rep,
    };
    let right = RightId::new();
    let err = h.run(actor, h.register(right)).await.unwrap_err();
    assert!(
        matches!(forbidden(&err), Some(Forbidden::NoPowerOfAttorney { .. })),
        "{err}"
    );
    assert!(
        h.engine
            .read()
            .right(h.tenant, right)
            .await
            .unwrap()
            .is_none(),
        "nothing written"
    );

    let mut power = PowerOfAttorney {
        id: PowerOfAttorneyId::new(),
        holder: fixtures::holder().id,
        representative: rep,
        scope: PowerScope::Rights(vec![right]),
        valid_from: fixtures::now() - Duration::days(1),
        valid_until: Some(fixtures::now() + Duration::days(10)),
    };
    let grant = |power: &PowerOfAttorney| {
        Command::power(
            power.id,
            PowerCommand::Grant {
                tenant: h.tenant,
                power: power.clone(),
            },
        )
    };
    assert!(
        matches!(
            h.run(actor, grant(&power)).await,
            Err(EngineError::Forbidden {
                reason: Forbidden::HolderUsersOnly,
                ..
            })
        ),
        "a representative cannot empower itself"
    );
    h.holder(grant(&power)).await;
    h.run(actor, h.register(right)).await.unwrap();

    // Out of scope: another right of the same holder.
    let other = RightId::new();
    assert!(matches!(
        h.run(actor, h.register(other)).await,
        Err(EngineError::Forbidden { .. })
    ));
    // Expired: the power ends, the representative can no longer act.
    h.clock.advance(Duration::days(11));
    assert!(matches!(
        h.run(actor, Command::right(right, RightCommand::Submit))
            .await,
        Err(EngineError::Forbidden { .. })
    ));
    // The expiry is recorded by the engine's timer, in the power's history.
    h.engine.jobs().tick().await.unwrap();
    let expired = h
        .engine
        .read()
        .power(h.tenant, power.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(expired.status, PowerStatus::Expired);
    // A new power without an end: the representative acts again, until it is revoked.
    power.id = PowerOfAttorneyId::new();
    power.valid_until = None;
    h.holder(grant(&power)).await;
    h.run(actor, Command::right(right, RightCommand::Submit))
        .await
        .unwrap();
    h.holder(Command::power(
        power.id,
        PowerCommand::Revoke {
            reason: Some(fixtures::text("engagement ended")),
        },
    ))
    .await;
    assert!(matches!(
        h.run(
            actor,
            Command::right(right, RightCommand::Withdraw { reason: None })
        )
        .await,
        Err(EngineError::Forbidden { .. })
    ));
    let history = h.history(StreamId::Power(power.id)).await;
    assert_eq!(history.len(), 2, "granted, revoked");
}

#[tokio::test]
async fn nothing_of_one_tenant_is_visible_or_changeable_from_another() {
    let h = Harness::new();
    let right = h.approved_right().await;
    let complaint = h.filed(right, 42).await;
    let stranger = TenantId::new();
    let stranger_user = Actor::HolderUser {
        tenant: stranger,
        user: UserId::new(),
    };
    let err = h
        .engine
        .execute(Request::new(
            stranger,
            stranger_user,
            Command::complaint(complaint, ComplaintCommand::Retract { reason: None }),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::NotFound(StreamId::Complaint(id)) if id == complaint));
    assert!(
        h.engine
            .read()
            .complaint(stranger, complaint)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        h.engine
            .read()
            .history(stranger, StreamId::Right(right))
            .await
            .unwrap()
            .is_empty()
    );
    // An actor of another tenant cannot act in this one.
    let err = h
        .run(
            stranger_user,
            Command::complaint(complaint, ComplaintCommand::Retract { reason: None }),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(forbidden(&err), Some(Forbidden::OtherTenant)),
        "{err}"
    );
    // A complaint cannot rest on another tenant's right.
    let filing = fixtures::complaint_filing_on(stranger, right, ComplaintId::new(), 43);
    let err = h
        .engine
        .execute(Request::new(
            stranger,
            stranger_user,
            Command::complaint(filing.id, ComplaintCommand::File(Box::new(filing))),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::ComplaintRefused(_)), "{err}");
}

#[tokio::test]
async fn creation_commands_must_match_the_request() {
    let h = Harness::new();
    let err = h
        .run(
            fixtures::holder_user(),
            Command::right(
                RightId::new(),
                RightCommand::Register {
                    id: RightId::new(),
                    tenant: h.tenant,
                    package: Box::new(fixtures::trademark_package()),
                },
            ),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::InvalidCommand(_)));
    let err = h
        .run(
            fixtures::holder_user(),
            Command::right(RightId::new(), RightCommand::Submit),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::NotFound(_)));
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_first_receipt_and_writes_nothing() {
    let h = Harness::new();
    let right = h.approved_right().await;
    let complaint = h.filed(right, 7).await;
    h.accept(complaint).await;
    let key = IdempotencyKey::new("check-back-2026-03-02").unwrap();
    let request = Request::new(
        h.tenant,
        Actor::System,
        Command::complaint(complaint, ComplaintCommand::CheckBackDue),
    )
    .idempotent(key);
    let first = h.engine.execute(request.clone()).await.unwrap();
    let second = h.engine.execute(request.clone()).await.unwrap();
    assert_eq!(first, second);
    let (a, b) = tokio::join!(h.engine.execute(request.clone()), h.engine.execute(request));
    assert_eq!((a.unwrap(), b.unwrap()), (first, first));
    let state = h.complaint(complaint).await;
    assert_eq!(state.check_backs, 1, "ran once");
}

#[tokio::test]
async fn timers_fire_once_through_the_command_path() {
    let h = Harness::new();
    let right = h.approved_right().await;
    let complaint = h.filed(right, 8).await;
    h.accept(complaint).await;
    assert_eq!(
        h.engine.jobs().tick().await.unwrap().fired,
        0,
        "nothing due yet"
    );
    h.clock.advance(Duration::days(6));
    let report = h.engine.jobs().tick().await.unwrap();
    assert_eq!(
        report.fired, 2,
        "the seller deadline, and the check-back it makes due at once"
    );
    assert_eq!(
        h.engine.jobs().tick().await.unwrap().fired,
        0,
        "and only once"
    );
    let state = h.complaint(complaint).await;
    assert_eq!(
        state.stage,
        aliprotect::complaint::Stage::RemovalExpected {
            since: aliprotect::clock::Clock::now(&h.clock)
        },
        "expected, not recorded: nobody has seen it"
    );
    assert_eq!(state.check_backs, 1);
    let history = h.history(StreamId::Complaint(complaint)).await;
    assert_eq!(history.last().unwrap().version, 5);
    assert!(!history.iter().any(|e| matches!(
        &e.event,
        aliprotect::store::DomainEvent::Complaint(event)
            if matches!(event.change, aliprotect::complaint::ComplaintChange::ListingRemoved { .. })
    )));
}

/// More streams than one page of the store's timers: the soonest few are read from the first
/// page, and the store's count gives how many there are in all; asking for more than a
/// page holds reads on.
#[tokio::test]
async fn the_soonest_few_of_many_timers_come_with_the_count_of_all() {
    use aliprotect::engine::TimerQuery;
    let h = Harness::new();
    let right = h.approved_right().await;
    for product in 0..4_200 {
        h.filed(right, 50_000 + product).await;
    }
    let upcoming = async |limit| {
        let query = TimerQuery::soonest(limit);
        h.engine
            .read()
            .upcoming_timers(h.tenant, &query)
            .await
            .unwrap()
    };
    let all = upcoming(usize::MAX).await;
    assert!(all.total > 4_200, "a check-back each, the right's too");
    for limit in [0, 3, 4_500] {
        let some = upcoming(limit).await;
        assert_eq!(
            some.soonest,
            all.soonest[..limit.min(all.total)],
            "limit {limit}"
        );
        assert_eq!(some.total, all.total, "limit {limit}");
        assert!(some.counted, "limit {limit}");
    }
    // Uncounted: the same soonest, read from a page or two, the rest not counted.
    for limit in [3, 50, 4_500] {
        let query = TimerQuery::soonest(limit).uncounted();
        let some = h
            .engine
            .read()
            .upcoming_timers(h.tenant, &query)
            .await
            .unwrap();
        assert_eq!(
            some.soonest,
            all.soonest[..limit.min(all.total)],
            "uncounted, limit {limit}"
        );
        match limit < all.total {
            true => {
                assert!(!some.counted, "limit {limit}: stopped early");
                assert!(
                    some.total < all.total && some.total >= limit,
                    "limit {limit}"
                );
            }
            false => assert_eq!((some.counted, some.total), (true, all.total)),
        }
    }
}

#[tokio::test]
async fn upcoming_timers_are_what_the_ticks_fire() {
    use aliprotect::engine::TimerQuery;
    use aliprotect::store::TimerKind;
    let h = Harness::new();
    let right = h.approved_right().await;
    let (quiet, disputed) = (h.filed(right, 21).await, h.filed(right, 22).await);
    h.accept(disputed).await;
    h.counter_notice(disputed).await;

    let all = TimerQuery::soonest(usize::MAX);
    let upcoming = h.engine.read().upcoming_timers(h.tenant, &all);
    let upcoming = upcoming.await.unwrap().soonest;
    let kinds_of = |stream| {
        let mut kinds: Vec<TimerKind> = upcoming
            .iter()
            .filter(|t| t.stream == stream)
            .map(|t| t.kind)
            .collect();
        kinds.sort();
        kinds
    };
    assert_eq!(kinds_of(StreamId::Complaint(quiet)), [TimerKind::CheckBack]);
    assert_eq!(
        kinds_of(StreamId::Complaint(disputed)),
        [
            TimerKind::ResponseDeadline,
            TimerKind::ResponseDeadlineReminder
        ]
    );
    assert_eq!(
        kinds_of(StreamId::Right(right)),
        [TimerKind::ExpiryReminder, TimerKind::Expiry]
    );
    assert!(
        upcoming.windows(2).all(|w| w[0].due <= w[1].due),
        "soonest first"
    );
    assert_eq!(
        computed_without_a_timer_index(&h).await,
        upcoming,
        "a store that keeps no timer order: the same, from the snapshots"
    );
    let other = h
        .engine
        .read()
        .upcoming_timers(TenantId::new(), &all)
        .await
        .unwrap();
    assert!(other.soonest.is_empty(), "another tenant sees none");
    assert_eq!(other.total, 0);
    let first_two = h
        .engine
        .read()
        .upcoming_timers(h.tenant, &TimerQuery::soonest(2))
        .await
        .unwrap();
    assert_eq!(
        first_two.soonest,
        upcoming[..2],
        "a limit keeps the soonest"
    );
    assert_eq!(first_two.total, upcoming.len(), "and counts them all");
    let until = upcoming[1].due;
    let by_then = h
        .engine
        .read()
        .upcoming_timers(h.tenant, &TimerQuery::soonest(usize::MAX).until(until))
        .await
        .unwrap();
    let expected: Vec<_> = upcoming
        .iter()
        .filter(|t| t.due <= until)
        .cloned()
        .collect();
    assert_eq!(by_then.soonest, expected, "only those due by then");
    assert_eq!(by_then.total, expected.len());
    let deadlines = h
        .engine
        .read()
        .upcoming_timers(
            h.tenant,
            &TimerQuery::soonest(usize::MAX).of_kinds([TimerKind::ResponseDeadline]),
        )
        .await
        .unwrap();
    assert_eq!(
        deadlines
            .soonest
            .iter()
            .map(|t| t.stream)
            .collect::<Vec<_>>(),
        [StreamId::Complaint(disputed)],
        "only the kinds asked for"
    );

    // Each tick at a timer's due time fires exactly the timers listed as due by then.
    let first = upcoming[0].due;
    h.clock.set(first);
    let due_now = upcoming.iter().filter(|t| t.due <= first).count();
    assert_eq!(h.engine.jobs().tick().await.unwrap().fired, due_now);
    let after = h.engine.read().upcoming_timers(h.tenant, &all);
    let after = after.await.unwrap().soonest;
    assert!(
        after.iter().all(|t| t.due > first),
        "fired timers are no longer upcoming"
    );
}

/// What an engine on a store that keeps no timer order (`Schedule::pending_timers` left to
/// its default) answers for `h`'s tenant's upcoming timers: computed from the snapshots of
/// `h`'s store.
async fn computed_without_a_timer_index(h: &Harness) -> Vec<aliprotect::store::Timer> {
    use aliprotect::backend::{Find, MockStore, StreamKind};
    use aliprotect::clock::{Clock, MockClock};
    use aliprotect::engine::{Engine, TimerQuery};
    use aliprotect::notify::DiscardNotifier;
    use aliprotect::policy::MarketplacePolicy;
    use aliprotect::store::prelude::*;

    let mut snapshots = std::collections::HashMap::new();
    for kind in [StreamKind::Right, StreamKind::Complaint, StreamKind::Power] {
        let found = h.store.find(h.tenant, &Find::all(kind)).await.unwrap();
        snapshots.insert(kind, found);
    }
    let (policy_tenant, policy_stream) = aliprotect::policy::POLICY_STREAM;
    let policy = h.store.load(policy_tenant, policy_stream).await.unwrap();
    let mut store = MockStore::new();
    store
        .expect_load()
        .returning(move |_, _| Ok(policy.clone()));
    let tenant = h.tenant;
    store.expect_find().returning(move |of, query| {
        assert_eq!(of, tenant);
        Ok(snapshots.get(&query.kind).cloned().unwrap_or_default())
    });
    let mut clock = MockClock::new();
    clock.expect_now().return_const(h.clock.now());
    let engine = Engine::new(
        store,
        DiscardNotifier,
        clock,
        MarketplacePolicy::alibaba_ipp(),
    );
    engine
        .read()
        .upcoming_timers(h.tenant, &TimerQuery::soonest(usize::MAX))
        .await
        .unwrap()
        .soonest
}

#[tokio::test]
async fn expiry_is_reminded_then_the_right_expires() {
    let h = Harness::new();
    let right = h.approved_right().await;
    // The fixture trademark expires on 2031-05-31; the policy reminds 90 days before.
    h.clock
        .set(Utc.with_ymd_and_hms(2031, 3, 10, 0, 0, 0).unwrap());
    assert_eq!(h.engine.jobs().tick().await.unwrap().fired, 1);
    let state = h.right(right).await;
    assert!(state.expiry_reminded_for.is_some());
    h.clock
        .set(Utc.with_ymd_and_hms(2031, 6, 1, 0, 0, 0).unwrap());
    assert_eq!(h.engine.jobs().tick().await.unwrap().fired, 1);
    let state = h.right(right).await;
    assert_eq!(state.status, RightStatus::Expired);
    h.engine.jobs().dispatch().await.unwrap();
    assert!(
        h.notifier
            .bodies()
            .iter()
            .any(|b| matches!(b, NotificationBody::RightExpiring { .. }))
    );
}

#[tokio::test]
async fn failed_deliveries_are_retried_later_with_the_same_key() {
    let h = Harness::new();
    h.notifier.fail_next(1);
    h.approved_right().await;
    let first = h.engine.jobs().dispatch().await.unwrap();
    assert_eq!((first.delivered, first.failed), (0, 1));
    assert_eq!(
        h.engine.jobs().dispatch().await.unwrap().delivered,
        0,
        "not before the backoff"
    );
    h.clock.advance(Duration::seconds(3));
    assert_eq!(h.engine.jobs().dispatch().await.unwrap().delivered, 1);
    let delivered = h.notifier.delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].1.body, NotificationBody::RightApproved);
    assert_eq!(
        delivered[0].0.to_string(),
        format!("{}/{}@4", h.tenant, delivered[0].1.subject)
    );
}

#[test]
fn the_engine_is_send_sync_and_cheap_to_share() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<common::TestEngine>();
    shareable::<
        aliprotect::engine::Engine<
            aliprotect::store_memory::MemoryStore,
            aliprotect::notify::DiscardNotifier,
            aliprotect::clock::SystemClock,
        >,
    >();
}

#[tokio::test]
async fn a_batch_gives_each_request_its_own_result() {
    use aliprotect::complaint::ComplaintCommand;
    let h = Harness::new();
    let right = h.approved_right().await;
    let file = |id: ComplaintId, product: u64| {
        let filing = fixtures::complaint_filing_on(fixtures::tenant(), right, id, product);
        Request::new(
            h.tenant,
            fixtures::holder_user(),
            Command::complaint(id, ComplaintCommand::File(Box::new(filing))),
        )
    };
    let existing = h.filed(right, 1).await;
    let (a, b) = (ComplaintId::new(), ComplaintId::new());
    let mut wrong_reason = file(ComplaintId::new(), 4);
    if let Command::Complaint {
        command: ComplaintCommand::File(filing),
        ..
    } = &mut wrong_reason.command
    {
        filing.reason = aliprotect::complaint::ComplaintReason::CopyrightCopiedText;
    }
    let results = h
        .engine
        .execute_batch(vec![
            file(a, 2),
            file(existing, 3), // already filed: refused, not overwritten
            wrong_reason,      // refused by the decider
            file(b, 5),
            Request::new(
                h.tenant,
                fixtures::holder_user(),
                Command::complaint(a, ComplaintCommand::Submit), // same stream twice
            ),
        ])
        .await;
    assert!(results[0].is_ok());
    assert!(
        matches!(results[1], Err(EngineError::ComplaintRefused(_))),
        "{:?}",
        results[1]
    );
    assert!(matches!(results[2], Err(EngineError::ComplaintRefused(_))));
    assert!(results[3].is_ok());
    assert_eq!(
        results[4].as_ref().unwrap().version,
        2,
        "retried after the file"
    );
    use aliprotect::complaint::ComplaintStatus;
    assert_eq!(h.complaint(a).await.status(), ComplaintStatus::Submitted);
    assert_eq!(h.complaint(b).await.status(), ComplaintStatus::Draft);
    assert_eq!(
        h.complaint(existing).await.status(),
        ComplaintStatus::Submitted,
        "untouched"
    );
}

/// An engine that leaves follow-ups to a tick (a separate worker, say): the approval's commit
/// carries the release of its staged complaints, free for the very next tick of any engine.
#[tokio::test]
async fn follow_ups_left_to_a_tick_are_done_by_the_next_tick() {
    use aliprotect::complaint::ComplaintStatus;
    use aliprotect::engine::{Engine, EngineConfig};
    let store = std::sync::Arc::new(aliprotect::store_memory::MemoryStore::new());
    let clock = aliprotect::clock::ManualClock::at(fixtures::now());
    let mut config = EngineConfig::default();
    config.carry_out_follow_ups = false;
    let policy = aliprotect::policy::MarketplacePolicy::alibaba_ipp;
    let commands = Engine::builder(
        store.clone(),
        aliprotect::notify::DiscardNotifier,
        clock.clone(),
    )
    .config(config)
    .build(policy());
    let worker = Engine::new(store, aliprotect::notify::DiscardNotifier, clock, policy());
    let tenant = fixtures::tenant();
    let right = RightId::new();
    let steps = fixtures::approval_of(right, tenant, fixtures::trademark_package());
    let (approve, before) = steps.split_last().unwrap();
    for (actor, command) in before {
        let request = Request::new(tenant, *actor, Command::right(right, command.clone()));
        commands.execute(request).await.unwrap();
    }
    let staged = ComplaintId::new();
    let filing = fixtures::complaint_filing_on(tenant, right, staged, 31);
    let file = Command::complaint(staged, ComplaintCommand::File(Box::new(filing)));
    commands
        .execute(Request::new(tenant, fixtures::holder_user(), file))
        .await
        .unwrap();
    let approve = Command::right(right, approve.1.clone());
    commands
        .execute(Request::new(tenant, Actor::Platform, approve))
        .await
        .unwrap();
    let status = |engine: &Engine<_, _, _>| {
        let engine = engine.clone();
        async move {
            engine
                .read()
                .complaint(tenant, staged)
                .await
                .unwrap()
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        status(&commands).await,
        ComplaintStatus::Staged,
        "not done inline"
    );
    assert_eq!(worker.jobs().tick().await.unwrap().follow_ups, 1);
    assert_eq!(status(&worker).await, ComplaintStatus::Submitted);
    assert_eq!(
        worker.jobs().tick().await.unwrap().follow_ups,
        0,
        "done once"
    );
}

/// A timer claimed before another engine's command replaced the stream's timers is stale:
/// the tick leaves it alone (the stream's new timers fall due on their own) instead of firing
/// a check-back before its time. Found by the PostgreSQL several-processes test under load.
#[tokio::test]
async fn a_timer_replaced_after_its_claim_is_not_fired() {
    use aliprotect::backend::MockStore;
    use aliprotect::clock::{Clock, MockClock};
    use aliprotect::engine::Engine;
    use aliprotect::notify::DiscardNotifier;
    use aliprotect::policy::MarketplacePolicy;
    use aliprotect::store::prelude::*;
    use aliprotect::store::{Timer, TimerKind};

    let h = Harness::new();
    let right = h.approved_right().await;
    let id = h.filed(right, 77).await;
    h.accept(id).await;
    // Another engine's command: the complaint's check-back is now due later.
    h.clock.advance(Duration::hours(30));
    h.counter_notice(id).await;
    let respond = ComplaintCommand::Respond {
        statement: fixtures::text("No licence was ever granted."),
        evidence: vec![],
    };
    h.holder(Command::complaint(id, respond)).await;
    let stream = StreamId::Complaint(id);
    let loaded = h.store.load(h.tenant, stream).await.unwrap().unwrap();
    let current = h.store.claim_due(aliprotect::backend::Claim {
        now: h.clock.now() + Duration::days(400),
        lease: aliprotect::backend::Lease {
            owner: aliprotect::ids::WorkerId::new(),
            until: h.clock.now() + Duration::days(401),
        },
        limit: 10,
    });
    let current = current.await.unwrap().timers;
    assert!(current.iter().any(|t| t.kind == TimerKind::CheckBack));
    // What this engine had claimed before: the check-back as it was, due 30 hours earlier.
    let stale = Timer {
        tenant: h.tenant,
        stream,
        kind: TimerKind::CheckBack,
        due: current
            .iter()
            .find(|t| t.kind == TimerKind::CheckBack)
            .map(|t| t.due - Duration::hours(30))
            .unwrap(),
    };
    let now = stale.due + Duration::hours(1);

    let (policy_tenant, policy_stream) = aliprotect::policy::POLICY_STREAM;
    let policy = h.store.load(policy_tenant, policy_stream).await.unwrap();
    let mut store = MockStore::new();
    let handed = std::sync::Mutex::new(Some(vec![stale]));
    store.expect_claim_due().returning(move |_| {
        Ok(Due {
            timers: handed.lock().unwrap().take().unwrap_or_default(),
            work: Vec::new(),
        })
    });
    store
        .expect_load()
        .returning(move |_, stream| match stream {
            StreamId::Policy => Ok(policy.clone()),
            _ => Ok(Some(loaded.clone())),
        });
    // No commit is expected: firing the stale timer would commit a check-back.
    let mut clock = MockClock::new();
    clock.expect_now().return_const(now);
    let engine = Engine::new(
        store,
        DiscardNotifier,
        clock,
        MarketplacePolicy::alibaba_ipp(),
    );
    let report = engine.jobs().tick().await.unwrap();
    assert_eq!((report.fired, report.stale), (0, 1), "{report:?}");
}

/// A creation is decided as new without reading the store first; filing an id that exists
/// is still refused as already filed, and writes nothing.
#[tokio::test]
async fn filing_an_existing_complaint_again_is_refused_and_writes_nothing() {
    use aliprotect::complaint::ComplaintRule;
    use aliprotect::store::prelude::*;

    let h = Harness::new();
    let right = h.approved_right().await;
    let id = h.filed(right, 91).await;
    let before = h
        .store
        .history(h.tenant, StreamId::Complaint(id))
        .await
        .unwrap();
    let filing = fixtures::complaint_filing_on(fixtures::tenant(), right, id, 92);
    let again = h
        .run(
            fixtures::holder_user(),
            Command::complaint(id, ComplaintCommand::File(Box::new(filing))),
        )
        .await;
    assert!(
        matches!(
            &again,
            Err(EngineError::ComplaintRefused(refusal)) if refusal.rule == ComplaintRule::AlreadyFiled
        ),
        "{again:?}"
    );
    let after = h
        .store
        .history(h.tenant, StreamId::Complaint(id))
        .await
        .unwrap();
    assert_eq!(before, after);
}
