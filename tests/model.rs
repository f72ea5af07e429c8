//! Model-based test of the whole engine on both embedded stores: random sequences of commands
//! from every side (the holder's user, a representative with and without a power in force,
//! the platform, the seller, another tenant's user), clock advances across a weekend and a
//! holiday, ticks, dispatches, idempotent retries and, on SQLite, closing and reopening the
//! file. After every step the engine's answers equal an independent reference model's:
//! accepted or refused, every complaint's status and history length, the right's status,
//! counts by status, the metrics, the due timers, the notifications delivered, and the other
//! tenant's data.
//!
//! The model computes deadlines itself (working days on its own calendar), not with the
//! engine's `BusinessCalendar`. Cases: 256 per store; `ALIPROTECT_MODEL_CASES=N` for more.
//!
//! Mutations tried on 2026-11-29, each caught by this test (then reverted):
//! - memory store, `counts.rs` `moved`: the old status not decremented when a complaint
//!   moves on: "counts by status" differ (memory run);
//! - SQLite store, `writer.rs` `write_one`: the old status's count delta left at 0: "counts
//!   by status" differ on the SQLite run, the memory run passes;
//! - engine, `execute_only`: the idempotency key ignored (every request decided afresh): a
//!   retried `Register` is refused ("a retry with the same key failed");
//! - engine, `effects::timers_for`: a response deadline's reminder scheduled again after it
//!   was sent: "due timers" differ;
//! - the engine's calendar without the model's holiday: "due timers" differ.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use aliprotect::calendar::{BusinessCalendar, Window};
use aliprotect::clock::ManualClock;
use aliprotect::complaint::{ComplaintCommand, ComplaintStatus, RemovalCause};
use aliprotect::engine::{Command, Engine, EngineError, Request};
use aliprotect::ids::{
    ComplaintId, PowerOfAttorneyId, RepresentativeId, RightId, TenantId, UserId,
};
use aliprotect::party::{Actor, PowerOfAttorney, PowerScope};
use aliprotect::policy::MarketplacePolicy;
use aliprotect::power::PowerCommand;
use aliprotect::right::{RightCommand, RightStatus};
use aliprotect::store::{CountBy, GroupKey, IdempotencyKey, Store, StreamId, TimerKind};
use aliprotect::store_memory::MemoryStore;
use aliprotect::store_sqlite::SqliteStore;
use aliprotect::testkit::fixtures;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use common::RecordingNotifier;
use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

// ---------------------------------------------------------------------------------------
// The world both sides agree on.

const SELLER_DAYS: u32 = 1;
const HOLDER_DAYS: u32 = 2;
const REVIEW_DAYS: u32 = 2;
const REMINDER_HOURS: i64 = 24;
const COUNTER_NOTICES: u8 = 2;
const MAX_SUBMISSIONS: u32 = 5;

fn start() -> DateTime<Utc> {
    // Monday 2 March 2026, 09:00 UTC.
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .expect("a time")
}

fn holiday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 4).expect("a date")
}

fn policy() -> MarketplacePolicy {
    let mut policy = MarketplacePolicy::alibaba_ipp();
    policy.calendar = BusinessCalendar::utc_weekdays().with_holiday(holiday());
    policy.silence.seller_loses_after = Some(Window::WorkingDays(SELLER_DAYS as u16));
    policy.silence.holder_loses_after = Some(Window::WorkingDays(HOLDER_DAYS as u16));
    policy.complaint_review = Window::WorkingDays(REVIEW_DAYS as u16);
    policy.response_reminder_hours = REMINDER_HOURS as u16;
    policy.counter_notices_allowed = COUNTER_NOTICES;
    policy
}

fn tenant() -> TenantId {
    fixtures::tenant()
}
fn other_tenant() -> TenantId {
    TenantId::from_u128(0xB)
}
fn right_id() -> RightId {
    RightId::from_u128(0xA1)
}
fn their_right() -> RightId {
    RightId::from_u128(0xB1)
}
fn complaint_id(index: usize) -> ComplaintId {
    ComplaintId::from_u128(0xC0 + index as u128)
}
fn holder() -> Actor {
    fixtures::holder_user()
}
fn empowered() -> RepresentativeId {
    RepresentativeId::from_u128(0xE1)
}
fn powerless() -> RepresentativeId {
    RepresentativeId::from_u128(0xE2)
}

// ---------------------------------------------------------------------------------------
// The reference model.

