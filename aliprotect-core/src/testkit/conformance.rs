//! The backend conformance suite: every promise of the backend traits as an async check.
//!
//! A backend's own tests call [`run_all`] with a factory of fresh stores:
//!
//! ```no_run
//! use aliprotect_core::store::Store;
//!
//! // In a backend's tests, under #[tokio::test]:
//! async fn my_store_conforms<S: Store>(open_fresh_store: impl Fn() -> S) {
//!     aliprotect_core::testkit::conformance::run_all(|| async { open_fresh_store() }).await;
//! }
//! ```
//!
//! Each check also stands alone (`conformance::optimistic_concurrency(&store).await`), works
//! on random tenants and ids so it never depends on an empty store, and panics with a message
//! naming the broken promise. A backend that leaves out a capability (timers, outbox, pending
//! work, read model) declares what it has with [`run_declared`] and [`Capabilities`]; one
//! whose database can be opened twice also runs [`two_handles`] and
//! [`two_engines_on_two_handles`] with two handles.
// Assertions are what a conformance suite is made of.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Duration, Utc};

use super::fixtures::{self, now, text};
use crate::complaint::{
    Complaint, ComplaintCommand, ComplaintContext, ComplaintDecider, ComplaintFiling,
    ComplaintStatus, RemovalCause,
};
use crate::decider::Decider;
use crate::evidence::{Evidence, EvidenceKind};
use crate::ids::{
    CampaignId, ComplaintId, PowerOfAttorneyId, RepresentativeId, RightId, TenantId, WorkerId,
};
use crate::listing::Listing;
use crate::metrics::{MetricsChange, Tallies};
use crate::notify::{MessageId, Notification, NotificationBody};
use crate::party::{Actor, PowerOfAttorney, PowerScope};
use crate::policy::MarketplacePolicy;
use crate::relisting::RemovedListing;
use crate::right::{IpRight, RightCommand, RightContext, RightDecider, RightStatus};
use crate::store::ReadModelExt;
use crate::store::{
    Commit, Count, CountBy, DomainEvent, GroupKey, IdempotencyKey, Lease, OutboxMessage, Receipt,
    ReceiptRecord, RequestFingerprint, Settlement, Snapshot, StatusChange, Store, StoreError,
    StoredReceipt, StreamId, StreamStatus, Timer, TimerKind, UniqueKeyChange,
};
use crate::text::Text;

mod index;
mod sharing;
mod trust;

pub use index::find_and_count;

pub use sharing::{
    commit_batch_members, engines_share_work, enqueue_outbox_once,
    inconsistent_commits_are_refused, pending_work, racing_idempotent_requests,
    tenants_share_stream_ids, timer_claims, two_engines_on_two_handles, two_handles,
    wake_ups_reach_idle_workers,
};
pub use trust::{
    one_open_complaint_per_listing, policy_kept_with_the_data, reused_keys_are_refused,
    stream_keys_walk_every_stream, unique_keys_hold_one_stream,
};

/// What a backend supports beyond its event log ([`crate::store::EventLog`], always
/// checked). A partial backend answers [`crate::store::StoreError::Unsupported`] for what it
/// leaves out and declares the rest, so that [`run_declared`] runs only the checks of what it
/// declared; checks that drive a whole engine need everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    timers: bool,
    outbox: bool,
    work: bool,
    read_model: bool,
}

impl Capabilities {
    /// Every capability: a complete [`Store`].
    pub const ALL: Self = Self {
        timers: true,
        outbox: true,
        work: true,
        read_model: true,
    };

    /// The event log alone.
    pub const EVENT_LOG: Self = Self {
        timers: false,
        outbox: false,
        work: false,
        read_model: false,
    };

    /// With (or without) a [`crate::store::TimerQueue`].
    pub const fn timers(mut self, supported: bool) -> Self {
        self.timers = supported;
        self
    }

    /// With (or without) an [`crate::store::Outbox`].
    pub const fn outbox(mut self, supported: bool) -> Self {
        self.outbox = supported;
        self
    }

    /// With (or without) a [`crate::store::WorkQueue`].
    pub const fn work(mut self, supported: bool) -> Self {
        self.work = supported;
        self
    }

    /// With (or without) a [`crate::store::ReadModel`].
    pub const fn read_model(mut self, supported: bool) -> Self {
        self.read_model = supported;
        self
    }

    fn all(&self) -> bool {
        *self == Self::ALL
    }
}

/// Runs every check, each on a fresh store from `make_store`.
pub async fn run_all<S, F, Fut>(make_store: F)
where
    S: Store,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    run_declared(make_store, Capabilities::ALL).await;
}

/// Runs the checks of the event log and of the capabilities `declared`, each on a fresh
/// store from `make_store`.
pub async fn run_declared<S, F, Fut>(make_store: F, declared: Capabilities)
where
    S: Store,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    append_and_load(&make_store().await).await;
    stream_ordering(&make_store().await).await;
    optimistic_concurrency(&make_store().await).await;
    idempotency_keys(&make_store().await).await;
    hostile_and_large_payloads(&make_store().await).await;
    commit_batch_members(&make_store().await).await;
    inconsistent_commits_are_refused(&make_store().await).await;
    unique_keys_hold_one_stream(&make_store().await).await;
    stream_keys_walk_every_stream(&make_store().await).await;
    if declared.timers {
        timers_due_exactly_once(&make_store().await).await;
        timer_claims(&make_store().await).await;
    }
    if declared.outbox {
        outbox_claim_ack_retry(&make_store().await).await;
        dead_letters(&make_store().await).await;
        enqueue_outbox_once(&make_store().await).await;
    }
    if declared.work {
        pending_work(&make_store().await).await;
    }
    if declared.read_model {
        find_and_count(&make_store().await).await;
        tenant_isolation(&make_store().await).await;
        read_model_equals_replay(&make_store().await).await;
        powers_of_attorney(&make_store().await).await;
        campaigns(&make_store().await).await;
    }
    if declared.all() {
        commit_atomicity(&make_store().await).await;
        tenants_share_stream_ids(&make_store().await).await;
        engines_share_work(make_store().await).await;
        racing_idempotent_requests(make_store().await).await;
        one_open_complaint_per_listing(vec![make_store().await]).await;
        reused_keys_are_refused(make_store().await).await;
        policy_kept_with_the_data(make_store().await).await;
    }
}

