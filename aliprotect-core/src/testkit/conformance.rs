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
//! naming the broken promise. A backend that leaves out a capability (schedule, outbox, read
//! model) declares what it has with [`run_declared`] and [`Capabilities`]; one
//! whose database can be opened twice also runs [`two_handles`] and
//! [`two_engines_on_two_handles`] with two handles.
// Assertions are what a conformance suite is made of.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::future::Future;

use chrono::{DateTime, Duration, Utc};

use super::fixtures::{self, now};
use crate::complaint::{
    Complaint, ComplaintCommand, ComplaintContext, ComplaintDecider, ComplaintFiling,
};
use crate::decider::Decider;
use crate::ids::{ComplaintId, RightId, TenantId, WorkerId};
use crate::metrics::MetricsChange;
use crate::notify::{MessageId, NotificationBody};
use crate::party::Actor;
use crate::policy::MarketplacePolicy;
use crate::right::{IpRight, RightStatus};
use crate::store::{
    Claim, Commit, DomainEvent, IdempotencyKey, Lease, OutboxMessage, PendingWork, Receipt,
    ReceiptRecord, RequestFingerprint, Schedule, Snapshot, StatusChange, StatusCount, Store,
    StoreError, StreamId, StreamStatus, Timer, UniqueKeyChange,
};

mod event_log;
mod extension;
mod filer;
mod index;
mod outbox;
mod read_model;
mod schedule;
mod sharing;
mod transfer;
mod trust;

pub use event_log::{
    append_and_load, commit_atomicity, commit_batch_members, hostile_and_large_payloads,
    idempotency_keys, inconsistent_commits_are_refused, load_many_as_load, optimistic_concurrency,
    stream_ordering,
};
pub use extension::{any_stream_kind, streams_of_unknown_kinds};
pub use filer::filer_warned_once_a_day;
pub use index::find_and_count;
pub use outbox::{dead_letters, outbox_batch_settlement, outbox_claim_ack_retry, pending_outbox};
pub use read_model::{campaigns, powers_of_attorney, read_model_equals_replay, tenant_isolation};
pub use schedule::{
    pending_timers_in_due_order, pending_work, timer_claims, timers_due_exactly_once,
};

pub use sharing::{
    engines_share_work, racing_idempotent_requests, tenants_share_stream_ids,
    two_engines_on_two_handles, two_handles, wake_ups_reach_idle_workers,
};
pub use transfer::transfer_round_trip;
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
    schedule: bool,
    outbox: bool,
    read_model: bool,
}

impl Capabilities {
    /// Every capability: a complete [`Store`].
    pub const ALL: Self = Self {
        schedule: true,
        outbox: true,
        read_model: true,
    };

    /// The event log alone.
    pub const EVENT_LOG: Self = Self {
        schedule: false,
        outbox: false,
        read_model: false,
    };

    /// With (or without) a [`crate::store::Schedule`] (timers and pending work).
    pub const fn schedule(mut self, supported: bool) -> Self {
        self.schedule = supported;
        self
    }

    /// With (or without) an [`crate::store::Outbox`].
    pub const fn outbox(mut self, supported: bool) -> Self {
        self.outbox = supported;
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
    load_many_as_load(&make_store().await).await;
    stream_ordering(&make_store().await).await;
    optimistic_concurrency(&make_store().await).await;
    idempotency_keys(&make_store().await).await;
    hostile_and_large_payloads(&make_store().await).await;
    commit_batch_members(&make_store().await).await;
    inconsistent_commits_are_refused(&make_store().await).await;
    unique_keys_hold_one_stream(&make_store().await).await;
    stream_keys_walk_every_stream(&make_store().await).await;
    if declared.schedule {
        timers_due_exactly_once(&make_store().await).await;
        timer_claims(&make_store().await).await;
        pending_work(&make_store().await).await;
        pending_timers_in_due_order(&make_store().await).await;
    }
    if declared.outbox {
        outbox_claim_ack_retry(&make_store().await).await;
        outbox_batch_settlement(&make_store().await).await;
        dead_letters(&make_store().await).await;
        pending_outbox(&make_store().await).await;
    }
    if declared.read_model {
        find_and_count(&make_store().await).await;
        streams_of_unknown_kinds(&make_store().await).await;
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
        filer_warned_once_a_day(make_store().await).await;
    }
}

/// The due timers a claim hands `lease.owner` (the work it claims too is left to its lease).
async fn claim_timers<S: Schedule + ?Sized>(
    store: &S,
    now: DateTime<Utc>,
    lease: Lease,
    limit: usize,
) -> Result<Vec<Timer>, StoreError> {
    store
        .claim_due(Claim { now, lease, limit })
        .await
        .map(|due| due.timers)
}

/// The pending work a claim hands `lease.owner` (the timers it claims too are left to their
/// lease).
async fn claim_work<S: Schedule + ?Sized>(
    store: &S,
    now: DateTime<Utc>,
    lease: Lease,
    limit: usize,
) -> Result<Vec<PendingWork>, StoreError> {
    let claim = Claim { now, lease, limit };
    store.claim_due(claim).await.map(|due| due.work)
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
        fixtures::complaint_filing_on(
            self.tenant,
            self.right.id,
            self.id,
            u64::from(self.id.as_uuid().as_u128() as u32),
        )
    }

