//! What one command writes, and what a load returns.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{
    ComplaintRow, DomainEvent, ExtensionKind, ExtensionState, IndexKey, OutboxMessage, PendingWork,
    ReceiptRecord, StoreError, StreamKind, Timer, UniqueKey, UniqueKeyChange, WorkId,
};
use crate::campaign::{Campaign, CampaignStatus};
use crate::complaint::{Complaint, ComplaintStatus};
use crate::filer::{FilerRecord, FilerStatus};
use crate::ids::{StreamId, TenantId};
use crate::metrics::MetricsChange;
use crate::policy::StoredPolicy;
use crate::power::{Power, PowerStatus};
use crate::right::{IpRight, RightStatus};

/// The state of a stream after its latest event: what `load` returns and what read-model
/// queries are answered from. Shared (`Arc`) so that a store can hand it out without a copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Snapshot {
    /// An IP right.
    Right(Arc<IpRight>),
    /// A complaint.
    Complaint(Arc<Complaint>),
    /// A power of attorney.
    Power(Arc<Power>),
    /// A campaign.
    Campaign(Arc<Campaign>),
    /// The store's policy.
    Policy(Arc<StoredPolicy>),
    /// A tenant's record as a filer.
    Filer(Arc<FilerRecord>),
    /// A stream of a kind defined outside the core.
    Extension(Arc<ExtensionState>),
}

impl Snapshot {
    /// The read-model row of a complaint snapshot.
    pub fn complaint_row(&self) -> Option<ComplaintRow> {
        match self {
            Snapshot::Complaint(c) => Some(ComplaintRow::of(c)),
            _ => None,
        }
    }

    /// The right's state, if this is a right's snapshot.
    pub fn into_right(self) -> Option<Arc<IpRight>> {
        match self {
            Snapshot::Right(right) => Some(right),
            _ => None,
        }
    }

    /// The complaint's state, if this is a complaint's snapshot.
    pub fn into_complaint(self) -> Option<Arc<Complaint>> {
        match self {
            Snapshot::Complaint(complaint) => Some(complaint),
            _ => None,
        }
    }

    /// The power of attorney's state, if this is a power's snapshot.
    pub fn into_power(self) -> Option<Arc<Power>> {
        match self {
            Snapshot::Power(power) => Some(power),
            _ => None,
        }
    }

    /// The filer's record, if this is a filer's snapshot.
    pub fn into_filer(self) -> Option<Arc<FilerRecord>> {
        match self {
            Snapshot::Filer(record) => Some(record),
            _ => None,
        }
    }

    /// The campaign's state, if this is a campaign's snapshot.
    pub fn into_campaign(self) -> Option<Arc<Campaign>> {
        match self {
            Snapshot::Campaign(campaign) => Some(campaign),
            _ => None,
        }
    }

    /// The unique keys a stream in this state holds (see [`UniqueKey`]): what a commit
    /// takes and releases, and what a backend fills in when it starts keeping them.
    pub fn unique_keys(&self) -> Vec<UniqueKey> {
        match self {
            Snapshot::Complaint(complaint) => complaint.unique_keys(),
            _ => Vec::new(),
        }
    }

    /// What a commit moving a stream from a state that held its keys (`held_before`) to
    /// this one takes and releases. A stream's keys follow from what never changes in it
    /// (a complaint's listing), so only their holding changes: nothing is allocated for
    /// the many commits that leave it as it was.
    pub fn unique_key_change(&self, held_before: bool) -> UniqueKeyChange {
        let Snapshot::Complaint(complaint) = self else {
            return UniqueKeyChange::default();
        };
        match (held_before, complaint.holds_unique_keys()) {
            (false, true) => UniqueKeyChange {
                take: complaint.own_unique_keys(),
                release: Vec::new(),
            },
            (true, false) => UniqueKeyChange {
                take: Vec::new(),
                release: complaint.own_unique_keys(),
            },
            _ => UniqueKeyChange::default(),
        }
    }

