//! Moving a whole store into another: an optional capability of a backend ([`Transfer`]),
//! and the copy and its check built on it ([`copy_store`], [`verify_copy`]).
//!
//! A firm that starts on the SQLite file and outgrows it takes its history along: every
//! tenant's streams with their events, snapshot, index and unique keys, timers, pending
//! outbox messages and dead letters, pending work, and every idempotency receipt with its
//! request's fingerprint. A backend exports them a page at a time in the order of
//! [`EventLog::stream_keys`](super::EventLog::stream_keys), one [`StreamExport`] per stream
//! (the receipts in a walk of their own, [`ReceiptExport`]), and imports such pages; the
//! target moves its status counters and metric tallies for what it imports as its migrations
//! fill them in, so that afterwards they equal a replay.
//!
//! Importing is idempotent per stream, so an interrupted copy is finished by running it
//! again: a stream already present at the same version and state is skipped, one present at
//! another version (or another state) is a [`StoreError::Conflict`] (or
//! [`StoreError::ImportMismatch`]) and nothing of its page is written. The same holds for
//! receipts. Leases are not carried over: a claim held by a process of the old store must
//! not hold up the new one, so timers arrive unclaimed and pending work with a lease that
//! has already run out (any engine's next tick takes it).
//!
//! Copy from a store no engine writes to meanwhile (stop them, or copy a
//! [backup](https://sqlite.org/backup.html) of a live SQLite file): a stream committed to
//! during the copy may reach the target at the version it had when its page was read.
//!
//! ```
//! use std::ops::ControlFlow;
//! use aliprotect_core::store::{CopyOptions, Transfer, copy_store, verify_copy};
//!
//! async fn move_store(from: &dyn Transfer, to: &dyn Transfer) -> Result<(), Box<dyn std::error::Error>> {
//!     let copied = copy_store(from, to, &CopyOptions::default(), &mut |_| ControlFlow::Continue(())).await?;
//!     assert!(copied.finished);
//!     let check = verify_copy(from, to, &CopyOptions::default()).await?;
//!     if !check.is_ok() {
//!         return Err(format!("the copy differs: {:?}", check.problems).into());
//!     }
//!     Ok(())
//! }
//! ```

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ops::ControlFlow;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    CountQuery, DeadLetter, DomainEvent, IdempotencyKey, IndexKey, Lease, OutboxMessage,
    PendingWork, Snapshot, StoreError, StoredEvent, StoredReceipt, StreamId, StreamKind,
    StreamStatus, Timer, UniqueKey, columns, order_stream_timers,
};
use crate::campaign::CampaignDecider;
use crate::complaint::ComplaintDecider;
use crate::decider::Decider;
use crate::filer::FilerDecider;
use crate::ids::TenantId;
use crate::metrics::{MetricsChange, Tallies};
use crate::policy::StoredPolicy;
use crate::power::PowerDecider;
use crate::right::RightDecider;

/// One stream with everything a store keeps under its key: what [`Transfer::export_streams`]
/// reads and [`Transfer::import_streams`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamExport {
    /// The stream's tenant.
    pub tenant: TenantId,
    /// The stream.
    pub stream: StreamId,
    /// Its version: the number of its events.
    pub version: u64,
    /// Its state after the last event.
    pub snapshot: Snapshot,
    /// Its events, versions 1 to `version`.
    pub events: Vec<StoredEvent>,
    /// The keys it is found by, sorted.
    pub index: Vec<IndexKey>,
    /// The unique keys it holds, sorted.
    pub unique: Vec<UniqueKey>,
    /// Its pending timers, in [`order_stream_timers`] order (without their claim).
    pub timers: Vec<Timer>,
    /// Its outbox messages still to deliver, by version, with their attempts and the time
    /// they are next available.
    pub outbox: Vec<OutboxMessage>,
    /// The versions of those of its outbox messages that a worker held claimed when they
    /// were exported (their `available_at` is then the claim's end), in order.
    pub claimed: Vec<u64>,
    /// Its dead letters, by version.
    pub dead_letters: Vec<DeadLetter>,
    /// The pending work its commits left, by version.
    pub work: Vec<PendingWork>,
}

