//! How an engine is made: its tunables, and the builder that takes them.

use std::sync::Arc;

use chrono::Duration;

use super::policy::read_policy;
use super::{Engine, EngineError, Inner, PolicyError};
use crate::clock::Clock;
use crate::ids::WorkerId;
use crate::notify::Notifier;
use crate::policy::MarketplacePolicy;
use crate::store::Store;

/// Tunables of the engine; the defaults suit most embedders.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineConfig {
    /// Times a command is decided again after a version conflict before giving up.
    pub max_conflict_retries: u32,
    /// Timers fired per store query in [`Jobs::tick`](super::Jobs::tick).
    pub timer_batch: usize,
    /// Check-backs looked at at once in [`Jobs::tick_with_probe`](super::Jobs::tick_with_probe)
    /// (at least 1). The probe keeps its own politeness (the HTTP probe spaces the requests
    /// to each host and limits those in flight), so this bounds only the looks waiting on
    /// it: set it to 1 to look at one listing at a time, as before.
    pub probe_concurrency: usize,
    /// Outbox messages leased per store query in [`Jobs::dispatch`](super::Jobs::dispatch).
    pub dispatch_batch: usize,
    /// Outbox messages sent at once in [`Jobs::dispatch`](super::Jobs::dispatch) (at least 1;
    /// 1 sends them one at a time, oldest first). What was sent is settled together as the
    /// answers come in. Delivery promises no order across messages: each is sent at least
    /// once and a receiver drops repeats by the message id.
    pub dispatch_concurrency: usize,
    /// How long a leased message is hidden from other dispatchers.
    pub outbox_lease: Duration,
    /// How long a stream's due timers, or a pending work item, stay claimed by the engine
    /// that took them before another engine may take them over.
    pub claim_lease: Duration,
    /// Whether [`Engine::execute`] carries out the cross-stream work a command causes
    /// before returning (the default), or leaves it to the next [`Jobs::tick`](super::Jobs::tick) of any
    /// engine (for instance a separate worker process), which keeps command latency flat
    /// when an approval releases thousands of staged complaints.
    pub carry_out_follow_ups: bool,
    /// Delay before the first retry of a failed delivery; doubled on each failure.
    pub retry_base_delay: Duration,
    /// Longest delay between retries.
    pub retry_max_delay: Duration,
    /// Delivery attempts of one message before it becomes a dead letter.
    pub max_delivery_attempts: u32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            max_conflict_retries: 16,
            timer_batch: 256,
            probe_concurrency: 256,
            dispatch_batch: 256,
            dispatch_concurrency: 16,
            outbox_lease: Duration::seconds(60),
            claim_lease: Duration::seconds(60),
            carry_out_follow_ups: true,
            retry_base_delay: Duration::seconds(2),
            retry_max_delay: Duration::hours(1),
            max_delivery_attempts: 12,
        }
    }
}

/// An engine being made: see [`Engine::builder`].
#[must_use = "an engine builder does nothing until built"]
pub struct EngineBuilder<S, N, C> {
    store: S,
    notifier: N,
    clock: C,
    config: EngineConfig,
}

impl<S: Store, N: Notifier, C: Clock> EngineBuilder<S, N, C> {
    pub(super) fn new(store: S, notifier: N, clock: C) -> Self {
        Self {
            store,
            notifier,
            clock,
            config: EngineConfig::default(),
        }
    }

    /// The engine's tunables (the default: [`EngineConfig::default`]).
    pub fn config(mut self, config: EngineConfig) -> Self {
        self.config = config;
        self
    }

    /// The engine, applying `policy` (see [`Engine::new`]).
    pub fn build(self, policy: MarketplacePolicy) -> Engine<S, N, C> {
        Engine {
            inner: Arc::new(Inner {
                store: self.store,
                notifier: self.notifier,
                clock: self.clock,
                policy,
                config: self.config,
                worker: WorkerId::new(),
                policy_checked: tokio::sync::OnceCell::new(),
                policy_refused: std::sync::Mutex::new(None),
                commands_refused: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    /// The engine, applying the policy the store's data follows (see [`Engine::open`]).
    pub async fn open(self) -> Result<Engine<S, N, C>, EngineError> {
        let stored = read_policy(&self.store)
            .await?
            .ok_or(PolicyError::NotRecorded)?;
        let engine = self.build(MarketplacePolicy::clone(&stored.policy));
        // Checked just now: the first command need not read it again.
        let _ = engine.inner.policy_checked.set(());
        Ok(engine)
    }
}
