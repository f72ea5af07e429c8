//! Turning a [`Commit`] into statement parameters, done in the caller's task so that the
//! writer's connection time goes to the database, not to JSON.

use aliprotect_core::metrics::Tallies;
use aliprotect_core::store::columns;
use aliprotect_core::store::{Commit, DomainEvent, StoreError};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::corrupt;

/// A commit with every value encoded.
pub(crate) struct Prepared {
    pub(crate) commit: Commit,
    pub(crate) tenant: Uuid,
    pub(crate) kind: i16,
    pub(crate) stream: Uuid,
    pub(crate) expected: i64,
    pub(crate) version: i64,
    pub(crate) status: i16,
    pub(crate) status_before: Option<i16>,
    pub(crate) snapshot: String,
    pub(crate) timers: Option<String>,
    pub(crate) next_due: Option<DateTime<Utc>>,
    pub(crate) event_types: Vec<&'static str>,
    pub(crate) event_payloads: Vec<String>,
    pub(crate) outbox_versions: Vec<i64>,
    pub(crate) outbox_messages: Vec<String>,
    pub(crate) outbox_attempts: Vec<i32>,
    pub(crate) outbox_available: Vec<DateTime<Utc>>,
    pub(crate) work: Option<String>,
    pub(crate) work_owner: Option<Uuid>,
    pub(crate) work_until: Option<DateTime<Utc>>,
    pub(crate) receipt_key: Option<String>,
    pub(crate) receipt_version: Option<i64>,
    pub(crate) receipt_events: Option<i32>,
    pub(crate) receipt_request: Option<Vec<u8>>,
    /// Unique keys the commit takes and releases.
    pub(crate) unique_take: Vec<String>,
    pub(crate) unique_release: Vec<String>,
    /// Index keys the commit adds: names and values, in pairs.
    pub(crate) index_names: Vec<&'static str>,
    pub(crate) index_values: Vec<String>,
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| corrupt("encoding", e))
}

fn int64(value: u64, location: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| corrupt(location, "version out of range"))
}

/// Text columns cannot hold NUL; JSON escapes it, but a key column holds the text as is.
fn text_column(value: &str, location: &str) -> Result<String, StoreError> {
    if value.contains('\0') {
        return Err(corrupt(location, "text with a NUL character"));
    }
    Ok(value.to_owned())
}

impl Prepared {
    pub(crate) fn new(commit: Commit) -> Result<Self, StoreError> {
        commit.check()?;
        let (kind, stream) = columns::stream_parts(commit.stream);
        let index_names = commit.index.iter().map(|key| key.name.as_str()).collect();
        let index_values = (commit.index.iter())
            .map(|key| text_column(&key.value, "index key"))
            .collect::<Result<Vec<_>, _>>()?;
        let (timers, next_due) = columns::encode_timers(&commit.timers)?.unzip();
        let expected = int64(commit.expected_version, "commit")?;
        let version = int64(
            commit.expected_version + commit.events.len() as u64,
            "commit",
        )?;
        let mut outbox_versions = Vec::with_capacity(commit.outbox.len());
        let mut outbox_messages = Vec::with_capacity(commit.outbox.len());
        let mut outbox_attempts = Vec::with_capacity(commit.outbox.len());
        let mut outbox_available = Vec::with_capacity(commit.outbox.len());
        for message in &commit.outbox {
            outbox_versions.push(int64(message.id.version, "outbox")?);
            outbox_messages.push(to_json(&message.notification)?);
            outbox_attempts.push(i32::try_from(message.attempts).unwrap_or(i32::MAX));
            outbox_available.push(message.available_at);
        }
        let (work, work_owner, work_until) = match &commit.work {
            Some(work) => (
                Some(to_json(&work.follow_up)?),
                Some(work.lease.owner.as_uuid()),
                Some(work.lease.until),
            ),
            None => (None, None, None),
        };
        let (receipt_key, receipt_version, receipt_events, receipt_request) = match &commit.receipt
        {
            Some(record) => (
                Some(text_column(record.key.as_str(), "idempotency key")?),
                Some(int64(record.receipt.version, "receipt")?),
                Some(i32::try_from(record.receipt.events).unwrap_or(i32::MAX)),
                Some(record.request.as_bytes().to_vec()),
            ),
            None => (None, None, None, None),
        };
        let keys = |keys: &[aliprotect_core::store::UniqueKey]| {
            keys.iter()
                .map(|key| text_column(key.as_str(), "unique key"))
                .collect::<Result<Vec<_>, _>>()
        };
        let unique_take = keys(&commit.unique.take)?;
        let unique_release = keys(&commit.unique.release)?;
        Ok(Self {
            tenant: commit.tenant.as_uuid(),
            kind: i16::from(kind),
            stream,
            expected,
            version,
            status: columns::status_code(commit.status.after),
            status_before: commit.status.before.map(columns::status_code),
            snapshot: to_json(&commit.snapshot)?,
            index_names,
            index_values,
            timers,
            next_due,
            event_types: commit.events.iter().map(DomainEvent::type_name).collect(),
            event_payloads: commit
                .events
                .iter()
                .map(to_json)
                .collect::<Result<_, _>>()?,
            outbox_versions,
            outbox_messages,
            outbox_attempts,
            outbox_available,
            work,
            work_owner,
            work_until,
            receipt_key,
            receipt_version,
            receipt_events,
            receipt_request,
            unique_take,
            unique_release,
            commit,
        })
    }

    /// How the commit moves the status counters: (status, delta) pairs.
    pub(crate) fn status_deltas(&self) -> Vec<(i16, i64)> {
        if self.status_before == Some(self.status) {
            return Vec::new();
        }
        let mut deltas = vec![(self.status, 1)];
        if let Some(before) = self.status_before {
            deltas.insert(0, (before, -1));
        }
        deltas
    }

    /// How the commit moves the metric tallies: its campaign (the nil UUID for none) and
    /// the change.
    pub(crate) fn tally_change(&self) -> Option<(Uuid, Tallies)> {
        let change = self.commit.metrics.as_ref()?;
        let campaign = change.after.campaign().map_or(Uuid::nil(), |c| c.as_uuid());
        let mut tallies = Tallies::default();
        tallies.record(change);
        Some((campaign, tallies))
    }

    /// The commit's result from what its statement answered: whether its idempotency key
    /// was fresh, whether it was written, and the stream's stored version.
    pub(crate) fn outcome(
        &self,
        fresh: bool,
        written: bool,
        stored: Option<i64>,
    ) -> Result<(), StoreError> {
        if !fresh {
            return Err(match &self.commit.receipt {
                Some(record) => StoreError::DuplicateIdempotencyKey(record.key.clone()),
                None => StoreError::Unavailable("receipt check without a key".into()),
            });
        }
        if written {
            return Ok(());
        }
        Err(StoreError::Conflict {
            stream: self.commit.stream,
            expected: self.commit.expected_version,
            actual: stored.and_then(|v| u64::try_from(v).ok()).unwrap_or(0),
        })
    }

    /// Whether the commit leaves work another engine could take up now: a notification
    /// to deliver or cross-stream work (worth a wake-up).
    pub(crate) fn wakes(&self) -> bool {
        !self.outbox_versions.is_empty() || self.work.is_some()
    }
}
