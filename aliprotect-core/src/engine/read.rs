//! Reading: every query of the engine, on the handle [`Engine::read`] returns.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::aggregate::Aggregate;
use super::{ComplaintQuery, Engine, EngineError, Page};
use crate::accuracy::Accuracy;
use crate::campaign::{Campaign, CampaignDecider};
use crate::clock::Clock;
use crate::complaint::{Complaint, ComplaintDecider};
use crate::ids::{CampaignId, ComplaintId, PowerOfAttorneyId, RightId, TenantId};
use crate::listing::ListingKey;
use crate::metrics::Breakdown;
use crate::notify::Notifier;
use crate::policy::{MarketplacePolicy, StoredPolicy};
use crate::power::{Power, PowerDecider};
use crate::right::{IpRight, RightDecider, RightStatus};
use crate::sellers::{SellerKey, SellerRecord, records_from_tallies};
use crate::store::{
    ComplaintRow, Count, CountBy, DeadLetter, Find, IndexKey, IndexName, OutboxMessage,
    ReadModelExt, Snapshot, Store, StoredEvent, StreamId, StreamKind, StreamStatus,
};

/// Streams read per query when a query walks all of a tenant's streams of a kind.
const PAGE: usize = 1000;

/// The engine's queries, borrowed from it by [`Engine::read`]: each reflects every command
/// that returned before it, whichever engine or process ran it (the store's promise).
///
/// ```
/// # use aliprotect_core::{engine::Engine, clock::SystemClock, notify::DiscardNotifier};
/// # use aliprotect_core::{engine::Page, ids::TenantId, policy::MarketplacePolicy};
/// # async fn demo<S: aliprotect_core::store::Store>(store: S) -> Result<(), aliprotect_core::engine::EngineError> {
/// let engine = Engine::new(store, DiscardNotifier, SystemClock, MarketplacePolicy::alibaba_ipp());
/// let tenant = TenantId::new();
/// let rights = engine.read().rights(tenant, Page::first(50)).await?;
/// assert!(rights.is_empty());
/// # Ok(()) }
/// ```
pub struct Reader<'a, S, N, C> {
    engine: &'a Engine<S, N, C>,
}

// By hand: derived impls would ask the store, notifier and clock to be `Copy` too.
impl<S, N, C> Clone for Reader<'_, S, N, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S, N, C> Copy for Reader<'_, S, N, C> {}

impl<'a, S, N, C> Reader<'a, S, N, C> {
    /// The engine the queries read.
    pub(super) fn engine(self) -> &'a Engine<S, N, C> {
        self.engine
    }
}

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    /// The engine's queries.
    pub fn read(&self) -> Reader<'_, S, N, C> {
        Reader { engine: self }
    }
}

impl<'a, S: Store, N: Notifier, C: Clock> Reader<'a, S, N, C> {
    /// The right's current state, if it exists in the tenant.
    pub async fn right(
        self,
        tenant: TenantId,
        id: RightId,
    ) -> Result<Option<IpRight>, EngineError> {
        self.current::<RightDecider>(tenant, StreamId::Right(id))
            .await
    }

    /// The complaint's current state, if it exists in the tenant.
    pub async fn complaint(
        self,
        tenant: TenantId,
        id: ComplaintId,
    ) -> Result<Option<Complaint>, EngineError> {
        self.current::<ComplaintDecider>(tenant, StreamId::Complaint(id))
            .await
    }

