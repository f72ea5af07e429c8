//! Evidence in a directory: one file per document, named by its SHA-256.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use aliprotect_core::evidence::{ContentHash, EvidenceError, EvidenceStore};
use async_trait::async_trait;

/// Evidence kept as files under a directory: `<root>/<first two hex digits>/<sha256>`.
///
/// A document is written to a temporary file, flushed to disk, then renamed into place, so a
/// reader never sees half a file and a crash leaves at most a stray temporary file. Several
/// processes may share the directory.
#[derive(Debug)]
pub struct DirectoryEvidence {
    root: PathBuf,
    /// Tells apart the temporary files of one process.
    next_temporary: AtomicU64,
}

fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> EvidenceError {
    EvidenceError::Unavailable(Box::new(error))
}

impl DirectoryEvidence {
    /// The store under `root`, created if missing.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, EvidenceError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(unavailable)?;
        Ok(Self {
            root,
            next_temporary: AtomicU64::new(0),
        })
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file a document with `hash` is kept in (whether it is kept or not).
    pub fn path_of(&self, hash: &ContentHash) -> PathBuf {
        let (directory, name) = crate::relative_path(hash);
        self.root.join(directory).join(name)
    }
}

#[async_trait]
impl EvidenceStore for DirectoryEvidence {
    async fn put(&self, bytes: Vec<u8>) -> Result<ContentHash, EvidenceError> {
        let hash = ContentHash::of_bytes(&bytes);
        let path = self.path_of(&hash);
        let temporary = path.with_file_name(format!(
            ".{hash}.{}.{}.tmp",
            std::process::id(),
            self.next_temporary.fetch_add(1, Ordering::Relaxed)
        ));
        tokio::task::spawn_blocking(move || -> Result<(), std::io::Error> {
            // Kept already, and intact: nothing to write. A damaged copy is replaced.
            if std::fs::read(&path).is_ok_and(|kept| ContentHash::of_bytes(&kept) == hash) {
                return Ok(());
            }
            let directory = path.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(directory)?;
            let written = (|| {
                use std::io::Write;
                let mut file = std::fs::File::create(&temporary)?;
                file.write_all(&bytes)?;
                file.sync_all()?;
                // Another writer's rename of the same bytes may come first: same content.
                std::fs::rename(&temporary, &path)?;
                sync_directory(directory)
            })();
            if written.is_err() {
                let _ = std::fs::remove_file(&temporary);
            }
            written
        })
        .await
        .map_err(unavailable)?
        .map_err(unavailable)?;
        Ok(hash)
    }

    async fn get(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, EvidenceError> {
        let bytes = match tokio::fs::read(self.path_of(hash)).await {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(unavailable(error)),
        };
        hash.verify(&bytes)?;
        Ok(Some(bytes))
    }
}

/// Makes a rename in `directory` durable: the new name survives a power cut once this
/// returns (on Unix; elsewhere the file system gives no such call).
fn sync_directory(directory: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(directory)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = directory;
    Ok(())
}
