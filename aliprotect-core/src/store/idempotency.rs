//! Idempotency keys and the receipts recorded with them.

use std::fmt;

use serde::{Deserialize, Serialize};

use sha2::{Digest, Sha256};

use crate::ids::StreamId;

/// A caller's key that makes a command run at most once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

/// A string that cannot be an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an idempotency key must have 1 to {max} bytes, got {len}", max = IdempotencyKey::MAX_LEN)]
pub struct InvalidIdempotencyKey {
    /// Length of the input.
    pub len: usize,
}

impl IdempotencyKey {
    /// The longest key, in bytes.
    pub const MAX_LEN: usize = 200;

    /// Checks and wraps a key.
    pub fn new(key: impl Into<String>) -> Result<Self, InvalidIdempotencyKey> {
        let key = key.into();
        if key.is_empty() || key.len() > Self::MAX_LEN {
            return Err(InvalidIdempotencyKey { len: key.len() });
        }
        Ok(Self(key))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = InvalidIdempotencyKey;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<IdempotencyKey> for String {
    fn from(key: IdempotencyKey) -> Self {
        key.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a command wrote: the versions of its events in their stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Receipt {
    /// The stream written.
    pub stream: StreamId,
    /// The stream's version after the command.
    pub version: u64,
    /// Events the command appended.
    pub events: u32,
}

/// What a request asked for, reduced to a SHA-256 digest: kept with the receipt of its
/// idempotency key, so that the same key sent with another request is refused instead of
/// answered with the first request's receipt (as payment APIs do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RequestFingerprint([u8; 32]);

impl RequestFingerprint {
    /// The fingerprint of a request's canonical bytes.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The fingerprint stored as these 32 bytes; `None` for any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }
}

impl fmt::Display for RequestFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl TryFrom<String> for RequestFingerprint {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        let mut digest = [0u8; 32];
        hex::decode_to_slice(&value, &mut digest)
            .map_err(|_| format!("not a request fingerprint: `{value}`"))?;
        Ok(Self(digest))
    }
}

impl From<RequestFingerprint> for String {
    fn from(fingerprint: RequestFingerprint) -> Self {
        fingerprint.to_string()
    }
}

/// What a commit records under its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptRecord {
    /// The key.
    pub key: IdempotencyKey,
    /// The request the key was first used with.
    pub request: RequestFingerprint,
    /// What the request wrote.
    pub receipt: Receipt,
}

/// A receipt as a backend reads it back under its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReceipt {
    /// What the first request wrote.
    pub receipt: Receipt,
    /// Its fingerprint; `None` for receipts recorded before fingerprints were kept (their
    /// requests cannot be compared, and are taken to match).
    pub request: Option<RequestFingerprint>,
}
