//! The policy kept with the data: an engine records its policy in the store on first use,
//! refuses a store whose data follows another, and changes the store's policy only when
//! asked to, with who and why recorded, rescheduling every stream's timers under the new one.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::Duration;

use super::{Engine, EngineError, PolicyError, effects};
use crate::clock::Clock;
use crate::decider::Recorded;
use crate::ids::{StreamId, TenantId};
use crate::notify::Notifier;
use crate::party::Actor;
use crate::policy::{MarketplacePolicy, POLICY_STREAM, PolicyChange, StoredPolicy};
use crate::store::{
    Commit, DomainEvent, Loaded, PendingWork, Receipt, Snapshot, StatusChange, Store, StoreError,
    StreamStatus, UniqueKeyChange, WorkId,
};
use crate::text::Text;

/// Streams whose timers are rescheduled per page of [`crate::store::EventLog::stream_keys`].
const RESCHEDULE_PAGE: usize = 500;

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    /// Makes sure the store's data follows this engine's policy, recording it if the store
    /// has none yet; once per engine (see [`Engine::check_stored_policy`] for ticks).
    pub(super) async fn ensure_policy(&self) -> Result<(), EngineError> {
        if self.inner.policy_checked.initialized() {
            return match self.refused_commands() {
                Some(refusal) => Err(refusal.into()),
                None => Ok(()),
            };
        }
        self.inner
            .policy_checked
            .get_or_try_init(|| self.check_stored_policy())
            .await?;
        Ok(())
    }

    /// Compares the store's policy with this engine's, recording this one if the store has
    /// none: [`PolicyError::Mismatch`] if the store's data follows another.
    pub(super) async fn check_stored_policy(&self) -> Result<(), EngineError> {
        for _ in 0..3 {
            let stored = self.load_policy().await?;
            match stored {
                Some((_, stored)) => return self.matches(&stored),
                None => {
                    let adopted = PolicyChange::Adopted {
                        policy: Box::new(self.inner.policy.clone()),
                    };
                    match self.commit_policy(None, Actor::System, adopted).await {
                        // Another engine recorded one first: compare with it.
                        Err(EngineError::Store(StoreError::Conflict { .. })) => continue,
                        other => return other.map(|_| ()),
                    }
                }
            }
        }
        Err(PolicyError::Unreadable {
            detail: "the store's policy kept changing while it was read".to_owned(),
        }
        .into())
    }

    /// Changes the policy the store's data follows to this engine's, recorded with `actor`
    /// (an operator) and `reason`, then recomputes every stream's timers under it: due dates
    /// already decided (a seller's answer window, a response deadline) stay as decided, the
    /// check-backs, reminders and watches they imply move. Refused with
    /// [`PolicyError::Unchanged`] when the store already follows this policy. The
    /// rescheduling is pending work committed with the change, so an engine that dies
    /// midway leaves it to the next tick of any engine.
    ///
    /// Other engines still running with the old policy decide commands under it until their
    /// next tick, which finds the change ([`PolicyError::Mismatch`]) and from then on
    /// refuses their timers and commands alike; stop them before a change, or restart them
    /// with the new policy (or with [`Engine::open`]) after it.
    pub async fn adopt_policy(&self, actor: Actor, reason: Text) -> Result<Receipt, EngineError> {
        let Some((loaded, stored)) = self.load_policy().await? else {
            // Nothing recorded yet: recording it, by `actor`, is adopting it.
            let adopted = PolicyChange::Adopted {
                policy: Box::new(self.inner.policy.clone()),
            };
            return match self.commit_policy(None, actor, adopted).await {
                Ok((receipt, _)) => {
                    let _ = self.inner.policy_checked.set(());
                    self.accept_commands();
                    Ok(receipt)
                }
                // Another engine recorded one first: this one's is the store's, or not.
                Err(EngineError::Store(StoreError::Conflict { .. })) => {
                    self.check_stored_policy().await?;
                    Err(PolicyError::Unchanged.into())
                }
                Err(other) => Err(other),
            };
        };
        if *stored.policy == self.inner.policy {
            return Err(PolicyError::Unchanged.into());
        }
        let change = PolicyChange::Changed {
            policy: Box::new(self.inner.policy.clone()),
            reason,
        };
        let (receipt, work) = self.commit_policy(Some(loaded), actor, change).await?;
        let _ = self.inner.policy_checked.set(());
        self.accept_commands();
        if let Some(work) = work
            && self.inner.config.carry_out_follow_ups
        {
            self.carry_out(&work).await;
        }
        Ok(receipt)
    }

    /// From now on every command is refused with `refusal` (until this engine adopts its
    /// policy again).
    pub(super) fn refuse_commands(&self, refusal: PolicyError) {
        *self.policy_refusal() = Some(refusal);
        self.inner.commands_refused.store(true, Ordering::Release);
    }

    fn refused_commands(&self) -> Option<PolicyError> {
        match self.inner.commands_refused.load(Ordering::Acquire) {
            false => None,
            true => self.policy_refusal().clone(),
        }
    }

    fn accept_commands(&self) {
        self.inner.commands_refused.store(false, Ordering::Release);
        *self.policy_refusal() = None;
    }

    fn policy_refusal(&self) -> std::sync::MutexGuard<'_, Option<PolicyError>> {
        // A poisoned lock only means a panic elsewhere while it was held: the value stands.
        self.inner
            .policy_refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn matches(&self, stored: &StoredPolicy) -> Result<(), EngineError> {
        if *stored.policy == self.inner.policy {
            return Ok(());
        }
        Err(PolicyError::Mismatch {
            stored: stored.policy.name.clone(),
            revision: stored.revision,
            configured: self.inner.policy.name.clone(),
        }
        .into())
    }

    async fn load_policy(&self) -> Result<Option<(Loaded, StoredPolicy)>, EngineError> {
        let (tenant, stream) = POLICY_STREAM;
        match self.inner.store.load(tenant, stream).await? {
            None => Ok(None),
            Some(loaded) => {
                let stored = policy_of(&loaded.snapshot)?;
                Ok(Some((loaded, stored)))
            }
        }
    }

    /// Commits `change` on the policy stream at the version of `loaded` (a new stream for
    /// `None`), with the rescheduling work a change causes.
    async fn commit_policy(
        &self,
        loaded: Option<Loaded>,
        actor: Actor,
        change: PolicyChange,
    ) -> Result<(Receipt, Option<PendingWork>), EngineError> {
        let (tenant, stream) = POLICY_STREAM;
        let now = self.inner.clock.now();
        let (expected_version, before) = match loaded {
            Some(loaded) => (loaded.version, Some(policy_of(&loaded.snapshot)?)),
            None => (0, None),
        };
        let event = Recorded {
            at: now,
            actor,
            change,
        };
        let after = StoredPolicy::evolve(before.clone(), &event);
        let events = vec![DomainEvent::Policy(event)];
        let version = expected_version + 1;
        let work = effects::work_for(stream, &events).map(|follow_up| PendingWork {
            id: WorkId {
                tenant,
                stream,
                version,
            },
            follow_up,
            lease: match self.inner.config.carry_out_follow_ups {
                true => self.lease(now, self.inner.config.claim_lease),
                false => self.lease(now, Duration::zero()),
            },
        });
        let commit = Commit {
            tenant,
            stream,
            expected_version,
            events,
            snapshot: Snapshot::Policy(Arc::new(after)),
            outbox: Vec::new(),
            timers: Vec::new(),
            receipt: None,
            metrics: None,
            work: work.clone(),
            status: StatusChange {
                before: before.map(|_| StreamStatus::Policy),
                after: StreamStatus::Policy,
            },
            unique: UniqueKeyChange::default(),
            index: Vec::new(),
        };
        self.inner.store.commit(commit).await?;
        let receipt = Receipt {
            stream,
            version,
            events: 1,
        };
        Ok((receipt, work))
    }

    /// Recomputes the timers of every stream of every tenant under the policy set at
    /// `version` of the policy stream, where they differ from those of the policy before.
    pub(super) async fn reschedule_timers(&self, version: u64) -> Result<(), EngineError> {
        let (tenant, stream) = POLICY_STREAM;
        let history = self.inner.store.history(tenant, stream).await?;
        let policy_at = |version: u64| {
            history
                .iter()
                .take_while(|stored| stored.version <= version)
                .filter_map(|stored| match &stored.event {
                    DomainEvent::Policy(event) => Some(event),
                    _ => None,
                })
                .fold(None, |state, event| {
                    Some(StoredPolicy::evolve(state, event))
                })
                .map(|stored| stored.policy)
        };
        let (Some(old), Some(new)) = (policy_at(version.saturating_sub(1)), policy_at(version))
        else {
            return Ok(());
        };
        let mut after = None;
        loop {
            let page = self.inner.store.stream_keys(after, RESCHEDULE_PAGE).await?;
            let Some(last) = page.last().copied() else {
                return Ok(());
            };
            for (tenant, stream) in page {
                // Streams without timers the policy schedules.
                if matches!(
                    stream,
                    StreamId::Policy | StreamId::Filer(_) | StreamId::Extension { .. }
                ) {
                    continue;
                }
                self.reschedule(tenant, stream, &old, &new).await?;
            }
            after = Some(last);
        }
    }

    /// Replaces the stream's timers with those of `new` where they differ from `old`'s. A
    /// commit to the stream meanwhile recomputed them itself: nothing left to do.
    async fn reschedule(
        &self,
        tenant: TenantId,
        stream: StreamId,
        old: &MarketplacePolicy,
        new: &MarketplacePolicy,
    ) -> Result<(), EngineError> {
        let Some(loaded) = self.inner.store.load(tenant, stream).await? else {
            return Ok(());
        };
        let timers = effects::timers_for(tenant, stream, &loaded.snapshot, new);
        if timers == effects::timers_for(tenant, stream, &loaded.snapshot, old) {
            return Ok(());
        }
        let commit = Commit::timers_only(tenant, stream, loaded, timers);
        match self.inner.store.commit(commit).await {
            Ok(()) | Err(StoreError::Conflict { .. }) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }
}

/// The store's policy record, if any.
pub(super) async fn read_policy<S: Store>(store: &S) -> Result<Option<StoredPolicy>, EngineError> {
    let (tenant, stream) = POLICY_STREAM;
    match store.load(tenant, stream).await? {
        None => Ok(None),
        Some(loaded) => Ok(Some(policy_of(&loaded.snapshot)?)),
    }
}

fn policy_of(snapshot: &Snapshot) -> Result<StoredPolicy, StoreError> {
    match snapshot {
        Snapshot::Policy(stored) => Ok(StoredPolicy::clone(stored)),
        _ => Err(super::wrong_snapshot(StreamId::Policy)),
    }
}