impl StreamExport {
    /// The checks a backend makes before importing, as [`super::Commit::check`] for
    /// commits: the snapshot is the stream's, its events are numbered 1 to `version`
    /// without gaps and belong to it, every row is keyed by its tenant and stream, and keys
    /// are within their limits. A backend refuses an export that fails them with this
    /// error, importing nothing of its page.
    pub fn check(&self) -> Result<(), StoreError> {
        let corrupt = |detail: &str| StoreError::Corrupt {
            location: format!("export of {} in {}", self.stream, self.tenant),
            detail: detail.to_owned(),
        };
        if !self.snapshot.belongs_to(self.tenant, self.stream) {
            return Err(corrupt("the snapshot is not of the stream and tenant"));
        }
        if self.version == 0 || self.events.len() as u64 != self.version {
            return Err(corrupt("the events do not number the version"));
        }
        if self
            .events
            .iter()
            .zip(1..)
            .any(|(event, version)| event.version != version || event.stream != self.stream)
        {
            return Err(corrupt("the events are not the stream's, 1 to its version"));
        }
        if self
            .timers
            .iter()
            .any(|t| t.tenant != self.tenant || t.stream != self.stream)
        {
            return Err(corrupt("a timer of another stream"));
        }
        let ours =
            |tenant: TenantId, stream: StreamId| tenant == self.tenant && stream == self.stream;
        let messages = self
            .outbox
            .iter()
            .chain(self.dead_letters.iter().map(|d| &d.message));
        if messages
            .clone()
            .any(|m| !ours(m.id.tenant, m.id.stream) || m.notification.tenant != self.tenant)
        {
            return Err(corrupt("an outbox message of another stream"));
        }
        if self.work.iter().any(|w| !ours(w.id.tenant, w.id.stream)) {
            return Err(corrupt("pending work of another stream"));
        }
        if self.index.iter().any(|key| {
            key.value.is_empty() || key.value.len() > IndexKey::MAX_LEN || !key.name.is_valid()
        }) {
            return Err(corrupt("an index key that is empty, too long or misnamed"));
        }
        if self
            .unique
            .iter()
            .any(|key| key.as_str().is_empty() || key.as_str().len() > UniqueKey::MAX_LEN)
        {
            return Err(corrupt("a unique key that is empty or too long"));
        }
        Ok(())
    }

    /// The status the read model counts the stream in.
    pub fn status(&self) -> StreamStatus {
        StreamStatus::of(&self.snapshot)
    }

    /// How the stream moves the metric tallies of a store that did not have it: its
    /// complaint's metrics fact counted once, as a migration counts the complaints of a
    /// file into new tallies. `None` for other kinds.
    pub fn metrics(&self) -> Option<MetricsChange> {
        match &self.snapshot {
            Snapshot::Complaint(complaint) => MetricsChange::between(None, complaint),
            _ => None,
        }
    }

    /// The export as it is imported: no lease carried over. Pending work gets a lease that
    /// ran out at `expired` and a claimed outbox message is available from `expired` (so
    /// the target's next tick and dispatch take them), and the rows are put in their
    /// canonical order (index and unique keys sorted, timers in [`order_stream_timers`]
    /// order, messages and work by version).
    pub fn without_leases(mut self, expired: DateTime<Utc>) -> Self {
        for message in &mut self.outbox {
            if self.claimed.contains(&message.id.version) {
                message.available_at = expired;
            }
        }
        self.claimed.clear();
        for work in &mut self.work {
            work.lease = Lease {
                owner: work.lease.owner,
                until: expired,
            };
        }
        self.canonical()
    }