    /// Whether this is the state of `stream` in `tenant`.
    pub fn belongs_to(&self, tenant: TenantId, stream: StreamId) -> bool {
        match (stream, self) {
            (StreamId::Right(id), Snapshot::Right(right)) => {
                right.id == id && right.tenant == tenant
            }
            (StreamId::Complaint(id), Snapshot::Complaint(complaint)) => {
                complaint.id() == id && complaint.filed.tenant == tenant
            }
            (StreamId::Power(id), Snapshot::Power(power)) => {
                power.grant.id == id && power.tenant == tenant
            }
            (StreamId::Campaign(id), Snapshot::Campaign(campaign)) => {
                campaign.id == id && campaign.tenant == tenant
            }
            (StreamId::Policy, Snapshot::Policy(_)) => tenant == TenantId::STORE,
            (StreamId::Filer(id), Snapshot::Filer(record)) => {
                id == tenant && record.tenant == tenant
            }
            (StreamId::Extension { kind, id }, Snapshot::Extension(state)) => {
                state.kind == kind && state.id == id && state.tenant == tenant
            }
            _ => false,
        }
    }
}

/// A stream's status, as the read model counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamStatus {
    /// An IP right's.
    Right(RightStatus),
    /// A complaint's.
    Complaint(ComplaintStatus),
    /// A power of attorney's.
    Power(PowerStatus),
    /// A campaign's.
    Campaign(CampaignStatus),
    /// The store's policy (it has one status: in force).
    Policy,
    /// A filer's record.
    Filer(FilerStatus),
    /// A stream of a kind defined outside the core: its owner's status code.
    Extension {
        /// The stream's kind.
        kind: ExtensionKind,
        /// The status, as the kind's owner numbers them.
        code: u8,
    },
}

impl StreamStatus {
    /// The kind of stream this is a status of.
    pub fn kind(&self) -> StreamKind {
        match self {
            StreamStatus::Right(_) => StreamKind::Right,
            StreamStatus::Complaint(_) => StreamKind::Complaint,
            StreamStatus::Power(_) => StreamKind::Power,
            StreamStatus::Campaign(_) => StreamKind::Campaign,
            StreamStatus::Policy => StreamKind::Policy,
            StreamStatus::Filer(_) => StreamKind::Filer,
            StreamStatus::Extension { kind, .. } => StreamKind::Extension(*kind),
        }
    }

    /// The status of the stream in `snapshot`.
    pub fn of(snapshot: &Snapshot) -> Self {
        match snapshot {
            Snapshot::Right(right) => StreamStatus::Right(right.status),
            Snapshot::Complaint(complaint) => StreamStatus::Complaint(complaint.status()),
            Snapshot::Power(power) => StreamStatus::Power(power.status),
            Snapshot::Campaign(campaign) => StreamStatus::Campaign(campaign.status()),
            Snapshot::Policy(_) => StreamStatus::Policy,
            Snapshot::Filer(record) => StreamStatus::Filer(record.status()),
            Snapshot::Extension(state) => StreamStatus::Extension {
                kind: state.kind,
                code: state.status,
            },
        }
    }
}

/// How a commit moves the read model's counts: the stream's status before (none for a new
/// stream) and after. Computed once by the engine from the state it decided on, which the
/// commit's version check proves is the stored one, so a backend adds it to its counters
/// without reading the old row or decoding snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusChange {
    /// The status before the commit (`None`: a new stream).
    pub before: Option<StreamStatus>,
    /// The status after it.
    pub after: StreamStatus,
}

impl StatusChange {
    /// The change from the state in `before` (none for a new stream) to the one in `after`.
    pub fn between(before: Option<&Snapshot>, after: &Snapshot) -> Self {
        Self {
            before: before.map(StreamStatus::of),
            after: StreamStatus::of(after),
        }
    }

    /// Whether the status changes (a counter moves).
    pub fn moved(&self) -> bool {
        self.before != Some(self.after)
    }
}

/// A stream as loaded: its version (number of events) and snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// Events in the stream.
    pub version: u64,
    /// State after the last event.
    pub snapshot: Snapshot,
}