/// A complaint stream being built: its id, tenant, events so far and state.
struct Builder {
    tenant: TenantId,
    id: ComplaintId,
    right: IpRight,
    version: u64,
    state: Option<Complaint>,
    at: DateTime<Utc>,
}

impl Builder {
    fn new(tenant: TenantId) -> Self {
        let mut right = fixtures::right_in(RightStatus::Approved);
        right.id = RightId::new();
        right.tenant = tenant;
        Self {
            tenant,
            id: ComplaintId::new(),
            right,
            version: 0,
            state: None,
            at: now(),
        }
    }

    fn stream(&self) -> StreamId {
        StreamId::Complaint(self.id)
    }

    fn filing(&self) -> ComplaintFiling {
        let mut filing =
            fixtures::complaint_filing(0, u64::from(self.id.as_uuid().as_u128() as u32));
        filing.id = self.id;
        filing.tenant = self.tenant;
        filing.right = self.right.id;
        filing
    }

    /// Decides `command` on the current state; returns the commit without applying it.
    fn decide(&self, command: ComplaintCommand) -> Commit {
        let policy = MarketplacePolicy::alibaba_ipp();
        let context = ComplaintContext {
            at: self.at,
            actor: Actor::Platform,
            policy: &policy,
            right: Some(&self.right),
            previous: None,
            open_on_listing: None,
        };
        let events = ComplaintDecider::decide(&self.state, &command, &context)
            .unwrap_or_else(|r| panic!("test story refused: {r}"));
        let state = events
            .iter()
            .fold(self.state.clone(), ComplaintDecider::evolve)
            .expect("filed");
        let before = self
            .state
            .as_ref()
            .map(|c| StreamStatus::Complaint(c.status()));
        let metrics = MetricsChange::between(self.state.as_ref(), &state);
        let after = StreamStatus::Complaint(state.status());
        let snapshot = Snapshot::Complaint(std::sync::Arc::new(state));
        // The keys taken and released as the engine computes them.
        let unique = snapshot.unique_key_change(
            self.state
                .as_ref()
                .is_some_and(Complaint::holds_unique_keys),
        );
        let index = match before {
            None => snapshot.index_keys(),
            Some(_) => Vec::new(),
        };
        Commit {
            tenant: self.tenant,
            stream: self.stream(),
            expected_version: self.version,
            events: events.into_iter().map(DomainEvent::Complaint).collect(),
            metrics,
            status: StatusChange { before, after },
            snapshot,
            outbox: Vec::new(),
            timers: Vec::new(),
            receipt: None,
            work: None,
            unique,
            index,
        }
    }

    /// Records that `commit` (from [`Builder::decide`]) was stored.
    fn applied(&mut self, commit: &Commit) {
        self.version += commit.events.len() as u64;
        if let Snapshot::Complaint(c) = &commit.snapshot {
            self.state = Some((**c).clone());
        }
        self.at += Duration::minutes(1);
    }

    async fn run(&mut self, store: &dyn Store, command: ComplaintCommand) -> Commit {
        let commit = self.decide(command);
        store
            .commit(commit.clone())
            .await
            .unwrap_or_else(|e| panic!("commit of version {} failed: {e}", self.version + 1));
        self.applied(&commit);
        commit
    }

    async fn file(store: &dyn Store, tenant: TenantId) -> Self {
        let mut builder = Self::new(tenant);
        let filing = builder.filing();
        builder
            .run(store, ComplaintCommand::File(Box::new(filing)))
            .await;
        builder
    }
}

fn message(stream: StreamId, version: u64, tenant: TenantId, at: DateTime<Utc>) -> OutboxMessage {
    OutboxMessage {
        id: MessageId {
            tenant,
            stream,
            version,
        },
        notification: Notification {
            tenant,
            subject: stream,
            at,
            body: NotificationBody::CheckBackDue { number: 1 },
        },
        attempts: 0,
        available_at: at,
    }
}

/// A claim by a fresh worker that lapses one second after `at`.
fn lease_until(at: DateTime<Utc>) -> Lease {
    Lease {
        owner: WorkerId::new(),
        until: at + Duration::seconds(1),
    }
}

/// The receipt record of `receipt` under `key`, with a fingerprint of the key's text as its
/// request's.
fn record(key: IdempotencyKey, receipt: Receipt) -> ReceiptRecord {
    ReceiptRecord {
        request: RequestFingerprint::of_bytes(key.as_str().as_bytes()),
        key,
        receipt,
    }
}

fn key(s: &str) -> IdempotencyKey {
    IdempotencyKey::new(s).expect("valid key")
}

/// A commit to a new stream is loaded back with version 1 and its snapshot; unknown streams
/// load as `None` with an empty history.
pub async fn append_and_load(store: &dyn Store) {
    let tenant = TenantId::new();
    let builder = Builder::file(store, tenant).await;
    let loaded = store
        .load(tenant, builder.stream())
        .await
        .expect("load")
        .expect("committed stream must load");
    assert_eq!(loaded.version, 1, "version counts events");
    assert_eq!(
        loaded.snapshot,
        Snapshot::Complaint(std::sync::Arc::new(builder.state.clone().expect("filed"))),
        "snapshot must load back equal"
    );
    let unknown = StreamId::Complaint(ComplaintId::new());
    assert!(store.load(tenant, unknown).await.expect("load").is_none());
    assert!(
        store
            .history(tenant, unknown)
            .await
            .expect("history")
            .is_empty()
    );
}

