//! A decider's stream of a kind the core does not know, kept through any backend: loaded,
//! decided and committed, the backend's version check making each decision atomic. For a
//! program (or a crate such as `aliprotect-sweep`) whose own state machines live beside the
//! engine's: no backend changes for them, since it only ever sees codes, keys and JSON.
//!
//! A kind is an [`ExtensionStream`] whose state a [`Decider`] keeps, with [`Stamp`] (when,
//! and by whom) as its context and [`Recorded`] changes as its events:
//! [`DecidedStream`] names the two. [`execute`] runs one command; [`decide`] builds the
//! commit of a command on a state already loaded, for committing many in one
//! [`EventLog::commit_batch`].

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::{
    Commit, DomainEvent, EventLog, ExtensionStream, StatusChange, StoreError, UniqueKeyChange,
};
use crate::decider::{Decider, Recorded};
use crate::ids::TenantId;
use crate::party::Actor;
use chrono::{DateTime, Utc};

/// Decisions tried again on a version conflict before giving up.
const ATTEMPTS: usize = 8;

/// When and by whom a command is decided: the context of a [`DecidedStream`]'s decider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Now.
    pub at: DateTime<Utc>,
    /// Who issues the command.
    pub actor: Actor,
}

/// A kind of stream defined outside the core whose state a [`Decider`] keeps: `None`
/// before its first event, each event a [`Recorded`] change.
pub trait DecidedStream: ExtensionStream {
    /// What changes, as recorded in each event.
    type Change: Serialize + DeserializeOwned;
    /// The state machine.
    type Decider: for<'a> Decider<
            State = Option<Self::State>,
            Event = Recorded<Self::Change>,
            Context<'a> = Stamp,
        >;
}

/// The command type of `K`'s decider.
pub type CommandOf<K> = <<K as DecidedStream>::Decider as Decider>::Command;
/// The refusal type of `K`'s decider.
pub type RefusalOf<K> = <<K as DecidedStream>::Decider as Decider>::Refusal;

/// Why a command on a [`DecidedStream`] was not committed.
#[derive(Debug, thiserror::Error)]
pub enum DecidedError<R> {
    /// The decider refused it.
    #[error(transparent)]
    Refused(R),
    /// The store failed, or holds something else at the stream.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Others kept committing to the stream; nothing was written.
    #[error("the stream kept changing under the command; nothing was written")]
    Contended,
}

/// The stream `id` of kind `K` in `tenant`: its version and state, if it exists.
pub async fn load<K: DecidedStream, S: EventLog + ?Sized>(
    store: &S,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<(u64, K::State)>, StoreError> {
    match store.load(tenant, K::stream(id)).await? {
        None => Ok(None),
        Some(loaded) => Ok(Some((loaded.version, K::state(&loaded.snapshot)?))),
    }
}

/// The commit deciding `command` on the stream `id` of `tenant`, at `version` in `state`
/// (`None` and 0 for a new stream), and the state after it. The stream's index keys go
/// with its first commit.
pub fn decide<K: DecidedStream>(
    tenant: TenantId,
    id: Uuid,
    version: u64,
    state: Option<K::State>,
    command: &CommandOf<K>,
    stamp: Stamp,
) -> Result<(Commit, K::State), DecidedError<RefusalOf<K>>> {
    let events = K::Decider::decide(&state, command, &stamp).map_err(DecidedError::Refused)?;
    let before = state.as_ref().map(K::stream_status);
    let first = state.is_none();
    let after = events
        .iter()
        .fold(state, K::Decider::evolve)
        .ok_or_else(|| StoreError::Corrupt {
            location: format!("stream of {}", K::KIND),
            detail: "a decision left the stream without a state".to_owned(),
        })?;
    let events = events
        .iter()
        .map(K::event)
        .collect::<Result<Vec<DomainEvent>, StoreError>>()?;
    let commit = Commit {
        tenant,
        stream: K::stream(id),
        expected_version: version,
        events,
        snapshot: K::snapshot(tenant, id, &after)?,
        outbox: Vec::new(),
        timers: Vec::new(),
        receipt: None,
        metrics: None,
        work: None,
        status: StatusChange {
            before,
            after: K::stream_status(&after),
        },
        unique: UniqueKeyChange::default(),
        index: if first {
            K::index_keys(&after)
        } else {
            Vec::new()
        },
    };
    Ok((commit, after))
}

/// Decides `command` on the stream `id` and commits it, deciding again on the newer state
/// when another writer committed first: the state after it.
pub async fn execute<K: DecidedStream, S: EventLog + ?Sized>(
    store: &S,
    tenant: TenantId,
    id: Uuid,
    command: &CommandOf<K>,
    stamp: Stamp,
) -> Result<K::State, DecidedError<RefusalOf<K>>> {
    for _ in 0..ATTEMPTS {
        let (version, state) = match load::<K, S>(store, tenant, id).await? {
            Some((version, state)) => (version, Some(state)),
            None => (0, None),
        };
        let (commit, after) = decide::<K>(tenant, id, version, state, command, stamp)?;
        match store.commit(commit).await {
            Ok(()) => return Ok(after),
            Err(StoreError::Conflict { .. }) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(DecidedError::Contended)
}

/// The events of the stream `id` of kind `K`, oldest first.
pub async fn history<K: DecidedStream, S: EventLog + ?Sized>(
    store: &S,
    tenant: TenantId,
    id: Uuid,
) -> Result<Vec<Recorded<K::Change>>, StoreError> {
    store
        .history(tenant, K::stream(id))
        .await?
        .into_iter()
        .map(|stored| {
            let corrupt = |detail: String| StoreError::Corrupt {
                location: format!("event {} of {}", stored.version, stored.stream),
                detail,
            };
            match stored.event {
                DomainEvent::Extension(event) if event.kind == K::KIND => {
                    serde_json::from_value(event.data).map_err(|e| corrupt(e.to_string()))
                }
                other => Err(corrupt(format!(
                    "an event of another kind: {}",
                    other.type_name()
                ))),
            }
        })
        .collect()
}