    /// The current state of `stream`, kept as `D` keeps it, if it exists in the tenant.
    async fn current<D: Aggregate>(
        self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Option<D::Item>, EngineError> {
        let item = self.engine.load_item::<D>(tenant, stream).await?;
        Ok(item.map(Arc::unwrap_or_clone))
    }

    /// Every event of a stream, oldest first, each with its actor and time.
    pub async fn history(
        self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Vec<StoredEvent>, EngineError> {
        Ok(self.engine.inner.store.history(tenant, stream).await?)
    }

    /// Complaint counts by status, and by right, campaign or seller.
    pub async fn complaint_counts(
        self,
        tenant: TenantId,
        by: CountBy,
    ) -> Result<Vec<Count>, EngineError> {
        Ok(self.engine.inner.store.complaint_counts(tenant, by).await?)
    }

    /// Enforcement metrics of the tenant's complaints, or of one campaign's.
    pub async fn metrics(
        self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<Breakdown, EngineError> {
        let tallies = self
            .engine
            .inner
            .store
            .metric_tallies(tenant, campaign)
            .await?;
        Ok(tallies.breakdown())
    }

    /// The tenant's accuracy as a filer over the policy's window, against its trusted-filer
    /// standards: a standing of `AtRisk` is the warning to act on before falling out. Reads
    /// the tenant's metric tallies (a few rows per right, week, seller and day), not its
    /// complaints.
    pub async fn filer_accuracy(self, tenant: TenantId) -> Result<Accuracy, EngineError> {
        let inner = &self.engine.inner;
        let tallies = inner.store.metric_tallies(tenant, None).await?;
        let rules = inner.policy.trusted_filer.as_ref();
        Ok(Accuracy::from_tallies(&tallies, inner.clock.now(), rules))
    }

    /// Every known seller's record in the tenant's complaints, repeat infringers flagged at
    /// the policy's threshold; feed them to [`crate::sellers::seller_networks`] with the
    /// sellers' contact data to see who works together. Reads the tenant's metric tallies
    /// (a few rows per right, week, seller and day), not its complaints.
    pub async fn seller_records(
        self,
        tenant: TenantId,
    ) -> Result<BTreeMap<SellerKey, SellerRecord>, EngineError> {
        let inner = &self.engine.inner;
        let tallies = inner.store.metric_tallies(tenant, None).await?;
        Ok(records_from_tallies(
            &tallies,
            inner.policy.repeat_infringer_removals,
        ))
    }

    /// Hands every stream of `kind` of the tenant to `visit` with its snapshot, in stream
    /// order, reading [`PAGE`] at a time.
    pub(super) async fn each_stream(
        self,
        tenant: TenantId,
        kind: StreamKind,
        mut visit: impl FnMut(StreamId, &Snapshot) -> Result<(), EngineError> + Send,
    ) -> Result<(), EngineError> {
        let mut after = None;
        loop {
            let mut page = Find::all(kind).limit(PAGE);
            if let Some(after) = after {
                page = page.after(after);
            }
            let found = self.engine.inner.store.find(tenant, &page).await?;
            for (stream, snapshot) in &found {
                visit(*stream, snapshot)?;
            }
            match found.last() {
                Some((last, _)) if found.len() == PAGE => after = Some(*last),
                _ => return Ok(()),
            }
        }
    }

    /// A page of the tenant's complaints, in id order: those `query` asks for, at most
    /// `query.limit` (fewer only on the last page). Reads through the narrowest index the
    /// query names (its seller, else its campaign, else its right) and its status, a page at a time, so it
    /// costs what it returns, not what the tenant holds.
    pub async fn complaints(
        self,
        tenant: TenantId,
        query: &ComplaintQuery,
    ) -> Result<Vec<Arc<Complaint>>, EngineError> {
        let mut find = Find::all(StreamKind::Complaint);
        if let Some(seller) = &query.seller {
            find = find.with_key(IndexKey::new(IndexName::SELLER, seller.clone()));
        } else if let Some(campaign) = query.campaign {
            find = find.with_key(IndexKey::new(IndexName::CAMPAIGN, campaign.to_string()));
        } else if let Some(right) = query.right {
            find = find.with_key(IndexKey::new(IndexName::RIGHT, right.to_string()));
        }
        if let Some(status) = query.status {
            find = find.in_status(StreamStatus::Complaint(status));
        }
        let mut page = Vec::with_capacity(query.limit.min(PAGE));
        let mut after = query.after.map(StreamId::Complaint);
        while page.len() < query.limit {
            let mut batch = find.clone().limit(query.limit.clamp(1, PAGE));
            if let Some(after) = after {
                batch = batch.after(after);
            }
            let found = self.engine.inner.store.find(tenant, &batch).await?;
            let last_batch = found.len() < batch.limit;
            for (stream, snapshot) in found {
                after = Some(stream);
                let complaint = snapshot
                    .into_complaint()
                    .ok_or_else(|| super::wrong_snapshot(stream))?;
                // The index answered for one filter; the others are checked here.
                if query.keeps(&complaint) {
                    page.push(complaint);
                    if page.len() == query.limit {
                        break;
                    }
                }
            }
            if last_batch {
                break;
            }
        }
        Ok(page)
    }

    /// A page of the tenant's campaigns (archived ones too), in id order, in their current
    /// state.
    pub async fn campaigns(
        self,
        tenant: TenantId,
        page: Page<CampaignId>,
    ) -> Result<Vec<Campaign>, EngineError> {
        let after = page.after.map(StreamId::Campaign);
        self.page_of::<CampaignDecider>(tenant, StreamKind::Campaign, page.limit, after)
            .await
    }

    /// The campaign's current state, if it exists in the tenant.
    pub async fn campaign(
        self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, EngineError> {
        self.current::<CampaignDecider>(tenant, StreamId::Campaign(id))
            .await
    }

    /// A page of the tenant's rights, in id order, in their current state.
    pub async fn rights(
        self,
        tenant: TenantId,
        page: Page<RightId>,
    ) -> Result<Vec<IpRight>, EngineError> {
        let after = page.after.map(StreamId::Right);
        self.page_of::<RightDecider>(tenant, StreamKind::Right, page.limit, after)
            .await
    }

    /// At most `limit` streams of `kind` after `after`, each in the state `D` keeps: one
    /// query of the store.
    async fn page_of<D: Aggregate>(
        self,
        tenant: TenantId,
        kind: StreamKind,
        limit: usize,
        after: Option<StreamId>,
    ) -> Result<Vec<D::Item>, EngineError> {
        let mut find = Find::all(kind).limit(limit);
        if let Some(after) = after {
            find = find.after(after);
        }
        let found = self.engine.inner.store.find(tenant, &find).await?;
        found
            .into_iter()
            .map(|(stream, snapshot)| match D::item(snapshot) {
                Some(state) => Ok(Arc::unwrap_or_clone(state)),
                None => Err(super::wrong_snapshot(stream).into()),
            })
            .collect()
    }

    /// Rights per status.
    pub async fn right_counts(
        self,
        tenant: TenantId,
    ) -> Result<Vec<(RightStatus, u64)>, EngineError> {
        Ok(self.engine.inner.store.right_counts(tenant).await?)
    }

    /// The complaints against a listing (by its normalised key).
    pub async fn complaints_on_listing(
        self,
        tenant: TenantId,
        key: &ListingKey,
    ) -> Result<Vec<ComplaintRow>, EngineError> {
        Ok(self
            .engine
            .inner
            .store
            .complaints_on_listing(tenant, key)
            .await?)
    }

    /// The power of attorney's current state, if it exists in the tenant.
    pub async fn power(
        self,
        tenant: TenantId,
        id: PowerOfAttorneyId,
    ) -> Result<Option<Power>, EngineError> {
        self.current::<PowerDecider>(tenant, StreamId::Power(id))
            .await
    }

    /// Up to `limit` of the tenant's dead letters, oldest first.
    pub async fn dead_letters(
        self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, EngineError> {
        Ok(self.engine.inner.store.dead_letters(tenant, limit).await?)
    }

    /// Up to `limit` of the tenant's notifications still to be sent, oldest first, with
    /// their attempts and next try (attempts above zero: being retried); `None` when the
    /// store cannot list them.
    pub async fn pending_notifications(
        self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Option<Vec<OutboxMessage>>, EngineError> {
        Ok(self
            .engine
            .inner
            .store
            .pending_outbox(tenant, limit)
            .await?)
    }

    /// The policy the store's data follows, with who set it, when and why; `None` before
    /// any engine used the store.
    pub async fn stored_policy(self) -> Result<Option<StoredPolicy>, EngineError> {
        super::policy::read_policy(&self.engine.inner.store).await
    }

    /// The policy this engine applies.
    pub fn policy(self) -> &'a MarketplacePolicy {
        &self.engine.inner.policy
    }

    /// The clock this engine reads time from.
    pub fn clock(self) -> &'a C {
        &self.engine.inner.clock
    }
}
