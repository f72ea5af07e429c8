//! # aliprotect-evidence
//!
//! Where the bytes of evidence are kept: the documents a right is registered with, the pages
//! a check-back saw, screenshots. The record names each by SHA-256; an
//! [`EvidenceStore`](aliprotect_core::evidence::EvidenceStore) keeps the bytes under that
//! hash, so an export for litigation holds every file the history names.
//!
//! ```
//! use aliprotect_core::evidence::{ContentHash, EvidenceStore};
//! use aliprotect_evidence::DirectoryEvidence;
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let dir = std::env::temp_dir().join(format!("evidence-doc-{}", std::process::id()));
//! let store = DirectoryEvidence::open(&dir)?;
//! let hash = store.put(b"%PDF certificate scan".to_vec()).await?;
//! assert_eq!(hash, ContentHash::of_bytes(b"%PDF certificate scan"));
//! assert_eq!(store.get(&hash).await?, Some(b"%PDF certificate scan".to_vec()));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Two stores: [`DirectoryEvidence`], files in a directory of the machine (the command line's
//! default, next to its SQLite file), and [`ObjectStoreEvidence`] on the `object_store`
//! crate: a local file system, memory (for tests), or S3 and S3-compatible services
//! (feature `s3`, on by default), chosen by URL with [`ObjectStoreEvidence::from_url`].
#![deny(missing_docs)]

mod directory;
mod object;

pub use directory::DirectoryEvidence;
pub use object::ObjectStoreEvidence;

use aliprotect_core::evidence::ContentHash;

/// Where a document with `hash` is kept under a root: a directory per first byte (two hex
/// digits), so that no directory holds millions of files.
fn relative_path(hash: &ContentHash) -> (String, String) {
    let hex = hash.to_string();
    (hex[..2].to_owned(), hex)
}
