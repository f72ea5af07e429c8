//! A decider's stream kept as an extension kind: loaded, decided and committed through any
//! backend, whose version check is what makes each decision atomic. No store crate knows
//! the kinds of this crate; they reach a backend as codes, keys and JSON.

use aliprotect_core::decider::{Decider, Recorded};
use aliprotect_core::ids::TenantId;
use aliprotect_core::party::Actor;
use aliprotect_core::store::{
    Commit, DomainEvent, EventLog, ExtensionStream, StatusChange, StoreError, UniqueKeyChange,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::SweepError;

/// Decisions tried again on a version conflict before giving up.
const ATTEMPTS: usize = 8;

/// When and by whom a command is decided: the context of every decider of this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Now.
    pub at: DateTime<Utc>,
    /// Who issues the command.
    pub actor: Actor,
}

/// A kind of stream of this crate: an [`ExtensionStream`] whose state a [`Decider`] keeps.
pub(crate) trait DecidedStream: ExtensionStream {
    /// What changes, as recorded in each event.
    type Change: Serialize + DeserializeOwned;
    /// The state machine.
    type Decider: for<'a> Decider<
            State = Option<Self::State>,
            Event = Recorded<Self::Change>,
            Context<'a> = Stamp,
            Refusal: Into<SweepError>,
        >;
}

type CommandOf<K> = <<K as DecidedStream>::Decider as Decider>::Command;

/// The stream `id` of kind `K` in `tenant`: its version and state, if it exists.
pub(crate) async fn load<K: DecidedStream, S: EventLog + ?Sized>(
    store: &S,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<(u64, K::State)>, SweepError> {
    match store.load(tenant, K::stream(id)).await? {
        None => Ok(None),
        Some(loaded) => Ok(Some((loaded.version, K::state(&loaded.snapshot)?))),
    }
}

/// The commit deciding `command` on the stream `id` at `version` in `state`, and the state
/// after it.
pub(crate) fn decide<K: DecidedStream>(
    tenant: TenantId,
    id: Uuid,
    version: u64,
    state: Option<K::State>,
    command: &CommandOf<K>,
    stamp: Stamp,
) -> Result<(Commit, K::State), SweepError> {
    let events = K::Decider::decide(&state, command, &stamp).map_err(Into::into)?;
    let before = state.as_ref().map(K::stream_status);
    let first = state.is_none();
    let after = events
        .iter()
        .fold(state, K::Decider::evolve)
        .ok_or_else(|| {
            SweepError::Store(StoreError::Corrupt {
                location: format!("stream of {}", K::KIND),
                detail: "a decision left the stream without a state".to_owned(),
            })
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
/// when another writer committed first.
pub(crate) async fn execute<K: DecidedStream, S: EventLog + ?Sized>(
    store: &S,
    tenant: TenantId,
    id: Uuid,
    command: &CommandOf<K>,
    stamp: Stamp,
) -> Result<K::State, SweepError> {
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
    Err(SweepError::Contended)
}

/// The events of the stream `id` of kind `K`, oldest first.
pub(crate) async fn history<K: DecidedStream, S: EventLog + ?Sized>(
    store: &S,
    tenant: TenantId,
    id: Uuid,
) -> Result<Vec<Recorded<K::Change>>, SweepError> {
    store
        .history(tenant, K::stream(id))
        .await?
        .into_iter()
        .map(|stored| match stored.event {
            DomainEvent::Extension(event) if event.kind == K::KIND => {
                serde_json::from_value(event.data).map_err(|error| {
                    SweepError::Store(StoreError::Corrupt {
                        location: format!("event {} of {}", stored.version, stored.stream),
                        detail: error.to_string(),
                    })
                })
            }
            other => Err(SweepError::Store(StoreError::Corrupt {
                location: format!("event {} of {}", stored.version, stored.stream),
                detail: format!("an event of another kind: {}", other.type_name()),
            })),
        })
        .collect()
}
