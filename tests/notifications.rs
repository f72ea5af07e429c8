//! Notifications are never lost: a dispatcher killed mid-delivery, a receiver that drops
//! connections, and a receiver that refuses everything (dead letters, not an endless loop).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration as StdDuration;

use aliprotect::clock::ManualClock;
use aliprotect::engine::{Command, Engine, EngineConfig, Request};
use aliprotect::ids::{ComplaintId, RightId, TenantId};
use aliprotect::notify::{MessageId, Notification, Notifier, NotifyError};
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store::StreamId;
use aliprotect::store_memory::MemoryStore;
use aliprotect::testkit::engines::{approve_right, approved_right};
use aliprotect::testkit::fixtures;
use async_trait::async_trait;
use chrono::Duration;
use parking_lot::Mutex;
use tokio::sync::Notify;

/// A receiver whose behaviour the test scripts: hang on the first delivery, fail the next
/// few, or refuse everything.
#[derive(Default)]
struct Receiver {
    delivered: Mutex<Vec<MessageId>>,
    calls: AtomicUsize,
    hang_first: bool,
    hung: Notify,
    fail_first: usize,
    refuse: Option<NotifyError>,
    /// How long each delivery takes, when it should take time.
    pause: Option<StdDuration>,
    in_flight: AtomicUsize,
    most_at_once: AtomicUsize,
}

#[async_trait]
impl Notifier for Receiver {
    async fn send(&self, id: &MessageId, _: &Notification) -> Result<(), NotifyError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        if let Some(pause) = self.pause {
            tokio::time::sleep(pause).await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if self.hang_first && call == 0 {
            self.hung.notify_one();
            std::future::pending::<()>().await;
        }
        if let Some(error) = &self.refuse {
            return Err(error.clone());
        }
        if call < self.fail_first {
            return Err(NotifyError::temporary("connection reset by peer"));
        }
        self.delivered.lock().push(id.clone());
        Ok(())
    }
}

type TestEngine = Engine<Arc<MemoryStore>, Arc<Receiver>, ManualClock>;

fn engine(receiver: Arc<Receiver>, max_attempts: u32) -> (TestEngine, ManualClock) {
    let mut config = EngineConfig::default();
    config.max_delivery_attempts = max_attempts;
    engine_with(receiver, config)
}

fn engine_with(receiver: Arc<Receiver>, config: EngineConfig) -> (TestEngine, ManualClock) {
    let clock = ManualClock::at(fixtures::now());
    let engine = Engine::builder(Arc::new(MemoryStore::new()), receiver, clock.clone())
        .config(config)
        .build(MarketplacePolicy::alibaba_ipp());
    (engine, clock)
}

