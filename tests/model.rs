//! Model-based test of the whole engine on both embedded stores: random sequences of commands
//! from every side (the holder's user, a representative with and without a power in force,
//! the platform, the seller, another tenant's user), clock advances across a weekend and a
//! holiday, ticks, dispatches, idempotent retries and, on SQLite, closing and reopening the
//! file. After every step the engine's answers equal an independent reference model's:
//! accepted or refused, every complaint's status and history length, the right's status,
//! counts by status, the metrics, the due timers, the notifications delivered, and the other
//! tenant's data.
//!
//! The record's trust rules are part of the model: a seller's silence makes a removal
//! *expected* (a check-back falls due at once), and only a check-back that sees the listing
//! gone, or the platform, records it; a removal nobody saw is refused; a removed listing is
//! watched for its return; a listing holds one open complaint per tenant (a second filing is
//! refused, another tenant's is not); and an idempotency key sent with another request is
//! refused.
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
//!
//! And on 2026-12-02, for the trust rules:
//! - memory store, `commit`: a unique key held by another stream not refused: a second
//!   filing on a listing with an open complaint is accepted, the model refuses it;
//! - `RemovalCause::is_observed` true for `SellerSilent`: a removal nobody saw is recorded,
//!   the model refuses it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use aliprotect::calendar::{BusinessCalendar, Window};
use aliprotect::clock::ManualClock;
use aliprotect::complaint::{ComplaintCommand, ComplaintStatus, RemovalCause};
use aliprotect::engine::{Command, Engine, EngineError, Request, TimerQuery};
use aliprotect::evidence::EvidenceKind;
use aliprotect::ids::{
    ComplaintId, PowerOfAttorneyId, RepresentativeId, RightId, TenantId, UserId,
};
use aliprotect::party::{Actor, PowerOfAttorney, PowerScope};
use aliprotect::policy::MarketplacePolicy;
use aliprotect::power::PowerCommand;
use aliprotect::right::{RightCommand, RightStatus};
use aliprotect::store::ReadModelExt;
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
    /// The holder amends the package (each amendment a new certificate scan).
    AmendRight,
    SubmitRight,
    BeginReview,
    ApproveRight,
    RejectRight,
    File(FiledBy),
    Submit(usize),
    Accept(usize),
    Unable(usize),
    Remove(usize),
    /// A person's check-back: the listing gone (recorded, with a screenshot) or up.
    CheckBackFinds {
        complaint: usize,
        gone: bool,
    },
    /// A removal recorded without anyone having seen it (the seller's silence): refused.
    UnseenRemoval(usize),
    /// A new complaint against complaint `i`'s listing: refused while `i` holds it open.
    FileAgain(usize),
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
    /// Another command with the last accepted command's idempotency key: refused as a reuse.
    ReuseKey,
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
    KeyReused,
}

#[derive(Debug, Clone, PartialEq)]
struct ComplaintModel {
    status: ComplaintStatus,
    /// Which listing: complaints filed against one listing share it.
    listing: usize,
    updated_at: DateTime<Utc>,
    seller_due: Option<DateTime<Utc>>,
    response_due: Option<DateTime<Utc>>,
    reminded: bool,
    counter_notices: u8,
    events: u64,
    check_backs: u32,
    /// When the removal became expected (the seller's window passed).
    expected_since: Option<DateTime<Utc>>,
    /// When the last check-back, or watch for the listing's return, fell due.
    checked_at: Option<DateTime<Utc>>,
    /// When the listing was first seen removed.
    removed_at: Option<DateTime<Utc>>,
    /// Whether the removed listing was seen up again.
    reappeared: bool,
}

/// Escalation after this many check-backs finding the listing up (the policy's).
const ESCALATE_AFTER: u32 = 3;
/// A removed listing is watched every 5 working days for 90 days (the policy's).
const WATCH_DAYS: u32 = 5;
const WATCH_FOR_DAYS: i64 = 90;

#[derive(Debug, Clone, Copy, PartialEq)]
struct RightModel {
    status: RightStatus,
    events: u64,
    attempts: u32,
    /// Whether the package was amended since the last rejection.
    amended: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Model {
    now: DateTime<Utc>,
    right: Option<RightModel>,
    complaints: Vec<ComplaintModel>,
    /// Listings filed against so far (the next new listing's number).
    listings: usize,
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
        match self.status {
            S::Submitted | S::InProgress | S::Responded => {
                timers.push((TimerKind::CheckBack, deadline(self.updated_at, REVIEW_DAYS)));
            }
            // Expected, not seen: look at once, then every review period.
            S::RemovalExpected => {
                let since = self.expected_since.expect("expected since");
                let due = match self.checked_at {
                    Some(checked) if checked >= since => deadline(self.updated_at, REVIEW_DAYS),
                    _ => since,
                };
                timers.push((TimerKind::CheckBack, due));
            }
            S::ListingRemoved if !self.reappeared => {
                let removed = self.removed_at.expect("removed at");
                let last = self.checked_at.map_or(removed, |at| at.max(removed));
                let due = deadline(last, WATCH_DAYS);
                if due <= removed + Duration::days(WATCH_FOR_DAYS) {
                    timers.push((TimerKind::ReturnWatch, due));
                }
            }
            _ => {}
        }
        timers
    }