/// Events come back in commit order with consecutive versions from 1.
pub async fn stream_ordering(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(store, tenant).await;
    let mut expected: Vec<DomainEvent> = store
        .history(tenant, builder.stream())
        .await
        .expect("history")
        .into_iter()
        .map(|e| e.event)
        .collect();
    for command in [
        ComplaintCommand::Submit,
        ComplaintCommand::Accept,
        ComplaintCommand::CheckBackDue,
        ComplaintCommand::CheckBackDue,
        ComplaintCommand::ReceiveCounterNotice {
            statement: text("genuine"),
            evidence: vec![],
        },
    ] {
        expected.extend(builder.run(store, command).await.events);
    }
    let history = store
        .history(tenant, builder.stream())
        .await
        .expect("history");
    let versions: Vec<u64> = history.iter().map(|e| e.version).collect();
    assert_eq!(
        versions,
        (1..=6).collect::<Vec<_>>(),
        "versions consecutive from 1"
    );
    let events: Vec<DomainEvent> = history.into_iter().map(|e| e.event).collect();
    assert_eq!(events, expected, "events in commit order, unchanged");
    assert!(
        history_streams_match(store, tenant, builder.stream()).await,
        "every stored event names its stream"
    );
}

async fn history_streams_match(store: &dyn Store, tenant: TenantId, stream: StreamId) -> bool {
    store
        .history(tenant, stream)
        .await
        .expect("history")
        .iter()
        .all(|e| e.stream == stream)
}

/// Two writers decide on the same version: one commits, the other gets a conflict with the
/// versions, and nothing of the loser is written; deciding again on the new version succeeds.
pub async fn optimistic_concurrency(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(store, tenant).await;
    let submit = builder.decide(ComplaintCommand::Submit);
    let retract = builder.decide(ComplaintCommand::Retract { reason: None });
    let (a, b) = futures_join(store.commit(submit.clone()), store.commit(retract.clone())).await;
    let (winner, loser_result) = match (&a, &b) {
        (Ok(()), Err(_)) => (submit, b),
        (Err(_), Ok(())) => (retract, a),
        _ => panic!("exactly one of two commits at the same version must win: {a:?} {b:?}"),
    };
    match loser_result {
        Err(StoreError::Conflict {
            stream,
            expected,
            actual,
        }) => {
            assert_eq!((stream, expected, actual), (builder.stream(), 1, 2));
        }
        other => panic!("the loser must get Conflict, got {other:?}"),
    }
    let history = store
        .history(tenant, builder.stream())
        .await
        .expect("history");
    assert_eq!(history.len(), 2, "only the winner's event is written");
    assert_eq!(history[1].event, winner.events[0]);
    builder.applied(&winner);
    let status = builder.state.as_ref().map(Complaint::status);
    if status == Some(ComplaintStatus::Submitted) {
        builder.run(store, ComplaintCommand::Accept).await;
        let loaded = store.load(tenant, builder.stream()).await.expect("load");
        assert_eq!(
            loaded.map(|l| l.version),
            Some(3),
            "retry on the new version commits"
        );
    }
}

