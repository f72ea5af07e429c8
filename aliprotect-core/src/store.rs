//! The storage backend trait and the values that cross it.
//!
//! A backend keeps, per tenant: each stream's events and its latest snapshot (the read-model
//! row), the idempotency receipts of commands, the outbox of notifications, the timers, the
//! pending cross-stream work, and the powers of attorney. The engine writes all of a command's
//! effects with ONE call to [`Store::commit`], which must be atomic: all or nothing, visible
//! all at once.
//!
//! Several engines (processes) may share one database, and many tenants one store, so:
//! every key carries the tenant; a load reflects every commit that returned before it,
//! whichever handle made it; and shared work (due timers, outbox messages, pending work) is
//! handed out with a [`Lease`], so that two engines never get the same work while it lasts.
//!
//! Implementing a backend: write the 23 required methods below, then run
//! `aliprotect_core::testkit::conformance::run_all` (feature `testkit`) against it; it checks
//! every promise documented here.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::campaign::{Campaign, CampaignChange, CampaignEvent};
use crate::complaint::FollowUpKind;
use crate::complaint::{Complaint, ComplaintEvent, ComplaintStatus};
use crate::ids::{
    CampaignId, ComplaintId, FilingId, PowerOfAttorneyId, RepresentativeId, RightId, TenantId,
    WorkerId,
};
use crate::listing::ListingKey;
use crate::marketplace::Marketplace;
use crate::metrics::{MetricsChange, Tallies};
use crate::notify::{MessageId, Notification};
use crate::power::{Power, PowerChange, PowerEvent};
use crate::relisting::RemovedListing;
use crate::right::{IpRight, RightEvent, RightStatus};

/// The stream (aggregate) a command or event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum StreamId {
    /// An IP right.
    Right(RightId),
    /// A complaint.
    Complaint(ComplaintId),
    /// The tenant as a filer: the subject of notifications about its own standing with the
    /// platform. It has no events, and stores refuse commits to it.
    Filer(TenantId),
    /// A power of attorney.
    Power(PowerOfAttorneyId),
    /// A campaign.
    Campaign(CampaignId),
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamId::Right(id) => write!(f, "right:{id}"),
            StreamId::Complaint(id) => write!(f, "complaint:{id}"),
            StreamId::Filer(id) => write!(f, "filer:{id}"),
            StreamId::Power(id) => write!(f, "power:{id}"),
            StreamId::Campaign(id) => write!(f, "campaign:{id}"),
        }
    }
}

/// An event of any stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DomainEvent {
    /// An IP right's event.
    Right(RightEvent),
    /// A complaint's event.
    Complaint(ComplaintEvent),
    /// A power of attorney's event.
    Power(PowerEvent),
    /// A campaign's event.
    Campaign(CampaignEvent),
}

impl DomainEvent {
    /// The schema version of events written by this build; stored with each event so that
    /// later builds can upcast old payloads.
    pub const SCHEMA_VERSION: u32 = 1;

    /// A stable name of the event's type, stored beside its payload (e.g. `complaint.Filed`).
    pub fn type_name(&self) -> &'static str {
        use crate::complaint::ComplaintChange as C;
        use crate::right::RightChange as R;
        match self {
            DomainEvent::Right(event) => match event.change {
                R::Registered { .. } => "right.Registered",
                R::Amended { .. } => "right.Amended",
                R::Submitted { .. } => "right.Submitted",
                R::ReviewStarted => "right.ReviewStarted",
                R::Approved => "right.Approved",
                R::Rejected { .. } => "right.Rejected",
                R::ExpiryReminded { .. } => "right.ExpiryReminded",
                R::Expired => "right.Expired",
                R::Withdrawn { .. } => "right.Withdrawn",
                R::Abandoned { .. } => "right.Abandoned",
            },
            DomainEvent::Complaint(event) => match event.change {
                C::Filed { .. } => "complaint.Filed",
                C::Submitted => "complaint.Submitted",
                C::Accepted { .. } => "complaint.Accepted",
                C::UnableToProcess { .. } => "complaint.UnableToProcess",
                C::ListingRemoved { .. } => "complaint.ListingRemoved",
                C::CounterNoticeReceived { .. } => "complaint.CounterNoticeReceived",
                C::Responded { .. } => "complaint.Responded",
                C::ListingRestored { .. } => "complaint.ListingRestored",
                C::CheckBackDue { .. } => "complaint.CheckBackDue",
                C::ResponseDeadlineReminded { .. } => "complaint.ResponseDeadlineReminded",
                C::StillListed { .. } => "complaint.StillListed",
                C::Retracted { .. } => "complaint.Retracted",
                C::Relisted { .. } => "complaint.Relisted",
                C::Refiled { .. } => "complaint.Refiled",
            },
            DomainEvent::Power(event) => match event.change {
                PowerChange::Granted { .. } => "power.Granted",
                PowerChange::Revoked { .. } => "power.Revoked",
                PowerChange::Expired => "power.Expired",
            },
            DomainEvent::Campaign(event) => match event.change {
                CampaignChange::Created(_) => "campaign.Created",
                CampaignChange::Changed(_) => "campaign.Changed",
                CampaignChange::Archived { .. } => "campaign.Archived",
            },
        }
    }
}

