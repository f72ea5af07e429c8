//! Deciding one command: load the stream it addresses (and the right or complaint it rests
//! on), authorize, decide, and turn the events into the commit that records them.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::aggregate::Aggregate;
use super::{
    Command, Decided, Decision, Engine, EngineError, Loading, Request, RightMemo, effects,
    wrong_snapshot,
};
use crate::clock::Clock;
use crate::complaint::{Complaint, ComplaintCommand, ComplaintContext, ComplaintDecider};
use crate::decider::Decider;
use crate::ids::{ComplaintId, RightId, TenantId};
use crate::metrics::{MetricsChange, MetricsFact};
use crate::notify::Notifier;
use crate::party::Actor;
use crate::right::{IpRight, RightCommand, RightContext, RightDecider};
use crate::store::{
    Commit, PendingWork, Receipt, ReceiptRecord, Snapshot, StatusChange, Store, StoreError,
    StreamId, StreamStatus, WorkId,
};

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    /// Loads what `request` needs and decides it; the result is ready to commit. `loading`
    /// says how the addressed stream is loaded (the right and the complaint a command refers
    /// to are always loaded exactly); `rights` memoizes rights across a batch.
    pub(super) async fn decide(
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
            Command::Filer { command } => self.decide_filer(request, command, loading).await,
        }
    }

    /// The version and state of the stream a command is decided on, loaded as `loading`
    /// says (`(0, None)`: a new stream).
    pub(super) async fn load_state<D: Aggregate>(
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

    pub(super) async fn decide_right(
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

    pub(super) async fn decide_complaint(
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
    pub(super) fn conclude<D: Aggregate>(
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
    pub(super) fn prepare(
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
        // A stream's index keys never change: handed over once, with its first commit.
        let index = match before {
            None => snapshot.index_keys(),
            Some(_) => Vec::new(),
        };
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
            index,
        };
        Ok(Decided { commit, receipt })
    }

    /// The stream's state as `D` keeps it, if it exists in the tenant: an exact load.
    pub(super) async fn load_item<D: Aggregate>(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Option<Arc<D::Item>>, EngineError> {
        match self.inner.store.load(tenant, stream).await? {
            None => Ok(None),
            Some(loaded) => Ok(Some(item_of::<D>(stream, loaded.snapshot)?)),
        }
    }

    pub(super) async fn load_right(
        &self,
        tenant: TenantId,
        id: RightId,
    ) -> Result<Option<Arc<IpRight>>, EngineError> {
        self.load_item::<RightDecider>(tenant, StreamId::Right(id))
            .await
    }

    pub(super) async fn load_complaint(
        &self,
        tenant: TenantId,
        id: ComplaintId,
    ) -> Result<Option<Arc<Complaint>>, EngineError> {
        self.load_item::<ComplaintDecider>(tenant, StreamId::Complaint(id))
            .await
    }
}

/// The state of `D` in `snapshot`, the stored state of `stream`; another kind is corrupt.
fn item_of<D: Aggregate>(stream: StreamId, snapshot: Snapshot) -> Result<Arc<D::Item>, StoreError> {
    D::item(snapshot).ok_or_else(|| wrong_snapshot(stream))
}
