//! Running timers and work: due timers fired through the command path, check-backs asked of
//! a probe, and the cross-stream work commands leave behind.

use std::collections::HashSet;

use futures_util::{StreamExt, stream};

use super::{
    Command, Decided, Engine, EngineError, Loading, PolicyError, Request, RightMemo, effects,
};
use crate::clock::Clock;
use crate::complaint::{ComplaintCommand, ComplaintStatus, FollowUpKind, RemovalCause};
use crate::ids::{ComplaintId, TenantId};
use crate::notify::Notifier;
use crate::party::Actor;
use crate::probe::{ListingProbe, ProbeFinding};
use crate::store::ReadModelExt;
use crate::store::{
    Claim, Commit, FollowUpWork, Loaded, PendingWork, Store, StoreError, StreamId, Timer, TimerKind,
};

/// What one [`Jobs::tick`](crate::engine::Jobs::tick) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TickReport {
    /// Timers whose command was carried out.
    pub fired: usize,
    /// Timers dropped because their command no longer applied.
    pub dropped: usize,
    /// Timers left alone because a command replaced them after they were claimed (the
    /// stream's new timers fall due on their own).
    pub stale: usize,
    /// Check-backs whose probe found the listing removed (recorded as such).
    pub found_removed: usize,
    /// Check-backs whose probe found the listing still up.
    pub found_live: usize,
    /// Check-backs whose probe could not tell.
    pub unknown: usize,
    /// Watches of removed listings whose probe found the listing up again (recorded as
    /// reappeared, and notified).
    pub reappeared: usize,
    /// Pending cross-stream work items carried out (staged complaints released,
    /// predecessors marked) that their own engine had left unfinished.
    pub follow_ups: usize,
}

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    /// Carries out cross-stream work this engine holds, then removes it. A failure is logged,
    /// not returned, because the command that caused the work is committed either way: the
    /// work stays in the store and, once its lease runs out, a tick finishes it.
    pub(super) async fn carry_out(&self, work: &PendingWork) -> bool {
        let result = match self.do_work(work).await {
            Ok(()) => self
                .inner
                .store
                .complete_work(&work.id, self.inner.worker)
                .await
                .map_err(EngineError::from),
            Err(error) => Err(error),
        };
        match result {
            Ok(_) => true,
            Err(error) => {
                tracing::warn!(%error, work = %work.id, "follow-up failed; a tick will retry it");
                false
            }
        }
    }

    /// The commands of a work item, each an ordinary command by the `System` actor. Doing it
    /// again is harmless: a complaint already released or marked refuses the command.
    pub(super) async fn do_work(&self, work: &PendingWork) -> Result<(), EngineError> {
        let tenant = work.id.tenant;
        match work.follow_up {
            FollowUpWork::ReleaseStaged { right } => {
                let staged = self
                    .inner
                    .store
                    .complaints_of_right(tenant, right, ComplaintStatus::Staged)
                    .await?;
                for row in staged {
                    let submit = Command::complaint(row.id, ComplaintCommand::SubmitStaged);
                    self.run_as_system(tenant, submit).await?;
                }
            }
            FollowUpWork::MarkPredecessor {
                previous,
                successor,
                kind,
            } => {
                let command = match kind {
                    FollowUpKind::Relisting => ComplaintCommand::MarkRelisted { successor },
                    FollowUpKind::Refiling => ComplaintCommand::MarkRefiled { successor },
                };
                self.run_as_system(tenant, Command::complaint(previous, command))
                    .await?;
            }
            FollowUpWork::FlagLapsedComplaints { right } => {
                for status in ComplaintStatus::ALL.into_iter().filter(|s| s.is_open()) {
                    let open = self
                        .inner
                        .store
                        .complaints_of_right(tenant, right, status)
                        .await?;
                    for row in open {
                        let flag = Command::complaint(row.id, ComplaintCommand::FlagRightLapsed);
                        self.run_as_system(tenant, flag).await?;
                    }
                }
            }
            FollowUpWork::RescheduleTimers => self.reschedule_timers(work.id.version).await?,
        }
        Ok(())
    }

    /// Runs a command of the engine's own; a refusal means it no longer applies (already
    /// done, or the stream moved on) and is not an error.
    pub(super) async fn run_as_system(
        &self,
        tenant: TenantId,
        command: Command,
    ) -> Result<(), EngineError> {
        let request = Request::new(tenant, Actor::System, command);
        match self.execute_only(&request).await {
            Ok(_) => Ok(()),
            Err(EngineError::ComplaintRefused(refusal)) => {
                tracing::debug!(%refusal, "follow-up no longer applies");
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    pub(super) async fn tick_probing(
        &self,
        probe: Option<&dyn ListingProbe>,
    ) -> Result<TickReport, EngineError> {
        // Timers fire under the store's policy only: a policy changed by another engine
        // since this one checked stops this one here, its commands included.
        if let Err(error) = self.check_stored_policy().await {
            if let EngineError::Policy(refusal @ PolicyError::Mismatch { .. }) = &error {
                self.refuse_commands(refusal.clone());
            }
            return Err(error);
        }
        let mut report = TickReport::default();
        // The looks wait until every due timer has fired, so that they run all at once
        // rather than a batch at a time: a batch of looks lasts as long as its busiest
        // host's, while the others idle.
        let mut looks = Vec::new();
        let firing = self.fire_due(&mut report, &mut looks).await;
        let looking = match probe {
            Some(probe) => self.look_all(probe, looks, &mut report).await,
            None => Ok(()),
        };
        firing.and(looking)?;
        Ok(report)
    }

    /// Claims and fires due timers until none is left, and carries out the work found
    /// unfinished; the check-backs and watches that fired are added to `looks`.
    async fn fire_due(
        &self,
        report: &mut TickReport,
        looks: &mut Vec<(TenantId, ComplaintId)>,
    ) -> Result<(), EngineError> {
        let now = self.inner.clock.now();
        // A fired timer's commit ends the claim on its stream; should a command ever leave a
        // timer due again at once, this tick does not fire it a second time.
        let mut fired = HashSet::new();
        loop {
            let claim = Claim {
                now,
                lease: self.lease(now, self.inner.config.claim_lease),
                limit: self.inner.config.timer_batch,
            };
            let due = self.inner.store.claim_due(claim).await?;
            // Work whose engine did not finish it (it failed, or died); a failure is left
            // to run out its lease, so this tick does not claim it again.
            let mut resumed = 0;
            for work in &due.work {
                if self.carry_out(work).await {
                    resumed += 1;
                }
            }
            report.follow_ups += resumed;
            let fresh: Vec<Timer> = due
                .timers
                .into_iter()
                .filter(|t| fired.insert(t.clone()))
                .collect();
            if fresh.is_empty() && resumed == 0 {
                break;
            }
            self.fire_all(fresh, report, looks).await?;
        }
        Ok(())
    }

    /// Fires `timers` with one store call for the commits of a round: a stream's first
    /// timer in each round, since a second timer of the stream is decided on what the first
    /// one's commit leaves. An error is returned once every commit of its round has been
    /// seen to, so that no committed timer's follow-up or check-back is skipped.
    async fn fire_all(
        &self,
        mut timers: Vec<Timer>,
        report: &mut TickReport,
        looks: &mut Vec<(TenantId, ComplaintId)>,
    ) -> Result<(), EngineError> {
        while !timers.is_empty() {
            let mut streams = HashSet::new();
            let (round, later): (Vec<Timer>, Vec<Timer>) = timers
                .into_iter()
                .partition(|t| streams.insert((t.tenant, t.stream)));
            timers = later;
            // Another engine's command may have replaced a stream's timers since they were
            // claimed: each fires only while its stream still has it, at the version loaded
            // here, so that a timer fires once in effect and never early.
            let keys: Vec<(TenantId, StreamId)> =
                round.iter().map(|t| (t.tenant, t.stream)).collect();
            let streams = self.inner.store.load_many(&keys).await?;
            let mut rights = RightMemo::default();
            let mut decided = Vec::with_capacity(round.len());
            for (timer, loaded) in round.into_iter().zip(streams) {
                match self.decide_timer(&timer, loaded, &mut rights).await? {
                    TimerDecision::Fire(decision) => decided.push((timer, *decision)),
                    TimerDecision::Stale => report.stale += 1,
                    TimerDecision::Drop => self.drop_timer(&timer, report).await?,
                }
            }
            if decided.is_empty() {
                continue;
            }
            let (round, decisions): (Vec<Timer>, Vec<Decided>) = decided.into_iter().unzip();
            let works: Vec<Option<PendingWork>> =
                decisions.iter().map(|d| d.commit.work.clone()).collect();
            let commits = decisions.into_iter().map(|d| d.commit).collect();
            let outcomes = self.inner.store.commit_batch(commits).await;
            let mut first_error = None;
            for ((timer, work), outcome) in round.iter().zip(works).zip(outcomes) {
                match outcome {
                    Ok(()) => {
                        self.fired(work, report).await;
                        if let (
                            TimerKind::CheckBack | TimerKind::ReturnWatch,
                            StreamId::Complaint(id),
                        ) = (timer.kind, timer.stream)
                        {
                            looks.push((timer.tenant, id));
                        }
                    }
                    // The stream moved on since it was loaded: its new timers fall due on
                    // their own.
                    Err(StoreError::Conflict { .. }) => report.stale += 1,
                    Err(other) => {
                        first_error.get_or_insert(other.into());
                    }
                }
            }
            if let Some(error) = first_error {
                return Err(error);
            }
        }
        Ok(())
    }

    /// Looks at the listings of `complaints` at once, [`EngineConfig::probe_concurrency`] at
    /// most, and records what each look found: the probe keeps its own limits per host, so
    /// one slow or distant marketplace does not hold up the others. An error is returned once
    /// every look has ended.
    ///
    /// [`EngineConfig::probe_concurrency`]: super::EngineConfig::probe_concurrency
    async fn look_all(
        &self,
        probe: &dyn ListingProbe,
        complaints: Vec<(TenantId, ComplaintId)>,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        let limit = self.inner.config.probe_concurrency.max(1);
        let mut looks = stream::iter(complaints)
            .map(|(tenant, id)| self.look(probe, tenant, id))
            .buffer_unordered(limit);
        let mut first_error = None;
        while let Some(looked) = looks.next().await {
            match looked {
                Ok(looked) => report.count(looked),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// What a claimed timer comes to on its stream as just `loaded`.
    async fn decide_timer(
        &self,
        timer: &Timer,
        loaded: Option<Loaded>,
        rights: &mut RightMemo,
    ) -> Result<TimerDecision, EngineError> {
        let Some(command) = effects::timer_command(timer) else {
            return Ok(TimerDecision::Drop);
        };
        let request = Request::new(timer.tenant, Actor::System, command);
        self.check_request(&request)?;
        let Some(loaded) = loaded else {
            return Ok(TimerDecision::Drop);
        };
        let current = effects::timers_for(
            timer.tenant,
            timer.stream,
            &loaded.snapshot,
            &self.inner.policy,
        );
        if !current
            .iter()
            .any(|t| t.kind == timer.kind && t.due == timer.due)
        {
            return Ok(TimerDecision::Stale);
        }
        // The stream was just loaded exactly, which the cache keeps: deciding on it needs no
        // second read, and a newer version means the stream moved on.
        match self
            .decide(&request, Loading::Cached, Some(rights), None)
            .await
        {
            Ok(decided) if decided.commit.expected_version == loaded.version => {
                Ok(TimerDecision::Fire(Box::new(decided)))
            }
            Ok(_) => Ok(TimerDecision::Stale),
            Err(error) if error.is_refusal() || matches!(error, EngineError::NotFound(_)) => {
                Ok(TimerDecision::Drop)
            }
            Err(error) => Err(error),
        }
    }

    /// What follows a timer's committed command: its cross-stream work.
    async fn fired(&self, work: Option<PendingWork>, report: &mut TickReport) {
        if let Some(work) = work
            && self.inner.config.carry_out_follow_ups
        {
            self.carry_out(&work).await;
        }
        report.fired += 1;
    }

    /// Asks `probe` about a complaint's listing and records what it found.
    async fn look(
        &self,
        probe: &dyn ListingProbe,
        tenant: TenantId,
        id: ComplaintId,
    ) -> Result<Looked, EngineError> {
        let Some(complaint) = self.load_complaint(tenant, id).await? else {
            return Ok(Looked::AsExpected);
        };
        let removed = complaint.status() == ComplaintStatus::ListingRemoved;
        let (command, looked) = match probe.probe(&complaint.filed.listing).await {
            // Already removed: gone is what the watch expects, and nothing to record.
            ProbeFinding::Removed { .. } if removed => return Ok(Looked::AsExpected),
            ProbeFinding::Removed {
                evidence: Some(evidence),
            } => (
                ComplaintCommand::RecordRemoval {
                    cause: RemovalCause::FoundByCheckBack {
                        evidence: Some(evidence),
                    },
                },
                Looked::FoundRemoved,
            ),
            // A removal is recorded with what was seen, or not at all.
            ProbeFinding::Removed { evidence: None } => {
                tracing::info!(complaint = %id, "probe found no listing but kept no evidence");
                return Ok(Looked::Unknown);
            }
            ProbeFinding::Live => (
                ComplaintCommand::ReportStillListed,
                match removed {
                    true => Looked::Reappeared,
                    false => Looked::FoundLive,
                },
            ),
            ProbeFinding::Unknown { reason } => {
                tracing::info!(complaint = %id, %reason, "check-back could not tell");
                return Ok(Looked::Unknown);
            }
        };
        let request = Request::new(tenant, Actor::System, Command::complaint(id, command));
        match self.execute(request).await {
            // The complaint moved on meanwhile (the platform reported first): what was seen
            // is counted, and there is nothing to record.
            Ok(_) | Err(EngineError::ComplaintRefused(_)) => Ok(looked),
            Err(other) => Err(other),
        }
    }

    /// Removes a timer whose command does not apply, keeping the stream's other timers.
    pub(super) async fn drop_timer(
        &self,
        timer: &Timer,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        tracing::warn!(?timer, "timer does not apply to its stream; dropped");
        let store = &self.inner.store;
        let Some(loaded) = store.load(timer.tenant, timer.stream).await? else {
            return Ok(());
        };
        let timers = effects::timers_for(
            timer.tenant,
            timer.stream,
            &loaded.snapshot,
            &self.inner.policy,
        )
        .into_iter()
        .filter(|t| t.kind != timer.kind)
        .collect();
        let commit = Commit::timers_only(timer.tenant, timer.stream, loaded, timers);
        match store.commit(commit).await {
            // A conflict means the stream moved on and its timers were replaced anyway.
            Ok(()) | Err(StoreError::Conflict { .. }) => {
                report.dropped += 1;
                Ok(())
            }
            Err(other) => Err(other.into()),
        }
    }
}

/// What a look at a complaint's listing found, as a tick counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Looked {
    FoundRemoved,
    FoundLive,
    Reappeared,
    Unknown,
    /// Nothing to count: the complaint is gone, or its removed listing is still gone.
    AsExpected,
}

impl TickReport {
    fn count(&mut self, looked: Looked) {
        match looked {
            Looked::FoundRemoved => self.found_removed += 1,
            Looked::FoundLive => self.found_live += 1,
            Looked::Reappeared => self.reappeared += 1,
            Looked::Unknown => self.unknown += 1,
            Looked::AsExpected => {}
        }
    }
}

/// What a claimed timer comes to.
enum TimerDecision {
    /// Its command, decided on the stream's current version, ready to commit.
    Fire(Box<Decided>),
    /// A command replaced it after it was claimed: the stream's new timers fall due on
    /// their own.
    Stale,
    /// Its command no longer applies to the stream (or the stream is gone).
    Drop,
}