    /// Decides `command` on the current state; returns the commit without applying it.
    fn decide(&self, command: ComplaintCommand) -> Commit {
        let policy = MarketplacePolicy::alibaba_ipp();
        let context = ComplaintContext::new(self.at, Actor::Platform, &policy, Some(&self.right));
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
        self.run_with(store, command, |_| {}).await
    }

    /// Decides, stores and applies `command` like [`Builder::run`], after `adjust` has added
    /// to the commit what the engine would (timers, outbox messages, pending work).
    async fn run_with(
        &mut self,
        store: &dyn Store,
        command: ComplaintCommand,
        adjust: impl FnOnce(&mut Commit),
    ) -> Commit {
        let mut commit = self.decide(command);
        adjust(&mut commit);
        store
            .commit(commit.clone())
            .await
            .unwrap_or_else(|e| panic!("commit of version {} failed: {e}", self.version + 1));
        self.applied(&commit);
        commit
    }

    /// Submits the complaint with its receipt recorded under the idempotency key `key_text`.
    async fn submit_keyed(&mut self, store: &dyn Store, key_text: &str) -> Commit {
        let receipt = Receipt {
            stream: self.stream(),
            version: self.version + 1,
            events: 1,
        };
        self.run_with(store, ComplaintCommand::Submit, |submit| {
            submit.receipt = Some(record(key(key_text), receipt));
        })
        .await
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
    let id = MessageId {
        tenant,
        stream,
        version,
    };
    OutboxMessage::new(id, at, NotificationBody::CheckBackDue { number: 1 })
}

/// How long the claims of the schedule and outbox checks hold what they are handed.
const LEASE: Duration = Duration::seconds(60);

/// A claim by `owner` at `at`, for [`LEASE`].
fn lease_of(owner: WorkerId, at: DateTime<Utc>) -> Lease {
    Lease {
        owner,
        until: at + LEASE,
    }
}

/// A claim by a fresh worker that lapses one second after `at`.
fn lease_until(at: DateTime<Utc>) -> Lease {
    Lease {
        owner: WorkerId::new(),
        until: at + Duration::seconds(1),
    }
}

/// The counts an ungrouped [`crate::store::Index::count`] answers for `by_status` (a
/// status code and how many streams have it), in status order.
fn ungrouped_counts(by_status: std::collections::BTreeMap<i16, u64>) -> Vec<StatusCount> {
    by_status
        .into_iter()
        .map(|(status, count)| StatusCount {
            group: None,
            status,
            count,
        })
        .collect()
}

/// The version `stream` of `tenant` is at, if it exists.
async fn version_of(store: &dyn Store, tenant: TenantId, stream: StreamId) -> Option<u64> {
    let loaded = store.load(tenant, stream).await.expect("load");
    loaded.map(|l| l.version)
}

/// How many events `stream` of `tenant` has.
async fn event_count(store: &dyn Store, tenant: TenantId, stream: StreamId) -> usize {
    store.history(tenant, stream).await.expect("history").len()
}

/// Asserts that a read succeeded and found nothing; `what` names the read in the message.
fn assert_nothing<T: std::fmt::Debug>(read: Result<Vec<T>, StoreError>, what: &str) {
    let found = read.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(found.is_empty(), "{what}: found {found:?}");
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
