//! [`Sweeps`]: sweeps, candidates and authorised sellers, run through an engine's store.

use std::collections::{BTreeMap, HashSet};

use aliprotect_core::clock::Clock;
use aliprotect_core::complaint::ComplaintRule;
use aliprotect_core::decider::{Recorded, Refusal};
use aliprotect_core::engine::Engine;
use aliprotect_core::engine::EngineError;
use aliprotect_core::ids::{ComplaintId, RightId, TenantId};
use aliprotect_core::intake::{DuplicateOf, IntakeRequest, ListingToFile};
use aliprotect_core::listing::{Listing, ListingDetails};
use aliprotect_core::notify::Notifier;
use aliprotect_core::party::Actor;
use aliprotect_core::relisting::RemovedListings;
use aliprotect_core::store::{
    ExtensionStream, Find, IndexKey, ReadModelExt, Store, StoreError, StreamId, StreamStatus,
};
use aliprotect_core::text::Text;

use crate::SweepError;
use crate::allowed::{AuthorisedSellers, AuthorisedSellersCommand, AuthorisedSellersStream};
use crate::candidate::{
    BY_SWEEP, Candidate, CandidateCommand, CandidateId, CandidateStatus, CandidateStream, Finding,
    Found,
};
use crate::search::{ListingSearch, SearchQuery};
use crate::sweep::{
    Sweep, SweepChange, SweepCommand, SweepId, SweepRule, SweepRun, SweepSpec, SweepStatus,
    SweepStream,
};
use aliprotect_core::store::decided::{self as stream, CommandOf, DecidedStream, RefusalOf, Stamp};
use uuid::Uuid;

/// Candidates committed together while a run records what it found.
const FOUND_PER_BATCH: usize = 500;

/// Which candidates to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CandidateQuery {
    /// Only those found by this sweep.
    pub sweep: Option<SweepId>,
    /// Only those in this status ([`crate::CandidateStatus::code`]).
    pub status: Option<u8>,
    /// Only those after this one, in id order (the last of the previous page).
    pub after: Option<CandidateId>,
    /// At most this many (0: no limit).
    pub limit: usize,
}

impl CandidateQuery {
    /// Every candidate.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only those found by `sweep`.
    pub fn of_sweep(mut self, sweep: SweepId) -> Self {
        self.sweep = Some(sweep);
        self
    }

    /// Only those in the status with code `code` (see [`crate::CandidateStatus::code_of`]).
    pub fn in_status(mut self, code: u8) -> Self {
        self.status = Some(code);
        self
    }

    /// Only those after `candidate`.
    pub fn after(mut self, candidate: CandidateId) -> Self {
        self.after = Some(candidate);
        self
    }

    /// At most `limit`.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
}

/// Sweeps, their candidates and the rights' authorised sellers, kept in an engine's store
/// as streams of kinds the core does not know. Cheap: it borrows the engine.
///
/// Every operation is on the record: a sweep added, paused or run; a candidate found,
/// confirmed or dismissed; a seller authorised. What holds across processes rests on the
/// store's version check, never on a read before the write: a listing found twice (by two
/// runs, or two processes) is one candidate, since a candidate's id follows from its
/// tenant, right and listing and only one commit can create a stream.
pub struct Sweeps<'e, S, N, C> {
    engine: &'e Engine<S, N, C>,
}

impl<S, N, C> std::fmt::Debug for Sweeps<'_, S, N, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sweeps").finish_non_exhaustive()
    }
}

impl<S, N, C> Clone for Sweeps<'_, S, N, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S, N, C> Copy for Sweeps<'_, S, N, C> {}

impl<'e, S: Store, N: Notifier, C: Clock> Sweeps<'e, S, N, C> {
    /// Sweeps kept through `engine`.
    pub fn new(engine: &'e Engine<S, N, C>) -> Self {
        Self { engine }
    }

    fn store(&self) -> &S {
        self.engine.store()
    }

