//! # aliprotect-core
//!
//! The domain of marketplace IP enforcement as typed, pure state machines: IP rights and their
//! rejection-retry loop with the platform, complaints against listings with counter-notices and
//! outcomes, and the marketplace policy that sets limits, windows and who loses by silence.
//!
//! ```
//! use aliprotect_core::complaint::*;
//! use aliprotect_core::decider::Decider;
//! use aliprotect_core::ids::*;
//! use aliprotect_core::listing::Listing;
//! use aliprotect_core::party::Actor;
//! use aliprotect_core::policy::MarketplacePolicy;
//! use aliprotect_core::right::{IpRight, RightStatus};
//! use aliprotect_core::text::Text;
//! # fn approved_right() -> IpRight { aliprotect_core::testkit::fixtures::right_in(RightStatus::Approved) }
//!
//! let policy = MarketplacePolicy::alibaba_ipp();
//! let right: IpRight = approved_right(); // a trademark approved by the platform
//! let listing = Listing::parse("https://www.alibaba.com/product-detail/Earbuds_1600123456789.html?spm=x")?;
//! let explanation = Text::new("Counterfeit goods bearing our registered mark")?;
//! let reason = ComplaintReason::TrademarkCounterfeit;
//! let filing = ComplaintFiling::new(ComplaintId::new(), right.tenant, right.id, listing, reason, explanation);
//! let context = ComplaintContext::new(chrono::Utc::now(), Actor::System, &policy, Some(&right));
//! let events = ComplaintDecider::decide(&None, &ComplaintCommand::File(Box::new(filing)), &context)?;
//! let complaint = ComplaintDecider::fold(&events).expect("filed");
//! assert_eq!(complaint.status(), ComplaintStatus::Draft);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every machine is a [`decider::Decider`]: `decide(state, command, context) -> events` and
//! `evolve(state, event) -> state`, pure and synchronous. Time, the acting party and the
//! policy come in through the context; storage and I/O belong to the engine and its backends.
//!
//! Modules, one idea each:
//! - [`ids`], [`party`], [`authority`]: typed ids, tenants, holders, representatives, powers of
//!   attorney, actors, and which side may issue which command.
//! - [`evidence`], [`text`]: content-hashed evidence and bounded free text.
//! - [`right`]: IP right kinds, registrations, the submission check, the right machine.
//! - [`marketplace`], [`listing`]: marketplaces and listing URLs normalised to stable keys.
//! - [`complaint`]: reasons, the complaint machine, filings, platform status codes.
//! - [`policy`], [`calendar`]: a platform's rules as data, working-day deadlines.
//! - [`decider`]: the shape every machine has.
//! - [`engine`]: runs commands against a [`store::Store`], fires timers, delivers
//!   notifications through a [`notify::Notifier`], at a time from a [`clock::Clock`].
//! - [`intake`], [`probe`], [`relisting`], [`campaign`], [`sellers`]: enforcement at scale.
//! - [`metrics`], [`accuracy`]: dashboards, and the filer's standing with the platform.
//! - `testkit` (feature `testkit`): the backend conformance suite, fixtures, proptest
//!   strategies and given/when/then helpers.
#![deny(missing_docs)]

pub mod accuracy;
pub mod authority;
pub mod calendar;
pub mod campaign;
pub mod clock;
pub mod complaint;
pub mod decider;
pub mod engine;
pub mod evidence;
pub mod filer;
pub mod ids;
pub mod intake;
pub mod listing;
pub mod marketplace;
pub mod metrics;
pub mod notify;
pub mod party;
pub mod policy;
pub mod power;
pub mod probe;
pub mod relisting;
pub mod right;
pub mod sellers;
pub mod store;
pub mod text;

#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

/// The modules behind cargo features, for crates that re-export this one: a glob import of
/// this module (`pub use aliprotect_core::optional::*;`) re-exports exactly those enabled,
/// whichever crate of the build enabled them.
pub mod optional {
    /// Fixtures, strategies, helpers and the conformance suite (feature `testkit`).
    #[cfg(any(test, feature = "testkit"))]
    pub use crate::testkit;
}

/// The attribute the async traits ([`store::Store`], [`notify::Notifier`],
/// [`probe::ListingProbe`]) are written with, re-exported so that an implementation uses the
/// same version without a dependency of its own.
pub use async_trait::async_trait;
