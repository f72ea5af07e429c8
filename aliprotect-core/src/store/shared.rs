//! A shared or boxed store is a store: several engines, or a test and an engine, use one
//! backend through an `Arc`, and a backend chosen at run time is a `Box<dyn Store>`.
//!
//! Both forward every method, the provided ones too, so that a backend's own answer (a
//! cache, an index, a large transaction) is never replaced by a trait default on the way.
//! `clippy::missing_trait_methods` turns a method left out here into a build error.

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

/// Implements every backend trait for `$pointer<S>` by calling `S`'s own methods.
macro_rules! forward_store {
    ($pointer:ident) => {
        #[async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<S: EventLog + ?Sized> EventLog for $pointer<S> {
            async fn load(
                &self,
                tenant: TenantId,
                stream: StreamId,
            ) -> Result<Option<Loaded>, StoreError> {
                (**self).load(tenant, stream).await
            }
            async fn load_to_decide(
                &self,
                tenant: TenantId,
                stream: StreamId,
            ) -> Result<Option<Loaded>, StoreError> {
                (**self).load_to_decide(tenant, stream).await
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
        #[deny(clippy::missing_trait_methods)]
        impl<S: TimerQueue + ?Sized> TimerQueue for $pointer<S> {
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
        #[deny(clippy::missing_trait_methods)]
        impl<S: Outbox + ?Sized> Outbox for $pointer<S> {
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
            async fn settle_outbox(
                &self,
                id: &MessageId,
                settlement: Settlement,
            ) -> Result<bool, StoreError> {
                (**self).settle_outbox(id, settlement).await
            }
            async fn dead_letters(
                &self,
                tenant: TenantId,
                limit: usize,
            ) -> Result<Vec<DeadLetter>, StoreError> {
                (**self).dead_letters(tenant, limit).await
            }
        }

        #[async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<S: WorkQueue + ?Sized> WorkQueue for $pointer<S> {
            async fn claim_work(
                &self,
                now: DateTime<Utc>,
                lease: Lease,
                limit: usize,
            ) -> Result<Vec<PendingWork>, StoreError> {
                (**self).claim_work(now, lease, limit).await
            }
            async fn complete_work(
                &self,
                id: &WorkId,
                owner: WorkerId,
            ) -> Result<bool, StoreError> {
                (**self).complete_work(id, owner).await
            }
        }

        #[async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<S: ReadModel + ?Sized> ReadModel for $pointer<S> {
            async fn complaints(
                &self,
                tenant: TenantId,
                campaign: Option<CampaignId>,
            ) -> Result<Vec<Arc<Complaint>>, StoreError> {
                (**self).complaints(tenant, campaign).await
            }
            async fn right_counts(
                &self,
                tenant: TenantId,
            ) -> Result<Vec<(RightStatus, u64)>, StoreError> {
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
    };
}

forward_store!(Arc);
forward_store!(Box);
