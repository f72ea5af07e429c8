//! A shared or boxed store is a store: several engines, or a test and an engine, use one
//! backend through an `Arc`, and a backend chosen at run time is a `Box<dyn Store>`.
//!
//! Both forward every method, the provided ones too, so that a backend's own answer (a
//! cache, an index, a large transaction) is never replaced by a trait default on the way.
//! `clippy::missing_trait_methods` turns a method left out here into a build error.

use super::CountQuery;
use std::sync::Arc;

use async_trait::async_trait;

use super::{
    Claim, Commit, DeadLetter, Due, EventLog, Find, IdempotencyKey, Loaded, Outbox, OutboxMessage,
    ReadModel, Schedule, Settlement, Snapshot, StatusCount, StoreError, StoredEvent, StoredReceipt,
    Timer, TimerPage, WorkId,
};
use crate::ids::{CampaignId, StreamId, TenantId, WorkerId};
use crate::metrics::Tallies;
use crate::notify::MessageId;

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
            async fn load_many(
                &self,
                keys: &[(TenantId, StreamId)],
            ) -> Result<Vec<Option<Loaded>>, StoreError> {
                (**self).load_many(keys).await
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
        impl<S: Schedule + ?Sized> Schedule for $pointer<S> {
            async fn claim_due(&self, claim: Claim) -> Result<Due, StoreError> {
                (**self).claim_due(claim).await
            }
            async fn complete_work(
                &self,
                id: &WorkId,
                owner: WorkerId,
            ) -> Result<bool, StoreError> {
                (**self).complete_work(id, owner).await
            }
            async fn pending_timers(
                &self,
                tenant: TenantId,
                page: &TimerPage,
            ) -> Result<Option<Vec<Timer>>, StoreError> {
                (**self).pending_timers(tenant, page).await
            }
            async fn count_pending_timers(
                &self,
                tenant: TenantId,
            ) -> Result<Option<u64>, StoreError> {
                (**self).count_pending_timers(tenant).await
            }
        }

        #[async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<S: Outbox + ?Sized> Outbox for $pointer<S> {
            async fn claim_outbox(&self, claim: Claim) -> Result<Vec<OutboxMessage>, StoreError> {
                (**self).claim_outbox(claim).await
            }
            async fn settle_outbox(
                &self,
                id: &MessageId,
                settlement: Settlement,
            ) -> Result<bool, StoreError> {
                (**self).settle_outbox(id, settlement).await
            }
            async fn settle_outbox_batch(
                &self,
                settlements: Vec<(MessageId, Settlement)>,
            ) -> Result<Vec<bool>, StoreError> {
                (**self).settle_outbox_batch(settlements).await
            }
            async fn dead_letters(
                &self,
                tenant: TenantId,
                limit: usize,
            ) -> Result<Vec<DeadLetter>, StoreError> {
                (**self).dead_letters(tenant, limit).await
            }
            async fn pending_outbox(
                &self,
                tenant: TenantId,
                limit: usize,
            ) -> Result<Option<Vec<OutboxMessage>>, StoreError> {
                (**self).pending_outbox(tenant, limit).await
            }
        }

        #[async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<S: ReadModel + ?Sized> ReadModel for $pointer<S> {
            async fn find(
                &self,
                tenant: TenantId,
                query: &Find,
            ) -> Result<Vec<(StreamId, Snapshot)>, StoreError> {
                (**self).find(tenant, query).await
            }
            async fn count(
                &self,
                tenant: TenantId,
                query: &CountQuery,
            ) -> Result<Vec<StatusCount>, StoreError> {
                (**self).count(tenant, query).await
            }
            async fn metric_tallies(
                &self,
                tenant: TenantId,
                campaign: Option<CampaignId>,
            ) -> Result<Tallies, StoreError> {
                (**self).metric_tallies(tenant, campaign).await
            }
        }
    };
}

forward_store!(Arc);
forward_store!(Box);