/// Polls two futures to completion concurrently without depending on a runtime.
async fn futures_join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let mut out_a = None;
    let mut out_b = None;
    std::future::poll_fn(|cx| {
        if out_a.is_none()
            && let std::task::Poll::Ready(v) = a.as_mut().poll(cx)
        {
            out_a = Some(v);
        }
        if out_b.is_none()
            && let std::task::Poll::Ready(v) = b.as_mut().poll(cx)
        {
            out_b = Some(v);
        }
        if out_a.is_some() && out_b.is_some() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    (
        out_a.expect("polled to completion"),
        out_b.expect("polled to completion"),
    )
}

/// A refused commit (version conflict or used idempotency key) writes none of its events,
/// snapshot, outbox messages, timers or receipt.
pub async fn commit_atomicity(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(store, tenant).await;
    let counts_before = store
        .complaint_counts(tenant, CountBy::Status)
        .await
        .expect("counts");
    let loaded_before = store.load(tenant, builder.stream()).await.expect("load");

    let mut stale = builder.decide(ComplaintCommand::Submit);
    stale.expected_version = 0;
    stale.outbox = vec![message(builder.stream(), 2, tenant, now())];
    stale.timers = vec![Timer {
        tenant,
        stream: builder.stream(),
        kind: TimerKind::CheckBack,
        due: now() - Duration::days(1),
    }];
    stale.receipt = Some(record(
        key("atomicity-1"),
        Receipt {
            stream: builder.stream(),
            version: 2,
            events: 1,
        },
    ));
    assert!(matches!(
        store.commit(stale.clone()).await,
        Err(StoreError::Conflict { .. })
    ));
    let unchanged = || async {
        assert_eq!(
            store.load(tenant, builder.stream()).await.expect("load"),
            loaded_before,
            "snapshot unchanged"
        );
        assert_eq!(
            store
                .history(tenant, builder.stream())
                .await
                .expect("history")
                .len(),
            1,
            "no event written"
        );
        assert_eq!(
            store
                .complaint_counts(tenant, CountBy::Status)
                .await
                .expect("counts"),
            counts_before,
            "read model unchanged"
        );
        assert!(
            store
                .receipt(tenant, &key("atomicity-1"))
                .await
                .expect("receipt")
                .is_none(),
            "no receipt"
        );
        let far = now() + Duration::days(3650);
        let due = store
            .claim_timers(far, lease_until(far), 10_000)
            .await
            .expect("timers");
        assert!(
            due.iter().all(|t| t.stream != builder.stream()),
            "no timer written"
        );
        let claimed = store
            .claim_outbox(far, lease_until(far), 10_000)
            .await
            .expect("claim");
        assert!(
            claimed.iter().all(|m| m.id.stream != builder.stream()),
            "no outbox message written"
        );
    };
    unchanged().await;

    // Now a commit at the right version whose key is already used: refused as a whole.
    let mut first = builder.decide(ComplaintCommand::Submit);
    first.receipt = Some(record(
        key("atomicity-used"),
        Receipt {
            stream: builder.stream(),
            version: 2,
            events: 1,
        },
    ));
    store.commit(first.clone()).await.expect("first commit");
    builder.applied(&first);
    let mut reused = builder.decide(ComplaintCommand::Accept);
    reused.receipt = first.receipt.clone();
    reused.outbox = vec![message(builder.stream(), 3, tenant, now())];
    match store.commit(reused).await {
        Err(StoreError::DuplicateIdempotencyKey(k)) => assert_eq!(k, key("atomicity-used")),
        other => panic!("reused key must be refused, got {other:?}"),
    }
    assert_eq!(
        store
            .history(tenant, builder.stream())
            .await
            .expect("history")
            .len(),
        2,
        "the refused commit wrote no event"
    );
}

/// Nothing of one tenant is visible from another.
pub async fn tenant_isolation(store: &dyn Store) {
    let owner = TenantId::new();
    let other = TenantId::new();
    let mut builder = Builder::file(store, owner).await;
    let mut submit = builder.decide(ComplaintCommand::Submit);
    submit.receipt = Some(record(
        key("isolation"),
        Receipt {
            stream: builder.stream(),
            version: 2,
            events: 1,
        },
    ));
    store.commit(submit.clone()).await.expect("commit");
    builder.applied(&submit);
    let stream = builder.stream();
    assert!(
        store.load(other, stream).await.expect("load").is_none(),
        "load"
    );
    assert!(
        store
            .history(other, stream)
            .await
            .expect("history")
            .is_empty(),
        "history"
    );
    assert!(
        store
            .receipt(other, &key("isolation"))
            .await
            .expect("receipt")
            .is_none(),
        "receipt"
    );
    assert!(
        store
            .complaint_counts(other, CountBy::Status)
            .await
            .expect("counts")
            .is_empty(),
        "counts"
    );
    let listing = &builder.state.as_ref().expect("filed").filed.listing.key;
    assert!(
        store
            .complaints_on_listing(other, listing)
            .await
            .expect("listing")
            .is_empty(),
        "listing lookup"
    );
    assert_eq!(
        store
            .complaints_on_listing(owner, listing)
            .await
            .expect("listing")
            .len(),
        1,
        "the owner finds its listing"
    );
    assert!(
        store
            .complaints_of_right(other, builder.right.id, ComplaintStatus::Submitted)
            .await
            .expect("by right")
            .is_empty(),
        "complaints of right"
    );
    // The other tenant may use the same idempotency key.
    let elsewhere = Builder::new(other);
    let filing = elsewhere.filing();
    let mut file = elsewhere.decide(ComplaintCommand::File(Box::new(filing)));
    file.receipt = Some(record(
        key("isolation"),
        Receipt {
            stream: elsewhere.stream(),
            version: 1,
            events: 1,
        },
    ));
    store.commit(file).await.expect("keys are per tenant");
}

/// A receipt is recorded with its commit, found by key, and a second commit with the same
/// key is refused.
pub async fn idempotency_keys(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::new(tenant);
    let filing = builder.filing();
    let mut file = builder.decide(ComplaintCommand::File(Box::new(filing)));
    let receipt = Receipt {
        stream: builder.stream(),
        version: 1,
        events: 1,
    };
    file.receipt = Some(record(key("file-once"), receipt));
    store.commit(file.clone()).await.expect("commit");
    builder.applied(&file);
    assert_eq!(
        store
            .receipt(tenant, &key("file-once"))
            .await
            .expect("receipt"),
        Some(StoredReceipt {
            receipt,
            request: Some(RequestFingerprint::of_bytes(b"file-once")),
        }),
        "a receipt comes back with its request's fingerprint"
    );
    assert!(
        store
            .receipt(tenant, &key("never-used"))
            .await
            .expect("receipt")
            .is_none()
    );
    let mut again = builder.decide(ComplaintCommand::Submit);
    again.receipt = Some(record(key("file-once"), receipt));
    assert!(matches!(
        store.commit(again).await,
        Err(StoreError::DuplicateIdempotencyKey(_))
    ));
}

/// Timers are due at their time, not before; a commit replaces all of its stream's timers,
/// so the commit that fires a timer removes it and it is never due twice.
pub async fn timers_due_exactly_once(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(store, tenant).await;
    let stream = builder.stream();
    // Far in the past so that timers of other checks on a shared store come after ours.
    let base = DateTime::<Utc>::UNIX_EPOCH + Duration::days(1);
    let mut submit = builder.decide(ComplaintCommand::Submit);
    submit.timers = vec![
        Timer {
            tenant,
            stream,
            kind: TimerKind::CheckBack,
            due: base,
        },
        Timer {
            tenant,
            stream,
            kind: TimerKind::SellerAnswerDeadline,
            due: base + Duration::days(2),
        },
    ];
    store.commit(submit.clone()).await.expect("commit");
    builder.applied(&submit);
    let ours = |timers: Vec<Timer>| -> Vec<TimerKind> {
        timers
            .into_iter()
            .filter(|t| t.stream == stream)
            .map(|t| t.kind)
            .collect()
    };
    let before = store
        .claim_timers(
            base - Duration::seconds(1),
            lease_until(base - Duration::seconds(1)),
            100,
        )
        .await
        .expect("due");
    assert!(ours(before).is_empty(), "nothing due before its time");
    let due = store
        .claim_timers(
            base + Duration::days(1),
            lease_until(base + Duration::days(1)),
            100,
        )
        .await
        .expect("due");
    assert_eq!(
        due.first().map(|t| t.due),
        Some(base),
        "earliest first, with its time"
    );
    assert_eq!(ours(due), vec![TimerKind::CheckBack]);
    // Firing the check-back: the commit keeps only the seller deadline.
    let mut fire = builder.decide(ComplaintCommand::CheckBackDue);
    fire.timers = vec![Timer {
        tenant,
        stream,
        kind: TimerKind::SellerAnswerDeadline,
        due: base + Duration::days(2),
    }];
    store.commit(fire.clone()).await.expect("commit");
    builder.applied(&fire);
    let due = store
        .claim_timers(
            base + Duration::days(1),
            lease_until(base + Duration::days(1)),
            100,
        )
        .await
        .expect("due");
    assert!(ours(due).is_empty(), "a fired timer is not due again");
    let due = store
        .claim_timers(
            base + Duration::days(3),
            lease_until(base + Duration::days(3)),
            100,
        )
        .await
        .expect("due");
    assert_eq!(ours(due), vec![TimerKind::SellerAnswerDeadline]);
    // An empty commit (no events) still replaces timers.
    let loaded = store
        .load(tenant, stream)
        .await
        .expect("load")
        .expect("exists");
    store
        .commit(Commit {
            tenant,
            stream,
            expected_version: loaded.version,
            events: vec![],
            status: StatusChange::between(Some(&loaded.snapshot), &loaded.snapshot),
            index: Vec::new(),
            snapshot: loaded.snapshot,
            outbox: vec![],
            timers: vec![],
            receipt: None,
            metrics: None,
            work: None,
            unique: UniqueKeyChange::default(),
        })
        .await
        .expect("timers-only commit");
    let due = store
        .claim_timers(
            base + Duration::days(30),
            lease_until(base + Duration::days(30)),
            100,
        )
        .await
        .expect("due");
    assert!(
        ours(due).is_empty(),
        "timers-only commit cleared the timers"
    );
    assert_eq!(
        store
            .load(tenant, stream)
            .await
            .expect("load")
            .map(|l| l.version),
        Some(loaded.version),
        "an empty commit adds no version"
    );
    let limited = store
        .claim_timers(
            now() + Duration::days(36_500),
            lease_until(now() + Duration::days(36_500)),
            1,
        )
        .await
        .expect("due");
    assert!(limited.len() <= 1, "limit respected");
}

/// Outbox messages are leased (attempts counted, hidden until the lease ends), removed on
/// ack, and made available again at the time given on release.
pub async fn outbox_claim_ack_retry(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(store, tenant).await;
    let stream = builder.stream();
    let base = DateTime::<Utc>::UNIX_EPOCH + Duration::days(2);
    let mut submit = builder.decide(ComplaintCommand::Submit);
    submit.outbox = vec![message(stream, 2, tenant, base), {
        let mut m = message(stream, 2, tenant, base);
        m.id.version = 3;
        m
    }];
    store.commit(submit.clone()).await.expect("commit");
    builder.applied(&submit);
    let ours = |messages: Vec<OutboxMessage>| -> Vec<(u64, u32)> {
        messages
            .into_iter()
            .filter(|m| m.id.stream == stream)
            .map(|m| (m.id.version, m.attempts))
            .collect()
    };
    let worker = WorkerId::new();
    let lease_len = Duration::seconds(60);
    let lease = |at: DateTime<Utc>| Lease {
        owner: worker,
        until: at + lease_len,
    };
    let first = store
        .claim_outbox(base, lease(base), 1000)
        .await
        .expect("claim");
    let claimed: Vec<OutboxMessage> = first
        .iter()
        .filter(|m| m.id.stream == stream)
        .cloned()
        .collect();
    assert_eq!(claimed.len(), 2, "both available");
    assert_eq!(
        claimed[0].notification, submit.outbox[0].notification,
        "stored exactly"
    );
    assert_eq!(
        ours(first),
        vec![(2, 1), (3, 1)],
        "oldest first, attempts counted"
    );
    assert!(
        ours(
            store
                .claim_outbox(base, lease(base), 1000)
                .await
                .expect("claim")
        )
        .is_empty(),
        "leased messages are hidden"
    );
    let after_lease = base + lease_len + Duration::seconds(1);
    let taker = WorkerId::new();
    let taken = store
        .claim_outbox(
            after_lease,
            Lease {
                owner: taker,
                until: after_lease + lease_len,
            },
            1000,
        )
        .await
        .expect("claim");
    assert_eq!(
        ours(taken),
        vec![(2, 2), (3, 2)],
        "an expired lease hands the message out again"
    );
    let id = |version| MessageId {
        tenant,
        stream,
        version,
    };
    assert!(
        !store
            .settle_outbox(&id(2), delivered(worker))
            .await
            .expect("ack"),
        "a worker whose claim was taken over cannot ack"
    );
    assert!(
        !store
            .settle_outbox(&id(3), retry(worker, after_lease))
            .await
            .expect("release"),
        "nor release"
    );
    assert!(
        store
            .settle_outbox(&id(2), delivered(taker))
            .await
            .expect("ack")
    );
    assert!(
        !store
            .settle_outbox(&id(2), delivered(taker))
            .await
            .expect("ack"),
        "a second ack is harmless and says so"
    );
    let retry_at = after_lease + Duration::seconds(10);
    assert!(
        store
            .settle_outbox(&id(3), retry(taker, retry_at))
            .await
            .expect("release")
    );
    let early = retry_at - Duration::seconds(1);
    assert!(
        ours(
            store
                .claim_outbox(early, lease(early), 1000)
                .await
                .expect("claim")
        )
        .is_empty(),
        "not before the retry time"
    );
    assert_eq!(
        ours(
            store
                .claim_outbox(retry_at, lease(retry_at), 1000)
                .await
                .expect("claim")
        ),
        vec![(3, 3)],
        "acked message gone, released one back"
    );
}

/// A dead-lettered message is never claimed again, is listed for its own tenant only, and
/// goes back into delivery, attempts reset, when revived.
pub async fn dead_letters(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(store, tenant).await;
    let stream = builder.stream();
    let base = DateTime::<Utc>::UNIX_EPOCH + Duration::days(3);
    let mut submit = builder.decide(ComplaintCommand::Submit);
    submit.outbox = vec![message(stream, 2, tenant, base), {
        let mut m = message(stream, 2, tenant, base);
        m.id.version = 3;
        m
    }];
    store.commit(submit.clone()).await.expect("commit");
    builder.applied(&submit);
    let ours = |messages: Vec<OutboxMessage>| -> Vec<u64> {
        messages
            .into_iter()
            .filter(|m| m.id.stream == stream)
            .map(|m| m.id.version)
            .collect()
    };
    let worker = WorkerId::new();
    let lease_len = Duration::seconds(60);
    let lease = |at: DateTime<Utc>| Lease {
        owner: worker,
        until: at + lease_len,
    };
    assert_eq!(
        ours(
            store
                .claim_outbox(base, lease(base), 1000)
                .await
                .expect("claim")
        ),
        vec![2, 3]
    );
    let gone = MessageId {
        tenant,
        stream,
        version: 2,
    };
    assert!(
        store
            .settle_outbox(&gone, dead_letter(worker, "HTTP 410 Gone"))
            .await
            .expect("dead letter")
    );
    assert!(
        !store
            .settle_outbox(
                &MessageId {
                    tenant,
                    stream,
                    version: 99,
                },
                dead_letter(worker, "x"),
            )
            .await
            .expect("unknown ids are ignored")
    );
    let later = base + Duration::days(1);
    assert_eq!(
        ours(
            store
                .claim_outbox(later, lease(later), 1000)
                .await
                .expect("claim")
        ),
        vec![3],
        "a dead letter is not claimed"
    );
    let dead = store.dead_letters(tenant, 100).await.expect("dead letters");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].message.id, gone);
    assert_eq!(dead[0].message.attempts, 1);
    assert_eq!(dead[0].message.notification, submit.outbox[0].notification);
    assert_eq!(dead[0].error, "HTTP 410 Gone");
    let stranger = TenantId::new();
    assert!(
        store
            .dead_letters(stranger, 100)
            .await
            .expect("dead letters")
            .is_empty()
    );
    assert!(
        !store
            .settle_outbox(
                &MessageId {
                    tenant: stranger,
                    ..gone.clone()
                },
                Settlement::Revive { at: later }
            )
            .await
            .expect("revive")
    );
    assert!(
        store
            .settle_outbox(&gone, Settlement::Revive { at: later })
            .await
            .expect("revive")
    );
    assert!(
        !store
            .settle_outbox(&gone, Settlement::Revive { at: later })
            .await
            .expect("revive once")
    );
    assert!(
        store
            .dead_letters(tenant, 100)
            .await
            .expect("dead letters")
            .is_empty()
    );
    let revived: Vec<OutboxMessage> = store
        .claim_outbox(later, lease(later), 1000)
        .await
        .expect("claim")
        .into_iter()
        .filter(|m| m.id == gone)
        .collect();
    assert_eq!(revived.len(), 1, "revived message is delivered again");
    assert_eq!(revived[0].attempts, 1, "attempts were reset");
}