    /// The rows in their canonical order, as every backend exports them.
    pub fn canonical(mut self) -> Self {
        self.index.sort();
        self.index.dedup();
        self.unique.sort();
        self.unique.dedup();
        order_stream_timers(&mut self.timers);
        self.outbox.sort_by_key(|m| m.id.version);
        self.claimed.sort_unstable();
        self.claimed.dedup();
        self.dead_letters.sort_by_key(|d| d.message.id.version);
        self.work.sort_by_key(|w| w.id.version);
        self
    }
}

/// The index and unique keys a stream of one of the core's kinds in state `snapshot` may
/// have: its index keys are always these ([`Snapshot::index_keys`]), and it holds at most
/// these unique keys (a complaint's, while it is open). A backend without an index by
/// stream confirms each against its tables with point lookups when it exports. `None` for
/// an extension kind, whose keys only its owner knows: the backend reads them by stream.
pub fn possible_keys(snapshot: &Snapshot) -> Option<(Vec<IndexKey>, Vec<UniqueKey>)> {
    match snapshot {
        Snapshot::Extension(_) => None,
        Snapshot::Complaint(complaint) => {
            Some((snapshot.index_keys(), complaint.own_unique_keys()))
        }
        _ => Some((snapshot.index_keys(), Vec::new())),
    }
}

/// An idempotency receipt with its key: what [`Transfer::export_receipts`] reads and
/// [`Transfer::import_receipts`] writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptExport {
    /// The tenant the key was used in.
    pub tenant: TenantId,
    /// The key.
    pub key: IdempotencyKey,
    /// What the first request with the key wrote, and its fingerprint.
    pub receipt: StoredReceipt,
}

/// What an import wrote and skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Streams (or receipts) written.
    pub imported: u64,
    /// Streams (or receipts) already present as they are in the export: left alone.
    pub skipped: u64,
    /// Events written with the imported streams.
    pub events: u64,
}

impl ImportReport {
    /// Adds another page's report.
    pub fn add(&mut self, other: ImportReport) {
        self.imported += other.imported;
        self.skipped += other.skipped;
        self.events += other.events;
    }
}

/// A store that can be copied out of and into: an optional capability beside [`Store`](super::Store),
/// implemented by the memory, SQLite and PostgreSQL stores, checked by
/// `testkit::conformance::transfer_round_trip`.
#[async_trait]
pub trait Transfer: super::Store {
    /// Up to `limit` streams of every tenant after `after`, in the order of
    /// [`EventLog::stream_keys`](super::EventLog::stream_keys), each with everything kept
    /// under its key, in [`StreamExport::canonical`] order. Paging with the last stream
    /// of a page as the next `after` visits every stream once.
    async fn export_streams(
        &self,
        after: Option<(TenantId, StreamId)>,
        limit: usize,
    ) -> Result<Vec<StreamExport>, StoreError>;

    /// Up to `limit` idempotency receipts of every tenant after `after`, in `(tenant, key)`
    /// order (tenants by their UUID bytes, keys by their UTF-8 bytes).
    async fn export_receipts(
        &self,
        after: Option<(TenantId, IdempotencyKey)>,
        limit: usize,
    ) -> Result<Vec<ReceiptExport>, StoreError>;

    /// Imports `streams` all at once or not at all. Each is first checked
    /// ([`StreamExport::check`]); one already present at the same version with the same
    /// snapshot is skipped; one present at another version is a [`StoreError::Conflict`]
    /// (expected: the export's version, actual: the present one), one present at the same
    /// version in another state a [`StoreError::ImportMismatch`]; a unique key another
    /// stream holds is [`StoreError::UniqueKeyTaken`]. An imported stream's rows are
    /// written as exported (timers unclaimed, the work's lease as given), and its status
    /// counter and metric tallies move as for a new stream ([`StreamExport::status`],
    /// [`StreamExport::metrics`]).
    async fn import_streams(&self, streams: &[StreamExport]) -> Result<ImportReport, StoreError>;

