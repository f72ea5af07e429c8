//! mockall mocks of the backend (feature `mock`): [`MockStore`] implements every backend
//! trait, so it is a [`super::Store`].
#![allow(missing_docs)]

use super::CountQuery;
use async_trait::async_trait;

use super::{
    Claim, Commit, DeadLetter, Due, EventLog, Find, IdempotencyKey, Loaded, Outbox, OutboxMessage,
    ReadModel, Schedule, Settlement, Snapshot, StatusCount, StoreError, StoredEvent, StoredReceipt,
    WorkId,
};
use crate::ids::{CampaignId, StreamId, TenantId, WorkerId};
use crate::metrics::Tallies;
use crate::notify::MessageId;

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
    impl Schedule for Store {
        async fn claim_due(&self, claim: Claim) -> Result<Due, StoreError>;
        async fn complete_work(&self, id: &WorkId, owner: WorkerId) -> Result<bool, StoreError>;
    }

    #[async_trait]
    impl Outbox for Store {
        async fn claim_outbox(&self, claim: Claim) -> Result<Vec<OutboxMessage>, StoreError>;
        async fn settle_outbox(&self, id: &MessageId, settlement: Settlement) -> Result<bool, StoreError>;
        async fn dead_letters(&self, tenant: TenantId, limit: usize) -> Result<Vec<DeadLetter>, StoreError>;
        async fn pending_outbox(&self, tenant: TenantId, limit: usize) -> Result<Option<Vec<OutboxMessage>>, StoreError>;
    }

    #[async_trait]
    impl ReadModel for Store {
        async fn find(&self, tenant: TenantId, query: &Find) -> Result<Vec<(StreamId, Snapshot)>, StoreError>;
        async fn count(&self, tenant: TenantId, query: &CountQuery) -> Result<Vec<StatusCount>, StoreError>;
        async fn metric_tallies(&self, tenant: TenantId, campaign: Option<CampaignId>) -> Result<Tallies, StoreError>;
    }
}