/// Who files a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FiledBy {
    Holder,
    RepresentativeWithPower,
    RepresentativeWithoutPower,
    OtherTenantsUser,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    RegisterRight,
    SubmitRight,
    BeginReview,
    ApproveRight,
    RejectRight,
    File(FiledBy),
    Submit(usize),
    Accept(usize),
    Unable(usize),
    Remove(usize),
    CounterNotice(usize),
    Respond(usize),
    Retract(usize),
    /// Another tenant files a complaint with the next id: nothing of ours may change.
    OtherTenantFiles,
    Advance {
        hours: i64,
    },
    Tick,
    Dispatch,
    /// The last accepted command again, with its idempotency key.
    RetryLast,
    /// Close the store and open it again (SQLite: the file; memory: nothing to do).
    Reopen,
}

/// What the step must come to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Outcome {
    #[default]
    Accepted,
    Refused,
    Fired(usize),
    Delivered(Vec<&'static str>),
}

#[derive(Debug, Clone, PartialEq)]
struct ComplaintModel {
    status: ComplaintStatus,
    updated_at: DateTime<Utc>,
    seller_due: Option<DateTime<Utc>>,
    response_due: Option<DateTime<Utc>>,
    reminded: bool,
    counter_notices: u8,
    events: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct RightModel {
    status: RightStatus,
    events: u64,
    attempts: u32,
}

#[derive(Debug, Clone, PartialEq)]
struct Model {
    now: DateTime<Utc>,
    right: Option<RightModel>,
    complaints: Vec<ComplaintModel>,
    other_tenant_complaints: usize,
    pending: Vec<&'static str>,
    /// Whether the last command-like step was accepted (so `RetryLast` has one to repeat).
    last_accepted: bool,
    outcome: Outcome,
}

fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && day != holiday()
}

