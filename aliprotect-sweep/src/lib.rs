//! # aliprotect-sweep
//!
//! Whack-a-mole, automated: saved keyword sweeps search a marketplace on a schedule, and
//! every listing found becomes a candidate a person confirms (it is filed) or dismisses
//! (with a reason). Listings already complained about never reach a person, nor do those
//! of a right's authorised sellers; a removed product or a repeat infringer reappearing is
//! proposed as a relisting, and filed at once when the sweep's campaign says so.
//!
//! Sweeps, candidates and authorised-seller lists are streams with a history, kept in the
//! engine's store as kinds the core does not know ([`ExtensionStream`](aliprotect_core::store::ExtensionStream),
//! codes 140 to 142): any backend keeps them unchanged.
//!
//! ```
//! use aliprotect_core::clock::SystemClock;
//! use aliprotect_core::complaint::ComplaintReason;
//! use aliprotect_core::engine::Engine;
//! use aliprotect_core::intake::IntakeFormat;
//! use aliprotect_core::marketplace::Marketplace;
//! use aliprotect_core::policy::MarketplacePolicy;
//! use aliprotect_core::testkit::{engines, fixtures};
//! use aliprotect_core::text::Text;
//! use aliprotect_store_memory::MemoryStore;
//! use aliprotect_sweep::{CandidateQuery, FileSearch, SweepSpec, Sweeps};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let notifier = engines::RecordingNotifier::default();
//! let engine = Engine::new(MemoryStore::new(), notifier, SystemClock, MarketplacePolicy::alibaba_ipp());
//! // A tenant, one of its people, and an approved trademark.
//! let tenant = fixtures::tenant();
//! let holder = fixtures::holder_user_of(tenant);
//! let right = engines::approved_right(&engine, tenant).await?;
//!
//! let sweeps = Sweeps::new(&engine);
//! let sweep = sweeps
//!     .add(tenant, holder, SweepSpec {
//!         name: "Earbuds on Alibaba".into(),
//!         keywords: vec!["acme earbuds".into()],
//!         marketplace: Marketplace::AlibabaCom,
//!         right,
//!         campaign: None,
//!         reason: ComplaintReason::TrademarkCounterfeit,
//!         explanation: Text::new("Counterfeit earbuds bearing our mark")?,
//!         every_hours: 24,
//!         page_budget: 5,
//!     })
//!     .await?;
//!
//! // A search: here a platform's export; `aliprotect-search-http` reads result pages.
//! let export = "url,title,seller\n\
//!     https://www.alibaba.com/product-detail/x_1600000000001.html,ACME earbuds,Copy Co\n";
//! let search = FileSearch::read(IntakeFormat::Csv, export.as_bytes());
//! let run = sweeps.run(tenant, holder, sweep.id, &search).await?;
//! assert_eq!(run.to_review, 1);
//!
//! // A person confirms: the listing is filed.
//! let queue = sweeps.candidates(tenant, &CandidateQuery::all()).await?;
//! let ids: Vec<_> = queue.iter().map(|candidate| candidate.id).collect();
//! let confirmed = sweeps.confirm(tenant, holder, &ids).await?;
//! assert!(confirmed[0].1.is_ok());
//!
//! // Run again: nothing new.
//! let again = sweeps.run(tenant, holder, sweep.id, &search).await?;
//! assert_eq!((again.to_review, again.known), (0, 1));
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod allowed;
mod candidate;
mod error;
mod search;
mod sweep;
mod sweeps;

pub use aliprotect_core::store::decided::Stamp;
pub use allowed::{
    AuthorisedSeller, AuthorisedSellers, AuthorisedSellersChange, AuthorisedSellersCommand,
    AuthorisedSellersDecider, AuthorisedSellersRefusal, AuthorisedSellersRule,
    AuthorisedSellersStream, seller_key,
};
pub use candidate::{
    BY_SWEEP, Candidate, CandidateChange, CandidateCommand, CandidateDecider, CandidateEvent,
    CandidateId, CandidateRefusal, CandidateRule, CandidateStatus, CandidateStream, Finding, Found,
};
pub use error::SweepError;
pub use search::{FileSearch, ListingSearch, SearchError, SearchPage, SearchQuery};
pub use sweep::{
    BY_RIGHT, Sweep, SweepChange, SweepCommand, SweepDecider, SweepEvent, SweepId, SweepRefusal,
    SweepRule, SweepRun, SweepSpec, SweepStatus, SweepStream,
};
pub use sweeps::{CandidateQuery, Sweeps};
