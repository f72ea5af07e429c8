//! The backend traits: one per capability, and [`Store`], which every type implementing all
//! of them is.
//!
//! Every method takes the tenant (or a key that carries it), and a stream, row, message or
//! receipt of another tenant is invisible: reported as absent, never as an error that would
//! reveal it exists.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    Commit, ComplaintRow, Count, CountBy, DeadLetter, GroupKey, IdempotencyKey, Lease, Loaded,
    OutboxMessage, PendingWork, Settlement, StoreError, StoredEvent, StoredReceipt, Timer, WorkId,
};
use crate::campaign::Campaign;
use crate::complaint::{Complaint, ComplaintStatus};
use crate::ids::{CampaignId, RepresentativeId, RightId, StreamId, TenantId, WorkerId};
use crate::listing::ListingKey;
use crate::metrics::Tallies;
use crate::notify::MessageId;
use crate::power::Power;
use crate::relisting::RemovedListing;
use crate::right::{IpRight, RightStatus};

/// The event log: each stream's events and latest snapshot, written one command at a time.
#[async_trait]
pub trait EventLog: Send + Sync + 'static {
    /// The stream's version and snapshot, or `None` if it has no events in this tenant.
    ///
    /// Visibility: reflects every commit that returned before the call, whichever handle
    /// or process of the same database made it. A cache is a hint to check, not an answer.
    async fn load(&self, tenant: TenantId, stream: StreamId) -> Result<Option<Loaded>, StoreError>;

    /// The stream as a command may be decided on: like [`EventLog::load`], except that a
    /// backend may answer from a cache it has not checked against the database, since the
    /// commit that follows is checked against the stored version anyway (a stale answer
    /// costs a conflict and a retry, never a wrong write). The engine decides again on
    /// [`EventLog::load`] before it reports a refusal. The default is [`EventLog::load`].
    async fn load_to_decide(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Option<Loaded>, StoreError> {
        self.load(tenant, stream).await
    }

    /// Writes a command's effects atomically: events, snapshot, read-model rows and metric
    /// tallies, outbox messages, the stream's timers (replacing them, and ending any claim
    /// on them), the receipt (with its request's fingerprint), the pending work and the
    /// unique keys taken and released all become visible at once, or none does.
    ///
    /// Checks first, writing nothing when one fails: [`Commit::check`] (a
    /// [`StoreError::Corrupt`]), the stream's version is `expected_version` (else
    /// [`StoreError::Conflict`]), the receipt's key is not yet recorded for the tenant
    /// (else [`StoreError::DuplicateIdempotencyKey`]), and every key in `unique.take` is
    /// free in the tenant or held by this stream (else [`StoreError::UniqueKeyTaken`],
    /// naming the holder). Two commits racing for one version, or for one unique key of a
    /// tenant, whichever handle or process makes them: at most one succeeds. A key in
    /// `unique.release` held by this stream is freed; one it does not hold is left alone.
    async fn commit(&self, commit: Commit) -> Result<(), StoreError>;

    /// Commits many independent commands at once (bulk filing), each with the promises of
    /// [`EventLog::commit`] and its own result, in order: one refused commit does not refuse
    /// the others. The default commits them one by one; durable backends override it to
    /// use large transactions.
    async fn commit_batch(&self, commits: Vec<Commit>) -> Vec<Result<(), StoreError>> {
        let mut results = Vec::with_capacity(commits.len());
        for commit in commits {
            results.push(self.commit(commit).await);
        }
        results
    }

    /// The receipt recorded with `key` in this tenant, with the fingerprint of the request
    /// that recorded it, if any: visible as soon as the commit that recorded it returned.
    async fn receipt(
        &self,
        tenant: TenantId,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredReceipt>, StoreError>;

    /// Up to `limit` streams of every tenant, in `(tenant, stream)` order (by tenant, then
    /// the stream's kind, then its id; ids by their UUID bytes), starting after `after`:
    /// every stream with at least one event appears in exactly one page of a walk from
    /// `None`, whatever is committed meanwhile to existing streams. For store-wide work:
    /// rescheduling timers under a new policy, copying a store.
    async fn stream_keys(
        &self,
        after: Option<(TenantId, StreamId)>,
        limit: usize,
    ) -> Result<Vec<(TenantId, StreamId)>, StoreError>;

    /// The stream's events in version order, 1 to its version without gaps (empty for an
    /// unknown stream).
    async fn history(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Vec<StoredEvent>, StoreError>;
}

/// The timer queue: each stream's timers, written by its commits and claimed when due.
#[async_trait]
pub trait TimerQueue: Send + Sync + 'static {
    /// Claims the due timers of up to `limit` streams of any tenant: streams with a timer
    /// due at or before `now` and no live lease (one whose `until` is after `now`). Returns
    /// their due timers, earliest first; each stream is then leased to `lease.owner` until
    /// `lease.until`, so two workers claiming at once never get the same stream's timers.
    /// The lease ends early with the stream's next commit, which replaces its timers.
    async fn claim_timers(
        &self,
        now: DateTime<Utc>,
        lease: Lease,
        limit: usize,
    ) -> Result<Vec<Timer>, StoreError>;
}

/// The outbox: notifications written by commits, delivered at least once under a lease.
#[async_trait]
pub trait Outbox: Send + Sync + 'static {
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

    /// Ends a delivery attempt, or revives a dead letter, as `settlement` says (see
    /// [`Settlement`]). Returns whether it applied: `Delivered`, `Retry` and `DeadLetter`
    /// only while `owner` holds the message's claim (the last one handed out), so an unknown
    /// id, a second settlement, or a claim taken over by another worker changes nothing;
    /// `Revive` only for a dead letter of the tenant in `id` (another tenant's is absent).
    async fn settle_outbox(
        &self,
        id: &MessageId,
        settlement: Settlement,
    ) -> Result<bool, StoreError>;

    /// Up to `limit` of the tenant's dead letters, oldest first.
    async fn dead_letters(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError>;
}

/// The work queue: cross-stream work written by the commits that cause it.
#[async_trait]
pub trait WorkQueue: Send + Sync + 'static {
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
}