/// The start of the day after the `n`th working day after `from`'s day (UTC calendar).
fn deadline(from: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    let mut day = from.date_naive();
    let mut counted = 0;
    while counted < n {
        day = day.succ_opt().expect("a next day");
        if is_working_day(day) {
            counted += 1;
        }
    }
    let next = day.succ_opt().expect("a next day");
    next.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

impl ComplaintModel {
    /// The timers the complaint should have, as (kind, due).
    fn timers(&self) -> Vec<(TimerKind, DateTime<Utc>)> {
        use ComplaintStatus as S;
        let mut timers = Vec::new();
        match self.status {
            S::InProgress => {
                if let Some(due) = self.seller_due {
                    timers.push((TimerKind::SellerAnswerDeadline, due));
                }
            }
            S::CounterNoticed => {
                if let Some(due) = self.response_due {
                    timers.push((TimerKind::ResponseDeadline, due));
                    if !self.reminded {
                        timers.push((
                            TimerKind::ResponseDeadlineReminder,
                            due - Duration::hours(REMINDER_HOURS),
                        ));
                    }
                }
            }
            _ => {}
        }
        if matches!(self.status, S::Submitted | S::InProgress | S::Responded) {
            timers.push((TimerKind::CheckBack, deadline(self.updated_at, REVIEW_DAYS)));
        }
        timers
    }

    fn moved(&mut self, status: ComplaintStatus, now: DateTime<Utc>) {
        self.status = status;
        self.updated_at = now;
        self.events += 1;
    }
}

impl Model {
    fn complaint(&mut self, index: usize) -> Option<&mut ComplaintModel> {
        self.complaints.get_mut(index)
    }

    /// Applies a command step; `None` when it must be refused.
    fn command(&mut self, step: Step) -> Option<()> {
        use ComplaintStatus as S;
        let now = self.now;
        match step {
            Step::RegisterRight => {
                if self.right.is_some() {
                    return None;
                }
                self.right = Some(RightModel {
                    status: RightStatus::Draft,
                    events: 1,
                    attempts: 0,
                });
            }
            Step::SubmitRight => {
                let right = self.right.as_mut()?;
                if !matches!(right.status, RightStatus::Draft | RightStatus::Rejected)
                    || right.attempts >= MAX_SUBMISSIONS
                {
                    return None;
                }
                right.status = RightStatus::Submitted;
                right.attempts += 1;
                right.events += 1;
            }
            Step::BeginReview => {
                let right = self.right.as_mut()?;
                if right.status != RightStatus::Submitted {
                    return None;
                }
                right.status = RightStatus::UnderReview;
                right.events += 1;
            }
            Step::RejectRight => {
                let right = self.right.as_mut()?;
                if right.status != RightStatus::UnderReview {
                    return None;
                }
                right.status = RightStatus::Rejected;
                right.events += 1;
                self.pending.push("right_rejected");
            }
            Step::ApproveRight => {
                let right = self.right.as_mut()?;
                if right.status != RightStatus::UnderReview {
                    return None;
                }
                right.status = RightStatus::Approved;
                right.events += 1;
                self.pending.push("right_approved");
                // The approval releases the staged complaints.
                for complaint in &mut self.complaints {
                    if complaint.status == S::Staged {
                        complaint.moved(S::Submitted, now);
                    }
                }
            }
            Step::File(by) => {
                if !matches!(by, FiledBy::Holder | FiledBy::RepresentativeWithPower) {
                    return None;
                }
                let status = match self.right?.status {
                    RightStatus::Approved => S::Draft,
                    RightStatus::Submitted | RightStatus::UnderReview => S::Staged,
                    _ => return None,
                };
                self.complaints.push(ComplaintModel {
                    status,
                    updated_at: now,
                    seller_due: None,
                    response_due: None,
                    reminded: false,
                    counter_notices: 0,
                    events: 1,
                });
            }
            Step::Submit(i) => {
                let c = self.complaint(i)?;
                if c.status != S::Draft {
                    return None;
                }
                c.moved(S::Submitted, now);
            }
            Step::Accept(i) => {
                let c = self.complaint(i)?;
                if c.status != S::Submitted {
                    return None;
                }
                c.moved(S::InProgress, now);
                c.seller_due = Some(deadline(now, SELLER_DAYS));
            }
            Step::Unable(i) => {
                let c = self.complaint(i)?;
                if !matches!(c.status, S::Submitted | S::InProgress) {
                    return None;
                }
                c.moved(S::UnableToProcess, now);
                self.pending.push("complaint_unable_to_process");
            }
            Step::Remove(i) => {
                let c = self.complaint(i)?;
                if !matches!(c.status, S::Submitted | S::InProgress | S::Responded) {
                    return None;
                }
                c.moved(S::ListingRemoved, now);
                self.pending.push("listing_removed");
            }
            Step::CounterNotice(i) => {
                let c = self.complaint(i)?;
                if !matches!(c.status, S::InProgress | S::Responded | S::ListingRemoved)
                    || c.counter_notices >= COUNTER_NOTICES
                {
                    return None;
                }
                c.moved(S::CounterNoticed, now);
                c.counter_notices += 1;
                c.reminded = false;
                c.response_due = Some(deadline(now, HOLDER_DAYS));
                self.pending.push("counter_notice_received");
            }
            Step::Respond(i) => {
                let c = self.complaint(i)?;
                if c.status != S::CounterNoticed || c.response_due.is_some_and(|due| now >= due) {
                    return None;
                }
                c.moved(S::Responded, now);
            }
            Step::Retract(i) => {
                let c = self.complaint(i)?;
                if !matches!(
                    c.status,
                    S::Staged
                        | S::Draft
                        | S::Submitted
                        | S::InProgress
                        | S::CounterNoticed
                        | S::Responded
                ) {
                    return None;
                }
                c.moved(S::Retracted, now);
            }
            Step::OtherTenantFiles => {
                self.other_tenant_complaints += 1;
            }
            Step::Advance { .. } | Step::Tick | Step::Dispatch | Step::RetryLast | Step::Reopen => {
                unreachable!("not a command")
            }
        }
        Some(())
    }

    /// Fires every due timer, soonest first, each once, as the engine's tick does.
    fn tick(&mut self) -> usize {
        use ComplaintStatus as S;
        let now = self.now;
        let mut fired = Vec::new();
        let mut handled = Vec::new();
        loop {
            let next = self
                .complaints
                .iter()
                .enumerate()
                .flat_map(|(i, c)| {
                    c.timers()
                        .into_iter()
                        .map(move |(kind, due)| (due, i, kind))
                })
                .filter(|(due, i, kind)| {
                    *due <= now
                        && !fired.contains(&(*i, *kind, *due))
                        && !handled.contains(&(*i, *kind, *due))
                })
                .min();
            let Some((due, i, kind)) = next else { break };
            fired.push((i, kind, due));
            let c = &mut self.complaints[i];
            match kind {
                TimerKind::SellerAnswerDeadline => {
                    c.moved(S::ListingRemoved, now);
                    self.pending.push("listing_removed");
                }
                TimerKind::ResponseDeadline => {
                    c.moved(S::ListingRestored, now);
                    self.pending.push("listing_restored");
                }
                // Too late to remind: the command is refused and the timer dropped.
                TimerKind::ResponseDeadlineReminder if c.response_due.is_some_and(|d| now >= d) => {
                    fired.pop();
                    handled.push((i, kind, due));
                }
                TimerKind::ResponseDeadlineReminder => {
                    c.reminded = true;
                    c.updated_at = now;
                    c.events += 1;
                    self.pending.push("deadline_approaching");
                }
                TimerKind::CheckBack => {
                    c.updated_at = now;
                    c.events += 1;
                    self.pending.push("check_back_due");
                }
                other => unreachable!("no {other:?} timers on complaints"),
            }
        }
        fired.len()
    }
}

impl ReferenceStateMachine for Model {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Self::State> {
        Just(Model {
            now: start(),
            right: None,
            complaints: Vec::new(),
            other_tenant_complaints: 0,
            pending: Vec::new(),
            last_accepted: false,
            outcome: Outcome::Accepted,
        })
        .boxed()
    }

    fn transitions(state: &Self::State) -> BoxedStrategy<Self::Transition> {
        // Mostly complaints that exist, sometimes the next id (not filed yet: refused).
        let index = 0..state.complaints.len() + 1;
        // The right's next step in its life is likely, any right step possible.
        let next_right_step = match state.right.map(|r| r.status) {
            None => Step::RegisterRight,
            Some(RightStatus::Draft | RightStatus::Rejected) => Step::SubmitRight,
            Some(RightStatus::Submitted) => Step::BeginReview,
            Some(RightStatus::UnderReview) => Step::ApproveRight,
            Some(_) => Step::RejectRight,
        };
        let right_steps = prop_oneof![
            6 => Just(next_right_step),
            1 => Just(Step::RegisterRight),
            1 => Just(Step::SubmitRight),
            1 => Just(Step::BeginReview),
            1 => Just(Step::ApproveRight),
            1 => Just(Step::RejectRight),
        ];
        let filers = prop_oneof![
            4 => Just(FiledBy::Holder),
            2 => Just(FiledBy::RepresentativeWithPower),
            1 => Just(FiledBy::RepresentativeWithoutPower),
            1 => Just(FiledBy::OtherTenantsUser),
        ];
        let any_complaint_step = index.prop_flat_map(|i| {
            prop_oneof![
                Just(Step::Submit(i)),
                Just(Step::Accept(i)),
                Just(Step::Unable(i)),
                Just(Step::Remove(i)),
                Just(Step::CounterNotice(i)),
                Just(Step::Respond(i)),
                Just(Step::Retract(i)),
            ]
        });
        // What the other sides would likely do next to one of the complaints.
        let likely: Vec<Step> = state
            .complaints
            .iter()
            .enumerate()
            .flat_map(|(i, c)| {
                use ComplaintStatus as S;
                match c.status {
                    S::Draft => vec![Step::Submit(i)],
                    S::Submitted => vec![Step::Accept(i), Step::Unable(i), Step::Remove(i)],
                    S::InProgress => vec![Step::CounterNotice(i), Step::Remove(i)],
                    S::CounterNoticed => vec![Step::Respond(i), Step::Retract(i)],
                    S::Responded => vec![Step::Remove(i), Step::CounterNotice(i)],
                    S::ListingRemoved => vec![Step::CounterNotice(i)],
                    _ => vec![],
                }
            })
            .collect();
        let complaint_steps = if likely.is_empty() {
            any_complaint_step.boxed()
        } else {
            prop_oneof![
                3 => proptest::sample::select(likely),
                1 => any_complaint_step,
            ]
            .boxed()
        };
        let approved = state
            .right
            .is_some_and(|r| r.status == RightStatus::Approved);
        let right_weight = if approved { 1 } else { 6 };
        // Time passing and ticks matter once complaints have deadlines and check-backs.
        let timed = state.complaints.iter().any(|c| !c.timers().is_empty());
        let time_weight = if timed { 6 } else { 2 };
        prop_oneof![
            right_weight => right_steps,
            3 => filers.prop_map(Step::File),
            8 => complaint_steps,
            1 => Just(Step::OtherTenantFiles),
            time_weight => prop_oneof![Just(6i64), Just(24), Just(72)].prop_map(|hours| Step::Advance { hours }),
            time_weight => Just(Step::Tick),
            1 => Just(Step::Dispatch),
            1 => Just(Step::RetryLast),
            1 => Just(Step::Reopen),
        ]
        .boxed()
    }

    fn apply(mut state: Self::State, step: &Self::Transition) -> Self::State {
        state.outcome = match *step {
            Step::Advance { hours } => {
                state.now += Duration::hours(hours);
                Outcome::Accepted
            }
            Step::Tick => Outcome::Fired(state.tick()),
            Step::Dispatch => {
                let mut delivered = std::mem::take(&mut state.pending);
                delivered.sort_unstable();
                Outcome::Delivered(delivered)
            }
            Step::Reopen => Outcome::Accepted,
            Step::RetryLast => {
                if state.last_accepted {
                    Outcome::Accepted
                } else {
                    Outcome::Refused
                }
            }
            command => {
                let before = state.clone();
                match state.command(command) {
                    Some(()) => {
                        state.last_accepted = true;
                        Outcome::Accepted
                    }
                    None => {
                        state = before;
                        state.last_accepted = false;
                        Outcome::Refused
                    }
                }
            }
        };
        state
    }
}

// ---------------------------------------------------------------------------------------
// The system under test: the engine on a store.

type DynEngine = Engine<Arc<dyn Store>, RecordingNotifier, ManualClock>;

struct Harness {
    runtime: tokio::runtime::Runtime,
    engine: DynEngine,
    clock: ManualClock,
    notifier: RecordingNotifier,
    /// SQLite: the directory holding the file, to reopen it.
    sqlite: Option<tempfile::TempDir>,
    last: Option<Request>,
    steps: u64,
    /// Complaints accepted so far, ours and the other tenant's: the next ids.
    filed: usize,
    theirs: usize,
    delivered_before: usize,
}

fn engine(store: Arc<dyn Store>, notifier: &RecordingNotifier, clock: &ManualClock) -> DynEngine {
    Engine::new(store, notifier.clone(), clock.clone(), policy())
}

fn open_sqlite(dir: &tempfile::TempDir) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(dir.path().join("model.sqlite")).expect("the file opens"))
}

