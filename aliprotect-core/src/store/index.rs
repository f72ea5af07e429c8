//! The keys a stream is found by, and the generic queries over them: what lets a backend keep
//! and answer the read model without knowing any kind of stream.
//!
//! The core computes a stream's [`IndexKey`]s from its state ([`Snapshot::index_keys`]) and
//! hands them over with the stream's first commit ([`Commit::index`](super::Commit::index));
//! a stream's keys never change. A backend stores them as `(name, value)` text pairs and
//! answers [`Find`] and [`ReadModel::count`](super::ReadModel::count) from them; every typed
//! query of the read model is built on those two.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ExtensionKind, Snapshot, StreamId, StreamStatus};

/// The kinds of stream: [`StreamId`]'s variants without their ids. A backend stores a kind as
/// its [`StreamKind::code`] (see [`super::columns`]) and never matches on it. The codes are
/// part of the stored format: written out here, they only ever grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum StreamKind {
    /// IP rights.
    Right,
    /// Complaints.
    Complaint,
    /// A tenant's record as a filer.
    Filer,
    /// Powers of attorney.
    Power,
    /// Campaigns.
    Campaign,
    /// The store's policy.
    Policy,
    /// A kind defined outside the core (see [`super::ExtensionStream`]).
    Extension(ExtensionKind),
}

impl StreamKind {
    /// The kind's stored code: the first byte of a stored stream key, and the order of
    /// kinds in [`StreamId`]'s order.
    pub const fn code(self) -> u8 {
        match self {
            StreamKind::Right => 0,
            StreamKind::Complaint => 1,
            StreamKind::Filer => 2,
            StreamKind::Power => 3,
            StreamKind::Campaign => 4,
            StreamKind::Policy => 5,
            StreamKind::Extension(kind) => kind.code(),
        }
    }
}

impl StreamId {
    /// The stream's kind.
    pub fn kind(&self) -> StreamKind {
        match self {
            StreamId::Right(_) => StreamKind::Right,
            StreamId::Complaint(_) => StreamKind::Complaint,
            StreamId::Filer(_) => StreamKind::Filer,
            StreamId::Power(_) => StreamKind::Power,
            StreamId::Campaign(_) => StreamKind::Campaign,
            StreamId::Policy => StreamKind::Policy,
            StreamId::Extension { kind, .. } => StreamKind::Extension(*kind),
        }
    }
}

/// What an index key names: a stream's right, campaign, seller, listing or representative.
/// Stored as its text ([`IndexName::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexName(&'static str);

impl IndexName {
    /// The right a complaint rests on (its id).
    pub const RIGHT: IndexName = IndexName("right");
    /// The campaign a complaint was filed in (its id).
    pub const CAMPAIGN: IndexName = IndexName("campaign");
    /// The seller of a complaint's listing (the marketplace's store id).
    pub const SELLER: IndexName = IndexName("seller");
    /// A complaint's listing (its [`ListingKey`](crate::listing::ListingKey)).
    pub const LISTING: IndexName = IndexName("listing");
    /// The representative a power of attorney is granted to (its id).
    pub const REPRESENTATIVE: IndexName = IndexName("representative");

    /// An index of a stream kind defined outside the core (see
    /// [`ExtensionStream::index_keys`](super::ExtensionStream::index_keys)): its name as
    /// stored. Names are shared by every kind, each query asks for one kind. A commit with a
    /// name that is not [valid](IndexName::is_valid) is refused.
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// The longest name, in bytes.
    pub const MAX_LEN: usize = 64;

    /// The name stored as `name`, as read back from a database (a copy of a store reads
    /// every stream's keys): one of the core's names, or an extension kind's, kept for the
    /// life of the process (each distinct name once). `None` for a name that is not
    /// [valid](IndexName::is_valid).
    pub fn stored(name: &str) -> Option<Self> {
        use std::collections::HashSet;
        use std::sync::{Mutex, OnceLock};
        const CORE: [IndexName; 5] = [
            IndexName::RIGHT,
            IndexName::CAMPAIGN,
            IndexName::SELLER,
            IndexName::LISTING,
            IndexName::REPRESENTATIVE,
        ];
        if let Some(known) = CORE.into_iter().find(|known| known.0 == name) {
            return Some(known);
        }
        static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
        if name.is_empty() || name.len() > Self::MAX_LEN || name.chars().any(char::is_control) {
            return None;
        }
        let mut names = NAMES
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(kept) = names.get(name) {
            return Some(IndexName(kept));
        }
        let kept: &'static str = Box::leak(name.to_owned().into_boxed_str());
        names.insert(kept);
        Some(IndexName(kept))
    }

    /// Whether a backend may store the name: not empty, at most [`IndexName::MAX_LEN`]
    /// bytes, no control characters ([`Commit::check`](super::Commit::check) refuses others).
    pub fn is_valid(self) -> bool {
        !self.0.is_empty() && self.0.len() <= Self::MAX_LEN && !self.0.chars().any(char::is_control)
    }

    /// The name as stored.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for IndexName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// One key a stream is found by: an index name and the stream's value under it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexKey {
    /// What the key names.
    pub name: IndexName,
    /// The stream's value (an id's text, a seller's store id, a listing key).
    pub value: String,
}