/// Counts, listing lookups and per-right queries agree with a replay of every stream's
/// events through the deciders.
pub async fn read_model_equals_replay(store: &dyn Store) {
    let tenant = TenantId::new();
    let campaign = CampaignId::new();
    let mut streams = Vec::new();
    let stories: [&[ComplaintCommand]; 6] = [
        &[],
        &[ComplaintCommand::Submit],
        &[ComplaintCommand::Submit, ComplaintCommand::Accept],
        &[
            ComplaintCommand::Submit,
            ComplaintCommand::Accept,
            ComplaintCommand::RecordRemoval {
                cause: RemovalCause::PlatformReported,
            },
        ],
        &[
            ComplaintCommand::Submit,
            ComplaintCommand::ReportUnableToProcess {
                reason: text("no proof"),
            },
        ],
        &[ComplaintCommand::Retract { reason: None }],
    ];
    let shared_right = RightId::new();
    for (i, story) in stories.iter().cycle().take(18).enumerate() {
        let mut builder = Builder::new(tenant);
        builder.right.id = shared_right;
        let mut filing = builder.filing();
        if i % 2 == 0 {
            filing.campaign = Some(campaign);
        }
        if i % 3 == 0 {
            filing.details.title = Some(format!("Écouteurs \"TWS\" {i} 🎧"));
            filing.details.seller_name = Some(format!("Seller {i}"));
            filing.details.image_hash = Some(crate::evidence::ContentHash::of_bytes(&[i as u8]));
        }
        builder
            .run(store, ComplaintCommand::File(Box::new(filing)))
            .await;
        for command in story.iter() {
            builder.run(store, command.clone()).await;
        }
        streams.push(builder.stream());
    }
    // Two rights, one approved.
    let policy = MarketplacePolicy::alibaba_ipp();
    let mut rights = Vec::new();
    for approve in [false, true] {
        let id = RightId::new();
        let mut state = None;
        let mut version = 0;
        let mut commands = vec![
            RightCommand::Register {
                id,
                tenant,
                package: Box::new(fixtures::trademark_package()),
            },
            RightCommand::Submit,
        ];
        if approve {
            commands.extend([RightCommand::BeginReview, RightCommand::Approve]);
        }
        for command in commands {
            let context = RightContext {
                at: now(),
                actor: fixtures::holder_user(),
                policy: &policy,
            };
            let events = RightDecider::decide(&state, &command, &context).expect("story");
            let before = state.as_ref().map(|r| StreamStatus::Right(r.status));
            state = events.iter().fold(state, RightDecider::evolve);
            let snapshot = Snapshot::Right(std::sync::Arc::new(state.clone().expect("registered")));
            let commit = Commit {
                tenant,
                stream: StreamId::Right(id),
                expected_version: version,
                events: events.into_iter().map(DomainEvent::Right).collect(),
                status: StatusChange {
                    before,
                    after: StreamStatus::of(&snapshot),
                },
                snapshot,
                outbox: vec![],
                timers: vec![],
                receipt: None,
                metrics: None,
                work: None,
                unique: UniqueKeyChange::default(),
                index: Vec::new(),
            };
            version += commit.events.len() as u64;
            store.commit(commit).await.expect("right commit");
        }
        rights.extend(state);
    }
    rights.sort_by_key(|r| r.id);
    assert_eq!(
        store.rights(tenant).await.expect("rights"),
        rights,
        "rights in id order, in their current state"
    );
    assert!(
        store
            .rights(TenantId::new())
            .await
            .expect("rights")
            .is_empty(),
        "another tenant's rights are not listed"
    );

    // Replay every complaint from its history.
    let mut replayed = Vec::new();
    for stream in &streams {
        let events: Vec<_> = store
            .history(tenant, *stream)
            .await
            .expect("history")
            .into_iter()
            .filter_map(|e| match e.event {
                DomainEvent::Complaint(e) => Some(e),
                _ => None,
            })
            .collect();
        replayed.push(ComplaintDecider::fold(&events).expect("replayed"));
    }
    for by in [
        CountBy::Status,
        CountBy::Right,
        CountBy::Campaign,
        CountBy::Seller,
    ] {
        let mut expected: BTreeMap<(GroupKey, ComplaintStatus), u64> = BTreeMap::new();
        for complaint in &replayed {
            let row = crate::store::ComplaintRow::of(complaint);
            *expected
                .entry((GroupKey::of(&row, by), row.status))
                .or_default() += 1;
        }
        let expected: Vec<Count> = expected
            .into_iter()
            .map(|((group, status), count)| Count {
                group,
                status,
                count,
            })
            .collect();
        assert_eq!(
            store.complaint_counts(tenant, by).await.expect("counts"),
            expected,
            "counts by {by:?} equal the replay"
        );
    }
    assert_eq!(
        store.right_counts(tenant).await.expect("right counts"),
        vec![(RightStatus::Submitted, 1), (RightStatus::Approved, 1)]
            .into_iter()
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .collect::<Vec<_>>(),
        "rights by status"
    );
    let submitted: Vec<ComplaintId> = store
        .complaints_of_right(tenant, shared_right, ComplaintStatus::Submitted)
        .await
        .expect("by right")
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut expected_submitted: Vec<ComplaintId> = replayed
        .iter()
        .filter(|c| c.status() == ComplaintStatus::Submitted)
        .map(Complaint::id)
        .collect();
    expected_submitted.sort();
    assert_eq!(
        submitted, expected_submitted,
        "complaints of a right by status, in id order"
    );
    let mut all: Vec<Complaint> = replayed.clone();
    all.sort_by_key(Complaint::id);
    let listed: Vec<Complaint> = store
        .complaints(tenant, None)
        .await
        .expect("complaints")
        .iter()
        .map(|c| (**c).clone())
        .collect();
    assert_eq!(listed, all, "every complaint of the tenant, in id order");
    let of_campaign = store
        .complaints(tenant, Some(campaign))
        .await
        .expect("complaints of a campaign");
    assert_eq!(of_campaign.len(), 9, "filtered by campaign");
    assert!(
        of_campaign
            .iter()
            .all(|c| c.filed.campaign == Some(campaign))
    );
    assert!(
        store
            .complaints(TenantId::new(), None)
            .await
            .expect("complaints")
            .is_empty()
    );
    assert_eq!(
        store.metric_tallies(tenant, None).await.expect("tallies"),
        Tallies::of(&replayed),
        "metric tallies of the tenant equal the replay"
    );
    assert_eq!(
        store
            .metric_tallies(tenant, Some(campaign))
            .await
            .expect("tallies of a campaign"),
        Tallies::of(
            replayed
                .iter()
                .filter(|c| c.filed.campaign == Some(campaign))
        ),
        "metric tallies of a campaign equal the replay"
    );
    let mut expected_removed: Vec<RemovedListing> =
        replayed.iter().filter_map(RemovedListing::of).collect();
    expected_removed.sort_by_key(|r| r.complaint);
    assert!(!expected_removed.is_empty(), "the stories remove listings");
    assert_eq!(
        store
            .removed_listings(tenant, shared_right)
            .await
            .expect("removed listings"),
        expected_removed,
        "removed listings of a right, in complaint id order"
    );
    assert!(
        store
            .removed_listings(TenantId::new(), shared_right)
            .await
            .expect("removed listings")
            .is_empty()
    );
    assert!(
        store
            .metric_tallies(TenantId::new(), None)
            .await
            .expect("tallies")
            .is_empty()
    );
    let first = &replayed[0];
    let on_listing = store
        .complaints_on_listing(tenant, &first.filed.listing.key)
        .await
        .expect("listing");
    assert_eq!(on_listing.len(), 1);
    assert_eq!(on_listing[0].id, first.id());
    assert_eq!(on_listing[0].status, first.status());
}