    /// Imports `receipts` all at once or not at all: a key already recorded in its tenant
    /// with the same receipt and fingerprint is skipped, with another one it is a
    /// [`StoreError::DuplicateIdempotencyKey`].
    async fn import_receipts(&self, receipts: &[ReceiptExport])
    -> Result<ImportReport, StoreError>;
}

/// Forwards every method of [`Transfer`] through a pointer, as the store traits are.
macro_rules! forward_transfer {
    ($pointer:ident) => {
        #[async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<S: Transfer + ?Sized> Transfer for $pointer<S> {
            async fn export_streams(
                &self,
                after: Option<(TenantId, StreamId)>,
                limit: usize,
            ) -> Result<Vec<StreamExport>, StoreError> {
                (**self).export_streams(after, limit).await
            }
            async fn export_receipts(
                &self,
                after: Option<(TenantId, IdempotencyKey)>,
                limit: usize,
            ) -> Result<Vec<ReceiptExport>, StoreError> {
                (**self).export_receipts(after, limit).await
            }
            async fn import_streams(
                &self,
                streams: &[StreamExport],
            ) -> Result<ImportReport, StoreError> {
                (**self).import_streams(streams).await
            }
            async fn import_receipts(
                &self,
                receipts: &[ReceiptExport],
            ) -> Result<ImportReport, StoreError> {
                (**self).import_receipts(receipts).await
            }
        }
    };
}

forward_transfer!(Arc);
forward_transfer!(Box);

/// How [`copy_store`] and [`verify_copy`] walk the stores.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyOptions {
    /// Streams (and receipts) per page: each page is one read of the source and one
    /// all-or-nothing import into the target.
    pub page: usize,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self { page: 500 }
    }
}

impl CopyOptions {
    /// With `page` streams per page (at least 1).
    pub fn page(mut self, page: usize) -> Self {
        self.page = page.max(1);
        self
    }
}

/// How far a copy has come: handed to [`copy_store`]'s progress callback after each page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyProgress {
    /// Streams in the source when the copy started.
    pub total_streams: u64,
    /// Streams walked so far (imported or skipped).
    pub streams: u64,
    /// What the imports of streams wrote and skipped.
    pub imported: ImportReport,
    /// What the imports of receipts wrote and skipped.
    pub receipts: ImportReport,
}

/// What [`copy_store`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyReport {
    /// The counts at the end.
    pub progress: CopyProgress,
    /// Whether every page was copied (false: the progress callback stopped the copy; run
    /// it again to finish).
    pub finished: bool,
}

/// Copies every stream and receipt of `from` into `to`, a page of [`CopyOptions::page`] at
/// a time in key order, calling `progress` after each page (it stops the copy by answering
/// [`ControlFlow::Break`]). Leases are dropped ([`StreamExport::without_leases`]). Safe to
/// run again after an interruption or a failure: what is present is skipped (see
/// [`Transfer::import_streams`]), and the first difference stops the copy with its error.
pub async fn copy_store(
    from: &dyn Transfer,
    to: &dyn Transfer,
    options: &CopyOptions,
    progress: &mut (dyn FnMut(&CopyProgress) -> ControlFlow<()> + Send),
) -> Result<CopyReport, StoreError> {
    let page = options.page.max(1);
    let mut counts = CopyProgress {
        total_streams: count_streams(from).await?,
        ..CopyProgress::default()
    };
    // Work gets a lease that ran out long ago: the target's next tick takes it over.
    let expired = DateTime::<Utc>::UNIX_EPOCH;
    let mut after = None;
    loop {
        let streams = from.export_streams(after, page).await?;
        let Some(last) = streams.last() else {
            break;
        };
        after = Some((last.tenant, last.stream));
        let streams: Vec<StreamExport> = streams
            .into_iter()
            .map(|s| s.without_leases(expired))
            .collect();
        counts.streams += streams.len() as u64;
        counts.imported.add(to.import_streams(&streams).await?);
        tracing::debug!(streams = counts.streams, "copied a page of streams");
        if progress(&counts).is_break() {
            return Ok(CopyReport {
                progress: counts,
                finished: false,
            });
        }
    }
    let mut after = None;
    loop {
        let receipts = from.export_receipts(after, page).await?;
        let Some(last) = receipts.last() else {
            break;
        };
        after = Some((last.tenant, last.key.clone()));
        counts.receipts.add(to.import_receipts(&receipts).await?);
        if progress(&counts).is_break() {
            return Ok(CopyReport {
                progress: counts,
                finished: false,
            });
        }
    }
    Ok(CopyReport {
        progress: counts,
        finished: true,
    })
}