/// Everything one command writes, committed atomically by [`EventLog::commit`](super::EventLog::commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The stream's tenant.
    pub tenant: TenantId,
    /// The stream.
    pub stream: StreamId,
    /// The version the command was decided on (0 for a new stream).
    pub expected_version: u64,
    /// New events, to get versions `expected_version + 1 ..`; may be empty (timers only).
    pub events: Vec<DomainEvent>,
    /// The stream's state after the events.
    pub snapshot: Snapshot,
    /// Notifications to deliver.
    pub outbox: Vec<OutboxMessage>,
    /// The stream's timers from now on: they REPLACE all its current timers.
    pub timers: Vec<Timer>,
    /// The command's idempotency key, its request's fingerprint and its receipt, recorded
    /// with the commit.
    pub receipt: Option<ReceiptRecord>,
    /// How the commit moves the complaint metrics, for a store that keeps [`Tallies`](crate::metrics::Tallies)
    /// (see [`ReadModel::metric_tallies`](super::ReadModel::metric_tallies)); `None` when they do not move.
    pub metrics: Option<MetricsChange>,
    /// Work on other streams that this command causes, stored in the same transaction.
    pub work: Option<PendingWork>,
    /// How the commit moves the status counters of the read model.
    pub status: StatusChange,
    /// The unique keys the stream takes and releases (see [`UniqueKey`]).
    pub unique: UniqueKeyChange,
    /// The keys the stream is found by ([`Snapshot::index_keys`]): given with its first
    /// commit, empty after, since they never change. A backend adds every key it is given to
    /// its index in the commit's transaction and keeps it as long as the stream.
    pub index: Vec<IndexKey>,
}

impl Commit {
    /// A commit that only replaces the timers of a stream as `loaded` (no event, nothing
    /// else moved): for timers recomputed or fired without a decision. Refused like any
    /// commit if the stream moved on since it was loaded.
    pub fn timers_only(
        tenant: TenantId,
        stream: StreamId,
        loaded: Loaded,
        timers: Vec<Timer>,
    ) -> Self {
        let status = StreamStatus::of(&loaded.snapshot);
        Commit {
            tenant,
            stream,
            expected_version: loaded.version,
            events: Vec::new(),
            snapshot: loaded.snapshot,
            outbox: Vec::new(),
            timers,
            receipt: None,
            metrics: None,
            work: None,
            status: StatusChange {
                before: Some(status),
                after: status,
            },
            unique: UniqueKeyChange::default(),
            index: Vec::new(),
        }
    }

    /// The checks every backend makes before writing anything, shared so that no backend
    /// has to repeat them: the snapshot is of the committed stream and tenant, and the
    /// outbox messages and pending work are keyed by them (work by the version the commit
    /// reaches). A backend refuses a commit that fails them with this error.
    pub fn check(&self) -> Result<(), StoreError> {
        let corrupt = |detail: &str| StoreError::Corrupt {
            location: format!("commit to {}", self.stream),
            detail: detail.to_owned(),
        };
        if !self.snapshot.belongs_to(self.tenant, self.stream) {
            return Err(corrupt(
                "the snapshot is not of the committed stream and tenant",
            ));
        }
        if self.status.after != StreamStatus::of(&self.snapshot)
            || (self.status.before).is_some_and(|before| before.kind() != self.stream.kind())
        {
            return Err(corrupt("the status change does not match the snapshot"));
        }
        if self
            .outbox
            .iter()
            .any(|m| m.id.tenant != self.tenant || m.notification.tenant != self.tenant)
        {
            return Err(corrupt("an outbox message of another tenant"));
        }
        let keys = self.unique.take.iter().chain(&self.unique.release);
        if keys
            .clone()
            .any(|key| key.as_str().is_empty() || key.as_str().len() > UniqueKey::MAX_LEN)
        {
            return Err(corrupt("a unique key that is empty or too long"));
        }
        if self
            .unique
            .take
            .iter()
            .any(|key| self.unique.release.contains(key))
        {
            return Err(corrupt("a unique key both taken and released"));
        }
        if self
            .index
            .iter()
            .any(|key| key.value.is_empty() || key.value.len() > IndexKey::MAX_LEN)
        {
            return Err(corrupt("an index key that is empty or too long"));
        }
        if self.index.iter().any(|key| !key.name.is_valid()) {
            return Err(corrupt(
                "an index name that is empty, too long or not printable",
            ));
        }
        // The engine fires the timers of the core's kinds only: one on a stream of another
        // kind would be claimed by every tick and dropped as not applying to its stream.
        if matches!(self.stream, StreamId::Extension { .. }) && !self.timers.is_empty() {
            return Err(corrupt("timers on a stream of an extension kind"));
        }
        let version = self.expected_version + self.events.len() as u64;
        if let Some(work) = &self.work {
            let expected = WorkId {
                tenant: self.tenant,
                stream: self.stream,
                version,
            };
            if work.id != expected {
                return Err(corrupt("pending work not keyed by the commit"));
            }
        }
        Ok(())
    }
}