/// Large payloads and hostile strings (quotes, NUL, SQL, emoji, invalid-looking escapes)
/// come back byte-exact.
pub async fn hostile_and_large_payloads(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::new(tenant);
    let hostile = "'; DROP TABLE events; -- \"quoted\" \\ \0 NUL \u{1F600} \u{202E}rtl \r\n";
    let explanation: String = hostile.repeat(Text::MAX_CHARS / hostile.chars().count());
    let mut filing = builder.filing();
    filing.explanation = Text::new(explanation.clone()).expect("within limit");
    filing.listing = Listing::parse(
        "https://acme.en.alibaba.com/product-detail/%27%22%3B--_1600000000001.html?q=%F0%9F%98%80",
    )
    .expect("url");
    filing.evidence = (0..500)
        .map(|i| Evidence {
            kind: EvidenceKind::Screenshot,
            sha256: crate::evidence::ContentHash::of_bytes(format!("shot {i}").as_bytes()),
            media_type: format!("image/png; name=\"{hostile}\""),
            captured_at: now() + Duration::milliseconds(i),
        })
        .collect();
    let commit = builder
        .run(store, ComplaintCommand::File(Box::new(filing.clone())))
        .await;
    let loaded = store
        .load(tenant, builder.stream())
        .await
        .expect("load")
        .expect("exists");
    let Snapshot::Complaint(complaint) = &loaded.snapshot else {
        panic!("complaint snapshot expected")
    };
    assert_eq!(*complaint.filed, filing, "filing byte-exact");
    assert_eq!(complaint.filed.explanation.as_str(), explanation);
    let history = store
        .history(tenant, builder.stream())
        .await
        .expect("history");
    assert_eq!(history[0].event, commit.events[0], "event byte-exact");
}

