//! Idempotency keys and the receipts recorded with them.

use std::fmt;

use serde::{Deserialize, Serialize};

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
