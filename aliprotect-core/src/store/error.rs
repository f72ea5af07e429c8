//! What a backend can fail with.

use crate::ids::StreamId;

use super::{IdempotencyKey, UniqueKey};

/// A backend failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The stream's version is not the expected one: another command committed first.
    #[error("version conflict on {stream}: expected {expected}, found {actual}")]
    Conflict {
        /// The stream.
        stream: StreamId,
        /// The version the commit expected.
        expected: u64,
        /// The version found.
        actual: u64,
    },
    /// The commit's idempotency key is already recorded for this tenant.
    #[error("idempotency key `{0}` is already used")]
    DuplicateIdempotencyKey(IdempotencyKey),
    /// A unique key the commit takes is held by another stream of the tenant: the commit
    /// wrote nothing.
    #[error("{key} is held by {holder}")]
    UniqueKeyTaken {
        /// The key.
        key: UniqueKey,
        /// The stream holding it.
        holder: StreamId,
    },
    /// Something stored cannot be read back (a corrupt row, an unknown schema).
    #[error("corrupt data in {location}: {detail}")]
    Corrupt {
        /// Where (table, stream, row).
        location: String,
        /// What is wrong.
        detail: String,
    },
    /// An imported stream (or receipt) is already present at the same version, but not as
    /// the import has it: it is left as it is, and nothing of the import is written.
    #[error("{stream} is present, differently, in the store imported into: {detail}")]
    ImportMismatch {
        /// The stream (the receipt's stream, for a receipt).
        stream: StreamId,
        /// What differs.
        detail: String,
    },
    /// The backend cannot do this.
    #[error("not supported by this store: {0}")]
    Unsupported(&'static str),
    /// The backend failed (I/O, connection, full disk).
    #[error("store unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}