/// The number of streams in `store`, walking its keys.
pub async fn count_streams(store: &dyn Transfer) -> Result<u64, StoreError> {
    const KEYS_PAGE: usize = 10_000;
    let mut after = None;
    let mut count = 0;
    loop {
        let keys = store.stream_keys(after, KEYS_PAGE).await?;
        let Some(last) = keys.last() else {
            return Ok(count);
        };
        after = Some(*last);
        count += keys.len() as u64;
    }
}

/// A tenant's streams and events in the source and the target of a copy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantCounts {
    /// The tenant.
    pub tenant: TenantId,
    /// Streams in the source.
    pub source_streams: u64,
    /// Events in the source.
    pub source_events: u64,
    /// Streams in the target.
    pub target_streams: u64,
    /// Events in the target.
    pub target_events: u64,
}

impl TenantCounts {
    /// Whether the target holds as many streams and events as the source.
    pub fn equal(&self) -> bool {
        self.source_streams == self.target_streams && self.source_events == self.target_events
    }
}

/// What [`verify_copy`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Per tenant of the source (and of the target), in tenant order.
    pub tenants: Vec<TenantCounts>,
    /// Receipts in the source.
    pub source_receipts: u64,
    /// Receipts in the target.
    pub target_receipts: u64,
    /// Every difference found, in words (at most [`Verification::MAX_PROBLEMS`]).
    pub problems: Vec<String>,
    /// How many differences were found in all.
    pub problem_count: u64,
}

impl Verification {
    /// The most differences kept in words.
    pub const MAX_PROBLEMS: usize = 100;

    /// Whether the copy equals its source and its read model a replay.
    pub fn is_ok(&self) -> bool {
        self.problem_count == 0
    }

    fn problem(&mut self, problem: String) {
        self.problem_count += 1;
        if self.problems.len() < Self::MAX_PROBLEMS {
            tracing::warn!(%problem, "the copy differs");
            self.problems.push(problem);
        }
    }

    fn tenant(&mut self, tenant: TenantId) -> &mut TenantCounts {
        if self.tenants.last().is_none_or(|t| t.tenant != tenant) {
            self.tenants.push(TenantCounts {
                tenant,
                ..TenantCounts::default()
            });
        }
        let last = self.tenants.len() - 1;
        &mut self.tenants[last]
    }
}

