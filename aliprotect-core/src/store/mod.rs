//! The storage backend trait and the values that cross it.
//!
//! A backend keeps, per tenant: each stream's events and its latest snapshot (the read-model
//! row), the idempotency receipts of commands, the outbox of notifications, the timers, the
//! pending cross-stream work, and the powers of attorney. The engine writes all of a command's
//! effects with ONE call to [`EventLog::commit`], which must be atomic: all or nothing, visible
//! all at once.
//!
//! Several engines (processes) may share one database, and many tenants one store, so:
//! every key carries the tenant; a load reflects every commit that returned before it,
//! whichever handle made it; and shared work (due timers, outbox messages, pending work) is
//! handed out with a [`Lease`], so that two engines never get the same work while it lasts.
//!
//! The backend interface is one small trait per capability, as `object_store` splits its
//! optional capabilities and `cqrs-es` its event store from its views: [`EventLog`] (load,
//! commit, history, receipts), [`Schedule`] (timers and pending work), [`Outbox`] and
//! [`ReadModel`]. A type implementing all four is a [`Store`], the bound the engine takes.
//!
//! Implementing a backend: implement the four traits (12 required methods; the read model's
//! typed queries, [`ReadModelExt`], are built on its two generic ones), then run
//! `aliprotect_core::testkit::conformance::run_all` (feature `testkit`) against it; it checks
//! every promise documented here.
//!
//! A backend knows no kind of stream: it keeps each stream's kind, status and index keys as
//! the codes and text of [`columns`] and [`IndexKey`], and the core computes them for it
//! (with the status change and unique keys) in every [`Commit`]. A stream of a kind the core
//! does not define ([`ExtensionStream`]) goes through every backend unchanged.
//! Errors, events and timer kinds are `#[non_exhaustive]`: they grow without breaking anyone.
//!
//! For callers of the engine, this module also holds what its answers are made of: stream
//! ids, events and their history, receipts and idempotency keys, dashboard rows and counts,
//! outbox messages and dead letters.

mod cache;
mod claims;
pub mod columns;
mod commit;
pub mod decided;
mod error;
mod events;
mod extension;
mod idempotency;
mod index;
#[cfg(feature = "mock")]
mod mock;
mod pending;
mod rows;
mod shared;
mod traits;
mod transfer;
mod unique;

pub use cache::SnapshotCache;
pub use claims::{
    Claim, DeadLetter, Due, FollowUpWork, Lease, OutboxMessage, PendingWork, Settlement, Timer,
    TimerKind, WorkId,
};
pub use commit::{Commit, Loaded, Snapshot, StatusChange, StreamStatus};
pub use error::StoreError;
pub use events::{DomainEvent, StoredEvent, upcast_event};
pub use extension::{ExtensionEvent, ExtensionKind, ExtensionState, ExtensionStream};
pub use idempotency::{
    IdempotencyKey, InvalidIdempotencyKey, Receipt, ReceiptRecord, RequestFingerprint,
    StoredReceipt,
};
pub use index::{CountQuery, Find, IndexKey, IndexName, StatusCount, StreamKind};
#[cfg(feature = "mock")]
pub use mock::MockStore;
pub use pending::{TimerPage, order_stream_timers};
pub use rows::{ComplaintRow, Count, CountBy, GroupKey};
pub use traits::{EventLog, Outbox, ReadModel, ReadModelExt, Schedule, Store, TALLY_PAGE};
pub use transfer::{
    CopyOptions, CopyProgress, CopyReport, ImportReport, ReceiptExport, StreamExport, TenantCounts,
    Transfer, Verification, copy_store, count_streams, possible_keys, replay, verify_copy,
};
pub use unique::{UniqueKey, UniqueKeyChange};

/// Stream ids live with the other ids; re-exported here, where stores use them.
pub use crate::ids::StreamId;

/// The backend traits, imported for their methods: `use aliprotect_core::store::prelude::*;`
/// lets code call `load`, `commit`, `claim_outbox`, `complaints`... on any concrete store.
pub mod prelude {
    pub use super::{EventLog, Outbox, ReadModel, ReadModelExt, Schedule, Store, Transfer};
}
