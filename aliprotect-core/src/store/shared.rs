//! A shared store is a store: several engines, or a test and an engine, use one backend
//! through an `Arc`.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    Commit, ComplaintRow, Count, CountBy, DeadLetter, EventLog, IdempotencyKey, Lease, Loaded,
    Outbox, OutboxMessage, PendingWork, ReadModel, StoreError, StoredEvent, StoredReceipt, Timer,
    TimerQueue, WorkId, WorkQueue,
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

#[async_trait]
impl<S: EventLog + ?Sized> EventLog for Arc<S> {
    async fn load_to_decide(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Option<Loaded>, StoreError> {
        (**self).load_to_decide(tenant, stream).await
    }
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
    ) -> Result<Option<StoredReceipt>, StoreError> {
        (**self).receipt(tenant, key).await
    }
    async fn stream_keys(
        &self,
        after: Option<(TenantId, StreamId)>,
        limit: usize,
    ) -> Result<Vec<(TenantId, StreamId)>, StoreError> {
        (**self).stream_keys(after, limit).await
    }
    async fn history(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        (**self).history(tenant, stream).await
    }
}

#[async_trait]
impl<S: TimerQueue + ?Sized> TimerQueue for Arc<S> {
    async fn claim_timers(
        &self,
        now: DateTime<Utc>,
        lease: Lease,
        limit: usize,
    ) -> Result<Vec<Timer>, StoreError> {
        (**self).claim_timers(now, lease, limit).await
    }
}

#[async_trait]
impl<S: Outbox + ?Sized> Outbox for Arc<S> {
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
}

#[async_trait]
impl<S: WorkQueue + ?Sized> WorkQueue for Arc<S> {
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
}

#[async_trait]
impl<S: ReadModel + ?Sized> ReadModel for Arc<S> {
    async fn complaints(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<Vec<Arc<Complaint>>, StoreError> {
        (**self).complaints(tenant, campaign).await
    }
    async fn right_counts(&self, tenant: TenantId) -> Result<Vec<(RightStatus, u64)>, StoreError> {
        (**self).right_counts(tenant).await
    }
    async fn rights(&self, tenant: TenantId) -> Result<Vec<IpRight>, StoreError> {
        (**self).rights(tenant).await
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
    async fn complaint_counts(
        &self,
        tenant: TenantId,
        by: CountBy,
    ) -> Result<Vec<Count>, StoreError> {
        (**self).complaint_counts(tenant, by).await
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
}