/// Reads an event stored as JSON by a backend, given the type name and schema version stored
/// beside it. Today there is one schema; when an event changes shape, this is where payloads
/// of older versions are translated, so every backend reads old files the same way.
pub fn upcast_event(type_name: &str, schema: u32, json: &str) -> Result<DomainEvent, StoreError> {
    if schema > DomainEvent::SCHEMA_VERSION {
        return Err(StoreError::Corrupt {
            location: format!("event {type_name}"),
            detail: format!(
                "written with event schema {schema}, this build reads up to {}",
                DomainEvent::SCHEMA_VERSION
            ),
        });
    }
    let event: DomainEvent = serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        location: format!("event {type_name}"),
        detail: e.to_string(),
    })?;
    if event.type_name() != type_name {
        return Err(StoreError::Corrupt {
            location: format!("event {type_name}"),
            detail: format!("payload is a {}", event.type_name()),
        });
    }
    Ok(event)
}

/// An event with its place in its stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// The stream.
    pub stream: StreamId,
    /// 1 for the stream's first event; consecutive, no gaps.
    pub version: u64,
    /// The event.
    pub event: DomainEvent,
}

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
}

impl Snapshot {
    /// The read-model row of a complaint snapshot.
    pub fn complaint_row(&self) -> Option<ComplaintRow> {
        match self {
            Snapshot::Complaint(c) => Some(ComplaintRow::of(c)),
            _ => None,
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
            _ => false,
        }
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

/// A complaint as dashboards list and count it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintRow {
    /// The complaint.
    pub id: ComplaintId,
    /// Its right.
    pub right: RightId,
    /// Its filing.
    pub filing: FilingId,
    /// Its campaign.
    pub campaign: Option<CampaignId>,
    /// Its status.
    pub status: ComplaintStatus,
    /// Where the listing is.
    pub marketplace: Marketplace,
    /// The listing's stable key.
    pub listing: ListingKey,
    /// The seller's store id, where known.
    pub seller: Option<String>,
    /// When the complaint was filed.
    pub filed_at: DateTime<Utc>,
}

impl ComplaintRow {
    /// The row of a complaint.
    pub fn of(complaint: &Complaint) -> Self {
        let filed = &complaint.filed;
        Self {
            id: filed.id,
            right: filed.right,
            filing: filed.filing,
            campaign: filed.campaign,
            status: complaint.status(),
            marketplace: filed.listing.marketplace,
            listing: filed.listing.key.clone(),
            seller: filed.listing.seller_id.clone(),
            filed_at: complaint.filed_at,
        }
    }
}

/// How complaint counts are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CountBy {
    /// By status only.
    Status,
    /// By right and status.
    Right,
    /// By campaign and status.
    Campaign,
    /// By seller and status.
    Seller,
}

/// The group a count is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GroupKey {
    /// All complaints of the tenant ([`CountBy::Status`]).
    All,
    /// One right.
    Right(RightId),
    /// One campaign, or none.
    Campaign(Option<CampaignId>),
    /// One seller (store id), or unknown.
    Seller(Option<String>),
}

impl GroupKey {
    /// The group of `row` under `by`.
    pub fn of(row: &ComplaintRow, by: CountBy) -> Self {
        match by {
            CountBy::Status => GroupKey::All,
            CountBy::Right => GroupKey::Right(row.right),
            CountBy::Campaign => GroupKey::Campaign(row.campaign),
            CountBy::Seller => GroupKey::Seller(row.seller.clone()),
        }
    }
}

/// Complaints of one group in one status.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Count {
    /// The group.
    pub group: GroupKey,
    /// The status.
    pub status: ComplaintStatus,
    /// How many (never 0: empty groups are left out).
    pub count: u64,
}

