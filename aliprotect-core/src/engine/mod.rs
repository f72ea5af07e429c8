//! The engine: runs commands against a [`Store`], fires timers, drains the outbox.
//!
//! Every command goes the same way: load the stream, authorize the actor, decide, then ONE
//! atomic [`EventLog::commit`](crate::store::EventLog::commit) of events, snapshot, outbox messages, timers and idempotency
//! receipt, checked against the version it was decided on. On a version conflict the engine
//! loads again and decides again, a bounded number of times.
//!
//! The facade crate `aliprotect` documents a runnable example with the memory store.

mod aggregate;
mod background;
mod command;
mod config;
mod dispatch;
pub(crate) mod effects;
mod error;
mod intake;
mod jobs;
mod outcomes;
mod parties;
mod policy;
mod read;
mod review;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

pub use background::Background;
pub use command::{Command, Request};
pub use config::{EngineBuilder, EngineConfig};
pub use dispatch::{DispatchReport, Dispatcher};
pub use error::{EngineError, Forbidden, PolicyError};
pub use intake::IntakeReport;
pub use jobs::Jobs;
pub use outcomes::{OutcomeChanged, OutcomeConflict, OutcomeReport};
pub use read::Reader;
pub use review::AccuracyReview;

use aggregate::Aggregate;

use crate::clock::Clock;
use crate::complaint::{
    Complaint, ComplaintCommand, ComplaintContext, ComplaintDecider, ComplaintStatus, FollowUpKind,
    RemovalCause,
};
use crate::decider::Decider;
use crate::ids::{ComplaintId, RightId, RightsHolderId, TenantId, WorkerId};
use crate::metrics::{MetricsChange, MetricsFact};
use crate::notify::Notifier;
use crate::party::Actor;
use crate::policy::MarketplacePolicy;
use crate::probe::{ListingProbe, ProbeFinding};
use crate::right::{IpRight, RightCommand, RightContext, RightDecider};
use crate::store::{
    Commit, DomainEvent, FollowUpWork, IdempotencyKey, Lease, PendingWork, Receipt, ReceiptRecord,
    RequestFingerprint, Snapshot, StatusChange, Store, StoreError, StoredReceipt, StreamId,
    StreamStatus, Timer, TimerKind, UniqueKey, WorkId,
};

/// What one [`Jobs::tick`](crate::engine::Jobs::tick) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TickReport {
    /// Timers whose command was carried out.
    pub fired: usize,
    /// Timers dropped because their command no longer applied.
    pub dropped: usize,
    /// Timers left alone because a command replaced them after they were claimed (the
    /// stream's new timers fall due on their own).
    pub stale: usize,
    /// Check-backs whose probe found the listing removed (recorded as such).
    pub found_removed: usize,
    /// Check-backs whose probe found the listing still up.
    pub found_live: usize,
    /// Check-backs whose probe could not tell.
    pub unknown: usize,
    /// Watches of removed listings whose probe found the listing up again (recorded as
    /// reappeared, and notified).
    pub reappeared: usize,
    /// Pending cross-stream work items carried out (staged complaints released,
    /// predecessors marked) that their own engine had left unfinished.
    pub follow_ups: usize,
}

struct Inner<S, N, C> {
    store: S,
    notifier: N,
    clock: C,
    policy: MarketplacePolicy,
    config: EngineConfig,
    worker: WorkerId,
    /// Set once the store's recorded policy was found to be this engine's (or recorded).
    policy_checked: tokio::sync::OnceCell<()>,
    /// Set when a tick found the store following another policy (changed by another
    /// engine): from then on every command is refused with it, not only the timers.
    policy_refused: std::sync::Mutex<Option<PolicyError>>,
    /// Whether `policy_refused` holds a refusal: read on every command without the lock.
    commands_refused: std::sync::atomic::AtomicBool,
}

/// The workflow engine. Cheap to clone (clones share everything); `Send + Sync`.
pub struct Engine<S, N, C> {
    inner: Arc<Inner<S, N, C>>,
}

impl<S, N, C> Clone for Engine<S, N, C> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

/// Rights loaded during a batch, by id (`None`: not found).
type RightMemo = HashMap<RightId, Option<Arc<IpRight>>>;

/// A committed command: its receipt, and the cross-stream work it left (claimed by us).
struct Executed {
    receipt: Receipt,
    work: Option<PendingWork>,
}

/// What a decider produced on a stream, to be turned into a commit.
struct Decision {
    stream: StreamId,
    /// The version decided on.
    expected_version: u64,
    /// The stream's status at that version (`None`: a new stream).
    before: Option<StreamStatus>,
    events: Vec<DomainEvent>,
    /// The state after the events.
    snapshot: Snapshot,
    /// Whether the stream held its unique keys at that version.
    held_keys_before: bool,
}