/// An approved right and `complaints` complaints with a counter-notice and a removal each:
/// 1 + 2 x complaints notifications. Returns their ids.
async fn notifications(engine: &TestEngine, complaints: usize) -> BTreeSet<MessageId> {
    let tenant = fixtures::tenant();
    let right = approved_right(engine, tenant).await.unwrap();
    let run = |actor, command| engine.execute(Request::new(tenant, actor, command));
    let mut complaint_ids = Vec::new();
    for n in 0..complaints {
        let id = ComplaintId::new();
        complaint_ids.push(id);
        let filing = fixtures::complaint_filing_on(tenant, right, id, 9_000 + n as u64);
        for (actor, command) in fixtures::life_of_a_complaint(filing) {
            run(actor, Command::complaint(id, command)).await.unwrap();
        }
    }
    let mut streams = vec![StreamId::Right(right)];
    streams.extend(complaint_ids.iter().map(|id| StreamId::Complaint(*id)));
    // The ids a receiver must see: the events that call for a person.
    let mut ids = BTreeSet::new();
    for stream in streams {
        for event in engine.read().history(tenant, stream).await.unwrap() {
            if matches!(
                event.event.type_name(),
                "right.Approved" | "complaint.CounterNoticeReceived" | "complaint.ListingRemoved"
            ) {
                ids.insert(MessageId {
                    tenant,
                    stream,
                    version: event.version,
                });
            }
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_killed_mid_delivery_loses_nothing() {
    let receiver = Arc::new(Receiver {
        hang_first: true,
        ..Receiver::default()
    });
    let (engine, clock) = engine(receiver.clone(), 12);
    let expected = notifications(&engine, 10).await;
    assert_eq!(expected.len(), 21);

    let dispatcher = engine.jobs().spawn_dispatcher(StdDuration::from_millis(5));
    receiver.hung.notified().await;
    dispatcher.abort(); // killed while a delivery hangs and the rest of its batch is leased

    // Nothing is lost: once the leases run out, a new dispatcher delivers every message.
    clock.advance(Duration::seconds(61));
    let dispatcher = engine.jobs().spawn_dispatcher(StdDuration::from_millis(5));
    for _ in 0..200 {
        if receiver.delivered.lock().len() >= expected.len() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    dispatcher.shutdown().await;
    let delivered: BTreeSet<MessageId> = receiver.delivered.lock().iter().cloned().collect();
    assert_eq!(delivered, expected, "every notification arrived");
}

#[tokio::test]
async fn a_dispatch_sends_many_messages_at_once_up_to_its_limit() {
    let receiver = Arc::new(Receiver {
        pause: Some(StdDuration::from_millis(20)),
        ..Receiver::default()
    });
    let mut config = EngineConfig::default();
    config.dispatch_concurrency = 4;
    let (engine, clock) = engine_with(receiver.clone(), config);
    let expected = notifications(&engine, 10).await;

    let report = engine.jobs().dispatch().await.unwrap();

    assert_eq!(report.delivered, expected.len());
    assert_eq!(
        receiver.most_at_once.load(Ordering::SeqCst),
        4,
        "21 deliveries, four at a time"
    );
    let delivered: BTreeSet<MessageId> = receiver.delivered.lock().iter().cloned().collect();
    assert_eq!(delivered, expected);
    clock.advance(Duration::seconds(61));
    assert!(
        !engine.jobs().dispatch().await.unwrap().handled_any(),
        "each was settled: none is sent again once the leases run out"
    );
}

#[tokio::test]
async fn a_receiver_that_drops_connections_gets_everything_with_the_same_keys() {
    let receiver = Arc::new(Receiver {
        fail_first: 5,
        ..Receiver::default()
    });
    let (engine, clock) = engine(receiver.clone(), 12);
    let expected = notifications(&engine, 2).await;
    let mut failed = 0;
    for _ in 0..20 {
        let report = engine.jobs().dispatch().await.unwrap();
        failed += report.failed;
        clock.advance(Duration::minutes(5));
    }
    assert_eq!(
        failed, 5,
        "the first five deliveries failed and were retried"
    );
    let delivered = receiver.delivered.lock().clone();
    assert_eq!(
        delivered.len(),
        5,
        "1 approval + 2 x 2 complaint notifications, once each"
    );
    let unique: BTreeSet<MessageId> = delivered.into_iter().collect();
    assert_eq!(unique, expected, "under the keys of their events");
}

#[tokio::test]
async fn a_permanently_failing_receiver_ends_in_the_dead_letters() {
    let receiver = Arc::new(Receiver {
        refuse: Some(NotifyError::temporary("503 Service Unavailable")),
        ..Receiver::default()
    });
    let (engine, clock) = engine(receiver.clone(), 3);
    let _ = notifications(&engine, 1).await;
    let mut rounds = 0;
    loop {
        let report = engine.jobs().dispatch().await.unwrap();
        if !report.handled_any() {
            // Nothing left to try, even much later: no endless loop.
            clock.advance(Duration::days(30));
            if !engine.jobs().dispatch().await.unwrap().handled_any() {
                break;
            }
        }
        clock.advance(Duration::hours(2));
        rounds += 1;
        assert!(
            rounds < 20,
            "the dispatcher keeps retrying a receiver that always fails"
        );
    }
    let tenant = fixtures::tenant();
    let dead = engine.read().dead_letters(tenant, 100).await.unwrap();
    assert_eq!(dead.len(), 3);
    assert!(dead.iter().all(|d| d.message.attempts == 3));
    assert!(dead[0].error.contains("503"), "{}", dead[0].error);
    assert_eq!(
        receiver.calls.load(Ordering::SeqCst),
        9,
        "three attempts each"
    );

    // Retried by hand: the receiver works again.
    let fixed = Arc::new(Receiver::default());
    let engine_fixed = Engine::new(
        engine.store().clone(),
        fixed.clone(),
        clock.clone(),
        MarketplacePolicy::alibaba_ipp(),
    );
    assert!(
        !engine_fixed
            .jobs()
            .retry_dead_letter(TenantId::new(), &dead[0].message.id)
            .await
            .unwrap(),
        "another tenant cannot send this tenant's dead letter again"
    );
    assert!(
        engine_fixed
            .jobs()
            .retry_dead_letter(tenant, &dead[0].message.id)
            .await
            .unwrap()
    );
    assert_eq!(engine_fixed.jobs().dispatch().await.unwrap().delivered, 1);
    assert_eq!(
        engine.read().dead_letters(tenant, 100).await.unwrap().len(),
        2
    );
}

#[tokio::test]
async fn a_refusal_for_good_is_a_dead_letter_at_once() {
    let receiver = Arc::new(Receiver {
        refuse: Some(NotifyError::permanent("410 Gone")),
        ..Receiver::default()
    });
    let (engine, _) = engine(receiver.clone(), 12);
    let _ = notifications(&engine, 0).await;
    let report = engine.jobs().dispatch().await.unwrap();
    assert_eq!((report.delivered, report.dead_lettered), (0, 1));
    assert_eq!(receiver.calls.load(Ordering::SeqCst), 1);
}

/// Two tenants whose rights share one id (ids are the callers' to choose) are approved: each
/// gets its own approval notice, on the memory store and on SQLite. Outbox messages were
/// keyed without the tenant, so the second replaced the first, which was never delivered.
#[tokio::test]
async fn two_tenants_with_one_stream_id_both_get_their_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = aliprotect::store_sqlite::SqliteStore::open(dir.path().join("n.sqlite")).unwrap();
    async fn both_notified<S: aliprotect::store::Store>(store: S) {
        let receiver = Arc::new(Receiver::default());
        let engine = Engine::new(
            store,
            Arc::clone(&receiver),
            ManualClock::at(fixtures::now()),
            MarketplacePolicy::alibaba_ipp(),
        );
        let right = RightId::new();
        let tenants = [
            aliprotect::ids::TenantId::new(),
            aliprotect::ids::TenantId::new(),
        ];
        for tenant in tenants {
            approve_right(&engine, tenant, right).await.unwrap();
        }
        while engine.jobs().dispatch().await.unwrap().handled_any() {}
        let delivered: BTreeSet<_> = receiver
            .delivered
            .lock()
            .iter()
            .map(|id| (id.tenant, id.stream))
            .collect();
        let expected: BTreeSet<_> = tenants
            .iter()
            .map(|tenant| (*tenant, StreamId::Right(right)))
            .collect();
        assert_eq!(
            delivered, expected,
            "each tenant's approval notice delivered"
        );
    }
    both_notified(MemoryStore::new()).await;
    both_notified(sqlite).await;
}