    fn moved(&mut self, status: ComplaintStatus, now: DateTime<Utc>) {
        self.status = status;
        self.touched(now);
    }

    /// An event that leaves the status.
    fn touched(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.events += 1;
    }

    fn removed(&mut self, now: DateTime<Utc>) {
        self.moved(ComplaintStatus::ListingRemoved, now);
        self.removed_at.get_or_insert(now);
    }

    /// Whether it holds its listing (one open complaint per listing): open, and never
    /// removed.
    fn holds_listing(&self) -> bool {
        self.status.is_open() && self.removed_at.is_none()
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
                    amended: false,
                });
            }
            Step::AmendRight => {
                let right = self.right.as_mut()?;
                if !matches!(right.status, RightStatus::Draft | RightStatus::Rejected) {
                    return None;
                }
                right.amended = true;
                right.events += 1;
            }
            Step::SubmitRight => {
                let right = self.right.as_mut()?;
                // A resubmission needs an amendment since the rejection.
                let unchanged = right.status == RightStatus::Rejected && !right.amended;
                if !matches!(right.status, RightStatus::Draft | RightStatus::Rejected)
                    || right.attempts >= MAX_SUBMISSIONS
                    || unchanged
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
                right.amended = false;
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
            Step::File(_) | Step::FileAgain(_) => {
                let listing = match step {
                    Step::File(by) => {
                        if !matches!(by, FiledBy::Holder | FiledBy::RepresentativeWithPower) {
                            return None;
                        }
                        self.listings
                    }
                    Step::FileAgain(i) => self.complaints.get(i)?.listing,
                    _ => return None,
                };
                let status = match self.right?.status {
                    RightStatus::Approved => S::Draft,
                    RightStatus::Submitted | RightStatus::UnderReview => S::Staged,
                    _ => return None,
                };
                let held = self
                    .complaints
                    .iter()
                    .any(|c| c.listing == listing && c.holds_listing());
                if held {
                    return None;
                }
                if listing == self.listings {
                    self.listings += 1;
                }
                self.complaints.push(ComplaintModel {
                    status,
                    listing,
                    updated_at: now,
                    seller_due: None,
                    response_due: None,
                    reminded: false,
                    counter_notices: 0,
                    events: 1,
                    check_backs: 0,
                    expected_since: None,
                    checked_at: None,
                    removed_at: None,
                    reappeared: false,
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
                if !matches!(c.status, S::Submitted | S::InProgress | S::RemovalExpected) {
                    return None;
                }
                c.moved(S::UnableToProcess, now);
                self.pending.push("complaint_unable_to_process");
            }
            Step::Remove(i)
            | Step::CheckBackFinds {
                complaint: i,
                gone: true,
            } => {
                let c = self.complaint(i)?;
                if !matches!(
                    c.status,
                    S::Submitted | S::InProgress | S::Responded | S::RemovalExpected
                ) {
                    return None;
                }
                c.removed(now);
                self.pending.push("listing_removed");
            }
            Step::CheckBackFinds {
                complaint: i,
                gone: false,
            } => {
                let c = self.complaint(i)?;
                let escalate = match c.status {
                    S::Submitted | S::InProgress | S::Responded => c.check_backs >= ESCALATE_AFTER,
                    // Gone by the platform's rule, yet seen up: a person must look.
                    S::RemovalExpected => true,
                    // A removed listing seen up again: once, and the watch ends.
                    S::ListingRemoved if !c.reappeared => {
                        c.reappeared = true;
                        c.touched(now);
                        self.pending.push("listing_reappeared");
                        return Some(());
                    }
                    _ => return None,
                };
                c.touched(now);
                if escalate {
                    self.pending.push("still_listed");
                }
            }
            Step::UnseenRemoval(i) => {
                self.complaint(i)?;
                return None;
            }
            Step::CounterNotice(i) => {
                let c = self.complaint(i)?;
                if !matches!(
                    c.status,
                    S::InProgress | S::Responded | S::ListingRemoved | S::RemovalExpected
                ) || c.counter_notices >= COUNTER_NOTICES
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
                        | S::RemovalExpected
                ) {
                    return None;
                }
                c.moved(S::Retracted, now);
            }
            Step::OtherTenantFiles => {
                self.other_tenant_complaints += 1;
            }
            Step::Advance { .. }
            | Step::Tick
            | Step::Dispatch
            | Step::RetryLast
            | Step::ReuseKey
            | Step::Reopen => unreachable!("not a command"),
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
                // Expected, not seen: no removal is recorded, and a check-back falls due.
                TimerKind::SellerAnswerDeadline => {
                    c.moved(S::RemovalExpected, now);
                    c.expected_since = Some(now);
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
                    c.touched(now);
                    c.check_backs += 1;
                    c.checked_at = Some(now);
                    self.pending.push("check_back_due");
                }
                TimerKind::ReturnWatch => {
                    c.touched(now);
                    c.checked_at = Some(now);
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
            listings: 0,
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
        let next_right_step = match state.right.map(|r| (r.status, r.amended)) {
            None => Step::RegisterRight,
            Some((RightStatus::Rejected, false)) => Step::AmendRight,
            Some((RightStatus::Draft | RightStatus::Rejected, _)) => Step::SubmitRight,
            Some((RightStatus::Submitted, _)) => Step::BeginReview,
            Some((RightStatus::UnderReview, _)) => Step::ApproveRight,
            Some(_) => Step::RejectRight,
        };
        let right_steps = prop_oneof![
            6 => Just(next_right_step),
            1 => Just(Step::RegisterRight),
            1 => Just(Step::AmendRight),
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
                Just(Step::CheckBackFinds {
                    complaint: i,
                    gone: true
                }),
                Just(Step::CheckBackFinds {
                    complaint: i,
                    gone: false
                }),
                Just(Step::UnseenRemoval(i)),
                Just(Step::FileAgain(i)),
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
                    S::RemovalExpected => vec![
                        Step::CheckBackFinds {
                            complaint: i,
                            gone: true,
                        },
                        Step::CheckBackFinds {
                            complaint: i,
                            gone: false,
                        },
                        Step::UnseenRemoval(i),
                        Step::FileAgain(i),
                    ],
                    S::ListingRemoved => vec![
                        Step::CounterNotice(i),
                        Step::FileAgain(i),
                        Step::CheckBackFinds {
                            complaint: i,
                            gone: false,
                        },
                    ],
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
            1 => Just(Step::ReuseKey),
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
            // Nothing changes, and the last request may still be retried.
            Step::ReuseKey => {
                if state.last_accepted {
                    Outcome::KeyReused
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
    /// The product id of each of our complaints' listings, and the next new one's number.
    products: Vec<u64>,
    listings: u64,
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
        runtime
            .block_on(engine.jobs().dispatch())
            .expect("dispatch");
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
            products: Vec::new(),
            listings: 0,
            delivered_before,
        }
    }

    fn request(&mut self, step: Step) -> Request {
        let file = |actor: Actor, index: usize, product: u64, tenant: TenantId| {
            let filing =
                fixtures::complaint_filing_on(tenant, right_id(), complaint_id(index), product);
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
            Step::AmendRight => {
                let mut package = fixtures::trademark_package();
                package
                    .evidence
                    .push(aliprotect::evidence::Evidence::of_bytes(
                        EvidenceKind::TrademarkCertificate,
                        &self.steps.to_be_bytes(),
                        "image/png",
                        start(),
                    ));
                let amend = RightCommand::Amend {
                    package: Box::new(package),
                };
                (tenant(), (holder(), right(amend)))
            }
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
                let product = 1_600_000_000 + self.listings;
                (tenant(), file(actor, self.filed, product, tenant()))
            }
            Step::FileAgain(i) => match self.products.get(i) {
                Some(product) => (tenant(), file(holder(), self.filed, *product, tenant())),
                // No such complaint: a command on it is refused as unknown.
                None => (tenant(), (holder(), complaint(i, ComplaintCommand::Submit))),
            },
            Step::OtherTenantFiles => {
                let index = self.theirs;
                let actor = Actor::HolderUser {
                    tenant: other_tenant(),
                    user: UserId::from_u128(2),
                };
                // The other tenant files against our listings, under complaint ids of its
                // own: one open complaint per listing holds within a tenant, not across.
                let filing = fixtures::complaint_filing_on(
                    other_tenant(),
                    their_right(),
                    ComplaintId::from_u128(0xD0 + index as u128),
                    1_600_000_000 + index as u64,
                );
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
            Step::CheckBackFinds { complaint: i, gone } => {
                let command = match gone {
                    true => ComplaintCommand::RecordRemoval {
                        cause: RemovalCause::FoundByCheckBack {
                            evidence: Some(fixtures::evidence(EvidenceKind::Screenshot)),
                        },
                    },
                    false => ComplaintCommand::ReportStillListed,
                };
                (tenant(), (holder(), complaint(i, command)))
            }
            Step::UnseenRemoval(i) => (
                tenant(),
                (
                    Actor::Platform,
                    complaint(
                        i,
                        ComplaintCommand::RecordRemoval {
                            cause: RemovalCause::SellerSilent,
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
                let report = self
                    .runtime
                    .block_on(self.engine.jobs().tick())
                    .expect("tick");
                Outcome::Fired(report.fired)
            }
            Step::Dispatch => {
                self.runtime
                    .block_on(self.engine.jobs().dispatch())
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
            Step::ReuseKey => match self.last.clone() {
                Some(last) => {
                    let other = altered(last);
                    match self.runtime.block_on(self.engine.execute(other)) {
                        Err(EngineError::IdempotencyKeyReused { .. }) => Outcome::KeyReused,
                        other => panic!("a key reused with another request: {other:?}"),
                    }
                }
                None => Outcome::Refused,
            },
            command => {
                let request = self.request(command);
                match self.runtime.block_on(self.engine.execute(request.clone())) {
                    Ok(_) => {
                        match command {
                            Step::File(_) => {
                                self.products.push(1_600_000_000 + self.listings);
                                self.listings += 1;
                                self.filed += 1;
                            }
                            Step::FileAgain(i) => {
                                self.products.push(self.products[i]);
                                self.filed += 1;
                            }
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
            .block_on(engine.read().right(tenant(), right_id()))
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
            .block_on(engine.read().history(tenant(), StreamId::Right(right_id())))
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
                .block_on(engine.read().complaint(tenant(), id))
                .expect("complaint")
                .unwrap_or_else(|| panic!("complaint {i} missing"));
            assert_eq!(actual.status(), c.status, "complaint {i}'s status");
            assert_eq!(
                actual.counter_notices.len() as u8,
                c.counter_notices,
                "complaint {i}'s counter-notices"
            );
            let history = rt
                .block_on(engine.read().history(tenant(), StreamId::Complaint(id)))
                .expect("history");
            assert_eq!(history.len() as u64, c.events, "complaint {i}'s history");
            assert_eq!(
                actual.check_backs, c.check_backs,
                "complaint {i}'s check-backs"
            );
            assert_eq!(
                actual.removed_at, c.removed_at,
                "complaint {i}: removed when seen, and only then"
            );
            assert_eq!(
                actual.reappeared_at.is_some(),
                c.reappeared,
                "complaint {i}'s reappearance"
            );
            *expected_counts.entry(c.status).or_default() += 1;
            for (kind, due) in c.timers() {
                expected_timers.push((due, StreamId::Complaint(id), kind));
            }
        }
        let absent = rt
            .block_on(
                engine
                    .read()
                    .complaint(tenant(), complaint_id(model.complaints.len())),
            )
            .expect("complaint");
        assert!(absent.is_none(), "no complaint beyond the model's");

        let counts: BTreeMap<ComplaintStatus, u64> = rt
            .block_on(engine.read().complaint_counts(tenant(), CountBy::Status))
            .expect("counts")
            .into_iter()
            .filter(|c| c.group == GroupKey::All)
            .map(|c| (c.status, c.count))
            .collect();
        assert_eq!(counts, expected_counts, "counts by status");

        let metrics = rt
            .block_on(engine.read().metrics(tenant(), None))
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
            .block_on(
                engine
                    .read()
                    .upcoming_timers(tenant(), &TimerQuery::soonest(usize::MAX)),
            )
            .expect("timers")
            .soonest
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

/// Another request under the same key, tenant and actor: the same command on another
/// stream, or a filing or registration with other content.
fn altered(mut request: Request) -> Request {
    request.command = match request.command {
        Command::Complaint {
            id,
            command: ComplaintCommand::File(mut filing),
        } => {
            filing.explanation = fixtures::text("Another explanation entirely.");
            Command::complaint(id, ComplaintCommand::File(filing))
        }
        Command::Complaint { command, .. } => Command::complaint(complaint_id(9_999), command),
        Command::Right {
            id,
            command:
                RightCommand::Register {
                    tenant,
                    mut package,
                    ..
                },
        } => {
            package.evidence.pop();
            Command::right(
                id,
                RightCommand::Register {
                    id,
                    tenant,
                    package,
                },
            )
        }
        Command::Right { command, .. } => Command::right(RightId::from_u128(0x99), command),
        other => panic!("no altered form of {other:?}"),
    };
    request
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
