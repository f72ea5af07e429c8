//! Uniqueness held by streams: a rule such as "one open complaint per listing and tenant"
//! must hold across engines and processes, so it cannot rest on a read before the write.
//! The core computes the keys a stream holds from its state (as it computes its status), a
//! commit takes and releases them, and the backend enforces each key atomically with the
//! commit that takes it.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::listing::ListingKey;

/// A key at most one stream of a tenant holds at a time: opaque text to a backend, which
/// stores and compares it byte for byte. At most [`UniqueKey::MAX_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UniqueKey(String);

impl UniqueKey {
    /// The longest key, in bytes: short enough for any database's index.
    pub const MAX_LEN: usize = 256;

    /// The key of `scope` and `value`: `scope/value`, or `scope/sha256:<hex>` when that
    /// would be longer than [`UniqueKey::MAX_LEN`].
    pub fn new(scope: &str, value: &str) -> Self {
        if scope.len() + 1 + value.len() <= Self::MAX_LEN
            && !scope.contains('\0')
            && !value.contains('\0')
        {
            // Built in place: a key is made on every filing.
            let mut plain = String::with_capacity(scope.len() + 1 + value.len());
            plain.push_str(scope);
            plain.push('/');
            plain.push_str(value);
            return Self(plain);
        }
        Self(format!(
            "{scope}/sha256:{}",
            hex::encode(Sha256::digest(value.as_bytes()))
        ))
    }

    /// The key a complaint holds while it is open: one open complaint per listing.
    pub fn open_complaint_on(listing: &ListingKey) -> Self {
        Self::new("open-complaint", listing.as_str())
    }

    /// A key as a backend stored it.
    pub fn from_stored(stored: String) -> Self {
        Self(stored)
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UniqueKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The unique keys a commit takes and releases for its stream: the difference between the
/// keys its state held before and holds after.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UniqueKeyChange {
    /// Keys the stream holds from this commit on: each must be free in the tenant (or held
    /// by this stream already), or the whole commit is refused.
    pub take: Vec<UniqueKey>,
    /// Keys the stream held and gives up with this commit.
    pub release: Vec<UniqueKey>,
}

impl UniqueKeyChange {
    /// The change from holding `before` to holding `after`.
    pub fn between(before: &[UniqueKey], after: &[UniqueKey]) -> Self {
        Self {
            take: after
                .iter()
                .filter(|key| !before.contains(key))
                .cloned()
                .collect(),
            release: before
                .iter()
                .filter(|key| !after.contains(key))
                .cloned()
                .collect(),
        }
    }

    /// Whether the commit takes or releases nothing.
    pub fn is_empty(&self) -> bool {
        self.take.is_empty() && self.release.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_hashed_to_a_bounded_key() {
        let short = UniqueKey::new("open-complaint", "alibaba.com/product/1");
        assert_eq!(short.as_str(), "open-complaint/alibaba.com/product/1");
        let long = UniqueKey::new("open-complaint", &"x".repeat(1000));
        assert!(long.as_str().len() <= UniqueKey::MAX_LEN);
        assert_ne!(long, UniqueKey::new("open-complaint", &"y".repeat(1000)));
    }

    #[test]
    fn a_change_takes_what_is_new_and_releases_what_is_gone() {
        let (a, b, c) = (
            UniqueKey::new("s", "a"),
            UniqueKey::new("s", "b"),
            UniqueKey::new("s", "c"),
        );
        let change = UniqueKeyChange::between(&[a.clone(), b.clone()], &[b, c.clone()]);
        assert_eq!(change.take, vec![c]);
        assert_eq!(change.release, vec![a]);
        assert!(UniqueKeyChange::between(&[], &[]).is_empty());
    }
}