    /// Decides `command` on the stream `id` of kind `K` and commits it.
    async fn execute<K>(
        &self,
        tenant: TenantId,
        id: Uuid,
        command: &CommandOf<K>,
        stamp: Stamp,
    ) -> Result<K::State, SweepError>
    where
        K: DecidedStream,
        RefusalOf<K>: Into<SweepError>,
    {
        Ok(stream::execute::<K, S>(self.store(), tenant, id, command, stamp).await?)
    }

    /// The stream `id` of kind `K`: its version and state, if it exists.
    async fn load<K: DecidedStream>(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<Option<(u64, K::State)>, SweepError> {
        Ok(stream::load::<K, S>(self.store(), tenant, id).await?)
    }

    /// The stamp of a command by `actor` in `tenant`, now; refused for an actor acting for
    /// another tenant (the engine itself, `Actor::System`, acts in every tenant).
    fn stamp(&self, tenant: TenantId, actor: Actor) -> Result<Stamp, SweepError> {
        if actor != Actor::System && actor.tenant() != Some(tenant) {
            return Err(SweepError::Forbidden(tenant));
        }
        Ok(Stamp {
            at: self.engine.read().clock().now(),
            actor,
        })
    }

    /// Adds a sweep: its right must exist in the tenant, and its reason fit the right's
    /// kind. It is due at once.
    pub async fn add(
        &self,
        tenant: TenantId,
        actor: Actor,
        spec: SweepSpec,
    ) -> Result<Sweep, SweepError> {
        let stamp = self.stamp(tenant, actor)?;
        let right = self
            .engine
            .read()
            .right(tenant, spec.right)
            .await?
            .ok_or(SweepError::UnknownRight(spec.right))?;
        let kind = right.package.kind();
        if !spec.reason.fits(kind) {
            return Err(SweepError::ReasonDoesNotFit {
                reason: spec.reason.code().to_owned(),
                kind: kind.to_string(),
            });
        }
        let id = SweepId::new();
        let command = SweepCommand::Create { id, tenant, spec };
        self.execute::<SweepStream>(tenant, id.as_uuid(), &command, stamp)
            .await
    }

    /// The sweep `id`.
    pub async fn sweep(&self, tenant: TenantId, id: SweepId) -> Result<Sweep, SweepError> {
        self.load::<SweepStream>(tenant, id.as_uuid())
            .await?
            .map(|(_, sweep)| sweep)
            .ok_or(SweepError::UnknownSweep(id))
    }

    /// Every sweep of the tenant, oldest first.
    pub async fn sweeps(&self, tenant: TenantId) -> Result<Vec<Sweep>, SweepError> {
        let query = Find::all(aliprotect_core::store::StreamKind::Extension(
            SweepStream::KIND,
        ));
        self.store()
            .find(tenant, &query)
            .await?
            .iter()
            .map(|(_, snapshot)| Ok(SweepStream::state(snapshot)?))
            .collect()
    }

    /// What happened to the sweep, oldest first: added, runs, pauses.
    pub async fn history(
        &self,
        tenant: TenantId,
        id: SweepId,
    ) -> Result<Vec<Recorded<SweepChange>>, SweepError> {
        stream::history::<SweepStream, S>(self.store(), tenant, id.as_uuid())
            .await
            .map_err(SweepError::from)
    }

    /// Stops running the sweep on schedule.
    pub async fn pause(
        &self,
        tenant: TenantId,
        actor: Actor,
        id: SweepId,
    ) -> Result<Sweep, SweepError> {
        self.on_sweep(tenant, actor, id, SweepCommand::Pause).await
    }

    /// Runs the sweep on schedule again.
    pub async fn resume(
        &self,
        tenant: TenantId,
        actor: Actor,
        id: SweepId,
    ) -> Result<Sweep, SweepError> {
        self.on_sweep(tenant, actor, id, SweepCommand::Resume).await
    }

    async fn on_sweep(
        &self,
        tenant: TenantId,
        actor: Actor,
        id: SweepId,
        command: SweepCommand,
    ) -> Result<Sweep, SweepError> {
        let stamp = self.stamp(tenant, actor)?;
        // An unknown sweep is "not found", not a refusal.
        self.sweep(tenant, id).await?;
        self.execute::<SweepStream>(tenant, id.as_uuid(), &command, stamp)
            .await
    }

    /// Runs every active sweep of the tenant that is due, one after another, through
    /// `search`: each sweep's result, in the order they were added.
    pub async fn run_due(
        &self,
        tenant: TenantId,
        actor: Actor,
        search: &dyn ListingSearch,
    ) -> Result<Vec<(SweepId, Result<SweepRun, SweepError>)>, SweepError> {
        let now = self.stamp(tenant, actor)?.at;
        let mut results = Vec::new();
        for sweep in self.sweeps(tenant).await? {
            if sweep.is_due(now) {
                results.push((sweep.id, self.run(tenant, actor, sweep.id, search).await));
            }
        }
        Ok(results)
    }

    /// Runs the sweep now (refused for a paused one): reads up to its page budget of results per keyword through
    /// `search`, records each listing not seen before as a candidate, files the relistings
    /// found at once when the sweep's campaign says so (or it has none), and records the
    /// run on the sweep.
    ///
    /// A listing of an authorised seller is allowed, and never shown to a person. A
    /// listing repeating a removed one (the same product, or the same seller with the same
    /// image or title) is proposed as a relisting. A listing already complained about
    /// (under any right), or already a candidate of this right, is nothing new. A search that
    /// fails stops its keyword: its error is in [`SweepRun::stopped`], verbatim, and what
    /// was read before it stands.
    pub async fn run(
        &self,
        tenant: TenantId,
        actor: Actor,
        id: SweepId,
        search: &dyn ListingSearch,
    ) -> Result<SweepRun, SweepError> {
        self.run_reporting(tenant, actor, id, search, |_| {}).await
    }

    /// [`Sweeps::run`], calling `progress` with the run so far after each page read and
    /// each batch of candidates recorded: for a progress bar over a long sweep.
    pub async fn run_reporting(
        &self,
        tenant: TenantId,
        actor: Actor,
        id: SweepId,
        search: &dyn ListingSearch,
        mut progress: impl FnMut(&SweepRun) + Send,
    ) -> Result<SweepRun, SweepError> {
        let stamp = self.stamp(tenant, actor)?;
        let sweep = self.sweep(tenant, id).await?;
        if sweep.status == SweepStatus::Paused {
            let refusal = Refusal::new(Some(sweep.status), "run", SweepRule::Paused);
            return Err(SweepError::SweepRefused(refusal));
        }
        let spec = &sweep.spec;
        let mut run = SweepRun {
            started: stamp.at,
            ..SweepRun::default()
        };
        let found = read_results(spec, search, &mut run, &mut progress).await;
        run.found = count(found.len());

        let allowed = self.authorised_sellers(tenant, spec.right).await?;
        let mut removed =
            RemovedListings::from_removed(self.store().removed_listings(tenant, spec.right).await?);
        let mut new = Vec::new();
        for (keyword, listing, details) in found {
            // An authorised seller's listing is allowed before anything else: it is never
            // filed without a person, not even as a relisting.
            let finding = if let Some(seller) = allowed
                .as_ref()
                .and_then(|list| list.seller_of(&listing, &details))
            {
                Finding::Allowed {
                    seller: seller.to_owned(),
                }
            } else if let Some(relisting) = removed.find(&listing, &details) {
                removed.remove(relisting.previous);
                Finding::Relisting {
                    previous: relisting.previous,
                }
            } else if !self
                .store()
                .complaints_on_listing(tenant, &listing.key)
                .await?
                .is_empty()
            {
                run.known += 1;
                continue;
            } else {
                Finding::ToReview
            };
            new.push(Found {
                tenant,
                sweep: id,
                right: spec.right,
                keyword,
                listing,
                details,
                finding,
            });
        }

        let mut relistings = Vec::new();
        for batch in new.chunks(FOUND_PER_BATCH) {
            let mut commits = Vec::with_capacity(batch.len());
            for found in batch {
                let candidate = CandidateId::of(tenant, spec.right, &found.listing.key);
                let command = CandidateCommand::Find(Box::new(found.clone()));
                let (commit, _) = stream::decide::<CandidateStream>(
                    tenant,
                    candidate.as_uuid(),
                    0,
                    None,
                    &command,
                    stamp,
                )?;
                commits.push(commit);
            }
            let results = self.store().commit_batch(commits).await;
            for (found, result) in batch.iter().zip(results) {
                match result {
                    Ok(()) => match &found.finding {
                        Finding::ToReview => run.to_review += 1,
                        Finding::Relisting { .. } => {
                            run.relistings += 1;
                            relistings.push(CandidateId::of(
                                tenant,
                                spec.right,
                                &found.listing.key,
                            ));
                        }
                        Finding::Allowed { .. } => run.allowed += 1,
                    },
                    // The stream exists: found before, by this sweep or another run.
                    Err(StoreError::Conflict { .. }) => run.known += 1,
                    Err(error) => return Err(error.into()),
                }
            }
            progress(&run);
        }

        if !relistings.is_empty() && self.files_relistings_at_once(tenant, spec).await? {
            // The run is recorded whatever filing them did: its candidates exist, and a
            // relisting not filed waits in the queue.
            match self.confirm(tenant, actor, &relistings).await {
                Ok(confirmed) => {
                    run.filed = count(
                        confirmed
                            .iter()
                            .filter(|(_, result)| result.is_ok())
                            .count(),
                    );
                }
                Err(error) => run.stopped.push(format!("filing the relistings: {error}")),
            }
        }
        let command = SweepCommand::RecordRun(run.clone());
        self.execute::<SweepStream>(tenant, id.as_uuid(), &command, stamp)
            .await?;
        tracing::info!(sweep = %id, found = run.found, to_review = run.to_review, "sweep ran");
        Ok(run)
    }

    /// Whether the sweep's campaign files relistings without a person (yes without one, as
    /// an intake does).
    async fn files_relistings_at_once(
        &self,
        tenant: TenantId,
        spec: &SweepSpec,
    ) -> Result<bool, SweepError> {
        let Some(campaign) = spec.campaign else {
            return Ok(true);
        };
        Ok(self
            .engine
            .read()
            .campaign(tenant, campaign)
            .await?
            .is_some_and(|campaign| campaign.auto_file_relistings))
    }

    /// The candidate `id`.
    pub async fn candidate(
        &self,
        tenant: TenantId,
        id: CandidateId,
    ) -> Result<Candidate, SweepError> {
        self.load::<CandidateStream>(tenant, id.as_uuid())
            .await?
            .map(|(_, candidate)| candidate)
            .ok_or(SweepError::UnknownCandidate(id))
    }

    /// The candidates `query` asks for, in id order.
    pub async fn candidates(
        &self,
        tenant: TenantId,
        query: &CandidateQuery,
    ) -> Result<Vec<Candidate>, SweepError> {
        let mut find = Find::all(aliprotect_core::store::StreamKind::Extension(
            CandidateStream::KIND,
        ));
        if let Some(sweep) = query.sweep {
            find = find.with_key(IndexKey::new(BY_SWEEP, sweep.to_string()));
        }
        if let Some(code) = query.status {
            find = find.in_status(StreamStatus::Extension {
                kind: CandidateStream::KIND,
                code,
            });
        }
        if let Some(after) = query.after {
            find = find.after(CandidateStream::stream(after.as_uuid()));
        }
        if query.limit > 0 {
            find = find.limit(query.limit);
        }
        self.store()
            .find(tenant, &find)
            .await?
            .iter()
            .map(|(_, snapshot)| Ok(CandidateStream::state(snapshot)?))
            .collect()
    }

    /// Files the candidates `ids` (a person confirmed them), each under its sweep's right,
    /// reason, explanation and campaign, submitted at once (or staged while the right is
    /// under review), and records each as confirmed with its complaint. A relisting is
    /// filed as a follow-up of the complaint whose listing was removed, whatever the
    /// campaign says, since a person asked for it.
    ///
    /// Each candidate is first marked as being filed (so that a dismissal racing the filing
    /// is refused, not followed by a complaint), then filed as the complaint whose id
    /// follows from it, then recorded confirmed. Each id's result, in the order given: the
    /// complaint, or why not (unknown, decided already, refused by the engine). A
    /// confirmation cut short at any step is finished by confirming again: the complaint
    /// filed the first time is met, not filed twice.
    pub async fn confirm(
        &self,
        tenant: TenantId,
        actor: Actor,
        ids: &[CandidateId],
    ) -> Result<Vec<(CandidateId, Result<ComplaintId, SweepError>)>, SweepError> {
        let stamp = self.stamp(tenant, actor)?;
        let mut results: BTreeMap<usize, Result<ComplaintId, SweepError>> = BTreeMap::new();
        // Open candidates by sweep, with their place in `ids`.
        let mut by_sweep: BTreeMap<SweepId, Vec<(usize, u64, Candidate)>> = BTreeMap::new();
        let keys: Vec<(TenantId, StreamId)> = ids
            .iter()
            .map(|id| (tenant, CandidateStream::stream(id.as_uuid())))
            .collect();
        let loaded = self.store().load_many(&keys).await?;
        let mut seen = HashSet::new();
        for (place, (id, loaded)) in ids.iter().zip(loaded).enumerate() {
            let Some(loaded) = loaded else {
                results.insert(place, Err(SweepError::UnknownCandidate(*id)));
                continue;
            };
            let candidate = CandidateStream::state(&loaded.snapshot)?;
            if !seen.insert(*id) {
                results.insert(place, Err(SweepError::Repeated(*id)));
                continue;
            }
            let resumed = matches!(candidate.status, CandidateStatus::Confirming { .. });
            if !candidate.status.is_open() && !resumed {
                let refusal = aliprotect_core::decider::Refusal::new(
                    Some(candidate.status.name()),
                    "confirm",
                    crate::candidate::CandidateRule::Decided,
                );
                results.insert(place, Err(SweepError::CandidateRefused(refusal)));
                continue;
            }
            by_sweep
                .entry(candidate.sweep)
                .or_default()
                .push((place, loaded.version, candidate));
        }
        for (sweep, candidates) in by_sweep {
            let spec = self.sweep(tenant, sweep).await?.spec;
            let request = IntakeRequest {
                tenant,
                actor,
                marketplace: spec.marketplace,
                right: spec.right,
                reason: spec.reason,
                explanation: spec.explanation.clone(),
                campaign: spec.campaign,
                submit: true,
            };
            // A request refused as a whole (an archived campaign, say) is refused before any
            // candidate is marked as being filed: they stay open, for a person to dismiss.
            if let Err(error) = self.engine.check_intake(&request).await {
                let message = error.to_string();
                for (place, _, _) in &candidates {
                    results.insert(*place, Err(SweepError::NotFiled(message.clone())));
                }
                continue;
            }
            let candidates = self
                .begin_confirming(tenant, stamp, candidates, &mut results)
                .await?;
            if candidates.is_empty() {
                continue;
            }
            let listings: Vec<ListingToFile> = candidates
                .iter()
                .map(|(_, _, candidate)| ListingToFile {
                    complaint: candidate.complaint_id(),
                    listing: candidate.listing.clone(),
                    details: candidate.details.clone(),
                })
                .collect();
            let report = match self
                .engine
                .intake_listings(&request, listings, |_| {})
                .await
            {
                Ok(report) => report,
                Err(error) => {
                    // Failed after the check (the store, say): the candidates stay marked
                    // as being filed, and confirming them again finishes the filing.
                    let message = error.to_string();
                    for (place, _, _) in &candidates {
                        results.insert(*place, Err(SweepError::NotFiled(message.clone())));
                    }
                    continue;
                }
            };
            // The report numbers the listings from 1, in the order given.
            let mut complaint_of: BTreeMap<usize, Result<ComplaintId, SweepError>> =
                BTreeMap::new();
            for filed in &report.filed {
                complaint_of.insert(filed.line, Ok(filed.complaint));
            }
            for duplicate in &report.duplicates {
                if let DuplicateOf::OpenComplaint(complaint) = duplicate.of {
                    complaint_of.insert(duplicate.line, Ok(complaint));
                }
            }
            for (line, error) in report.refused {
                // Filed already, as this candidate's complaint: a confirmation cut short
                // between the filing and its record, finished now.
                let filed_before = matches!(
                    &error,
                    EngineError::ComplaintRefused(refusal)
                        if refusal.rule == ComplaintRule::AlreadyFiled
                );
                let result = match candidates.get(line.wrapping_sub(1)) {
                    Some((_, _, candidate)) if filed_before => Ok(candidate.complaint_id()),
                    _ => Err(SweepError::Engine(error)),
                };
                complaint_of.insert(line, result);
            }
            // Each filed candidate recorded confirmed, all in one batch, each on the
            // version it was loaded at; one that moved meanwhile is decided again alone.
            let mut confirming = Vec::new();
            for (line, (place, version, candidate)) in candidates.into_iter().enumerate() {
                match complaint_of.remove(&(line + 1)) {
                    Some(Ok(complaint)) => confirming.push((place, version, candidate, complaint)),
                    Some(Err(error)) => {
                        results.insert(place, Err(error));
                    }
                    None => {
                        let why = "the intake neither filed the listing nor found its complaint";
                        results.insert(place, Err(SweepError::NotFiled(why.to_owned())));
                    }
                }
            }
            let mut commits = Vec::with_capacity(confirming.len());
            for (_, version, candidate, complaint) in &confirming {
                let command = CandidateCommand::Confirm {
                    complaint: *complaint,
                };
                let (commit, _) = stream::decide::<CandidateStream>(
                    tenant,
                    candidate.id.as_uuid(),
                    *version,
                    Some(candidate.clone()),
                    &command,
                    stamp,
                )?;
                commits.push(commit);
            }
            let committed = self.store().commit_batch(commits).await;
            for ((place, _, candidate, complaint), result) in confirming.into_iter().zip(committed)
            {
                let result = match result {
                    Ok(()) => Ok(complaint),
                    Err(StoreError::Conflict { .. }) => {
                        let command = CandidateCommand::Confirm { complaint };
                        self.execute::<CandidateStream>(
                            tenant,
                            candidate.id.as_uuid(),
                            &command,
                            stamp,
                        )
                        .await
                        .map(|_| complaint)
                    }
                    Err(error) => Err(error.into()),
                };
                results.insert(place, result);
            }
        }
        Ok(ids.iter().copied().zip(results.into_values()).collect())
    }

    /// Marks each open candidate of `candidates` as being filed, before anything is filed:
    /// from then on a dismissal is refused, so no complaint is filed for a candidate a
    /// person dismissed meanwhile. A candidate dismissed (or confirmed) first gets its
    /// refusal in `results` and is left out; one being filed already is kept as it is.
    async fn begin_confirming(
        &self,
        tenant: TenantId,
        stamp: Stamp,
        candidates: Vec<(usize, u64, Candidate)>,
        results: &mut BTreeMap<usize, Result<ComplaintId, SweepError>>,
    ) -> Result<Vec<(usize, u64, Candidate)>, SweepError> {
        let (resumed, open): (Vec<_>, Vec<_>) =
            candidates.into_iter().partition(|(_, _, candidate)| {
                matches!(candidate.status, CandidateStatus::Confirming { .. })
            });
        let mut commits = Vec::with_capacity(open.len());
        let mut marked = Vec::with_capacity(open.len());
        for (place, version, candidate) in open {
            let command = CandidateCommand::BeginConfirming {
                complaint: candidate.complaint_id(),
            };
            let (commit, after) = stream::decide::<CandidateStream>(
                tenant,
                candidate.id.as_uuid(),
                version,
                Some(candidate),
                &command,
                stamp,
            )?;
            commits.push(commit);
            marked.push((place, version, after, command));
        }
        let committed = self.store().commit_batch(commits).await;
        let mut ready = resumed;
        for ((place, version, after, command), result) in marked.into_iter().zip(committed) {
            match result {
                Ok(()) => ready.push((place, version + 1, after)),
                // Moved meanwhile: decided again on what it is now. Its version is not
                // known here, so its confirmation is decided again too.
                Err(StoreError::Conflict { .. }) => {
                    match self
                        .execute::<CandidateStream>(tenant, after.id.as_uuid(), &command, stamp)
                        .await
                    {
                        Ok(now) => ready.push((place, 0, now)),
                        Err(error) => {
                            results.insert(place, Err(error));
                        }
                    }
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(ready)
    }

    /// Records that a person dismissed each of the candidates `ids`, for `reason`: each
    /// id's result, in the order given.
    pub async fn dismiss(
        &self,
        tenant: TenantId,
        actor: Actor,
        ids: &[CandidateId],
        reason: &Text,
    ) -> Result<Vec<(CandidateId, Result<(), SweepError>)>, SweepError> {
        let stamp = self.stamp(tenant, actor)?;
        let mut results = Vec::with_capacity(ids.len());
        for id in ids {
            let result = match self.candidate(tenant, *id).await {
                Ok(_) => {
                    let command = CandidateCommand::Dismiss {
                        reason: reason.clone(),
                    };
                    self.execute::<CandidateStream>(tenant, id.as_uuid(), &command, stamp)
                        .await
                        .map(|_| ())
                }
                Err(error) => Err(error),
            };
            results.push((*id, result));
        }
        Ok(results)
    }

    /// The right's authorised sellers, if any were ever authorised.
    pub async fn authorised_sellers(
        &self,
        tenant: TenantId,
        right: RightId,
    ) -> Result<Option<AuthorisedSellers>, SweepError> {
        let list = self
            .load::<AuthorisedSellersStream>(tenant, right.as_uuid())
            .await?;
        Ok(list.map(|(_, list)| list))
    }

    /// Authorises `seller` (a store id or the name listings show) for the right: sweeps
    /// allow its listings from now on.
    pub async fn authorise_seller(
        &self,
        tenant: TenantId,
        actor: Actor,
        right: RightId,
        seller: &str,
        note: Option<&str>,
    ) -> Result<AuthorisedSellers, SweepError> {
        let stamp = self.stamp(tenant, actor)?;
        if self.engine.read().right(tenant, right).await?.is_none() {
            return Err(SweepError::UnknownRight(right));
        }
        let command = AuthorisedSellersCommand::Authorise {
            tenant,
            right,
            seller: seller.to_owned(),
            note: note.map(str::to_owned),
        };
        self.execute::<AuthorisedSellersStream>(tenant, right.as_uuid(), &command, stamp)
            .await
    }

    /// Withdraws the authorisation of `seller` for the right.
    pub async fn withdraw_seller(
        &self,
        tenant: TenantId,
        actor: Actor,
        right: RightId,
        seller: &str,
    ) -> Result<AuthorisedSellers, SweepError> {
        let stamp = self.stamp(tenant, actor)?;
        let command = AuthorisedSellersCommand::Withdraw {
            seller: seller.to_owned(),
        };
        self.execute::<AuthorisedSellersStream>(tenant, right.as_uuid(), &command, stamp)
            .await
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The listings of the sweep's searches, each once, with the keyword that found it first:
/// up to the page budget per keyword, a failed search stopping its keyword.
async fn read_results(
    spec: &SweepSpec,
    search: &dyn ListingSearch,
    run: &mut SweepRun,
    progress: &mut (impl FnMut(&SweepRun) + Send),
) -> Vec<(String, Listing, ListingDetails)> {
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for keyword in &spec.keywords {
        let query = SearchQuery {
            marketplace: spec.marketplace,
            keyword: keyword.clone(),
        };
        for page in 1..=spec.page_budget {
            let results = match search.page(&query, page).await {
                Ok(results) => results,
                Err(error) => {
                    tracing::warn!(%keyword, page, %error, "search stopped");
                    run.stopped.push(format!("{keyword}, page {page}: {error}"));
                    break;
                }
            };
            run.pages += 1;
            run.unusable = run.unusable.saturating_add(results.unreadable);
            for row in results.listings {
                match row.normalise(spec.marketplace) {
                    Ok((listing, details)) => {
                        if seen.insert(listing.key.clone()) {
                            found.push((keyword.clone(), listing, details));
                        }
                    }
                    Err(_) => run.unusable += 1,
                }
            }
            run.found = count(found.len());
            progress(run);
            if !results.more {
                break;
            }
        }
    }
    found
}