/// Read-model queries over the streams' latest snapshots, each reflecting every commit
/// that returned before it.
///
/// Only [`ReadModel::complaints`], [`ReadModel::right_counts`], [`ReadModel::rights`],
/// [`ReadModel::campaigns`] and [`ReadModel::powers`] are required: the other queries
/// default to answers computed from [`ReadModel::complaints`], right but reading every
/// complaint of the tenant. A backend for large tenants answers them from indexes, and keeps
/// [`Tallies`] by adding each [`Commit::metrics`] in the commit's own transaction.
#[async_trait]
pub trait ReadModel: Send + Sync + 'static {
    /// The tenant's complaints (of `campaign` only, when given), in id order.
    async fn complaints(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<Vec<Arc<Complaint>>, StoreError>;

    /// Rights of the tenant per status, sorted by status; zero counts left out.
    async fn right_counts(&self, tenant: TenantId) -> Result<Vec<(RightStatus, u64)>, StoreError>;

    /// The tenant's rights (withdrawn and expired ones too), in id order, in their current
    /// state.
    async fn rights(&self, tenant: TenantId) -> Result<Vec<IpRight>, StoreError>;

    /// The tenant's campaigns (archived ones too), in id order, in their current state.
    async fn campaigns(&self, tenant: TenantId) -> Result<Vec<Campaign>, StoreError>;

    /// The tenant's powers of attorney held by `representative` (revoked and expired ones
    /// too), in id order, in their current state.
    async fn powers(
        &self,
        tenant: TenantId,
        representative: RepresentativeId,
    ) -> Result<Vec<Power>, StoreError>;

    /// Complaint counts of the tenant grouped by `by` and status. Sorted by group then
    /// status; zero counts left out.
    async fn complaint_counts(
        &self,
        tenant: TenantId,
        by: CountBy,
    ) -> Result<Vec<Count>, StoreError> {
        let mut counts: BTreeMap<(GroupKey, ComplaintStatus), u64> = BTreeMap::new();
        for complaint in self.complaints(tenant, None).await? {
            let row = ComplaintRow::of(&complaint);
            *counts
                .entry((GroupKey::of(&row, by), row.status))
                .or_default() += 1;
        }
        Ok(counts
            .into_iter()
            .map(|((group, status), count)| Count {
                group,
                status,
                count,
            })
            .collect())
    }

    /// The tenant's complaints against the listing with `key`, oldest first (by filing
    /// time, then id).
    async fn complaints_on_listing(
        &self,
        tenant: TenantId,
        key: &ListingKey,
    ) -> Result<Vec<ComplaintRow>, StoreError> {
        let complaints = self.complaints(tenant, None).await?;
        let mut rows: Vec<ComplaintRow> = complaints
            .iter()
            .filter(|c| &c.filed.listing.key == key)
            .map(|c| ComplaintRow::of(c))
            .collect();
        rows.sort_by_key(|row| (row.filed_at, row.id));
        Ok(rows)
    }

    /// The tenant's complaints resting on `right` in `status`, in id order.
    async fn complaints_of_right(
        &self,
        tenant: TenantId,
        right: RightId,
        status: ComplaintStatus,
    ) -> Result<Vec<ComplaintRow>, StoreError> {
        let complaints = self.complaints(tenant, None).await?;
        Ok(complaints
            .iter()
            .filter(|c| c.filed.right == right && c.status() == status)
            .map(|c| ComplaintRow::of(c))
            .collect())
    }

    /// The metric tallies of the tenant's complaints (of `campaign` only, when given).
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
    async fn removed_listings(
        &self,
        tenant: TenantId,
        right: RightId,
    ) -> Result<Vec<RemovedListing>, StoreError> {
        let complaints = self.complaints(tenant, None).await?;
        Ok(complaints
            .iter()
            .filter(|c| c.filed.right == right)
            .filter_map(|c| RemovedListing::of(c))
            .collect())
    }
}

/// A complete backend: every capability the engine uses. Nothing to implement: every type
/// that implements [`EventLog`], [`TimerQueue`], [`Outbox`], [`WorkQueue`] and
/// [`ReadModel`] is a `Store`, and `dyn Store` works wherever one is needed.
pub trait Store: EventLog + TimerQueue + Outbox + WorkQueue + ReadModel {}

impl<T: EventLog + TimerQueue + Outbox + WorkQueue + ReadModel + ?Sized> Store for T {}
