//! Sign-in sessions kept in the engine's own store, so that every `serve` process on one
//! database knows every session, and signing out in one ends it in all. A stream per
//! session in the firm's tenant; its record is saved only when it changes (signing in, and
//! out), never per request.

use std::collections::HashMap;
use std::sync::Arc;

use aliprotect_core::decider::{Decider, Recorded};
use aliprotect_core::party::Actor;
use aliprotect_core::store::decided::{self, DecidedError, DecidedStream, Stamp};
use aliprotect_core::store::{
    EventLog, ExtensionKind, ExtensionStream, IndexKey, Store, StoreError,
};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use uuid::Uuid;

use crate::accounts::FIRM_TENANT;

/// A session as kept: its record while it lasts, nothing once ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSession {
    /// The record; `None` once the session ended.
    pub record: Option<SavedRecord>,
}

/// A session's record as kept (its id is the stream's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRecord {
    /// What the session holds (who signed in, the form token).
    pub data: HashMap<String, serde_json::Value>,
    /// When it ends, in seconds since 1970-01-01 UTC.
    pub expires_at: i64,
}

impl SavedRecord {
    fn of(record: &Record) -> Self {
        Self {
            data: record.data.clone(),
            expires_at: record.expiry_date.unix_timestamp(),
        }
    }

    fn into_record(self, id: Id) -> Option<Record> {
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(self.expires_at).ok()?;
        Some(Record {
            id,
            data: self.data,
            expiry_date,
        })
    }
}

/// What changed in a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SessionChange {
    /// Its record, as saved.
    Saved(SavedRecord),
    /// Ended (signed out).
    Ended,
}

/// The state machine of a session: every save is taken, an ended session stays ended.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionDecider;

/// A session whose id is in use, or has ended, cannot be saved again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the session has ended")]
pub struct SessionEnded;

impl Decider for SessionDecider {
    type State = Option<StoredSession>;
    type Command = SessionChange;
    type Event = Recorded<SessionChange>;
    type Context<'a> = Stamp;
    type Refusal = SessionEnded;

    fn initial_state() -> Self::State {
        None
    }

    fn decide(
        state: &Self::State,
        command: &SessionChange,
        stamp: &Stamp,
    ) -> Result<Vec<Self::Event>, SessionEnded> {
        if state
            .as_ref()
            .is_some_and(|session| session.record.is_none())
        {
            return Err(SessionEnded);
        }
        Ok(vec![Recorded {
            at: stamp.at,
            actor: stamp.actor,
            change: command.clone(),
        }])
    }

    fn evolve(state: Self::State, event: &Self::Event) -> Self::State {
        if state
            .as_ref()
            .is_some_and(|session| session.record.is_none())
        {
            return state;
        }
        Some(StoredSession {
            record: match &event.change {
                SessionChange::Saved(record) => Some(record.clone()),
                SessionChange::Ended => None,
            },
        })
    }
}

/// The session streams.
#[derive(Debug, Clone, Copy)]
pub struct SessionStream;

impl ExtensionStream for SessionStream {
    const KIND: ExtensionKind = ExtensionKind::new(146);
    type State = StoredSession;

    fn status(session: &StoredSession) -> u8 {
        u8::from(session.record.is_none())
    }

    fn index_keys(_: &StoredSession) -> Vec<IndexKey> {
        Vec::new()
    }
}

impl DecidedStream for SessionStream {
    type Change = SessionChange;
    type Decider = SessionDecider;
}

/// `tower-sessions`' store, over the engine's store.
#[derive(Clone)]
pub struct StoredSessions {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for StoredSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSessions").finish_non_exhaustive()
    }
}

impl StoredSessions {
    /// The sessions kept in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    fn stamp() -> Stamp {
        Stamp {
            at: Utc::now(),
            actor: Actor::System,
        }
    }
}

fn stream_of(id: &Id) -> Uuid {
    Uuid::from_u128(id.0.cast_unsigned())
}

fn backend(error: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

#[async_trait::async_trait]
impl SessionStore for StoredSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh stream only: on the (astronomically unlikely) collision, another id.
        for _ in 0..8 {
            let id = stream_of(&record.id);
            let command = SessionChange::Saved(SavedRecord::of(record));
            let (commit, _) =
                decided::decide::<SessionStream>(FIRM_TENANT, id, 0, None, &command, Self::stamp())
                    .map_err(|e| match e {
                        DecidedError::Refused(refusal) => backend(refusal),
                        DecidedError::Store(error) => backend(error),
                        DecidedError::Contended => backend("contended"),
                    })?;
            match EventLog::commit(&*self.store, commit).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict { .. }) => record.id = Id::default(),
                Err(error) => return Err(backend(error)),
            }
        }
        Err(backend("no free session id"))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let command = SessionChange::Saved(SavedRecord::of(record));
        decided::execute::<SessionStream, _>(
            &*self.store,
            FIRM_TENANT,
            stream_of(&record.id),
            &command,
            Self::stamp(),
        )
        .await
        .map(|_| ())
        .map_err(|e| match e {
            DecidedError::Refused(refusal) => backend(refusal),
            DecidedError::Store(error) => backend(error),
            DecidedError::Contended => backend("contended"),
        })
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let loaded = decided::load::<SessionStream, _>(&*self.store, FIRM_TENANT, stream_of(id))
            .await
            .map_err(backend)?;
        let now = time::OffsetDateTime::now_utc();
        Ok(loaded
            .and_then(|(_, session)| session.record)
            .and_then(|saved| saved.into_record(*id))
            .filter(|record| record.expiry_date > now))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let stream = stream_of(id);
        if decided::load::<SessionStream, _>(&*self.store, FIRM_TENANT, stream)
            .await
            .map_err(backend)?
            .is_none()
        {
            return Ok(());
        }
        match decided::execute::<SessionStream, _>(
            &*self.store,
            FIRM_TENANT,
            stream,
            &SessionChange::Ended,
            Self::stamp(),
        )
        .await
        {
            Ok(_) | Err(DecidedError::Refused(SessionEnded)) => Ok(()),
            Err(DecidedError::Store(error)) => Err(backend(error)),
            Err(DecidedError::Contended) => Err(backend("contended")),
        }
    }
}
