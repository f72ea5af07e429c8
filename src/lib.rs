//! # aliprotect
//!
//! An embeddable workflow engine for marketplace IP enforcement: register IP rights with the
//! platform (and survive its rejection loop), file complaints against listings, handle
//! counter-notices and deadlines, and find out what happened when the platform does not say.
//!
//! ```
//! use aliprotect::clock::SystemClock;
//! use aliprotect::complaint::{ComplaintCommand, ComplaintFiling, ComplaintReason, ComplaintStatus};
//! use aliprotect::engine::{Command, Engine, Request};
//! use aliprotect::ids::{ComplaintId, RightId, TenantId, UserId};
//! use aliprotect::listing::Listing;
//! use aliprotect::notify::DiscardNotifier;
//! use aliprotect::party::Actor;
//! use aliprotect::policy::MarketplacePolicy;
//! use aliprotect::right::RightCommand;
//! use aliprotect::store_memory::MemoryStore;
//! use aliprotect::text::Text;
//! # fn package() -> aliprotect::right::SubmissionPackage { aliprotect::testkit::fixtures::trademark_package() }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! let engine = Engine::new(MemoryStore::new(), DiscardNotifier, SystemClock, MarketplacePolicy::alibaba_ipp());
//! let tenant = TenantId::new();
//! let me = Actor::HolderUser { tenant, user: UserId::new() };
//! let run = |actor, command| engine.execute(Request::new(tenant, actor, command));
//!
//! // Register a trademark (certificate and articles of incorporation attached), submit it,
//! // and record the platform's approval.
//! let right = RightId::new();
//! run(me, Command::right(right, RightCommand::Register { id: right, tenant, package: Box::new(package()) })).await?;
//! for (actor, command) in [(me, RightCommand::Submit), (Actor::Platform, RightCommand::BeginReview), (Actor::Platform, RightCommand::Approve)] {
//!     run(actor, Command::right(right, command)).await?;
//! }
//!
//! // Complain about a listing.
//! let complaint = ComplaintId::new();
//! let listing = Listing::parse("https://www.alibaba.com/product-detail/Earbuds_1600123456789.html")?;
//! let explanation = Text::new("Counterfeit earbuds bearing our mark")?;
//! let reason = ComplaintReason::TrademarkCounterfeit;
//! let filing = ComplaintFiling::new(complaint, tenant, right, listing, reason, explanation);
//! run(me, Command::complaint(complaint, ComplaintCommand::File(Box::new(filing)))).await?;
//! run(me, Command::complaint(complaint, ComplaintCommand::Submit)).await?;
//!
//! let status = engine.read().complaint(tenant, complaint).await?.map(|c| c.status());
//! assert_eq!(status, Some(ComplaintStatus::Submitted));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The crate's face is chosen for two readers:
//! - **Embedders** find the domain (rights, complaints, campaigns, powers, listings, the
//!   policy), the [`engine`], the ids and what the engine answers with, one module each, and
//!   the everyday names in one import, [`prelude`]. [`store`] holds what an embedder's code
//!   meets of storage: the [`Store`](store::Store) bound, its errors, stream ids, events and
//!   receipts.
//! - **Backend authors** find in [`backend`] everything that crosses the backend traits
//!   (commits, snapshots, claims, index keys, the stored codes of [`backend::columns`],
//!   upcasting, the snapshot cache); with feature `testkit`, the conformance suite is in
//!   `testkit::conformance`.
//!
//! The backends come by cargo feature: `memory` and `sqlite` (both default) as `store_memory`
//! and `store_sqlite`, `postgres` as `store_postgres`, `webhook` and `email` as
//! `notify_webhook` and `notify_email`, `probe-http` as `probe_http`, `evidence` as
//! `evidence_stores`; keyword sweeps and their review queue with `sweep` as `sweep`,
//! `search-http` as `search_http`, the platform's emails with `inbox` as `inbox`, and the web dashboard and HTTP API with `web` as `web`. Feature `testkit` adds the backend conformance suite,
//! fixtures and proptest strategies; `mock` adds mockall mocks of the traits.
#![deny(missing_docs)]

pub use aliprotect_core::{
    accuracy, authority, calendar, campaign, clock, complaint, decider, engine, evidence, filer,
    ids, intake, listing, marketplace, metrics, notify, party, policy, power, probe, relisting,
    right, sellers, text,
};

/// `testkit` (feature `testkit`): fixtures, proptest strategies, given/when/then helpers and
/// the backend conformance suite.
// Empty, hence unused, in a build that enables no optional module.
#[allow(unused_imports, unreachable_pub)]
pub use aliprotect_core::optional::*;

/// What an embedder's code meets of storage: the bound the engine takes, its errors, and the
/// values the engine answers with (stream ids, events and their history, receipts and
/// idempotency keys, dashboard counts, timers and dead letters). Implementing a backend
/// takes more: see [`backend`].
pub mod store {
    pub use aliprotect_core::store::{
        ComplaintRow, Count, CountBy, DeadLetter, DomainEvent, GroupKey, IdempotencyKey,
        InvalidIdempotencyKey, OutboxMessage, ReadModelExt, Receipt, Store, StoreError,
        StoredEvent, StreamId, Timer, TimerKind, prelude,
    };
    /// Moving a whole store into another (a SQLite file into PostgreSQL, and back), and
    /// checking the copy: see [`copy_store`].
    pub use aliprotect_core::store::{
        CopyOptions, CopyProgress, CopyReport, ImportReport, TenantCounts, Transfer, Verification,
        copy_store, count_streams, verify_copy,
    };