impl Harness {
    fn new(sqlite: bool) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let clock = ManualClock::at(start());
        let notifier = RecordingNotifier::default();
        let dir = sqlite.then(|| tempfile::tempdir().expect("a temp dir"));
        let store: Arc<dyn Store> = match &dir {
            Some(dir) => open_sqlite(dir),
            None => Arc::new(MemoryStore::new()),
        };
        let engine = engine(store, &notifier, &clock);
        // A power of attorney in force for one of the two representatives.
        let power = PowerOfAttorney {
            id: PowerOfAttorneyId::from_u128(0xF1),
            holder: fixtures::holder().id,
            representative: empowered(),
            scope: PowerScope::AllRights,
            valid_from: start() - Duration::days(1),
            valid_until: None,
        };
        let grant = PowerCommand::Grant {
            tenant: tenant(),
            power: power.clone(),
        };
        runtime
            .block_on(engine.execute(Request::new(
                tenant(),
                holder(),
                Command::power(power.id, grant),
            )))
            .expect("the power is granted");
        // The other tenant's own approved right, for its own complaints.
        let mut package = fixtures::trademark_package();
        package.holder.tenant = other_tenant();
        for (actor, command) in fixtures::approval_of(their_right(), other_tenant(), package) {
            let actor = match actor {
                Actor::HolderUser { user, .. } => Actor::HolderUser {
                    tenant: other_tenant(),
                    user,
                },
                other => other,
            };
            let request = Request::new(
                other_tenant(),
                actor,
                Command::right(their_right(), command),
            );
            runtime
                .block_on(engine.execute(request))
                .expect("their right is approved");
        }
        // Its approval's notification is delivered before the model starts.
        runtime.block_on(engine.dispatch()).expect("dispatch");
        let delivered_before = notifier.bodies().len();
        Self {
            runtime,
            engine,
            clock,
            notifier,
            sqlite: dir,
            last: None,
            steps: 0,
            filed: 0,
            theirs: 0,
            delivered_before,
        }
    }

    fn request(&mut self, step: Step) -> Request {
        let file = |actor: Actor, index: usize, tenant: TenantId| {
            let mut filing = fixtures::complaint_filing(0, 1_600_000_000 + index as u64);
            filing.id = complaint_id(index);
            filing.tenant = tenant;
            filing.right = right_id();
            (
                actor,
                Command::complaint(filing.id, ComplaintCommand::File(Box::new(filing))),
            )
        };
        let right = |command| Command::right(right_id(), command);
        let complaint = |i: usize, command| Command::complaint(complaint_id(i), command);
        let statement = fixtures::text("These goods are genuine.");
        let (request_tenant, (actor, command)) = match step {
            Step::RegisterRight => (
                tenant(),
                (
                    holder(),
                    right(RightCommand::Register {
                        id: right_id(),
                        tenant: tenant(),
                        package: Box::new(fixtures::trademark_package()),
                    }),
                ),
            ),
            Step::SubmitRight => (tenant(), (holder(), right(RightCommand::Submit))),
            Step::BeginReview => (
                tenant(),
                (Actor::Platform, right(RightCommand::BeginReview)),
            ),
            Step::ApproveRight => (tenant(), (Actor::Platform, right(RightCommand::Approve))),
            Step::RejectRight => (
                tenant(),
                (
                    Actor::Platform,
                    right(RightCommand::Reject {
                        reason: fixtures::text("The certificate scan is not legible."),
                        fixes: vec![],
                    }),
                ),
            ),
            Step::File(by) => {
                let actor = match by {
                    FiledBy::Holder => holder(),
                    FiledBy::RepresentativeWithPower => Actor::Representative {
                        tenant: tenant(),
                        representative: empowered(),
                    },
                    FiledBy::RepresentativeWithoutPower => Actor::Representative {
                        tenant: tenant(),
                        representative: powerless(),
                    },
                    FiledBy::OtherTenantsUser => Actor::HolderUser {
                        tenant: other_tenant(),
                        user: UserId::from_u128(2),
                    },
                };
                (tenant(), file(actor, self.filed, tenant()))
            }
            Step::OtherTenantFiles => {
                let index = self.theirs;
                let actor = Actor::HolderUser {
                    tenant: other_tenant(),
                    user: UserId::from_u128(2),
                };
                // The other tenant files under the same right and complaint ids as ours.
                let mut filing = fixtures::complaint_filing(0, 1_700_000_000 + index as u64);
                filing.id = ComplaintId::from_u128(0xD0 + index as u128);
                filing.tenant = other_tenant();
                filing.right = their_right();
                (
                    other_tenant(),
                    (
                        actor,
                        Command::complaint(filing.id, ComplaintCommand::File(Box::new(filing))),
                    ),
                )
            }
            Step::Submit(i) => (tenant(), (holder(), complaint(i, ComplaintCommand::Submit))),
            Step::Accept(i) => (
                tenant(),
                (Actor::Platform, complaint(i, ComplaintCommand::Accept)),
            ),
            Step::Unable(i) => (
                tenant(),
                (
                    Actor::Platform,
                    complaint(
                        i,
                        ComplaintCommand::ReportUnableToProcess {
                            reason: fixtures::text("The product link provided is invalid."),
                        },
                    ),
                ),
            ),
            Step::Remove(i) => (
                tenant(),
                (
                    Actor::Platform,
                    complaint(
                        i,
                        ComplaintCommand::RecordRemoval {
                            cause: RemovalCause::PlatformReported,
                        },
                    ),
                ),
            ),
            Step::CounterNotice(i) => (
                tenant(),
                (
                    Actor::Seller,
                    complaint(
                        i,
                        ComplaintCommand::ReceiveCounterNotice {
                            statement: statement.clone(),
                            evidence: vec![],
                        },
                    ),
                ),
            ),
            Step::Respond(i) => (
                tenant(),
                (
                    holder(),
                    complaint(
                        i,
                        ComplaintCommand::Respond {
                            statement: fixtures::text("The distributor holds no licence."),
                            evidence: vec![],
                        },
                    ),
                ),
            ),
            Step::Retract(i) => (
                tenant(),
                (
                    holder(),
                    complaint(i, ComplaintCommand::Retract { reason: None }),
                ),
            ),
            other => unreachable!("{other:?} is not a command"),
        };
        self.steps += 1;
        let key = IdempotencyKey::new(format!("model-step-{}", self.steps)).expect("a key");
        Request::new(request_tenant, actor, command).idempotent(key)
    }

    /// Runs the step; whether it was accepted, or what a tick or dispatch did.
    fn run(&mut self, step: Step) -> Outcome {
        match step {
            Step::Advance { hours } => {
                self.clock.advance(Duration::hours(hours));
                Outcome::Accepted
            }
            Step::Tick => {
                let report = self.runtime.block_on(self.engine.tick()).expect("tick");
                Outcome::Fired(report.fired)
            }
            Step::Dispatch => {
                self.runtime
                    .block_on(self.engine.dispatch())
                    .expect("dispatch");
                let bodies = self.notifier.bodies();
                let mut kinds: Vec<&'static str> = bodies[self.delivered_before..]
                    .iter()
                    .map(|b| b.kind())
                    .collect();
                self.delivered_before = bodies.len();
                kinds.sort_unstable();
                Outcome::Delivered(kinds)
            }
            Step::Reopen => {
                if let Some(dir) = &self.sqlite {
                    // Drop the open store first: its last connection closes the file.
                    let placeholder: Arc<dyn Store> = Arc::new(MemoryStore::new());
                    self.engine = engine(placeholder, &self.notifier, &self.clock);
                    self.engine = engine(open_sqlite(dir), &self.notifier, &self.clock);
                }
                Outcome::Accepted
            }
            Step::RetryLast => match self.last.clone() {
                Some(request) => match self.runtime.block_on(self.engine.execute(request)) {
                    Ok(_) => Outcome::Accepted,
                    Err(error) => panic!("a retry with the same key failed: {error}"),
                },
                None => Outcome::Refused,
            },
            command => {
                let request = self.request(command);
                match self.runtime.block_on(self.engine.execute(request.clone())) {
                    Ok(_) => {
                        match command {
                            Step::File(_) => self.filed += 1,
                            Step::OtherTenantFiles => self.theirs += 1,
                            _ => {}
                        }
                        self.last = Some(request);
                        Outcome::Accepted
                    }
                    Err(error) => {
                        assert!(
                            error.is_refusal()
                                || matches!(
                                    error,
                                    EngineError::NotFound(_)
                                        | EngineError::Forbidden { .. }
                                        | EngineError::UnusableRight { .. }
                                ),
                            "{command:?}: not a refusal but {error}"
                        );
                        self.last = None;
                        Outcome::Refused
                    }
                }
            }
        }
    }

    /// Everything the engine says about the tenant equals the model.
    fn check(&self, model: &Model) {
        let engine = &self.engine;
        let rt = &self.runtime;
        let right = rt
            .block_on(engine.right(tenant(), right_id()))
            .expect("right");
        assert_eq!(
            right.as_ref().map(|r| r.status),
            model.right.map(|r| r.status),
            "right status"
        );
        assert_eq!(
            right.as_ref().map(|r| r.attempts),
            model.right.map(|r| r.attempts),
            "attempts"
        );
        let right_history = rt
            .block_on(engine.history(tenant(), StreamId::Right(right_id())))
            .expect("history");
        assert_eq!(
            right_history.len() as u64,
            model.right.map_or(0, |r| r.events),
            "right events"
        );

        let mut expected_counts: BTreeMap<ComplaintStatus, u64> = BTreeMap::new();
        let mut expected_timers = Vec::new();
        for (i, c) in model.complaints.iter().enumerate() {
            let id = complaint_id(i);
            let actual = rt
                .block_on(engine.complaint(tenant(), id))
                .expect("complaint")
                .unwrap_or_else(|| panic!("complaint {i} missing"));
            assert_eq!(actual.status(), c.status, "complaint {i}'s status");
            assert_eq!(
                actual.counter_notices.len() as u8,
                c.counter_notices,
                "complaint {i}'s counter-notices"
            );
            let history = rt
                .block_on(engine.history(tenant(), StreamId::Complaint(id)))
                .expect("history");
            assert_eq!(history.len() as u64, c.events, "complaint {i}'s history");
            *expected_counts.entry(c.status).or_default() += 1;
            for (kind, due) in c.timers() {
                expected_timers.push((due, StreamId::Complaint(id), kind));
            }
        }
        let absent = rt
            .block_on(engine.complaint(tenant(), complaint_id(model.complaints.len())))
            .expect("complaint");
        assert!(absent.is_none(), "no complaint beyond the model's");

        let counts: BTreeMap<ComplaintStatus, u64> = rt
            .block_on(engine.complaint_counts(tenant(), CountBy::Status))
            .expect("counts")
            .into_iter()
            .filter(|c| c.group == GroupKey::All)
            .map(|c| (c.status, c.count))
            .collect();
        assert_eq!(counts, expected_counts, "counts by status");

        let metrics = rt
            .block_on(engine.metrics(tenant(), None))
            .expect("metrics")
            .overall;
        let count = |f: &dyn Fn(&ComplaintModel) -> bool| {
            model.complaints.iter().filter(|c| f(c)).count() as u64
        };
        assert_eq!(
            metrics.filed,
            model.complaints.len() as u64,
            "metrics: filed"
        );
        assert_eq!(
            metrics.removed,
            count(&|c| c.status == ComplaintStatus::ListingRemoved),
            "metrics: removed"
        );
        assert_eq!(
            metrics.unable_to_process,
            count(&|c| c.status == ComplaintStatus::UnableToProcess),
            "metrics: unable to process"
        );
        assert_eq!(
            metrics.counter_noticed,
            count(&|c| c.counter_notices > 0),
            "metrics: counter-noticed"
        );
        assert_eq!(
            metrics.restored,
            count(&|c| c.status == ComplaintStatus::ListingRestored),
            "metrics: restored"
        );

        let mut timers: Vec<(DateTime<Utc>, StreamId, TimerKind)> = rt
            .block_on(engine.upcoming_timers(tenant()))
            .expect("timers")
            .into_iter()
            .filter(|t| matches!(t.stream, StreamId::Complaint(_)))
            .map(|t| (t.due, t.stream, t.kind))
            .collect();
        timers.sort();
        expected_timers.sort();
        assert_eq!(timers, expected_timers, "due timers");

        let theirs = rt
            .block_on(engine.store().complaints(other_tenant(), None))
            .expect("the other tenant's");
        assert_eq!(
            theirs.len(),
            model.other_tenant_complaints,
            "the other tenant's complaints"
        );
        assert!(theirs.iter().all(|c| c.tenant() == other_tenant()));
    }
}

