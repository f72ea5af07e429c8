//! Durable store for aliprotect on an embedded SQLite file.
//!
//! The store trait and this backend arrive with the engine; until then this crate only
//! re-exports the core it will depend on.
#![deny(missing_docs)]

pub use aliprotect_core as core;