/// A decided command: its commit and the receipt it yields once committed.
struct Decided {
    commit: Commit,
    receipt: Receipt,
}

/// How a decision loads the stream it decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loading {
    /// A creation: the stream is taken to be new (the commit's version check refuses it
    /// otherwise).
    AssumeNew,
    /// Possibly from the store's cache: the commit's version check catches a stale state.
    Cached,
    /// Reflecting every commit that returned before: what a refusal is decided on.
    Exact,
}

/// The outcome of one commit attempt.
enum Attempt {
    Done(Executed),
    Conflict,
    /// A unique key the commit takes is held by another stream.
    Taken {
        key: UniqueKey,
        holder: StreamId,
    },
}

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    /// An engine over `store`, delivering through `notifier`, reading time from `clock`,
    /// applying `policy`, with the default [`EngineConfig`]. The first engine to use a
    /// store records its policy there; an engine with another policy is refused (see
    /// [`Engine::adopt_policy`] to change it).
    pub fn new(store: S, notifier: N, clock: C, policy: MarketplacePolicy) -> Self {
        Self::builder(store, notifier, clock).build(policy)
    }

    /// An engine applying the policy the store's data follows, as recorded by the engine
    /// that first used it (see [`Engine::new`]); [`PolicyError::NotRecorded`] for a store
    /// no engine has used yet. This is how a tool that did not create the store opens it.
    pub async fn open(store: S, notifier: N, clock: C) -> Result<Self, EngineError> {
        Self::builder(store, notifier, clock).open().await
    }

    /// An engine made step by step: its tunables, then its policy or the store's.
    ///
    /// ```
    /// # use aliprotect_core::{engine::{Engine, EngineConfig}, clock::SystemClock, notify::DiscardNotifier};
    /// # use aliprotect_core::policy::MarketplacePolicy;
    /// # fn demo<S: aliprotect_core::store::Store>(store: S) {
    /// let mut config = EngineConfig::default();
    /// config.carry_out_follow_ups = false; // a separate worker process carries them out
    /// let engine = Engine::builder(store, DiscardNotifier, SystemClock)
    ///     .config(config)
    ///     .build(MarketplacePolicy::alibaba_ipp());
    /// # }
    /// ```
    pub fn builder(store: S, notifier: N, clock: C) -> EngineBuilder<S, N, C> {
        EngineBuilder::new(store, notifier, clock)
    }

    /// The store, for what the engine does not cover (a backend's own operations).
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// Runs a command. Returns what it wrote; with an idempotency key already used in the
    /// tenant, returns the first receipt and writes nothing.
    ///
    /// Work the command causes on other streams (an approval releases the right's staged
    /// complaints; a relisting marks the complaint it follows) is committed with it and
    /// carried out before this returns; should that fail, or the process die, any engine's
    /// [`Jobs::tick`](crate::engine::Jobs::tick) finishes it.
    pub async fn execute(&self, request: Request) -> Result<Receipt, EngineError> {
        let executed = self.execute_only(&request).await?;
        if let Some(work) = executed.work
            && self.inner.config.carry_out_follow_ups
        {
            self.carry_out(&work).await;
        }
        Ok(executed.receipt)
    }

    async fn execute_only(&self, request: &Request) -> Result<Executed, EngineError> {
        self.check_request(request)?;
        self.ensure_policy().await?;
        let Some(key) = &request.idempotency_key else {
            return self.decide_and_commit(request).await;
        };
        let store = &self.inner.store;
        let fingerprint = request.fingerprint()?;
        if let Some(stored) = store.receipt(request.tenant, key).await? {
            return replay(key, fingerprint, stored);
        }
        match self.decide_and_commit(request).await {
            Ok(executed) => Ok(executed),
            // A concurrent run of the same request may have committed between our look at
            // the receipts and our decision: its commit is why we were refused (the command
            // no longer fits the state) or kept conflicting. Its receipt is our answer.
            Err(error) => match store.receipt(request.tenant, key).await? {
                Some(stored) => replay(key, fingerprint, stored),
                None => Err(error),
            },
        }
    }

    /// Decides `request` on the stream at `version` exactly and commits it; `None` if the
    /// stream is no longer at `version` (no second decision on a newer state).
    async fn execute_at(
        &self,
        request: &Request,
        version: u64,
    ) -> Result<Option<Executed>, EngineError> {
        self.check_request(request)?;
        // The caller has just loaded the stream exactly, which a cache keeps: deciding on it
        // needs no second read, and a newer version means the stream moved on.
        let decided = self.decide(request, Loading::Cached, None, None).await?;
        if decided.commit.expected_version != version {
            return Ok(None);
        }
        match self.commit(decided).await? {
            Attempt::Done(executed) => Ok(Some(executed)),
            Attempt::Conflict => Ok(None),
            Attempt::Taken { key, holder } => {
                Err(StoreError::UniqueKeyTaken { key, holder }.into())
            }
        }
    }

    /// Decides and commits, deciding again after each version conflict, a bounded number of
    /// times.
    async fn decide_and_commit(&self, request: &Request) -> Result<Executed, EngineError> {
        let attempts = self.inner.config.max_conflict_retries.saturating_add(1);
        // A creation is first decided as new without a look at the store (the commit's
        // version check refuses it if the stream exists, and the next attempt loads it).
        let mut loading = match request.command.created_as() {
            Some(_) => Loading::AssumeNew,
            None => Loading::Cached,
        };
        for _ in 0..attempts {
            let decided = match self.decide(request, loading, None, None).await {
                // The state decided on may have been a stale cached one: a refusal is only
                // reported if the stream as it stands refuses the command too.
                Err(error) if error.is_refusal() => {
                    self.decide(request, Loading::Exact, None, None).await
                }
                other => other,
            };
            let attempt = match decided {
                Ok(decided) => self.commit(decided).await,
                Err(error) => Err(error),
            };
            match attempt {
                Ok(Attempt::Done(executed)) => return Ok(executed),
                Ok(Attempt::Conflict) => loading = Loading::Cached,
                // Another stream holds a key the command takes: decide again knowing who,
                // so that the rules refuse it by name; if the holder let go meanwhile, retry.
                Ok(Attempt::Taken { key, holder }) => match self
                    .open_holder(request, holder)
                    .await?
                {
                    Some(open) => {
                        return match self.decide(request, Loading::Exact, None, Some(open)).await {
                            Err(refusal) => Err(refusal),
                            Ok(_) => Err(StoreError::UniqueKeyTaken { key, holder }.into()),
                        };
                    }
                    None => loading = Loading::Exact,
                },
                Err(other) => return Err(other),
            }
        }
        Err(EngineError::Conflict {
            stream: request.command.stream(),
            attempts,
        })
    }

    /// Checks what can be checked without loading anything: the actor's side and tenant,
    /// and that a creation command carries the request's id and tenant.
    fn check_request(&self, request: &Request) -> Result<(), EngineError> {
        let forbidden = |reason| EngineError::Forbidden {
            actor: request.actor,
            command: request.command.name(),
            reason,
        };
        let allowed = request.command.issuers();
        if !allowed.contains(&request.actor.issuer()) {
            return Err(forbidden(Forbidden::WrongSide { allowed }));
        }
        if request
            .actor
            .tenant()
            .is_some_and(|tenant| tenant != request.tenant)
        {
            return Err(forbidden(Forbidden::OtherTenant));
        }
        if let Some((stream, tenant)) = request.command.created_as() {
            if stream != request.command.stream() {
                return Err(EngineError::InvalidCommand(
                    "the creation command's id differs from the addressed stream",
                ));
            }
            if tenant != request.tenant {
                return Err(EngineError::InvalidCommand(
                    "the creation command's tenant differs from the request's",
                ));
            }
        }
        Ok(())
    }

    /// A representative must hold a power of attorney in force for the holder and right.
    async fn authorize(
        &self,
        request: &Request,
        holder: RightsHolderId,
        right: RightId,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let Actor::Representative { representative, .. } = request.actor else {
            return Ok(());
        };
        let powers = self
            .inner
            .store
            .powers(request.tenant, representative)
            .await?;
        if powers
            .iter()
            .any(|power| power.authorises(representative, holder, right, now))
        {
            Ok(())
        } else {
            Err(EngineError::Forbidden {
                actor: request.actor,
                command: request.command.name(),
                reason: Forbidden::NoPowerOfAttorney { holder },
            })
        }
    }

    /// Loads what `request` needs and decides it; the result is ready to commit. `loading`
    /// says how the addressed stream is loaded (the right and the complaint a command refers
    /// to are always loaded exactly); `rights` memoizes rights across a batch.
    async fn decide(
        &self,
        request: &Request,
        loading: Loading,
        rights: Option<&mut RightMemo>,
        open_on_listing: Option<ComplaintId>,
    ) -> Result<Decided, EngineError> {
        match &request.command {
            Command::Right { id, command } => {
                self.decide_right(request, *id, command, loading).await
            }
            Command::Complaint { id, command } => {
                self.decide_complaint(request, *id, command, loading, rights, open_on_listing)
                    .await
            }
            Command::Power { id, command } => {
                self.decide_power(request, *id, command, loading).await
            }
            Command::Campaign { id, command } => {
                self.decide_campaign(request, *id, command, loading).await
            }
        }
    }

    /// The version and state of the stream a command is decided on, loaded as `loading`
    /// says (`(0, None)`: a new stream).
    async fn load_state<D: Aggregate>(
        &self,
        tenant: TenantId,
        stream: StreamId,
        loading: Loading,
    ) -> Result<(u64, Option<D::Item>), EngineError> {
        let store = &self.inner.store;
        let loaded = match loading {
            Loading::AssumeNew => None,
            Loading::Cached => store.load_to_decide(tenant, stream).await?,
            Loading::Exact => store.load(tenant, stream).await?,
        };
        Ok(match loaded {
            None => (0, None),
            Some(loaded) => (
                loaded.version,
                Some(Arc::unwrap_or_clone(item_of::<D>(stream, loaded.snapshot)?)),
            ),
        })
    }

    async fn decide_right(
        &self,
        request: &Request,
        id: RightId,
        command: &RightCommand,
        loading: Loading,
    ) -> Result<Decided, EngineError> {
        let stream = StreamId::Right(id);
        let now = self.inner.clock.now();
        let (version, state) = self
            .load_state::<RightDecider>(request.tenant, stream, loading)
            .await?;
        let holder = match (&state, command) {
            (Some(right), _) => right.package.holder.id,
            (None, RightCommand::Register { package, .. }) => package.holder.id,
            (None, _) => return Err(EngineError::NotFound(stream)),
        };
        self.authorize(request, holder, id, now).await?;
        let context = RightContext {
            at: now,
            actor: request.actor,
            policy: &self.inner.policy,
        };
        let events = RightDecider::decide(&state, command, &context)?;
        self.conclude::<RightDecider>(request, (stream, version), state, events, now)
    }

    async fn decide_complaint(
        &self,
        request: &Request,
        id: ComplaintId,
        command: &ComplaintCommand,
        loading: Loading,
        rights: Option<&mut RightMemo>,
        open_on_listing: Option<ComplaintId>,
    ) -> Result<Decided, EngineError> {
        let stream = StreamId::Complaint(id);
        let now = self.inner.clock.now();
        let (version, state) = self
            .load_state::<ComplaintDecider>(request.tenant, stream, loading)
            .await?;
        let right_id = match (&state, command) {
            (Some(complaint), _) => complaint.filed.right,
            (None, ComplaintCommand::File(filing)) => filing.right,
            (None, _) => return Err(EngineError::NotFound(stream)),
        };
        let needs_right = matches!(
            command,
            ComplaintCommand::File(_) | ComplaintCommand::Submit | ComplaintCommand::SubmitStaged
        ) || matches!(request.actor, Actor::Representative { .. });
        let right = match (needs_right, rights) {
            (false, _) => None,
            (true, None) => self.load_right(request.tenant, right_id).await?,
            (true, Some(memo)) => match memo.get(&right_id) {
                Some(right) => right.clone(),
                None => {
                    let right = self.load_right(request.tenant, right_id).await?;
                    memo.insert(right_id, right.clone());
                    right
                }
            },
        };
        if let Some(right) = &right {
            self.authorize(request, right.package.holder.id, right.id, now)
                .await?;
        }
        let previous = match command {
            ComplaintCommand::File(filing) => match filing.follows {
                Some(follow_up) => {
                    self.load_complaint(request.tenant, follow_up.previous)
                        .await?
                }
                None => None,
            },
            _ => None,
        };
        let context = ComplaintContext {
            at: now,
            actor: request.actor,
            policy: &self.inner.policy,
            right: right.as_deref(),
            previous: previous.as_deref(),
            open_on_listing,
        };
        let events = ComplaintDecider::decide(&state, command, &context)?;
        let fact_before = state.as_ref().map(MetricsFact::of);
        let mut decided =
            self.conclude::<ComplaintDecider>(request, (stream, version), state, events, now)?;
        if let Snapshot::Complaint(complaint) = &decided.commit.snapshot {
            decided.commit.metrics = MetricsChange::new(fact_before, MetricsFact::of(complaint));
        }
        Ok(decided)
    }

    /// Turns the events a decider produced on `state` (at `version` of `stream`) into the
    /// commit: the status before, the new state as the snapshot, the events as stored.
    fn conclude<D: Aggregate>(
        &self,
        request: &Request,
        (stream, expected_version): (StreamId, u64),
        state: Option<D::Item>,
        events: Vec<D::Event>,
        now: DateTime<Utc>,
    ) -> Result<Decided, EngineError> {
        let before = state.as_ref().map(D::status);
        let held_keys_before = state.as_ref().is_some_and(D::holds_unique_keys);
        let Some(item) = events.iter().fold(state, D::evolve) else {
            return Err(EngineError::NotFound(stream));
        };
        let decision = Decision {
            stream,
            expected_version,
            before,
            events: events.into_iter().map(D::stored).collect(),
            snapshot: D::snapshot(item),
            held_keys_before,
        };
        self.prepare(request, decision, now)
    }

    /// The commit of a decision, with its effects and receipt.
    fn prepare(
        &self,
        request: &Request,
        decision: Decision,
        now: DateTime<Utc>,
    ) -> Result<Decided, EngineError> {
        let Decision {
            stream,
            expected_version,
            before,
            events,
            snapshot,
            held_keys_before,
        } = decision;
        let tenant = request.tenant;
        let appended = u32::try_from(events.len()).unwrap_or(u32::MAX);
        let receipt = Receipt {
            stream,
            version: expected_version + u64::from(appended),
            events: appended,
        };
        let status = StatusChange {
            before,
            after: StreamStatus::of(&snapshot),
        };
        let work = effects::work_for(stream, &events).map(|follow_up| PendingWork {
            id: WorkId {
                tenant,
                stream,
                version: receipt.version,
            },
            follow_up,
            // Held by this engine while it carries the work out itself; else free at once
            // for whichever engine ticks next.
            lease: match self.inner.config.carry_out_follow_ups {
                true => self.lease(now, self.inner.config.claim_lease),
                false => self.lease(now, Duration::zero()),
            },
        });
        let unique = snapshot.unique_key_change(held_keys_before);
        // Only a keyed request is fingerprinted: the hash is of its whole command.
        let record = match &request.idempotency_key {
            Some(key) => Some(ReceiptRecord {
                key: key.clone(),
                request: request.fingerprint()?,
                receipt,
            }),
            None => None,
        };
        let commit = Commit {
            tenant,
            stream,
            expected_version,
            outbox: effects::outbox_for(tenant, stream, expected_version + 1, &events, now),
            timers: effects::timers_for(tenant, stream, &snapshot, &self.inner.policy),
            events,
            snapshot,
            receipt: record,
            metrics: None,
            work,
            status,
            unique,
        };
        Ok(Decided { commit, receipt })
    }

    /// A claim by this engine from `now` for `length`.
    fn lease(&self, now: DateTime<Utc>, length: Duration) -> Lease {
        Lease {
            owner: self.inner.worker,
            until: now.checked_add_signed(length).unwrap_or(now),
        }
    }

    async fn commit(&self, decided: Decided) -> Result<Attempt, EngineError> {
        let work = decided.commit.work.clone();
        match self.inner.store.commit(decided.commit).await {
            Ok(()) => Ok(Attempt::Done(Executed {
                receipt: decided.receipt,
                work,
            })),
            Err(StoreError::Conflict { .. }) => Ok(Attempt::Conflict),
            Err(StoreError::UniqueKeyTaken { key, holder }) => Ok(Attempt::Taken { key, holder }),
            Err(other) => Err(other.into()),
        }
    }

    /// The open complaint `holder` is, if it (still) is one in the tenant: the duplicate a
    /// filing that met its key is refused for.
    async fn open_holder(
        &self,
        request: &Request,
        holder: StreamId,
    ) -> Result<Option<ComplaintId>, EngineError> {
        let StreamId::Complaint(id) = holder else {
            return Ok(None);
        };
        let open = self
            .load_complaint(request.tenant, id)
            .await?
            .is_some_and(|complaint| complaint.holds_unique_keys());
        Ok(open.then_some(id))
    }

    /// Runs many independent commands (bulk filing) with ONE store call for all their
    /// commits, so a durable store writes them in large transactions. Each request gets its
    /// own result in order, as if run one after another by [`Engine::execute`]: a refused
    /// request does not affect the others; a later request on a stream already in the batch,
    /// a request with an idempotency key, and a creation that meets an existing stream run
    /// one by one after the batch.
    pub async fn execute_batch(&self, requests: Vec<Request>) -> Vec<Result<Receipt, EngineError>> {
        if let Err(error) = self.ensure_policy().await {
            let error = match error {
                EngineError::Policy(error) => error,
                other => PolicyError::Unreadable {
                    detail: other.to_string(),
                },
            };
            return requests
                .iter()
                .map(|_| Err(EngineError::Policy(error.clone())))
                .collect();
        }
        let mut results: Vec<Option<Result<Executed, EngineError>>> =
            requests.iter().map(|_| None).collect();
        let mut rights = RightMemo::default();
        let mut decided = Vec::new();
        let mut streams = std::collections::HashSet::new();
        for (index, request) in requests.iter().enumerate() {
            // A second request on a stream depends on the first: it runs after the batch.
            if !streams.insert(request.command.stream()) {
                continue;
            }
            let outcome = match self.check_request(request) {
                Err(error) => Err(error),
                Ok(()) => match &request.idempotency_key {
                    // Keyed requests take the careful path of `execute`.
                    Some(_) => continue,
                    None => {
                        let loading = match request.command.created_as() {
                            Some(_) => Loading::AssumeNew,
                            None => Loading::Cached,
                        };
                        self.decide(request, loading, Some(&mut rights), None).await
                    }
                },
            };
            match outcome {
                Ok(decision) => decided.push((index, decision)),
                // Perhaps decided on a stale cached state: run it alone after the batch.
                Err(error) if error.is_refusal() => {}
                Err(error) => results[index] = Some(Err(error)),
            }
        }
        let (indexes, decisions): (Vec<usize>, Vec<Decided>) = decided.into_iter().unzip();
        let (commits, executed): (Vec<Commit>, Vec<Executed>) = decisions
            .into_iter()
            .map(|d| {
                let work = d.commit.work.clone();
                let executed = Executed {
                    receipt: d.receipt,
                    work,
                };
                (d.commit, executed)
            })
            .unzip();
        let outcomes = self.inner.store.commit_batch(commits).await;
        for ((index, executed), outcome) in indexes.into_iter().zip(executed).zip(outcomes) {
            results[index] = match outcome {
                Ok(()) => Some(Ok(executed)),
                // Run alone after the batch: decided again on the new state, or against the
                // key's holder.
                Err(StoreError::Conflict { .. } | StoreError::UniqueKeyTaken { .. }) => None,
                Err(other) => Some(Err(other.into())),
            };
        }
        let mut out = Vec::with_capacity(requests.len());
        for (request, result) in requests.iter().zip(results) {
            let result = match result {
                Some(result) => result,
                None => self.execute_only(request).await,
            };
            out.push(match result {
                Ok(executed) => {
                    if let Some(work) = &executed.work
                        && self.inner.config.carry_out_follow_ups
                    {
                        self.carry_out(work).await;
                    }
                    Ok(executed.receipt)
                }
                Err(error) => Err(error),
            });
        }
        out
    }

    /// Carries out cross-stream work this engine holds, then removes it. A failure is logged,
    /// not returned, because the command that caused the work is committed either way: the
    /// work stays in the store and, once its lease runs out, a tick finishes it.
    async fn carry_out(&self, work: &PendingWork) -> bool {
        let result = match self.do_work(work).await {
            Ok(()) => self
                .inner
                .store
                .complete_work(&work.id, self.inner.worker)
                .await
                .map_err(EngineError::from),
            Err(error) => Err(error),
        };
        match result {
            Ok(_) => true,
            Err(error) => {
                tracing::warn!(%error, work = %work.id, "follow-up failed; a tick will retry it");
                false
            }
        }
    }

    /// The commands of a work item, each an ordinary command by the `System` actor. Doing it
    /// again is harmless: a complaint already released or marked refuses the command.
    async fn do_work(&self, work: &PendingWork) -> Result<(), EngineError> {
        let tenant = work.id.tenant;
        match work.follow_up {
            FollowUpWork::ReleaseStaged { right } => {
                let staged = self
                    .inner
                    .store
                    .complaints_of_right(tenant, right, ComplaintStatus::Staged)
                    .await?;
                for row in staged {
                    let submit = Command::complaint(row.id, ComplaintCommand::SubmitStaged);
                    self.run_as_system(tenant, submit).await?;
                }
            }
            FollowUpWork::MarkPredecessor {
                previous,
                successor,
                kind,
            } => {
                let command = match kind {
                    FollowUpKind::Relisting => ComplaintCommand::MarkRelisted { successor },
                    FollowUpKind::Refiling => ComplaintCommand::MarkRefiled { successor },
                };
                self.run_as_system(tenant, Command::complaint(previous, command))
                    .await?;
            }
            FollowUpWork::FlagLapsedComplaints { right } => {
                for status in ComplaintStatus::ALL.into_iter().filter(|s| s.is_open()) {
                    let open = self
                        .inner
                        .store
                        .complaints_of_right(tenant, right, status)
                        .await?;
                    for row in open {
                        let flag = Command::complaint(row.id, ComplaintCommand::FlagRightLapsed);
                        self.run_as_system(tenant, flag).await?;
                    }
                }
            }
            FollowUpWork::RescheduleTimers => self.reschedule_timers(work.id.version).await?,
        }
        Ok(())
    }

    /// Runs a command of the engine's own; a refusal means it no longer applies (already
    /// done, or the stream moved on) and is not an error.
    async fn run_as_system(&self, tenant: TenantId, command: Command) -> Result<(), EngineError> {
        let request = Request::new(tenant, Actor::System, command);
        match self.execute_only(&request).await {
            Ok(_) => Ok(()),
            Err(EngineError::ComplaintRefused(refusal)) => {
                tracing::debug!(%refusal, "follow-up no longer applies");
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// Carries out pending work whose engine did not finish it (it failed, or died).
    async fn resume_work(
        &self,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        loop {
            let lease = self.lease(now, self.inner.config.claim_lease);
            let claimed = self
                .inner
                .store
                .claim_work(now, lease, self.inner.config.timer_batch)
                .await?;
            if claimed.is_empty() {
                return Ok(());
            }
            let mut done = 0;
            for work in &claimed {
                if self.carry_out(work).await {
                    done += 1;
                }
            }
            report.follow_ups += done;
            if done == 0 {
                return Ok(());
            }
        }
    }

    async fn tick_probing(
        &self,
        probe: Option<&dyn ListingProbe>,
    ) -> Result<TickReport, EngineError> {
        // Timers fire under the store's policy only: a policy changed by another engine
        // since this one checked stops this one here, its commands included.
        if let Err(error) = self.check_stored_policy().await {
            if let EngineError::Policy(refusal @ PolicyError::Mismatch { .. }) = &error {
                self.refuse_commands(refusal.clone());
            }
            return Err(error);
        }
        let mut report = TickReport::default();
        let now = self.inner.clock.now();
        // A fired timer's commit ends the claim on its stream; should a command ever leave a
        // timer due again at once, this tick does not fire it a second time.
        let mut fired = std::collections::HashSet::new();
        loop {
            let lease = self.lease(now, self.inner.config.claim_lease);
            let due = self
                .inner
                .store
                .claim_timers(now, lease, self.inner.config.timer_batch)
                .await?;
            let fresh: Vec<Timer> = due
                .into_iter()
                .filter(|t| fired.insert(t.clone()))
                .collect();
            if fresh.is_empty() {
                break;
            }
            for timer in fresh {
                self.fire(&timer, probe, &mut report).await?;
            }
        }
        self.resume_work(now, &mut report).await?;
        Ok(report)
    }

    async fn fire(
        &self,
        timer: &Timer,
        probe: Option<&dyn ListingProbe>,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        let Some(command) = effects::timer_command(timer) else {
            return self.drop_timer(timer, report).await;
        };
        let request = Request::new(timer.tenant, Actor::System, command);
        // Another engine's command may have replaced the stream's timers since this one was
        // claimed: fire it only while the stream still has it, at the version it was
        // checked on, so that a timer fires once in effect and never early.
        let Some(loaded) = self.inner.store.load(timer.tenant, timer.stream).await? else {
            return self.drop_timer(timer, report).await;
        };
        let current = effects::timers_for(
            timer.tenant,
            timer.stream,
            &loaded.snapshot,
            &self.inner.policy,
        );
        if !current
            .iter()
            .any(|t| t.kind == timer.kind && t.due == timer.due)
        {
            report.stale += 1;
            return Ok(());
        }
        match self.execute_at(&request, loaded.version).await {
            Ok(None) => report.stale += 1,
            Ok(Some(executed)) => {
                if let Some(work) = executed.work
                    && self.inner.config.carry_out_follow_ups
                {
                    self.carry_out(&work).await;
                }
                report.fired += 1;
                if let (Some(probe), TimerKind::CheckBack | TimerKind::ReturnWatch) =
                    (probe, timer.kind)
                    && let StreamId::Complaint(id) = timer.stream
                {
                    self.look(probe, timer.tenant, id, report).await?;
                }
            }
            Err(
                EngineError::RightRefused(_)
                | EngineError::ComplaintRefused(_)
                | EngineError::PowerRefused(_)
                | EngineError::CampaignRefused(_)
                | EngineError::NotFound(_),
            ) => self.drop_timer(timer, report).await?,
            Err(other) => return Err(other),
        }
        Ok(())
    }

    /// Asks `probe` about a complaint's listing and records what it found.
    async fn look(
        &self,
        probe: &dyn ListingProbe,
        tenant: TenantId,
        id: ComplaintId,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        let Some(complaint) = self.load_complaint(tenant, id).await? else {
            return Ok(());
        };
        let removed = complaint.status() == ComplaintStatus::ListingRemoved;
        let command = match probe.probe(&complaint.filed.listing).await {
            // Already removed: gone is what the watch expects, and nothing to record.
            ProbeFinding::Removed { .. } if removed => return Ok(()),
            ProbeFinding::Removed {
                evidence: Some(evidence),
            } => {
                report.found_removed += 1;
                ComplaintCommand::RecordRemoval {
                    cause: RemovalCause::FoundByCheckBack {
                        evidence: Some(evidence),
                    },
                }
            }
            // A removal is recorded with what was seen, or not at all.
            ProbeFinding::Removed { evidence: None } => {
                tracing::info!(complaint = %id, "probe found no listing but kept no evidence");
                report.unknown += 1;
                return Ok(());
            }
            ProbeFinding::Live => {
                match removed {
                    true => report.reappeared += 1,
                    false => report.found_live += 1,
                }
                ComplaintCommand::ReportStillListed
            }
            ProbeFinding::Unknown { reason } => {
                tracing::info!(complaint = %id, %reason, "check-back could not tell");
                report.unknown += 1;
                return Ok(());
            }
        };
        let request = Request::new(tenant, Actor::System, Command::complaint(id, command));
        match self.execute(request).await {
            // The complaint moved on meanwhile (the platform reported first): nothing to do.
            Ok(_) | Err(EngineError::ComplaintRefused(_)) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// Removes a timer whose command does not apply, keeping the stream's other timers.
    async fn drop_timer(&self, timer: &Timer, report: &mut TickReport) -> Result<(), EngineError> {
        tracing::warn!(?timer, "timer does not apply to its stream; dropped");
        let store = &self.inner.store;
        let Some(loaded) = store.load(timer.tenant, timer.stream).await? else {
            return Ok(());
        };
        let timers = effects::timers_for(
            timer.tenant,
            timer.stream,
            &loaded.snapshot,
            &self.inner.policy,
        )
        .into_iter()
        .filter(|t| t.kind != timer.kind)
        .collect();
        let commit = Commit::timers_only(timer.tenant, timer.stream, loaded, timers);
        match store.commit(commit).await {
            // A conflict means the stream moved on and its timers were replaced anyway.
            Ok(()) | Err(StoreError::Conflict { .. }) => {
                report.dropped += 1;
                Ok(())
            }
            Err(other) => Err(other.into()),
        }
    }
}

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    /// The stream's state as `D` keeps it, if it exists in the tenant: an exact load.
    async fn load_item<D: Aggregate>(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Option<Arc<D::Item>>, EngineError> {
        match self.inner.store.load(tenant, stream).await? {
            None => Ok(None),
            Some(loaded) => Ok(Some(item_of::<D>(stream, loaded.snapshot)?)),
        }
    }

    async fn load_right(
        &self,
        tenant: TenantId,
        id: RightId,
    ) -> Result<Option<Arc<IpRight>>, EngineError> {
        self.load_item::<RightDecider>(tenant, StreamId::Right(id))
            .await
    }

    async fn load_complaint(
        &self,
        tenant: TenantId,
        id: ComplaintId,
    ) -> Result<Option<Arc<Complaint>>, EngineError> {
        self.load_item::<ComplaintDecider>(tenant, StreamId::Complaint(id))
            .await
    }
}

/// The answer to a request whose idempotency key is already recorded: the first request's
/// receipt if it was the same request, else a typed refusal of the key's reuse.
fn replay(
    key: &IdempotencyKey,
    fingerprint: RequestFingerprint,
    stored: StoredReceipt,
) -> Result<Executed, EngineError> {
    if stored.request.is_some_and(|first| first != fingerprint) {
        return Err(EngineError::IdempotencyKeyReused { key: key.clone() });
    }
    Ok(Executed {
        receipt: stored.receipt,
        work: None,
    })
}

/// The state of `D` in `snapshot`, the stored state of `stream`; another kind is corrupt.
fn item_of<D: Aggregate>(stream: StreamId, snapshot: Snapshot) -> Result<Arc<D::Item>, StoreError> {
    D::item(snapshot).ok_or_else(|| wrong_snapshot(stream))
}

fn wrong_snapshot(stream: StreamId) -> StoreError {
    StoreError::Corrupt {
        location: stream.to_string(),
        detail: "snapshot of another stream kind".to_owned(),
    }
}
