//! The memory store runs the shared backend conformance suite.

use std::sync::Arc;

use aliprotect_core::async_trait;
use aliprotect_core::ids::{TenantId, WorkerId};
use aliprotect_core::notify::MessageId;
use aliprotect_core::store::{
    Claim, Commit, CountQuery, DeadLetter, Due, EventLog, Find, IdempotencyKey, Loaded, Outbox,
    OutboxMessage, ReadModel, Schedule, Settlement, Snapshot, StatusCount, StoreError, StoredEvent,
    StoredReceipt, StreamId, WorkId,
};
use aliprotect_core::testkit::conformance;
use aliprotect_store_memory::MemoryStore;

#[tokio::test]
async fn memory_store_passes_the_conformance_suite() {
    aliprotect_core::testkit::conformance::run_all(|| async { MemoryStore::new() }).await;
}

#[tokio::test]
async fn every_check_also_runs_on_one_shared_store() {
    // Checks use fresh tenants and ids, so they must pass on a store that is not empty.
    let store = std::sync::Arc::new(MemoryStore::new());
    aliprotect_core::testkit::conformance::run_all(|| async { store.clone() }).await;
}

#[tokio::test]
async fn a_store_chosen_at_run_time_passes_through_a_box() {
    // Box<dyn Store> forwards every method, the provided ones too (the memory store's
    // indexed queries must not fall back to the defaults' scans).
    aliprotect_core::testkit::conformance::run_all(|| async {
        Box::new(MemoryStore::new()) as Box<dyn aliprotect_core::store::Store>
    })
    .await;
}

#[tokio::test]
async fn two_handles_of_one_store_see_each_others_commits() {
    let store = Arc::new(MemoryStore::new());
    let other = Arc::clone(&store);
    conformance::two_handles(&store, &other).await;
}

#[tokio::test]
async fn two_engines_on_one_store_decide_on_current_state() {
    let store = Arc::new(MemoryStore::new());
    conformance::two_engines_on_two_handles(Arc::clone(&store), store).await;
}

/// A partial backend: the memory store's event log, and nothing else.
struct EventLogOnly(MemoryStore);

fn unsupported<T>() -> Result<T, StoreError> {
    Err(StoreError::Unsupported("only an event log"))
}

#[async_trait]
impl EventLog for EventLogOnly {
    async fn load(&self, tenant: TenantId, stream: StreamId) -> Result<Option<Loaded>, StoreError> {
        self.0.load(tenant, stream).await
    }
    async fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        self.0.commit(commit).await
    }
    async fn receipt(
        &self,
        tenant: TenantId,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredReceipt>, StoreError> {
        self.0.receipt(tenant, key).await
    }
    async fn stream_keys(
        &self,
        after: Option<(TenantId, StreamId)>,
        limit: usize,
    ) -> Result<Vec<(TenantId, StreamId)>, StoreError> {
        self.0.stream_keys(after, limit).await
    }
    async fn history(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.0.history(tenant, stream).await
    }
}

#[async_trait]
impl Schedule for EventLogOnly {
    async fn claim_due(&self, _: Claim) -> Result<Due, StoreError> {
        unsupported()
    }
    async fn complete_work(&self, _: &WorkId, _: WorkerId) -> Result<bool, StoreError> {
        unsupported()
    }
}

#[async_trait]
impl Outbox for EventLogOnly {
    async fn claim_outbox(&self, _: Claim) -> Result<Vec<OutboxMessage>, StoreError> {
        unsupported()
    }
    async fn settle_outbox(&self, _: &MessageId, _: Settlement) -> Result<bool, StoreError> {
        unsupported()
    }
    async fn dead_letters(&self, _: TenantId, _: usize) -> Result<Vec<DeadLetter>, StoreError> {
        unsupported()
    }
}

#[async_trait]
impl ReadModel for EventLogOnly {
    async fn find(&self, _: TenantId, _: &Find) -> Result<Vec<(StreamId, Snapshot)>, StoreError> {
        unsupported()
    }
    async fn count(&self, _: TenantId, _: &CountQuery) -> Result<Vec<StatusCount>, StoreError> {
        unsupported()
    }
}

#[tokio::test]
async fn a_partial_backend_passes_the_checks_it_declares_and_fails_the_others() {
    let event_log_only = || async { EventLogOnly(MemoryStore::new()) };
    conformance::run_declared(event_log_only, conformance::Capabilities::EVENT_LOG).await;
    let everything = tokio::spawn(conformance::run_all(event_log_only)).await;
    assert!(
        everything.is_err_and(|e| e.is_panic()),
        "the whole suite fails on a backend without timers, outbox, work or read model"
    );
}

/// The suite checks pending timers only where a store keeps them: this one must.
#[tokio::test]
async fn keeps_its_timers_in_due_order() {
    use aliprotect_core::store::{Schedule, TimerPage};
    let store = MemoryStore::new();
    let first = TimerPage::first(1);
    let page = store.pending_timers(aliprotect_core::ids::TenantId::new(), &first);
    assert_eq!(page.await.unwrap(), Some(Vec::new()));
}

/// A memory store copied into another keeps every kind of row (the copy's checks).
#[tokio::test]
async fn memory_store_copies_into_another() {
    conformance::transfer_round_trip(&MemoryStore::new(), &MemoryStore::new()).await;
}