struct EngineOnMemory;
struct EngineOnSqlite;

fn apply(mut harness: Harness, model: &Model, step: Step) -> Harness {
    let outcome = harness.run(step);
    assert_eq!(outcome, model.outcome, "{step:?}");
    harness.check(model);
    harness
}

impl StateMachineTest for EngineOnMemory {
    type SystemUnderTest = Harness;
    type Reference = Model;

    fn init_test(_: &Model) -> Harness {
        Harness::new(false)
    }

    fn apply(harness: Harness, model: &Model, step: Step) -> Harness {
        apply(harness, model, step)
    }
}

impl StateMachineTest for EngineOnSqlite {
    type SystemUnderTest = Harness;
    type Reference = Model;

    fn init_test(_: &Model) -> Harness {
        Harness::new(true)
    }

    fn apply(harness: Harness, model: &Model, step: Step) -> Harness {
        apply(harness, model, step)
    }
}

fn cases() -> u32 {
    std::env::var("ALIPROTECT_MODEL_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

prop_state_machine! {
    #![proptest_config(Config { cases: cases(), failure_persistence: None, ..Config::default() })]

    #[test]
    fn the_engine_on_memory_follows_the_model(sequential 1..60 => EngineOnMemory);

    #[test]
    fn the_engine_on_sqlite_follows_the_model(sequential 1..60 => EngineOnSqlite);
}

#[test]
fn the_model_counts_working_days_around_the_weekend_and_the_holiday() {
    // Monday 09:00 + 1 working day: Tuesday is the day; the deadline is Wednesday 00:00.
    assert_eq!(
        deadline(start(), 1),
        Utc.with_ymd_and_hms(2026, 3, 4, 0, 0, 0).unwrap()
    );
    // + 2: Wednesday is a holiday, so Thursday; the deadline is Friday 00:00.
    assert_eq!(
        deadline(start(), 2),
        Utc.with_ymd_and_hms(2026, 3, 6, 0, 0, 0).unwrap()
    );
    // Friday + 1: the weekend is skipped; Monday is the day, the deadline Tuesday 00:00.
    let friday = Utc.with_ymd_and_hms(2026, 3, 6, 9, 0, 0).unwrap();
    assert_eq!(
        deadline(friday, 1),
        Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap()
    );
}