/// Checks a copy: every stream of `from` is in `to` with the same events, snapshot, keys,
/// timers, messages and work (leases aside), and the other way round, so each tenant has
/// as many streams and events in both; every stream's snapshot in `to` equals the replay of
/// its events (kinds the core defines); each tenant's status counters and metric tallies
/// in `to` equal those counted from the replayed states; and the receipts are the same.
/// Reads both stores once, a page at a time, in key order.
pub async fn verify_copy(
    from: &dyn Transfer,
    to: &dyn Transfer,
    options: &CopyOptions,
) -> Result<Verification, StoreError> {
    let page = options.page.max(1);
    let expired = DateTime::<Utc>::UNIX_EPOCH;
    let mut found = Verification::default();
    let mut source = Walk::<StreamExport>::new(from, page);
    let mut target = Walk::<StreamExport>::new(to, page);
    let mut replay = TenantReplay::default();
    loop {
        let (left, right) = (source.peek().await?, target.peek().await?);
        let key = |s: &StreamExport| (s.tenant, s.stream);
        let order = match (left, right) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(l), Some(r)) => key(l).cmp(&key(r)),
        };
        let (ours, theirs) = match order {
            std::cmp::Ordering::Less => (source.next(), None),
            std::cmp::Ordering::Greater => (None, target.next()),
            std::cmp::Ordering::Equal => (source.next(), target.next()),
        };
        if let Some(ours) = &ours {
            let counts = found.tenant(ours.tenant);
            counts.source_streams += 1;
            counts.source_events += ours.version;
        }
        if let Some(theirs) = &theirs {
            if replay.tenant != Some(theirs.tenant) {
                replay.finish(to, &mut found).await?;
                replay.tenant = Some(theirs.tenant);
            }
            let counts = found.tenant(theirs.tenant);
            counts.target_streams += 1;
            counts.target_events += theirs.version;
            replay.check(theirs, &mut found);
        }
        match (ours, theirs) {
            (Some(ours), None) => found.problem(format!(
                "{} of tenant {} is missing from the copy",
                ours.stream, ours.tenant
            )),
            (None, Some(theirs)) => found.problem(format!(
                "{} of tenant {} is in the copy but not in the source",
                theirs.stream, theirs.tenant
            )),
            (Some(ours), Some(theirs)) => {
                let (ours, theirs) = (ours.without_leases(expired), theirs.without_leases(expired));
                if let Some(part) = difference(&ours, &theirs) {
                    found.problem(format!(
                        "{} of tenant {} differs in the copy: {part}",
                        ours.stream, ours.tenant
                    ));
                }
            }
            (None, None) => {}
        }
    }
    replay.finish(to, &mut found).await?;
    found.tenants.sort_by_key(|t| t.tenant);
    let mut merged: Vec<TenantCounts> = Vec::with_capacity(found.tenants.len());
    for counts in std::mem::take(&mut found.tenants) {
        match merged.last_mut() {
            Some(last) if last.tenant == counts.tenant => {
                last.source_streams += counts.source_streams;
                last.source_events += counts.source_events;
                last.target_streams += counts.target_streams;
                last.target_events += counts.target_events;
            }
            _ => merged.push(counts),
        }
    }
    found.tenants = merged;
    verify_receipts(from, to, page, &mut found).await?;
    Ok(found)
}

/// The first part in which two exports of one stream differ.
fn difference(ours: &StreamExport, theirs: &StreamExport) -> Option<&'static str> {
    if ours.version != theirs.version {
        Some("version")
    } else if ours.events != theirs.events {
        Some("events")
    } else if ours.snapshot != theirs.snapshot {
        Some("snapshot")
    } else if ours.index != theirs.index {
        Some("index keys")
    } else if ours.unique != theirs.unique {
        Some("unique keys")
    } else if ours.timers != theirs.timers {
        Some("timers")
    } else if ours.outbox != theirs.outbox || ours.claimed != theirs.claimed {
        Some("outbox messages")
    } else if ours.dead_letters != theirs.dead_letters {
        Some("dead letters")
    } else if ours.work != theirs.work {
        Some("pending work")
    } else {
        None
    }
}

