//! Evidence in an object store: S3 and S3-compatible services, a local file system, memory.

use std::sync::Arc;

use aliprotect_core::evidence::{ContentHash, EvidenceError, EvidenceStore};
use async_trait::async_trait;
use object_store::path::Path;
use object_store::{GetOptions, ObjectStore, PutMode, PutOptions, PutPayload};

/// Evidence kept as objects named `<prefix>/<first two hex digits>/<sha256>`.
///
/// A document is written with a create-only put where the service has one, so a document is
/// never overwritten; where it has none, the write is an overwrite with the same bytes.
#[derive(Debug, Clone)]
pub struct ObjectStoreEvidence {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
}

fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> EvidenceError {
    EvidenceError::Unavailable(Box::new(error))
}

impl ObjectStoreEvidence {
    /// Evidence in `store` under `prefix` (empty for the store's root).
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str) -> Self {
        Self {
            store,
            prefix: Path::from(prefix),
        }
    }

    /// The store a URL names: `s3://bucket/prefix` (credentials and region from the
    /// environment's `AWS_*` variables, as the AWS tools read them; an S3-compatible
    /// service through `AWS_ENDPOINT`), `file:///var/evidence`, or `memory:///`.
    pub fn from_url(url: &str) -> Result<Self, EvidenceError> {
        let parsed = url::Url::parse(url).map_err(unavailable)?;
        let options = std::env::vars().filter(|(name, _)| name.starts_with("AWS_"));
        let (store, prefix) =
            object_store::parse_url_opts(&parsed, options).map_err(unavailable)?;
        Ok(Self {
            store: Arc::from(store),
            prefix,
        })
    }

    fn path_of(&self, hash: &ContentHash) -> Path {
        let (directory, name) = crate::relative_path(hash);
        let mut parts: Vec<String> = self.prefix.parts().map(|p| p.as_ref().to_owned()).collect();
        parts.extend([directory, name]);
        Path::from_iter(parts)
    }
}

#[async_trait]
impl EvidenceStore for ObjectStoreEvidence {
    async fn put(&self, bytes: Vec<u8>) -> Result<ContentHash, EvidenceError> {
        let hash = ContentHash::of_bytes(&bytes);
        let path = self.path_of(&hash);
        let create = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        let payload = PutPayload::from(bytes);
        match self.store.put_opts(&path, payload.clone(), create).await {
            Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(hash),
            Err(object_store::Error::NotImplemented { .. }) => {
                self.store
                    .put_opts(&path, payload, PutOptions::default())
                    .await
                    .map_err(unavailable)?;
                Ok(hash)
            }
            Err(error) => Err(unavailable(error)),
        }
    }

    async fn get(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, EvidenceError> {
        let path = self.path_of(hash);
        let found = match self.store.get_opts(&path, GetOptions::default()).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(unavailable(error)),
        };
        let bytes = found.bytes().await.map_err(unavailable)?.to_vec();
        hash.verify(&bytes)?;
        Ok(Some(bytes))
    }
}
