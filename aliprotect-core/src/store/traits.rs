//! The backend traits: one per capability, and [`Store`], which every type implementing all
//! of them is.
//!
//! Every method takes the tenant (or a key that carries it), and a stream, row, message or
//! receipt of another tenant is invisible: reported as absent, never as an error that would
//! reveal it exists.

use std::sync::Arc;

use async_trait::async_trait;

use super::{
    Claim, Commit, ComplaintRow, Count, CountBy, CountQuery, DeadLetter, Due, Find, IdempotencyKey,
    IndexKey, IndexName, Loaded, OutboxMessage, Settlement, Snapshot, StatusCount, StoreError,
    StoredEvent, StoredReceipt, StreamKind, StreamStatus, Timer, TimerPage, WorkId, columns, rows,
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

    /// Many streams at once, each as [`EventLog::load`] returns it (with its visibility
    /// promise), in the order of `keys`: `None` for a stream with no events in its tenant.
    /// An error fails the whole call. The default loads one after another; a backend
    /// overrides it to read them together (the engine's tick loads a claimed batch of
    /// timers' streams with it).
    async fn load_many(
        &self,
        keys: &[(TenantId, StreamId)],
    ) -> Result<Vec<Option<Loaded>>, StoreError> {
        let mut loaded = Vec::with_capacity(keys.len());
        for (tenant, stream) in keys {
            loaded.push(self.load(*tenant, *stream).await?);
        }
        Ok(loaded)
    }

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

/// The schedule: what falls due for the engines to run (each stream's timers, written by its
/// commits, and the cross-stream work commits leave behind), handed out under a lease.
#[async_trait]
pub trait Schedule: Send + Sync + 'static {
    /// Claims what is due at `claim.now`, in two parts:
    /// - [`Due::timers`]: the due timers of up to `claim.limit` streams of any tenant
    ///   (streams with a timer due at or before `now` and no live lease, one whose `until`
    ///   is after `now`), earliest first. Each stream is then leased to `claim.lease.owner`
    ///   until `claim.lease.until`; the lease ends early with the stream's next commit, which
    ///   replaces its timers.
    /// - [`Due::work`]: up to `claim.limit` pending work items of any tenant whose lease has
    ///   run out at `now`, oldest first, each leased as `claim.lease` says.
    ///
    /// Two workers claiming at once never get the same stream's timers or the same work item.
    async fn claim_due(&self, claim: Claim) -> Result<Due, StoreError>;

    /// Removes a pending work item once carried out, if `owner` holds its claim. Returns
    /// whether it did (false for an unknown id or a claim taken over by another worker,
    /// which will then carry it out again: harmless, since work is idempotent).
    async fn complete_work(&self, id: &WorkId, owner: WorkerId) -> Result<bool, StoreError>;

    /// A page of the tenant's pending timers as the streams' last commits set them (claimed
    /// ones too, until the stream's next commit replaces them): every timer of the streams
    /// `page` admits ([`TimerPage`]: up to `page.limit` streams whose soonest timer is due at
    /// or before `page.until`, after `page.after`), ordered by each stream's soonest due time,
    /// then stream ([`StreamId`]'s `Ord`), each stream's timers together, soonest first, then
    /// by kind ([`order_stream_timers`](super::order_stream_timers)). Paging with the last
    /// stream of a page as the next page's `after` visits every stream whose timers did not
    /// change during the walk exactly once. Another tenant's timers are absent.
    ///
    /// `Ok(None)`, the default: the backend keeps its timers in no such order, and the
    /// engine computes what is coming from the streams' snapshots instead (a read of every
    /// right, complaint and power of the tenant). A backend with an index by tenant and due
    /// time answers from it.
    async fn pending_timers(
        &self,
        tenant: TenantId,
        page: &TimerPage,
    ) -> Result<Option<Vec<Timer>>, StoreError> {
        let _ = (tenant, page);
        Ok(None)
    }

    /// How many pending timers the tenant has: every timer that a walk of
    /// [`Schedule::pending_timers`] from the first page, with no `until`, would list
    /// (claimed ones too). Another tenant's are not counted.
    ///
    /// `Ok(None)`, the default: the backend cannot count them without handing them over,
    /// and the engine counts them on its walk. A backend that can count from its index of
    /// timers answers, and a person asking for the soonest few is spared the walk.
    async fn count_pending_timers(&self, tenant: TenantId) -> Result<Option<u64>, StoreError> {
        let _ = tenant;
        Ok(None)
    }
}

