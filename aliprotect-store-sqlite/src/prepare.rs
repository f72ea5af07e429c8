//! Turning a [`Commit`] into column values, done in the caller's task so that the single
//! writer thread spends its time on SQLite, not on JSON.

use aliprotect_core::store::{Commit, StoreError};

use crate::codec::{self, EncodedEvent};

/// An outbox message ready to insert.
pub(crate) struct EncodedMessage {
    pub(crate) version: i64,
    pub(crate) json: String,
    pub(crate) attempts: i64,
    pub(crate) available_at: i64,
}

/// Pending work ready to insert.
pub(crate) struct EncodedWork {
    pub(crate) version: i64,
    pub(crate) json: String,
    pub(crate) owner: [u8; 16],
    pub(crate) until: i64,
}

/// A commit with every value encoded.
pub(crate) struct Prepared {
    pub(crate) commit: Commit,
    pub(crate) tenant: [u8; 16],
    pub(crate) stream: [u8; 17],
    pub(crate) kind: u8,
    pub(crate) status: i64,
    /// The status before the commit, as the engine decided on it (`None`: a new stream).
    pub(crate) status_before: Option<i64>,
    pub(crate) snapshot_json: String,
    pub(crate) events: Vec<EncodedEvent>,
    pub(crate) timers_json: Option<String>,
    pub(crate) next_due: Option<i64>,
    pub(crate) outbox: Vec<EncodedMessage>,
    pub(crate) work: Option<EncodedWork>,
}

impl Prepared {
    pub(crate) fn new(commit: Commit) -> Result<Self, StoreError> {
        commit.check()?;
        let kind = codec::kind_of(&commit.snapshot);
        let (timers_json, next_due) = codec::encode_timers(&commit.timers)?;
        let events = commit
            .events
            .iter()
            .map(codec::encode_event)
            .collect::<Result<_, _>>()?;
        let outbox = commit
            .outbox
            .iter()
            .map(|message| {
                Ok(EncodedMessage {
                    version: i64::try_from(message.id.version)
                        .map_err(|_| codec::corrupt("outbox", "version out of range"))?,
                    json: codec::to_json(&message.notification)?,
                    attempts: i64::from(message.attempts),
                    available_at: codec::micros(message.available_at),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let work = match &commit.work {
            Some(work) => Some(EncodedWork {
                version: i64::try_from(work.id.version)
                    .map_err(|_| codec::corrupt("work", "version out of range"))?,
                json: codec::to_json(&work.follow_up)?,
                owner: work.lease.owner.as_uuid().into_bytes(),
                until: codec::micros(work.lease.until),
            }),
            None => None,
        };
        Ok(Self {
            work,
            tenant: codec::tenant_key(commit.tenant),
            stream: codec::stream_key(commit.stream),
            kind,
            status: codec::status_code(commit.status.after),
            status_before: commit.status.before.map(codec::status_code),
            snapshot_json: codec::to_json(&commit.snapshot)?,
            events,
            timers_json,
            next_due,
            outbox,
            commit,
        })
    }
}
