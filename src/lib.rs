//! # aliprotect
//!
//! An embeddable workflow engine for marketplace IP enforcement. This facade re-exports
//! [`aliprotect_core`] and, behind cargo features, the storage backends (`memory`, `sqlite`).
#![deny(missing_docs)]

pub use aliprotect_core::*;

/// The in-memory backend (feature `memory`).
#[cfg(feature = "memory")]
pub use aliprotect_store_memory as store_memory;

/// The SQLite backend (feature `sqlite`).
#[cfg(feature = "sqlite")]
pub use aliprotect_store_sqlite as store_sqlite;
