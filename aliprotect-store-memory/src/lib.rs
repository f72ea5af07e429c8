//! # aliprotect-store-memory
//!
//! An in-memory [`Store`] for tests and small embedders: as strict as a durable store (version
//! checks, atomic commits, tenant isolation, idempotency receipts), but gone with the process.
//!
//! ```
//! use aliprotect_core::store::{Store, StreamId};
//! use aliprotect_core::ids::{RightId, TenantId};
//! use aliprotect_store_memory::MemoryStore;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! let loaded = store.load(TenantId::new(), StreamId::Right(RightId::new())).await.unwrap();
//! assert!(loaded.is_none());
//! # });
//! ```
//!
//! Concurrency: one `RwLock` around the whole state, taken only inside synchronous sections
//! (never across an `.await`). A commit holds the write lock for the few microseconds it takes
//! to check the version and apply the change, so readers never wait longer than one commit
//! and every commit is visible all at once.
#![deny(missing_docs)]

mod counts;
mod state;

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use aliprotect_core::complaint::ComplaintStatus;
use aliprotect_core::ids::{RepresentativeId, RightId, TenantId};
use aliprotect_core::listing::ListingKey;
use aliprotect_core::notify::MessageId;
use aliprotect_core::party::PowerOfAttorney;
use aliprotect_core::right::RightStatus;
use aliprotect_core::store::{
    Commit, ComplaintRow, Count, CountBy, IdempotencyKey, Loaded, OutboxMessage, Receipt, Store,
    StoreError, StoredEvent, StreamId, Timer,
};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use state::State;

/// The in-memory store. Share it behind an `Arc` or give it to one engine (engines clone).
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: RwLock<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    // A panic while holding the lock cannot leave the state half-written (commits validate
    // before they mutate), so a poisoned lock is still consistent and is used as is.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn load(&self, tenant: TenantId, stream: StreamId) -> Result<Option<Loaded>, StoreError> {
        Ok(self.read().load(tenant, stream))
    }

    async fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        self.write().commit(commit)
    }

    async fn receipt(
        &self,
        tenant: TenantId,
        key: &IdempotencyKey,
    ) -> Result<Option<Receipt>, StoreError> {
        Ok(self.read().receipt(tenant, key))
    }

    async fn history(
        &self,
        tenant: TenantId,
        stream: StreamId,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(self.read().history(tenant, stream))
    }

    async fn complaint_counts(
        &self,
        tenant: TenantId,
        by: CountBy,
    ) -> Result<Vec<Count>, StoreError> {
        Ok(self.read().complaint_counts(tenant, by))
    }

    async fn right_counts(&self, tenant: TenantId) -> Result<Vec<(RightStatus, u64)>, StoreError> {
        Ok(self.read().right_counts(tenant))
    }

    async fn complaints_on_listing(
        &self,
        tenant: TenantId,
        key: &ListingKey,
    ) -> Result<Vec<ComplaintRow>, StoreError> {
        Ok(self.read().complaints_on_listing(tenant, key))
    }

    async fn complaints_of_right(
        &self,
        tenant: TenantId,
        right: RightId,
        status: ComplaintStatus,
    ) -> Result<Vec<ComplaintRow>, StoreError> {
        Ok(self.read().complaints_of_right(tenant, right, status))
    }

    async fn due_timers(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Timer>, StoreError> {
        Ok(self.read().due_timers(now, limit))
    }

    async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        Ok(self.write().claim_outbox(now, lease, limit))
    }

    async fn ack_outbox(&self, id: &MessageId) -> Result<(), StoreError> {
        self.write().ack_outbox(id);
        Ok(())
    }

    async fn release_outbox(&self, id: &MessageId, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.write().release_outbox(id, at);
        Ok(())
    }

    async fn save_power(&self, tenant: TenantId, power: PowerOfAttorney) -> Result<(), StoreError> {
        self.write().save_power(tenant, power);
        Ok(())
    }

    async fn powers(
        &self,
        tenant: TenantId,
        representative: RepresentativeId,
    ) -> Result<Vec<PowerOfAttorney>, StoreError> {
        Ok(self.read().powers(tenant, representative))
    }
}
