//! Streams of kinds the core does not define: what shows that a backend knows no domain.
//!
//! A program (or a test) that needs a stream of its own, with events and a state the core
//! never reads, names its kind with an [`ExtensionKind`] and stores it through any backend
//! as [`StreamId::Extension`], [`Snapshot::Extension`] and [`DomainEvent::Extension`]: the
//! state and events as JSON, the status as a small code, the index keys in the commit. No
//! backend changes for a new kind, since a backend only ever sees codes, keys and JSON.
//!
//! The engine runs no command and fires no timer on such a stream: its owner commits to it
//! through the store (such a commit carries no timers; [`super::Commit::check`] refuses
//! them), and the engine's reads (`history`) and the store's queries see it like any other.
//!
//! [`ExtensionStream`] types the JSON for the program that owns the kind.
//!
//! ```
//! use aliprotect_core::ids::TenantId;
//! use aliprotect_core::store::{ExtensionKind, ExtensionStream, IndexKey, IndexName, Snapshot};
//! use serde::{Deserialize, Serialize};
//!
//! /// A watch on a keyword: a stream kind of the program's own.
//! struct Watch;
//!
//! #[derive(Serialize, Deserialize, PartialEq, Debug)]
//! struct WatchState { keyword: String, paused: bool }
//!
//! impl ExtensionStream for Watch {
//!     const KIND: ExtensionKind = ExtensionKind::new(200);
//!     type State = WatchState;
//!     fn status(state: &WatchState) -> u8 { u8::from(state.paused) }
//!     fn index_keys(state: &WatchState) -> Vec<IndexKey> {
//!         vec![IndexKey::new(IndexName::new("keyword"), state.keyword.clone())]
//!     }
//! }
//!
//! let tenant = TenantId::new();
//! let id = uuid::Uuid::now_v7();
//! let state = WatchState { keyword: "sneakers".into(), paused: false };
//! let snapshot = Watch::snapshot(tenant, id, &state)?;
//! assert!(snapshot.belongs_to(tenant, Watch::stream(id)));
//! assert_eq!(Watch::state(&snapshot)?, state);
//! # Ok::<(), aliprotect_core::store::StoreError>(())
//! ```

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DomainEvent, IndexKey, Snapshot, StoreError, StreamId, StreamStatus};
use crate::ids::TenantId;

/// The kind of a stream defined outside the core. Its code is stored as a stream's kind
/// code, above every code of the core's kinds (which are below [`ExtensionKind::FIRST`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct ExtensionKind(u8);

impl ExtensionKind {
    /// The lowest code of a kind defined outside the core; the core's kinds use the codes
    /// below it.
    pub const FIRST: u8 = 128;

    /// The kind with stored code `code`, at least [`ExtensionKind::FIRST`]: for naming a kind
    /// once, as a constant, where a wrong code fails the build. Read codes from data with
    /// [`ExtensionKind::from_code`].
    ///
    /// # Panics
    /// For a code below [`ExtensionKind::FIRST`]: at compile time when evaluated in a
    /// `const`, as the examples do, else at run time.
    pub const fn new(code: u8) -> Self {
        assert!(
            code >= Self::FIRST,
            "an extension kind's code is at least 128"
        );
        Self(code)
    }

    /// The kind stored as `code`, if it is an extension kind's code.
    pub const fn from_code(code: u8) -> Option<Self> {
        if code >= Self::FIRST {
            Some(Self(code))
        } else {
            None
        }
    }

    /// The kind's stored code.
    pub const fn code(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for ExtensionKind {
    type Error = String;

    fn try_from(code: u8) -> Result<Self, Self::Error> {
        Self::from_code(code).ok_or_else(|| format!("{code} is not an extension kind's code"))
    }
}

impl From<ExtensionKind> for u8 {
    fn from(kind: ExtensionKind) -> u8 {
        kind.0
    }
}

impl fmt::Display for ExtensionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "extension-{}", self.0)
    }
}

/// The state of a stream of an [`ExtensionKind`], as the core and the backends hold it:
/// whose it is, its status code, and the owner's state as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionState {
    /// The stream's kind.
    pub kind: ExtensionKind,
    /// The stream's id within its kind.
    pub id: Uuid,
    /// The stream's tenant.
    pub tenant: TenantId,
    /// The stream's status, as its owner numbers them.
    pub status: u8,
    /// The owner's state.
    pub data: serde_json::Value,
}

/// An event of a stream of an [`ExtensionKind`]: the owner's event as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionEvent {
    /// The stream's kind.
    pub kind: ExtensionKind,
    /// The owner's event.
    pub data: serde_json::Value,
}

fn corrupt(kind: ExtensionKind, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        location: format!("stream of {kind}"),
        detail: detail.to_string(),
    }
}

/// A kind of stream defined outside the core, typed for the program that owns it: how its
/// state is numbered and found, and the conversions between its state and events and what
/// a backend stores. Build the [`Commit`](super::Commit) of such a stream with these and
/// give it to any backend.
pub trait ExtensionStream {
    /// The kind's code.
    const KIND: ExtensionKind;
    /// The stream's state.
    type State: Serialize + DeserializeOwned;

    /// The status of a stream in `state`, as counted and found by the read model.
    fn status(state: &Self::State) -> u8;

    /// The keys a stream in `state` is found by (see [`Snapshot::index_keys`]), given with
    /// its first commit.
    fn index_keys(state: &Self::State) -> Vec<IndexKey>;

    /// The id of the stream `id` of this kind.
    fn stream(id: Uuid) -> StreamId {
        StreamId::Extension {
            kind: Self::KIND,
            id,
        }
    }

    /// The snapshot of the stream `id` of `tenant` in `state`.
    fn snapshot(tenant: TenantId, id: Uuid, state: &Self::State) -> Result<Snapshot, StoreError> {
        let data = serde_json::to_value(state).map_err(|e| corrupt(Self::KIND, e))?;
        Ok(Snapshot::Extension(Arc::new(ExtensionState {
            kind: Self::KIND,
            id,
            tenant,
            status: Self::status(state),
            data,
        })))
    }

    /// The state in `snapshot`; an error if it is not of this kind or does not read.
    fn state(snapshot: &Snapshot) -> Result<Self::State, StoreError> {
        match snapshot {
            Snapshot::Extension(state) if state.kind == Self::KIND => {
                Self::State::deserialize(&state.data).map_err(|e| corrupt(Self::KIND, e))
            }
            other => Err(corrupt(
                Self::KIND,
                format!("a snapshot of {:?}", other.kind()),
            )),
        }
    }

    /// The stored event of `event`, one of this kind's events.
    fn event(event: &impl Serialize) -> Result<DomainEvent, StoreError> {
        let data = serde_json::to_value(event).map_err(|e| corrupt(Self::KIND, e))?;
        Ok(DomainEvent::Extension(ExtensionEvent {
            kind: Self::KIND,
            data,
        }))
    }

    /// The status of a stream of this kind in the read model's terms.
    fn stream_status(state: &Self::State) -> StreamStatus {
        StreamStatus::Extension {
            kind: Self::KIND,
            code: Self::status(state),
        }
    }
}