/// What a timer does when it falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TimerKind {
    /// The seller's answer window closes.
    SellerAnswerDeadline,
    /// The holder's response window after a counter-notice closes.
    ResponseDeadline,
    /// Remind the holder that the response window closes soon.
    ResponseDeadlineReminder,
    /// Look at the listing again.
    CheckBack,
    /// Remind the holder that a right expires soon.
    ExpiryReminder,
    /// The right expires.
    Expiry,
    /// A power of attorney's window ends.
    PowerExpiry,
}

/// A timer: at `due`, the engine fires a command on `stream`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timer {
    /// The stream's tenant.
    pub tenant: TenantId,
    /// The stream.
    pub stream: StreamId,
    /// What it does.
    pub kind: TimerKind,
    /// When.
    pub due: DateTime<Utc>,
}

/// A notification waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Its idempotency key.
    pub id: MessageId,
    /// The notification.
    pub notification: Notification,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Not handed out again before this instant.
    pub available_at: DateTime<Utc>,
}

/// A message taken out of delivery (refused for good, or failing too often), kept for a
/// person to look at and retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The message as it was last attempted.
    pub message: OutboxMessage,
    /// The last delivery error.
    pub error: String,
}

/// A caller's key that makes a command run at most once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

/// A string that cannot be an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an idempotency key must have 1 to {max} bytes, got {len}", max = IdempotencyKey::MAX_LEN)]
pub struct InvalidIdempotencyKey {
    /// Length of the input.
    pub len: usize,
}

impl IdempotencyKey {
    /// The longest key, in bytes.
    pub const MAX_LEN: usize = 200;

    /// Checks and wraps a key.
    pub fn new(key: impl Into<String>) -> Result<Self, InvalidIdempotencyKey> {
        let key = key.into();
        if key.is_empty() || key.len() > Self::MAX_LEN {
            return Err(InvalidIdempotencyKey { len: key.len() });
        }
        Ok(Self(key))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = InvalidIdempotencyKey;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<IdempotencyKey> for String {
    fn from(key: IdempotencyKey) -> Self {
        key.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a command wrote: the versions of its events in their stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Receipt {
    /// The stream written.
    pub stream: StreamId,
    /// The stream's version after the command.
    pub version: u64,
    /// Events the command appended.
    pub events: u32,
}

/// A claim on shared work (due timers, outbox messages, pending work): while it lasts, no
/// other worker is handed the same work. Work whose lease ran out is handed out again, so a
/// worker that died mid-way never strands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Lease {
    /// Who holds the claim.
    pub owner: WorkerId,
    /// When the claim lapses.
    pub until: DateTime<Utc>,
}

/// Work a command leaves for other streams, written in the command's own commit and carried
/// out afterwards as ordinary commands by the `System` actor (see [`PendingWork`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FollowUpWork {
    /// A right was approved: submit every complaint staged against it.
    ReleaseStaged {
        /// The right.
        right: RightId,
    },
    /// A complaint was filed as a relisting or refiling: mark the complaint it follows.
    MarkPredecessor {
        /// The complaint followed.
        previous: ComplaintId,
        /// The new complaint.
        successor: ComplaintId,
        /// Relisting or refiling.
        kind: FollowUpKind,
    },
}

/// The key of pending work: the commit that caused it (a commit causes at most one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WorkId {
    /// The tenant of the causing stream.
    pub tenant: TenantId,
    /// The causing stream.
    pub stream: StreamId,
    /// The stream's version after the causing commit.
    pub version: u64,
}

impl fmt::Display for WorkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}@{}", self.tenant, self.stream, self.version)
    }
}

/// Cross-stream work waiting to be carried out: committed with the command that causes it,
/// claimed by one worker at a time, removed once done. Doing it twice is harmless (the
/// deciders refuse a second release or mark), so "at least once" is "exactly once in effect".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingWork {
    /// Its key.
    pub id: WorkId,
    /// What to do.
    pub follow_up: FollowUpWork,
    /// Who holds it and until when. A commit writes it already claimed by the committing
    /// worker, which carries it out at once; if that worker dies, the lease runs out and any
    /// other worker's [`Engine::tick`](crate::engine::Engine::tick) takes it over.
    pub lease: Lease,
}

