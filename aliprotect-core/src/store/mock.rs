//! mockall mocks of the backend (feature `mock`): [`MockStore`] implements every backend
//! trait, so it is a [`super::Store`].
#![allow(missing_docs)]

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    Commit, ComplaintRow, Count, CountBy, DeadLetter, EventLog, IdempotencyKey, Lease, Loaded,
    Outbox, OutboxMessage, PendingWork, ReadModel, Settlement, StoreError, StoredEvent,
    StoredReceipt, Timer, TimerQueue, WorkId, WorkQueue,
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

mockall::mock! {
    /// A mock of every backend trait.
    pub Store {}

    #[async_trait]
    impl EventLog for Store {
        async fn load_to_decide(&self, tenant: TenantId, stream: StreamId) -> Result<Option<Loaded>, StoreError>;
        async fn load(&self, tenant: TenantId, stream: StreamId) -> Result<Option<Loaded>, StoreError>;
        async fn commit(&self, commit: Commit) -> Result<(), StoreError>;
        async fn commit_batch(&self, commits: Vec<Commit>) -> Vec<Result<(), StoreError>>;
        async fn receipt(&self, tenant: TenantId, key: &IdempotencyKey) -> Result<Option<StoredReceipt>, StoreError>;
        async fn stream_keys(&self, after: Option<(TenantId, StreamId)>, limit: usize) -> Result<Vec<(TenantId, StreamId)>, StoreError>;
        async fn history(&self, tenant: TenantId, stream: StreamId) -> Result<Vec<StoredEvent>, StoreError>;
    }

    #[async_trait]
    impl TimerQueue for Store {
        async fn claim_timers(&self, now: DateTime<Utc>, lease: Lease, limit: usize) -> Result<Vec<Timer>, StoreError>;
    }

    #[async_trait]
    impl Outbox for Store {
        async fn claim_outbox(&self, now: DateTime<Utc>, lease: Lease, limit: usize) -> Result<Vec<OutboxMessage>, StoreError>;
        async fn enqueue_outbox(&self, message: OutboxMessage) -> Result<bool, StoreError>;
        async fn settle_outbox(&self, id: &MessageId, settlement: Settlement) -> Result<bool, StoreError>;
        async fn dead_letters(&self, tenant: TenantId, limit: usize) -> Result<Vec<DeadLetter>, StoreError>;
    }

    #[async_trait]
    impl WorkQueue for Store {
        async fn claim_work(&self, now: DateTime<Utc>, lease: Lease, limit: usize) -> Result<Vec<PendingWork>, StoreError>;
        async fn complete_work(&self, id: &WorkId, owner: WorkerId) -> Result<bool, StoreError>;
    }

    #[async_trait]
    impl ReadModel for Store {
        async fn complaints(&self, tenant: TenantId, campaign: Option<CampaignId>) -> Result<Vec<Arc<Complaint>>, StoreError>;
        async fn right_counts(&self, tenant: TenantId) -> Result<Vec<(RightStatus, u64)>, StoreError>;
        async fn rights(&self, tenant: TenantId) -> Result<Vec<IpRight>, StoreError>;
        async fn campaigns(&self, tenant: TenantId) -> Result<Vec<Campaign>, StoreError>;
        async fn powers(&self, tenant: TenantId, representative: RepresentativeId) -> Result<Vec<Power>, StoreError>;
        async fn complaint_counts(&self, tenant: TenantId, by: CountBy) -> Result<Vec<Count>, StoreError>;
        async fn complaints_on_listing(&self, tenant: TenantId, key: &ListingKey) -> Result<Vec<ComplaintRow>, StoreError>;
        async fn complaints_of_right(&self, tenant: TenantId, right: RightId, status: ComplaintStatus) -> Result<Vec<ComplaintRow>, StoreError>;
        async fn metric_tallies(&self, tenant: TenantId, campaign: Option<CampaignId>) -> Result<Tallies, StoreError>;
        async fn removed_listings(&self, tenant: TenantId, right: RightId) -> Result<Vec<RemovedListing>, StoreError>;
    }
}