/// Compares the receipts of both stores, walked side by side in key order.
async fn verify_receipts(
    from: &dyn Transfer,
    to: &dyn Transfer,
    page: usize,
    found: &mut Verification,
) -> Result<(), StoreError> {
    let mut source = Walk::<ReceiptExport>::new(from, page);
    let mut target = Walk::<ReceiptExport>::new(to, page);
    loop {
        let key = |r: &ReceiptExport| (r.tenant, r.key.clone());
        let order = match (source.peek().await?, target.peek().await?) {
            (None, None) => return Ok(()),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(l), Some(r)) => key(l).cmp(&key(r)),
        };
        match order {
            std::cmp::Ordering::Less => {
                if let Some(ours) = source.next() {
                    found.source_receipts += 1;
                    found.problem(format!(
                        "receipt `{}` of tenant {} is missing from the copy",
                        ours.key, ours.tenant
                    ));
                }
            }
            std::cmp::Ordering::Greater => {
                if let Some(theirs) = target.next() {
                    found.target_receipts += 1;
                    found.problem(format!(
                        "receipt `{}` of tenant {} is in the copy but not in the source",
                        theirs.key, theirs.tenant
                    ));
                }
            }
            std::cmp::Ordering::Equal => {
                if let (Some(ours), Some(theirs)) = (source.next(), target.next()) {
                    found.source_receipts += 1;
                    found.target_receipts += 1;
                    if ours != theirs {
                        found.problem(format!(
                            "receipt `{}` of tenant {} differs in the copy",
                            ours.key, ours.tenant
                        ));
                    }
                }
            }
        }
    }
}

/// What a store exports a page at a time, in the order of its key.
trait Exported: Sized {
    type Key: Clone;

    fn key(&self) -> Self::Key;

    async fn page(
        store: &dyn Transfer,
        after: Option<Self::Key>,
        limit: usize,
    ) -> Result<Vec<Self>, StoreError>;
}

impl Exported for StreamExport {
    type Key = (TenantId, StreamId);

    fn key(&self) -> Self::Key {
        (self.tenant, self.stream)
    }

    async fn page(
        store: &dyn Transfer,
        after: Option<Self::Key>,
        limit: usize,
    ) -> Result<Vec<Self>, StoreError> {
        store.export_streams(after, limit).await
    }
}

impl Exported for ReceiptExport {
    type Key = (TenantId, IdempotencyKey);

    fn key(&self) -> Self::Key {
        (self.tenant, self.key.clone())
    }

    async fn page(
        store: &dyn Transfer,
        after: Option<Self::Key>,
        limit: usize,
    ) -> Result<Vec<Self>, StoreError> {
        store.export_receipts(after, limit).await
    }
}

/// One store's streams or receipts a page at a time, one at a time.
struct Walk<'a, T: Exported> {
    store: &'a dyn Transfer,
    page: usize,
    buffered: VecDeque<T>,
    after: Option<T::Key>,
    done: bool,
}

impl<'a, T: Exported> Walk<'a, T> {
    fn new(store: &'a dyn Transfer, page: usize) -> Self {
        Self {
            store,
            page,
            buffered: VecDeque::new(),
            after: None,
            done: false,
        }
    }

    async fn peek(&mut self) -> Result<Option<&T>, StoreError> {
        if self.buffered.is_empty() && !self.done {
            let page = T::page(self.store, self.after.clone(), self.page).await?;
            self.done = page.len() < self.page;
            if let Some(last) = page.last() {
                self.after = Some(last.key());
            }
            self.buffered.extend(page);
        }
        Ok(self.buffered.front())
    }

    fn next(&mut self) -> Option<T> {
        self.buffered.pop_front()
    }
}

/// One tenant's read model as a replay of its streams' events counts it.
#[derive(Default)]
struct TenantReplay {
    tenant: Option<TenantId>,
    statuses: HashMap<StreamKind, BTreeMap<i16, u64>>,
    tallies: Tallies,
}

impl TenantReplay {
    /// Replays one stream of the tenant: its snapshot must be the fold of its events.
    fn check(&mut self, stream: &StreamExport, found: &mut Verification) {
        match replay(stream.stream, &stream.events) {
            Some(Ok(replayed)) if replayed != stream.snapshot => found.problem(format!(
                "{} of tenant {}: the snapshot is not the replay of its events",
                stream.stream, stream.tenant
            )),
            Some(Err(detail)) => found.problem(format!(
                "{} of tenant {}: {detail}",
                stream.stream, stream.tenant
            )),
            Some(Ok(_)) | None => {}
        }
        let code = columns::status_code(stream.status());
        *self
            .statuses
            .entry(stream.stream.kind())
            .or_default()
            .entry(code)
            .or_default() += 1;
        if let Some(change) = stream.metrics() {
            self.tallies.record(&change);
        }
    }