/// Everything one command writes, committed atomically by [`Store::commit`].
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
    /// The command's idempotency key and receipt, recorded with the commit.
    pub receipt: Option<(IdempotencyKey, Receipt)>,
    /// How the commit moves the complaint metrics, for a store that keeps [`Tallies`]
    /// (see [`Store::metric_tallies`]); `None` when they do not move.
    pub metrics: Option<MetricsChange>,
    /// Work on other streams that this command causes, stored in the same transaction.
    pub work: Option<PendingWork>,
}

impl Commit {
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
        if self
            .outbox
            .iter()
            .any(|m| m.id.tenant != self.tenant || m.notification.tenant != self.tenant)
        {
            return Err(corrupt("an outbox message of another tenant"));
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

/// A backend failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stream's version is not the expected one: another command committed first.
    #[error("version conflict on {stream}: expected {expected}, found {actual}")]
    Conflict {
        /// The stream.
        stream: StreamId,
        /// The version the commit expected.
        expected: u64,
        /// The version found.
        actual: u64,
    },
    /// The commit's idempotency key is already recorded for this tenant.
    #[error("idempotency key `{0}` is already used")]
    DuplicateIdempotencyKey(IdempotencyKey),
    /// Something stored cannot be read back (a corrupt row, an unknown schema).
    #[error("corrupt data in {location}: {detail}")]
    Corrupt {
        /// Where (table, stream, row).
        location: String,
        /// What is wrong.
        detail: String,
    },
    /// The backend cannot do this.
    #[error("not supported by this store: {0}")]
    Unsupported(&'static str),
    /// The backend failed (I/O, connection, full disk).
    #[error("store unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A storage backend.
///
/// Every read takes the tenant, and a stream, row or receipt of another tenant is invisible:
/// it is reported as absent, never as an error that would reveal it exists.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The stream's version and snapshot, or `None` if it has no events in this tenant.
    /// Reflects every commit that returned before the call.
    async fn load(&self, tenant: TenantId, stream: StreamId) -> Result<Option<Loaded>, StoreError>;

    /// Writes a command's effects atomically: either all of events, snapshot, outbox
    /// messages, timer replacement and receipt become visible at once, or none does.
    ///
    /// Fails with [`StoreError::Conflict`] (writing nothing) unless the stream's version is
    /// `expected_version`, and with [`StoreError::DuplicateIdempotencyKey`] (writing nothing)
    /// if the receipt's key is already recorded for the tenant.
    async fn commit(&self, commit: Commit) -> Result<(), StoreError>;

    /// Commits many independent commands at once (bulk filing), each with the promises of
    /// [`Store::commit`] and its own result: one refused commit does not refuse the others.
    /// The default commits them one by one; durable backends override it to use large
    /// transactions.
    async fn commit_batch(&self, commits: Vec<Commit>) -> Vec<Result<(), StoreError>> {
        let mut results = Vec::with_capacity(commits.len());
        for commit in commits {
            results.push(self.commit(commit).await);
        }
        results
    }

    /// The receipt recorded with `key` in this tenant, if any.
    async fn receipt(
        &self,
        tenant: TenantId,
        key: &IdempotencyKey,
    ) -> Result<Option<Receipt>, StoreError>;

    /// The stream's events in version order (empty for an unknown stream).
    async fn history(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Complaint counts of the tenant grouped by `by` and status, from the snapshots.
    /// Sorted by group then status; zero counts left out.
    async fn complaint_counts(
        &self,
        tenant: TenantId,
        by: CountBy,
    ) -> Result<Vec<Count>, StoreError>;

    /// Rights of the tenant per status, sorted by status; zero counts left out.
    async fn right_counts(&self, tenant: TenantId) -> Result<Vec<(RightStatus, u64)>, StoreError>;

    /// The tenant's complaints against the listing with `key`, oldest first.
    async fn complaints_on_listing(
        &self,
        tenant: TenantId,
        key: &ListingKey,
    ) -> Result<Vec<ComplaintRow>, StoreError>;

    /// The tenant's complaints resting on `right` in `status`, in id order.
    async fn complaints_of_right(
        &self,
        tenant: TenantId,
        right: RightId,
        status: ComplaintStatus,
    ) -> Result<Vec<ComplaintRow>, StoreError>;

    /// The tenant's complaints (of `campaign` only, when given), in id order: for metrics
    /// and analyses that need every complaint.
    async fn complaints(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<Vec<Arc<Complaint>>, StoreError>;

    /// The metric tallies of the tenant's complaints (of `campaign` only, when given).
    ///
    /// The default counts them from [`Store::complaints`], which is right but reads every
    /// complaint; a store for large tenants keeps tallies up to date by adding each
    /// [`Commit::metrics`] in the same transaction as the commit, and reads those.
    async fn metric_tallies(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<Tallies, StoreError> {
        let complaints = self.complaints(tenant, campaign).await?;
        Ok(Tallies::of(complaints.iter().map(|c| &**c)))
    }

    /// The tenant's listings removed under `right` (complaints in `ListingRemoved`), in
    /// complaint id order, with what relisting detection compares.
    ///
    /// The default loads each such complaint; a store for large campaigns answers from one
    /// query.
    async fn removed_listings(
        &self,
        tenant: TenantId,
        right: RightId,
    ) -> Result<Vec<RemovedListing>, StoreError> {
        let rows = self
            .complaints_of_right(tenant, right, ComplaintStatus::ListingRemoved)
            .await?;
        let mut removed = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(loaded) = self.load(tenant, StreamId::Complaint(row.id)).await?
                && let Snapshot::Complaint(complaint) = loaded.snapshot
                && let Some(listing) = RemovedListing::of(&complaint)
            {
                removed.push(listing);
            }
        }
        Ok(removed)
    }

    /// Claims the due timers of up to `limit` streams of any tenant: streams with a timer
    /// due at or before `now` and no live lease (one whose `until` is after `now`). Returns
    /// their due timers, earliest first; each stream is then leased to `lease.owner` until
    /// `lease.until`, so two workers ticking at once never get the same stream's timers.
    /// The lease ends early with the stream's next commit, which replaces its timers.
    async fn claim_timers(
        &self,
        now: DateTime<Utc>,
        lease: Lease,
        limit: usize,
    ) -> Result<Vec<Timer>, StoreError>;

    /// Claims up to `limit` outbox messages available at `now` (never claimed, lease run
    /// out, or released for a retry at or before `now`), oldest first: each is returned with
    /// its attempts counted up and leased to `lease.owner` until `lease.until`. Two workers
    /// claiming at once never get the same message.
    async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease: Lease,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError>;

    /// Adds a message that no stream's commit carries (a notification about the tenant as a
    /// filer), unless a message with its id is already in the outbox or its dead letters.
    /// Returns whether it was added: adding the same id twice delivers it once.
    async fn enqueue_outbox(&self, message: OutboxMessage) -> Result<bool, StoreError>;

    /// Removes a delivered message, if `owner` holds its claim (the last one handed out).
    /// Returns whether it did: an unknown id, a second ack, or a claim taken over by
    /// another worker changes nothing.
    async fn ack_outbox(&self, id: &MessageId, owner: WorkerId) -> Result<bool, StoreError>;

    /// Makes a message `owner` holds available again at `at` (a retry after a failed
    /// delivery). Returns whether `owner` held it.
    async fn release_outbox(
        &self,
        id: &MessageId,
        owner: WorkerId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Takes a message `owner` holds out of delivery for good, keeping it with `error` for a
    /// person to look at: it is never claimed again unless revived. Returns whether `owner`
    /// held it.
    async fn dead_letter_outbox(
        &self,
        id: &MessageId,
        owner: WorkerId,
        error: &str,
    ) -> Result<bool, StoreError>;

    /// Up to `limit` of the tenant's dead letters, oldest first.
    async fn dead_letters(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError>;

    /// Puts one of the tenant's dead letters back into delivery at `at` with its attempts
    /// reset; returns whether it was found.
    async fn revive_dead_letter(
        &self,
        tenant: TenantId,
        id: &MessageId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Claims up to `limit` pending work items of any tenant whose lease has run out at
    /// `now`, oldest first, leasing each to `lease.owner` until `lease.until`. Two workers
    /// claiming at once never get the same item.
    async fn claim_work(
        &self,
        now: DateTime<Utc>,
        lease: Lease,
        limit: usize,
    ) -> Result<Vec<PendingWork>, StoreError>;

    /// Removes a pending work item once carried out, if `owner` holds its claim. Returns
    /// whether it did (false for an unknown id or a claim taken over by another worker,
    /// which will then carry it out again: harmless, since work is idempotent).
    async fn complete_work(&self, id: &WorkId, owner: WorkerId) -> Result<bool, StoreError>;

    /// The tenant's campaigns (archived ones too), by id: the snapshots of its campaign
    /// streams.
    async fn campaigns(&self, tenant: TenantId) -> Result<Vec<Campaign>, StoreError>;

    /// The tenant's powers of attorney held by `representative` (revoked and expired ones
    /// too), by id: the snapshots of its power streams.
    async fn powers(
        &self,
        tenant: TenantId,
        representative: RepresentativeId,
    ) -> Result<Vec<Power>, StoreError>;
}

/// A shared store is a store: lets several engines, or a test and an engine, use one backend.
#[async_trait]
impl<S: Store + ?Sized> Store for std::sync::Arc<S> {
    async fn load(&self, tenant: TenantId, stream: StreamId) -> Result<Option<Loaded>, StoreError> {
        (**self).load(tenant, stream).await
    }
    async fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        (**self).commit(commit).await
    }
    async fn commit_batch(&self, commits: Vec<Commit>) -> Vec<Result<(), StoreError>> {
        (**self).commit_batch(commits).await
    }
    async fn receipt(
        &self,
        tenant: TenantId,
        key: &IdempotencyKey,
    ) -> Result<Option<Receipt>, StoreError> {
        (**self).receipt(tenant, key).await
    }
    async fn history(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        (**self).history(tenant, stream).await
    }
    async fn complaint_counts(
        &self,
        tenant: TenantId,
        by: CountBy,
    ) -> Result<Vec<Count>, StoreError> {
        (**self).complaint_counts(tenant, by).await
    }
    async fn right_counts(&self, tenant: TenantId) -> Result<Vec<(RightStatus, u64)>, StoreError> {
        (**self).right_counts(tenant).await
    }
    async fn complaints_on_listing(
        &self,
        tenant: TenantId,
        key: &ListingKey,
    ) -> Result<Vec<ComplaintRow>, StoreError> {
        (**self).complaints_on_listing(tenant, key).await
    }
    async fn complaints_of_right(
        &self,
        tenant: TenantId,
        right: RightId,
        status: ComplaintStatus,
    ) -> Result<Vec<ComplaintRow>, StoreError> {
        (**self).complaints_of_right(tenant, right, status).await
    }
    async fn complaints(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<Vec<Arc<Complaint>>, StoreError> {
        (**self).complaints(tenant, campaign).await
    }
    async fn metric_tallies(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<Tallies, StoreError> {
        (**self).metric_tallies(tenant, campaign).await
    }

    async fn removed_listings(
        &self,
        tenant: TenantId,
        right: RightId,
    ) -> Result<Vec<RemovedListing>, StoreError> {
        (**self).removed_listings(tenant, right).await
    }

    async fn claim_timers(
        &self,
        now: DateTime<Utc>,
        lease: Lease,
        limit: usize,
    ) -> Result<Vec<Timer>, StoreError> {
        (**self).claim_timers(now, lease, limit).await
    }
    async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease: Lease,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        (**self).claim_outbox(now, lease, limit).await
    }
    async fn enqueue_outbox(&self, message: OutboxMessage) -> Result<bool, StoreError> {
        (**self).enqueue_outbox(message).await
    }
    async fn ack_outbox(&self, id: &MessageId, owner: WorkerId) -> Result<bool, StoreError> {
        (**self).ack_outbox(id, owner).await
    }
    async fn release_outbox(
        &self,
        id: &MessageId,
        owner: WorkerId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        (**self).release_outbox(id, owner, at).await
    }
    async fn dead_letter_outbox(
        &self,
        id: &MessageId,
        owner: WorkerId,
        error: &str,
    ) -> Result<bool, StoreError> {
        (**self).dead_letter_outbox(id, owner, error).await
    }
    async fn claim_work(
        &self,
        now: DateTime<Utc>,
        lease: Lease,
        limit: usize,
    ) -> Result<Vec<PendingWork>, StoreError> {
        (**self).claim_work(now, lease, limit).await
    }
    async fn complete_work(&self, id: &WorkId, owner: WorkerId) -> Result<bool, StoreError> {
        (**self).complete_work(id, owner).await
    }
    async fn dead_letters(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        (**self).dead_letters(tenant, limit).await
    }
    async fn revive_dead_letter(
        &self,
        tenant: TenantId,
        id: &MessageId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        (**self).revive_dead_letter(tenant, id, at).await
    }
    async fn campaigns(&self, tenant: TenantId) -> Result<Vec<Campaign>, StoreError> {
        (**self).campaigns(tenant).await
    }
    async fn powers(
        &self,
        tenant: TenantId,
        representative: RepresentativeId,
    ) -> Result<Vec<Power>, StoreError> {
        (**self).powers(tenant, representative).await
    }
}