    /// A mockall mock of every backend trait (feature `mock`).
    #[cfg(feature = "mock")]
    pub use aliprotect_core::store::MockStore;
}

/// For backend authors: the traits to implement ([`EventLog`](backend::EventLog),
/// [`Schedule`](backend::Schedule), [`Outbox`](backend::Outbox),
/// [`ReadModel`](backend::ReadModel)), every value that crosses them, the stored codes of
/// [`columns`](backend::columns), [`upcast_event`](backend::upcast_event), the
/// [`SnapshotCache`](backend::SnapshotCache) and `async_trait` for the impls. The
/// conformance suite every backend runs is `testkit::conformance` (feature `testkit`).
pub mod backend {
    pub use aliprotect_core::async_trait;
    pub use aliprotect_core::store::*;
}

/// The date and time types the API speaks (`chrono`), so that embedders use the same
/// version.
pub use chrono;

/// The in-memory backend (feature `memory`).
#[cfg(feature = "memory")]
pub use aliprotect_store_memory as store_memory;

/// The SQLite backend (feature `sqlite`).
#[cfg(feature = "sqlite")]
pub use aliprotect_store_sqlite as store_sqlite;

/// The PostgreSQL backend, for several engine processes on one database (feature
/// `postgres`).
#[cfg(feature = "postgres")]
pub use aliprotect_store_postgres as store_postgres;

/// Signed webhook notifications (feature `webhook`).
#[cfg(feature = "webhook")]
pub use aliprotect_notify_webhook as notify_webhook;

/// Email notifications (feature `email`).
#[cfg(feature = "email")]
pub use aliprotect_notify_email as notify_email;

/// The HTTP check-back probe (feature `probe-http`).
#[cfg(feature = "probe-http")]
pub use aliprotect_probe_http as probe_http;

/// Evidence stores: a directory, or an object store such as S3 (feature `evidence`).
#[cfg(feature = "evidence")]
pub use aliprotect_evidence as evidence_stores;

/// Keyword sweeps, the review queue of what they find, and rights' authorised sellers
/// (feature `sweep`).
#[cfg(feature = "sweep")]
pub use aliprotect_sweep as sweep;

/// A marketplace's search result pages read over HTTP, for sweeps (feature `search-http`).
#[cfg(feature = "search-http")]
pub use aliprotect_search_http as search_http;

/// The platform's emails read into the record (feature `inbox`).
#[cfg(feature = "inbox")]
pub use aliprotect_inbox as inbox;

/// The web dashboard and JSON API for a firm and its clients, with accounts, roles, API
/// tokens and Prometheus metrics (feature `web`).
#[cfg(feature = "web")]
pub use aliprotect_web as web;

/// What an embedder uses in most files, in one import: the engine and its requests, the ids,
/// the actors, the commands of rights and complaints, a listing, the policy, the store and
/// notifier traits and their simplest implementations.
///
/// ```
/// use aliprotect::prelude::*;
///
/// # async fn demo() -> Result<(), EngineError> {
/// let engine = Engine::new(MemoryStore::new(), DiscardNotifier, SystemClock, MarketplacePolicy::alibaba_ipp());
/// let tenant = TenantId::new();
/// assert!(engine.read().rights(tenant, Page::first(20)).await?.is_empty());
/// # Ok(()) }
/// ```
pub mod prelude {
    pub use aliprotect_core::clock::{Clock, SystemClock};
    pub use aliprotect_core::complaint::{
        Complaint, ComplaintCommand, ComplaintFiling, ComplaintReason, ComplaintStatus,
    };
    pub use aliprotect_core::engine::{
        Command, ComplaintQuery, Engine, EngineConfig, EngineError, Page, Request, TimerQuery,
    };
    pub use aliprotect_core::ids::{
        CampaignId, ComplaintId, PowerOfAttorneyId, RightId, TenantId, UserId,
    };
    pub use aliprotect_core::listing::Listing;
    pub use aliprotect_core::notify::{DiscardNotifier, Notifier};
    pub use aliprotect_core::party::Actor;
    pub use aliprotect_core::policy::MarketplacePolicy;
    pub use aliprotect_core::right::{IpRight, RightCommand, RightStatus, SubmissionPackage};
    pub use aliprotect_core::store::{ReadModelExt, Store};
    pub use aliprotect_core::text::Text;

    /// The in-memory backend's store (feature `memory`).
    #[cfg(feature = "memory")]
    pub use aliprotect_store_memory::MemoryStore;
    /// The SQLite backend's store (feature `sqlite`).
    #[cfg(feature = "sqlite")]
    pub use aliprotect_store_sqlite::SqliteStore;
}

/// The README's embedding example, compiled and run as a doc test so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExample;