/// Commits a stream's events, decided one after another, and returns its final snapshot.
async fn commit_story<D: Decider>(
    store: &dyn Store,
    tenant: TenantId,
    stream: StreamId,
    commands: &[D::Command],
    context: &D::Context<'_>,
    wrap_event: impl Fn(D::Event) -> DomainEvent,
    wrap_state: impl Fn(&D::State) -> Snapshot,
) -> Snapshot
where
    D::Refusal: std::fmt::Debug,
    D::State: Clone,
    D::Event: Clone,
{
    let mut state = D::initial_state();
    let mut version = 0;
    let mut snapshot: Option<Snapshot> = None;
    for command in commands {
        let events = D::decide(&state, command, context).expect("story");
        state = events.iter().fold(state, D::evolve);
        let after = wrap_state(&state);
        let after_keys = after.index_keys();
        let commit = Commit {
            tenant,
            stream,
            expected_version: version,
            events: events.into_iter().map(&wrap_event).collect(),
            status: StatusChange::between(snapshot.as_ref(), &after),
            snapshot: after,
            outbox: vec![],
            timers: vec![],
            receipt: None,
            metrics: None,
            work: None,
            unique: UniqueKeyChange::default(),
            index: match snapshot {
                None => after_keys,
                Some(_) => Vec::new(),
            },
        };
        version += commit.events.len() as u64;
        snapshot = Some(commit.snapshot.clone());
        store.commit(commit).await.expect("commit");
    }
    snapshot.expect("a story of at least one command")
}