    /// Compares the tenant's counters and tallies in `to` with the replay's, and starts
    /// over.
    async fn finish(
        &mut self,
        to: &dyn Transfer,
        found: &mut Verification,
    ) -> Result<(), StoreError> {
        let Some(tenant) = self.tenant.take() else {
            return Ok(());
        };
        let statuses = std::mem::take(&mut self.statuses);
        let tallies = std::mem::take(&mut self.tallies);
        for (kind, expected) in statuses {
            let counted: BTreeMap<i16, u64> = to
                .count(tenant, &CountQuery::of(kind))
                .await?
                .into_iter()
                .map(|count| (count.status, count.count))
                .collect();
            if counted != expected {
                found.problem(format!(
                    "tenant {tenant}: the counts of {kind:?} by status are {counted:?}, a replay gives {expected:?}"
                ));
            }
        }
        if to.metric_tallies(tenant, None).await? != tallies {
            found.problem(format!(
                "tenant {tenant}: the metric tallies differ from a replay"
            ));
        }
        Ok(())
    }
}

/// The snapshot the events of `stream` fold into, for the kinds the core defines (`None`
/// for an extension kind, whose owner alone can replay it); an error names an event of
/// another kind or a history that folds into nothing.
pub fn replay(stream: StreamId, events: &[StoredEvent]) -> Option<Result<Snapshot, String>> {
    fn fold<D: Decider<State = Option<T>>, T>(
        events: &[StoredEvent],
        pick: fn(&DomainEvent) -> Option<&D::Event>,
        wrap: fn(Arc<T>) -> Snapshot,
    ) -> Result<Snapshot, String> {
        let mut picked = Vec::with_capacity(events.len());
        for stored in events {
            picked.push(
                pick(&stored.event).ok_or_else(|| {
                    format!("event {} is of another kind of stream", stored.version)
                })?,
            );
        }
        D::fold(picked)
            .map(|state| wrap(Arc::new(state)))
            .ok_or_else(|| "its events fold into no state".to_owned())
    }
    Some(match stream {
        StreamId::Right(_) => fold::<RightDecider, _>(
            events,
            |e| match e {
                DomainEvent::Right(e) => Some(e),
                _ => None,
            },
            Snapshot::Right,
        ),
        StreamId::Complaint(_) => fold::<ComplaintDecider, _>(
            events,
            |e| match e {
                DomainEvent::Complaint(e) => Some(e),
                _ => None,
            },
            Snapshot::Complaint,
        ),
        StreamId::Power(_) => fold::<PowerDecider, _>(
            events,
            |e| match e {
                DomainEvent::Power(e) => Some(e),
                _ => None,
            },
            Snapshot::Power,
        ),
        StreamId::Campaign(_) => fold::<CampaignDecider, _>(
            events,
            |e| match e {
                DomainEvent::Campaign(e) => Some(e),
                _ => None,
            },
            Snapshot::Campaign,
        ),
        StreamId::Filer(_) => fold::<FilerDecider, _>(
            events,
            |e| match e {
                DomainEvent::Filer(e) => Some(e),
                _ => None,
            },
            Snapshot::Filer,
        ),
        StreamId::Policy => {
            let mut state = None;
            for stored in events {
                match &stored.event {
                    DomainEvent::Policy(event) => {
                        state = Some(StoredPolicy::evolve(state, event));
                    }
                    _ => {
                        return Some(Err(format!(
                            "event {} is of another kind of stream",
                            stored.version
                        )));
                    }
                }
            }
            state
                .map(|s| Snapshot::Policy(Arc::new(s)))
                .ok_or_else(|| "its events fold into no state".to_owned())
        }
        StreamId::Extension { .. } => return None,
    })
}