impl IndexKey {
    /// The longest value, in bytes: a listing's key or a seller's id, both read from a URL of
    /// at most [`Listing::MAX_URL_LEN`](crate::listing::Listing::MAX_URL_LEN) bytes.
    pub const MAX_LEN: usize = 4096;

    /// The key `name` = `value`.
    pub fn new(name: IndexName, value: impl Into<String>) -> Self {
        Self {
            name,
            value: value.into(),
        }
    }
}

impl Snapshot {
    /// The kind of stream this is the state of.
    pub fn kind(&self) -> StreamKind {
        match self {
            Snapshot::Right(_) => StreamKind::Right,
            Snapshot::Complaint(_) => StreamKind::Complaint,
            Snapshot::Power(_) => StreamKind::Power,
            Snapshot::Campaign(_) => StreamKind::Campaign,
            Snapshot::Policy(_) => StreamKind::Policy,
            Snapshot::Filer(_) => StreamKind::Filer,
            Snapshot::Extension(state) => StreamKind::Extension(state.kind),
        }
    }

    /// The keys a stream in this state is found by: what its first commit hands the store.
    /// They follow from what never changes in a stream, so they are the same in every state.
    pub fn index_keys(&self) -> Vec<IndexKey> {
        match self {
            Snapshot::Complaint(complaint) => {
                let filed = &complaint.filed;
                let mut keys = Vec::with_capacity(4);
                keys.push(IndexKey::new(IndexName::RIGHT, filed.right.to_string()));
                if let Some(campaign) = filed.campaign {
                    keys.push(IndexKey::new(IndexName::CAMPAIGN, campaign.to_string()));
                }
                if let Some(seller) = filed.listing.seller_id.as_ref().filter(|s| !s.is_empty()) {
                    keys.push(IndexKey::new(IndexName::SELLER, seller.clone()));
                }
                keys.push(IndexKey::new(
                    IndexName::LISTING,
                    filed.listing.key.as_str(),
                ));
                keys
            }
            Snapshot::Power(power) => vec![IndexKey::new(
                IndexName::REPRESENTATIVE,
                power.grant.representative.to_string(),
            )],
            Snapshot::Right(_)
            | Snapshot::Campaign(_)
            | Snapshot::Policy(_)
            | Snapshot::Filer(_) => Vec::new(),
            // Only their owner knows them: it gives them in the stream's first commit
            // (`ExtensionStream::index_keys`).
            Snapshot::Extension(_) => Vec::new(),
        }
    }
}

/// A query for streams of one kind of a tenant: all of them, or those with one index key,
/// optionally in one status, a page at a time in stream order (keyset paging: pass the last
/// stream of a page as [`Find::after`] for the next).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Find {
    /// The kind of stream.
    pub kind: StreamKind,
    /// Only streams with this key, when given.
    pub key: Option<IndexKey>,
    /// Only streams in this status, when given.
    pub status: Option<StreamStatus>,
    /// Only streams after this one in stream order, when given.
    pub after: Option<StreamId>,
    /// At most this many streams.
    pub limit: usize,
}

impl Find {
    /// Every stream of `kind`, without a limit.
    pub fn all(kind: StreamKind) -> Self {
        Self {
            kind,
            key: None,
            status: None,
            after: None,
            limit: usize::MAX,
        }
    }

    /// Only the streams with `key`.
    pub fn with_key(mut self, key: IndexKey) -> Self {
        self.key = Some(key);
        self
    }

    /// Only the streams in `status`.
    pub fn in_status(mut self, status: StreamStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only the streams after `stream` (the last of the previous page).
    pub fn after(mut self, stream: StreamId) -> Self {
        self.after = Some(stream);
        self
    }

    /// At most `limit` streams.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Whether a stream of this query's kind, with `keys`, in `status` and with id `stream`
    /// matches it (what a backend without an index of its own checks).
    pub fn matches(&self, stream: StreamId, status: StreamStatus, keys: &[IndexKey]) -> bool {
        stream.kind() == self.kind
            && self.after.is_none_or(|after| stream > after)
            && self.status.is_none_or(|wanted| wanted == status)
            && self.key.as_ref().is_none_or(|key| keys.contains(key))
    }
}

/// A count of a tenant's streams of one kind per status ([`ReadModel::count`](super::ReadModel::count)):
/// in all, or grouped by the streams' values under one index.
///
/// ```
/// use aliprotect_core::store::{CountQuery, IndexName, StreamKind};
/// let per_right = CountQuery::of(StreamKind::Complaint).by(IndexName::RIGHT);
/// assert_eq!(per_right.by, Some(IndexName::RIGHT));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CountQuery {
    /// The kind of stream.
    pub kind: StreamKind,
    /// Grouped by the streams' values under this index, when given.
    pub by: Option<IndexName>,
}

impl CountQuery {
    /// The streams of `kind` per status, not grouped.
    pub fn of(kind: StreamKind) -> Self {
        Self { kind, by: None }
    }

    /// Grouped by the streams' values under `index`.
    pub fn by(mut self, index: IndexName) -> Self {
        self.by = Some(index);
        self
    }
}

/// How many streams of one group are in one status: an answer of
/// [`ReadModel::count`](super::ReadModel::count).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCount {
    /// The group's value under the index counted by (`None` when not grouped).
    pub group: Option<String>,
    /// The status, as [`super::columns::status_code`] stores it.
    pub status: i16,
    /// How many (never 0).
    pub count: u64,
}