/// Powers of attorney are streams: listed per tenant and representative, revoked ones too,
/// with their current state.
pub async fn powers_of_attorney(store: &dyn Store) {
    use crate::power::{PowerCommand, PowerContext, PowerDecider};
    let tenant = TenantId::new();
    let representative = RepresentativeId::new();
    let grant = |id| PowerOfAttorney {
        id,
        holder: fixtures::holder().id,
        representative,
        scope: PowerScope::AllRights,
        valid_from: now(),
        valid_until: Some(now() + Duration::days(30)),
    };
    let context = PowerContext {
        at: now(),
        actor: fixtures::holder_user(),
    };
    let mut expected = Vec::new();
    for (id, revoke) in [
        (PowerOfAttorneyId::from_u128(2), true),
        (PowerOfAttorneyId::from_u128(1), false),
    ] {
        let mut commands = vec![PowerCommand::Grant {
            tenant,
            power: grant(id),
        }];
        if revoke {
            commands.push(PowerCommand::Revoke {
                reason: Some(text("engagement ended")),
            });
        }
        let snapshot = commit_story::<PowerDecider>(
            store,
            tenant,
            StreamId::Power(id),
            &commands,
            &context,
            DomainEvent::Power,
            |state| Snapshot::Power(std::sync::Arc::new(state.clone().expect("granted"))),
        )
        .await;
        let Snapshot::Power(power) = snapshot else {
            unreachable!("a power snapshot")
        };
        expected.push((*power).clone());
    }
    expected.sort_by_key(|p| p.grant.id);
    assert_eq!(
        store.powers(tenant, representative).await.expect("powers"),
        expected,
        "every power of the representative, in id order, in its current state"
    );
    assert!(
        store
            .powers(TenantId::new(), representative)
            .await
            .expect("powers")
            .is_empty()
    );
    assert!(
        store
            .powers(tenant, RepresentativeId::new())
            .await
            .expect("powers")
            .is_empty()
    );
}

/// Campaigns are streams: listed per tenant in id order, in their current state.
pub async fn campaigns(store: &dyn Store) {
    use crate::campaign::{
        Campaign, CampaignChanges, CampaignCommand, CampaignContext, CampaignDecider,
    };
    use crate::ids::CampaignId;
    let tenant = TenantId::new();
    let right = RightId::new();
    let context = CampaignContext {
        at: now(),
        actor: fixtures::holder_user(),
        approved_rights: &[right],
    };
    let mut expected = Vec::new();
    for (id, name) in [(2, "Cases"), (1, "Earbuds sweep")] {
        let id = CampaignId::from_u128(id);
        let campaign = Campaign::new(id, tenant, text(name), vec![right], now());
        let commands = [
            CampaignCommand::Create(Box::new(campaign)),
            CampaignCommand::Change(CampaignChanges {
                name: Some(text(&format!("{name}, renamed"))),
                ..CampaignChanges::default()
            }),
        ];
        let snapshot = commit_story::<CampaignDecider>(
            store,
            tenant,
            StreamId::Campaign(id),
            &commands,
            &context,
            DomainEvent::Campaign,
            |state| Snapshot::Campaign(std::sync::Arc::new(state.clone().expect("created"))),
        )
        .await;
        let Snapshot::Campaign(campaign) = snapshot else {
            unreachable!("a campaign snapshot")
        };
        expected.push((*campaign).clone());
    }
    expected.sort_by_key(|c| c.id);
    assert_eq!(
        store.campaigns(tenant).await.expect("campaigns"),
        expected,
        "in id order, in their current state"
    );
    assert!(
        store
            .campaigns(TenantId::new())
            .await
            .expect("campaigns")
            .is_empty()
    );
}

fn delivered(owner: WorkerId) -> Settlement {
    Settlement::Delivered { owner }
}

fn retry(owner: WorkerId, at: DateTime<Utc>) -> Settlement {
    Settlement::Retry { owner, at }
}

fn dead_letter(owner: WorkerId, error: &str) -> Settlement {
    Settlement::DeadLetter {
        owner,
        error: error.to_owned(),
    }
}