/// The outbox: notifications written by commits, delivered at least once under a lease.
#[async_trait]
pub trait Outbox: Send + Sync + 'static {
    /// Claims up to `claim.limit` outbox messages available at `claim.now` (never claimed,
    /// lease run out, or released for a retry at or before `now`), oldest first: each is
    /// returned with its attempts counted up and leased as `claim.lease` says. Two workers
    /// claiming at once never get the same message.
    async fn claim_outbox(&self, claim: Claim) -> Result<Vec<OutboxMessage>, StoreError>;

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

    /// Ends several delivery attempts: each settlement applies exactly as
    /// [`Outbox::settle_outbox`] would apply it alone, in the order given, and the answers
    /// come back in that order. An error fails the whole call, and settlements already
    /// applied may stay (each is safe to repeat: a second one answers false). The default
    /// settles one after another; a backend overrides it to settle them in one write (the
    /// engine's dispatcher settles what it delivered together).
    async fn settle_outbox_batch(
        &self,
        settlements: Vec<(MessageId, Settlement)>,
    ) -> Result<Vec<bool>, StoreError> {
        let mut applied = Vec::with_capacity(settlements.len());
        for (id, settlement) in settlements {
            applied.push(self.settle_outbox(&id, settlement).await?);
        }
        Ok(applied)
    }

    /// Up to `limit` of the tenant's dead letters, oldest first.
    async fn dead_letters(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError>;

    /// Up to `limit` of the tenant's messages still to be delivered (dead letters not
    /// among them), oldest first, each with its attempts so far and when it is next
    /// available: one tried before (attempts above zero) is being retried. Another tenant's
    /// are absent; a delivered message is gone. `None` from a store that cannot list them
    /// (the default), for which nothing more is promised: a page then says so.
    async fn pending_outbox(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Option<Vec<OutboxMessage>>, StoreError> {
        let _ = (tenant, limit);
        Ok(None)
    }
}

/// The read model: the streams' latest snapshots, found by kind and [`IndexKey`], and counted
/// by status. Every answer reflects every commit that returned before it, and another
/// tenant's streams are absent.
///
/// Two methods are required, both generic: a backend keeps each stream's kind, status and
/// index keys ([`Commit::index`]) as opaque codes and text, and never needs to know what a
/// right or a complaint is. The typed queries the engine asks ([`ReadModelExt`]) are built
/// on them.
#[async_trait]
pub trait ReadModel: Send + Sync + 'static {
    /// The tenant's streams `query` asks for ([`Find`]: one kind; with one index key and
    /// in one status when given), with their snapshots, in stream order ([`StreamId`]'s
    /// `Ord`: ids by their UUID bytes) after `query.after`: `query.limit` of them while that
    /// many remain (a shorter page is the last), so paging with the last stream of a page
    /// as the next page's `after` visits every stream that existed throughout the walk
    /// exactly once.
    async fn find(
        &self,
        tenant: TenantId,
        query: &Find,
    ) -> Result<Vec<(StreamId, Snapshot)>, StoreError>;

    /// How many of the tenant's streams of `query.kind` are in each status, sorted by group
    /// then status code, zero counts left out: not grouped (`group: None` in every answer)
    /// when `query.by` is `None`, else grouped by the stream's value under that index,
    /// streams without a key of that name left out.
    async fn count(
        &self,
        tenant: TenantId,
        query: &CountQuery,
    ) -> Result<Vec<StatusCount>, StoreError>;

    /// The metric tallies of the tenant's complaints (of `campaign` only, when given). The
    /// default counts every complaint, reading [`TALLY_PAGE`] snapshots at a time (memory
    /// grows with the groups, not the complaints); a backend for large tenants keeps
    /// [`Tallies`] by adding each [`Commit::metrics`] in the commit's own transaction.
    async fn metric_tallies(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<Tallies, StoreError> {
        let mut query = Find::all(StreamKind::Complaint).limit(TALLY_PAGE);
        if let Some(campaign) = campaign {
            query = query.with_key(IndexKey::new(IndexName::CAMPAIGN, campaign.to_string()));
        }
        let mut tallies = Tallies::default();
        loop {
            let page = self.find(tenant, &query).await?;
            for (stream, snapshot) in &page {
                let Snapshot::Complaint(complaint) = snapshot else {
                    return Err(StoreError::Corrupt {
                        location: format!("{stream}"),
                        detail: "a complaint's stream holds another kind of snapshot".into(),
                    });
                };
                if let Some(change) = crate::metrics::MetricsChange::between(None, complaint) {
                    tallies.record(&change);
                }
            }
            match page.last() {
                Some((last, _)) if page.len() == TALLY_PAGE => query = query.after(*last),
                _ => return Ok(tallies),
            }
        }
    }
}

/// Complaints read per page by the default [`ReadModel::metric_tallies`].
pub const TALLY_PAGE: usize = 1000;

/// The typed queries of the read model, for every [`ReadModel`]: each one [`ReadModel::find`]
/// or [`ReadModel::count`] with the snapshots decoded into rights, complaints, powers and
/// campaigns.
#[async_trait]
pub trait ReadModelExt: ReadModel {
    /// The tenant's complaints (of `campaign` only, when given), in id order.
    async fn complaints(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<Vec<Arc<Complaint>>, StoreError> {
        let mut query = Find::all(StreamKind::Complaint);
        if let Some(campaign) = campaign {
            query = query.with_key(IndexKey::new(IndexName::CAMPAIGN, campaign.to_string()));
        }
        states(self, tenant, &query, Snapshot::into_complaint).await
    }

    /// Rights of the tenant per status, sorted by status; zero counts left out.
    async fn right_counts(&self, tenant: TenantId) -> Result<Vec<(RightStatus, u64)>, StoreError> {
        let counts = self
            .count(tenant, &CountQuery::of(StreamKind::Right))
            .await?;
        counts
            .into_iter()
            .map(|count| Ok((columns::right_status(count.status.into())?, count.count)))
            .collect()
    }

    /// The tenant's rights (withdrawn and expired ones too), in id order, in their current
    /// state.
    async fn rights(&self, tenant: TenantId) -> Result<Vec<IpRight>, StoreError> {
        let query = Find::all(StreamKind::Right);
        let rights = states(self, tenant, &query, Snapshot::into_right).await?;
        Ok(rights.into_iter().map(Arc::unwrap_or_clone).collect())
    }

    /// The tenant's campaigns (archived ones too), in id order, in their current state.
    async fn campaigns(&self, tenant: TenantId) -> Result<Vec<Campaign>, StoreError> {
        let query = Find::all(StreamKind::Campaign);
        let campaigns = states(self, tenant, &query, Snapshot::into_campaign).await?;
        Ok(campaigns.into_iter().map(Arc::unwrap_or_clone).collect())
    }

    /// The tenant's powers of attorney held by `representative` (revoked and expired ones
    /// too), in id order, in their current state.
    async fn powers(
        &self,
        tenant: TenantId,
        representative: RepresentativeId,
    ) -> Result<Vec<Power>, StoreError> {
        let key = IndexKey::new(IndexName::REPRESENTATIVE, representative.to_string());
        let query = Find::all(StreamKind::Power).with_key(key);
        let powers = states(self, tenant, &query, Snapshot::into_power).await?;
        Ok(powers.into_iter().map(Arc::unwrap_or_clone).collect())
    }

    /// Complaint counts of the tenant grouped by `by` and status. Sorted by group then
    /// status; zero counts left out.
    async fn complaint_counts(
        &self,
        tenant: TenantId,
        by: CountBy,
    ) -> Result<Vec<Count>, StoreError> {
        let all = CountQuery::of(StreamKind::Complaint);
        let counts = self.count(tenant, &all).await?;
        let index = match by {
            CountBy::Status => None,
            CountBy::Right => Some(IndexName::RIGHT),
            CountBy::Campaign => Some(IndexName::CAMPAIGN),
            CountBy::Seller => Some(IndexName::SELLER),
        };
        let grouped = match index {
            Some(index) => self.count(tenant, &all.by(index)).await?,
            None => Vec::new(),
        };
        rows::counts_by(by, &counts, &grouped)
    }

    /// The tenant's complaints against the listing with `key`, oldest first (by filing
    /// time, then id).
    async fn complaints_on_listing(
        &self,
        tenant: TenantId,
        key: &ListingKey,
    ) -> Result<Vec<ComplaintRow>, StoreError> {
        let key = IndexKey::new(IndexName::LISTING, key.as_str());
        let query = Find::all(StreamKind::Complaint).with_key(key);
        let complaints = states(self, tenant, &query, Snapshot::into_complaint).await?;
        let mut rows: Vec<ComplaintRow> = complaints.iter().map(|c| ComplaintRow::of(c)).collect();
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
        let query = Find::all(StreamKind::Complaint)
            .with_key(IndexKey::new(IndexName::RIGHT, right.to_string()))
            .in_status(StreamStatus::Complaint(status));
        let complaints = states(self, tenant, &query, Snapshot::into_complaint).await?;
        Ok(complaints.iter().map(|c| ComplaintRow::of(c)).collect())
    }

    /// The tenant's listings removed under `right` (complaints in `ListingRemoved`), in
    /// complaint id order, with what relisting detection compares.
    async fn removed_listings(
        &self,
        tenant: TenantId,
        right: RightId,
    ) -> Result<Vec<RemovedListing>, StoreError> {
        let query = Find::all(StreamKind::Complaint)
            .with_key(IndexKey::new(IndexName::RIGHT, right.to_string()))
            .in_status(StreamStatus::Complaint(ComplaintStatus::ListingRemoved));
        let complaints = states(self, tenant, &query, Snapshot::into_complaint).await?;
        Ok(complaints
            .iter()
            .filter_map(|c| RemovedListing::of(c))
            .collect())
    }
}

impl<T: ReadModel + ?Sized> ReadModelExt for T {}

/// The states `query` finds, as `pick` takes them out of each snapshot: a snapshot of another
/// kind than the query's is corrupt data.
async fn states<R: ReadModel + ?Sized, T>(
    read: &R,
    tenant: TenantId,
    query: &Find,
    pick: fn(Snapshot) -> Option<Arc<T>>,
) -> Result<Vec<Arc<T>>, StoreError> {
    let found = read.find(tenant, query).await?;
    found
        .into_iter()
        .map(|(stream, snapshot)| {
            pick(snapshot).ok_or_else(|| StoreError::Corrupt {
                location: stream.to_string(),
                detail: "snapshot of another kind than its stream".to_owned(),
            })
        })
        .collect()
}

/// A complete backend: every capability the engine uses. Nothing to implement: every type
/// that implements [`EventLog`], [`Schedule`], [`Outbox`] and [`ReadModel`] is a `Store`, and `dyn Store` works wherever one is needed.
pub trait Store: EventLog + Schedule + Outbox + ReadModel {}

impl<T: EventLog + Schedule + Outbox + ReadModel + ?Sized> Store for T {}
