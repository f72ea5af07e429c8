//! In-memory store for aliprotect: for tests and small embedders.
//!
//! The store trait and this backend arrive with the engine; until then this crate only
//! re-exports the core it will depend on.
#![deny(missing_docs)]

pub use aliprotect_core as core;
