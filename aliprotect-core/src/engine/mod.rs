//! The engine: runs commands against a [`Store`], fires timers, drains the outbox.
//!
//! Every command goes the same way: load the stream, authorize the actor, decide, then ONE
//! atomic [`EventLog::commit`](crate::store::EventLog::commit) of events, snapshot, outbox
//! messages, timers and idempotency receipt, checked against the version it was decided on.
//! On a version conflict the engine loads again and decides again, a bounded number of times.
//!
//! One file per job: `execute` runs commands, `decide` turns one into a commit, `timers`
//! fires timers and carries out pending work, `dispatch` delivers the outbox, `read` answers
//! queries; `jobs` and `read` are the handles embedders call them through.
//!
//! The facade crate `aliprotect` documents a runnable example with the memory store.

mod aggregate;
mod background;
mod command;
mod config;
mod decide;
mod dispatch;
pub(crate) mod effects;
mod error;
mod execute;
mod intake;
mod jobs;
mod outcomes;
mod parties;
mod policy;
mod query;
mod read;
mod review;
mod timers;
mod upcoming;

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
pub use query::{ComplaintQuery, Page};
pub use read::Reader;
pub use review::AccuracyReview;
pub use timers::TickReport;
pub use upcoming::{TimerQuery, Upcoming};

use crate::clock::Clock;
use crate::ids::{RightId, WorkerId};
use crate::notify::Notifier;
use crate::policy::MarketplacePolicy;
use crate::right::IpRight;
use crate::store::{
    Commit, DomainEvent, Lease, PendingWork, Receipt, Snapshot, Store, StoreError, StreamId,
    StreamStatus, UniqueKey,
};

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

    /// A claim by this engine from `now` for `length`.
    fn lease(&self, now: DateTime<Utc>, length: Duration) -> Lease {
        Lease {
            owner: self.inner.worker,
            until: now.checked_add_signed(length).unwrap_or(now),
        }
    }
}

fn wrong_snapshot(stream: StreamId) -> StoreError {
    StoreError::Corrupt {
        location: stream.to_string(),
        detail: "snapshot of another stream kind".to_owned(),
    }
}
