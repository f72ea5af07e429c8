//! Property tests of the complaint machine against a reference model.
//!
//! The model tracks status, counter-notices and deadlines in whole days on a calendar where
//! every day is a working day (so a window of N days opened on day D closes at the start of
//! day D + N + 1). It is run under an Alibaba-like policy (a silent seller makes a removal
//! expected, 3 counter-notices) and a DMCA-like one (seller silence changes nothing, 1
//! counter-notice). A removal is recorded only when seen (the platform's status, or a
//! check-back with evidence), and a removed listing is watched for its return.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use aliprotect_core::calendar::{BusinessCalendar, Window};
use aliprotect_core::complaint::*;
use aliprotect_core::decider::Decider;
use aliprotect_core::ids::ComplaintId;
use aliprotect_core::party::Actor;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::right::{IpRight, RightStatus};
use aliprotect_core::testkit::fixtures::{self, now, text};
use chrono::Duration;
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

use aliprotect_core::testkit::given::{Driven, assert_json_round_trip};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    File {
        fits: bool,
    },
    ApproveRight,
    Submit,
    SubmitStaged,
    Accept,
    UnableToProcess,
    Removal,
    /// A check-back that saw the listing gone, with its evidence.
    RemovalSeen,
    /// A removal nobody saw: the seller's silence, or a check-back without evidence.
    RemovalUnseen,
    SellerWindowElapsed,
    CounterNotice,
    Respond,
    AcceptCounterNotice,
    PlatformRestores,
    ResponseWindowElapsed,
    Retract,
    MarkRelisted,
    MarkRefiled,
    CheckBackDue,
    RemindDeadline,
    StillListed,
    WatchForReturn,
    FlagRightLapsed,
    Wait {
        days: i64,
    },
}

const ALL_STEPS: [Step; 28] = [
    Step::File { fits: true },
    Step::File { fits: false },
    Step::ApproveRight,
    Step::Submit,
    Step::SubmitStaged,
    Step::Accept,
    Step::UnableToProcess,
    Step::Removal,
    Step::RemovalSeen,
    Step::RemovalUnseen,
    Step::SellerWindowElapsed,
    Step::CounterNotice,
    Step::Respond,
    Step::AcceptCounterNotice,
    Step::PlatformRestores,
    Step::ResponseWindowElapsed,
    Step::Retract,
    Step::MarkRelisted,
    Step::MarkRefiled,
    Step::CheckBackDue,
    Step::RemindDeadline,
    Step::StillListed,
    Step::WatchForReturn,
    Step::FlagRightLapsed,
    Step::Wait { days: 1 },
    Step::Wait { days: 4 },
    Step::Wait { days: 9 },
    Step::Wait { days: 40 },
];

/// The rules a model run is under.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rules {
    seller_window_days: Option<i64>,
    holder_window_days: Option<i64>,
    counter_notices: u8,
}

const ALIBABA_LIKE: Rules = Rules {
    seller_window_days: Some(3),
    holder_window_days: Some(15),
    counter_notices: 3,
};
const DMCA_LIKE: Rules = Rules {
    seller_window_days: None,
    holder_window_days: Some(10),
    counter_notices: 1,
};

#[derive(Debug, Clone, PartialEq)]
struct Model {
    rules: Rules,
    right_approved: bool,
    day: i64,
    status: Option<ComplaintStatus>,
    counter_notices: u8,
    /// The day (inclusive) from which the pending silence deadline has passed.
    deadline_day: Option<i64>,
    check_backs: u32,
    /// Whether the holder was reminded of the current response deadline.
    reminded: bool,
    /// The day the listing was first seen removed.
    removed_day: Option<i64>,
    /// The day of the last look at the listing (check-back, or watch for its return).
    looked_day: Option<i64>,
    /// Whether the removed listing was seen up again.
    reappeared: bool,
    /// Whether the complaint was flagged for its right's lapse.
    lapsed: bool,
}

/// The removed listing's watch (every 5 working days for 90 days, as the Alibaba IPP
/// policy has it): the day the next look is due, while the watch lasts.
fn watch_due(model: &Model) -> Option<i64> {
    let removed = model.removed_day?;
    if model.reappeared {
        return None;
    }
    let last = model.looked_day.map_or(removed, |day| day.max(removed));
    let due = last + 6;
    (due <= removed + 90).then_some(due)
}

impl Model {
    fn due(&self) -> bool {
        self.deadline_day.is_some_and(|day| self.day >= day)
    }

    fn window_from_today(&self, days: Option<i64>) -> Option<i64> {
        days.map(|n| self.day + n + 1)
    }
}

/// The model's table: the model after `step`, or `None` when the step must be refused.
fn model_transition(model: &Model, step: Step) -> Option<Model> {
    use ComplaintStatus as S;
    let mut next = model.clone();
    match step {
        Step::Wait { days } => {
            next.day += days;
            return Some(next);
        }
        Step::ApproveRight => {
            next.right_approved = true;
            return Some(next);
        }
        _ => {}
    }
    let Some(status) = model.status else {
        if let Step::File { fits: true } = step {
            next.status = Some(if model.right_approved {
                S::Draft
            } else {
                S::Staged
            });
            return Some(next);
        }
        return None;
    };
    let (new_status, deadline) = match (status, step) {
        (S::Draft, Step::Submit) | (S::Staged, Step::SubmitStaged) if model.right_approved => {
            (S::Submitted, None)
        }
        (S::Submitted, Step::Accept) => (
            S::InProgress,
            model.window_from_today(model.rules.seller_window_days),
        ),
        (S::Submitted | S::InProgress | S::RemovalExpected, Step::UnableToProcess) => {
            (S::UnableToProcess, None)
        }
        (
            S::Submitted | S::InProgress | S::Responded | S::RemovalExpected,
            Step::Removal | Step::RemovalSeen,
        ) => {
            next.removed_day.get_or_insert(model.day);
            (S::ListingRemoved, None)
        }
        // The platform's rule makes a removal expected; nobody has seen it.
        (S::InProgress, Step::SellerWindowElapsed) if model.due() => (S::RemovalExpected, None),
        (
            S::InProgress | S::Responded | S::ListingRemoved | S::RemovalExpected,
            Step::CounterNotice,
        ) if model.counter_notices < model.rules.counter_notices => {
            next.counter_notices += 1;
            next.reminded = false;
            (
                S::CounterNoticed,
                model.window_from_today(model.rules.holder_window_days),
            )
        }
        (S::CounterNoticed, Step::Respond) if !model.due() => (S::Responded, None),
        (S::CounterNoticed | S::Responded, Step::AcceptCounterNotice | Step::PlatformRestores) => {
            (S::ListingRestored, None)
        }
        (S::CounterNoticed, Step::ResponseWindowElapsed) if model.due() => {
            (S::ListingRestored, None)
        }
        (
            S::Staged
            | S::Draft
            | S::Submitted
            | S::InProgress
            | S::CounterNoticed
            | S::Responded
            | S::RemovalExpected,
            Step::Retract,
        ) => (S::Retracted, None),
        (status, Step::FlagRightLapsed) if status.is_open() && !model.lapsed => {
            next.lapsed = true;
            (status, model.deadline_day)
        }
        // The policy reminds 48 hours (two days here) before a deadline that falls at the
        // start of `deadline_day`; the clock runs at 09:00 of `day`.
        (S::CounterNoticed, Step::RemindDeadline)
            if !model.reminded
                && model
                    .deadline_day
                    .is_some_and(|due| model.day >= due - 2 && model.day < due) =>
        {
            next.reminded = true;
            (status, model.deadline_day)
        }
        (S::Submitted | S::InProgress | S::Responded | S::RemovalExpected, Step::StillListed) => {
            (status, model.deadline_day)
        }
        // A removed listing seen up again: recorded once, and the watch ends.
        (S::ListingRemoved, Step::StillListed) if !model.reappeared => {
            next.reappeared = true;
            (status, None)
        }
        (S::Submitted | S::InProgress | S::Responded | S::RemovalExpected, Step::CheckBackDue) => {
            next.check_backs += 1;
            next.looked_day = Some(model.day);
            (status, model.deadline_day)
        }
        (S::ListingRemoved, Step::WatchForReturn)
            if watch_due(model).is_some_and(|due| model.day >= due) =>
        {
            next.looked_day = Some(model.day);
            (status, None)
        }
        (S::ListingRemoved, Step::MarkRelisted) => (S::Relisted, None),
        (S::UnableToProcess, Step::MarkRefiled) => (S::Refiled, None),
        _ => return None,
    };
    next.status = Some(new_status);
    next.deadline_day = deadline;
    Some(next)
}

struct ComplaintModel;

impl ReferenceStateMachine for ComplaintModel {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        (
            prop_oneof![Just(ALIBABA_LIKE), Just(DMCA_LIKE)],
            any::<bool>(),
        )
            .prop_map(|(rules, right_approved)| Model {
                rules,
                right_approved,
                day: 0,
                status: None,
                counter_notices: 0,
                deadline_day: None,
                check_backs: 0,
                reminded: false,
                removed_day: None,
                looked_day: None,
                reappeared: false,
                lapsed: false,
            })
            .boxed()
    }

    /// Mostly steps the model accepts and that keep the complaint open, so long stories
    /// (three counter-notices, a removal then a relisting) happen often; refused and ending
    /// steps are mixed in with less weight.
    fn transitions(model: &Model) -> BoxedStrategy<Step> {
        let weighted = ALL_STEPS
            .into_iter()
            .map(|step| {
                let in_progress = model.status == Some(ComplaintStatus::InProgress);
                let weight = match (step, model_transition(model, step)) {
                    // The seller's window must pass before a removal can be expected.
                    (Step::Wait { .. }, _) if in_progress && !model.due() => 12,
                    (Step::SellerWindowElapsed, Some(_)) => 40,
                    (Step::Wait { .. }, _) => 3,
                    (Step::ApproveRight, _) if model.right_approved => 0,
                    (Step::ApproveRight, _) => 12,
                    // Moves to another open state: what makes long stories.
                    (_, Some(next))
                        if next.status != model.status
                            && next.status.is_some_and(|s| !s.is_terminal()) =>
                    {
                        12
                    }
                    (_, Some(next)) if next.status.is_some_and(|s| !s.is_terminal()) => 3,
                    _ => 1,
                };
                (weight, Just(step).boxed())
            })
            .filter(|(weight, _)| *weight > 0)
            .collect::<Vec<_>>();
        Union::new_weighted(weighted).boxed()
    }

    fn apply(model: Model, step: &Step) -> Model {
        model_transition(&model, *step).unwrap_or(model)
    }
}

fn policy_for(rules: Rules) -> MarketplacePolicy {
    let mut policy = MarketplacePolicy::alibaba_ipp();
    let mut calendar = BusinessCalendar::utc_weekdays();
    calendar.weekend.clear();
    policy.calendar = calendar;
    policy.counter_notices_allowed = rules.counter_notices;
    policy.silence.seller_loses_after = rules
        .seller_window_days
        .map(|d| Window::WorkingDays(d as u16));
    policy.silence.holder_loses_after = rules
        .holder_window_days
        .map(|d| Window::CalendarDays(d as u16));
    policy
}

struct Sut {
    policy: MarketplacePolicy,
    right: IpRight,
    day: i64,
    stream: Driven<ComplaintDecider>,
}

fn command(step: Step) -> Option<ComplaintCommand> {
    let successor = ComplaintId::from_u128(2);
    Some(match step {
        Step::File { fits } => {
            let mut filing = fixtures::complaint_filing(1, 1_600_001);
            if !fits {
                filing.reason = ComplaintReason::CopyrightCopiedText;
            }
            ComplaintCommand::File(Box::new(filing))
        }
        Step::Submit => ComplaintCommand::Submit,
        Step::SubmitStaged => ComplaintCommand::SubmitStaged,
        Step::Accept => ComplaintCommand::Accept,
        Step::UnableToProcess => ComplaintCommand::ReportUnableToProcess {
            reason: text("Insufficient evidence"),
        },
        Step::Removal => ComplaintCommand::RecordRemoval {
            cause: RemovalCause::PlatformReported,
        },
        Step::RemovalSeen => ComplaintCommand::RecordRemoval {
            cause: RemovalCause::FoundByCheckBack {
                evidence: Some(fixtures::evidence(
                    aliprotect_core::evidence::EvidenceKind::SavedPage,
                )),
            },
        },
        // A removal nobody saw: the seller's silence.
        Step::RemovalUnseen => ComplaintCommand::RecordRemoval {
            cause: RemovalCause::SellerSilent,
        },
        Step::SellerWindowElapsed => ComplaintCommand::SellerAnswerWindowElapsed,
        Step::CounterNotice => ComplaintCommand::ReceiveCounterNotice {
            statement: text("Genuine goods"),
            evidence: vec![],
        },
        Step::Respond => ComplaintCommand::Respond {
            statement: text("They are not"),
            evidence: vec![],
        },
        Step::AcceptCounterNotice => ComplaintCommand::AcceptCounterNotice,
        Step::PlatformRestores => ComplaintCommand::PlatformRestores,
        Step::ResponseWindowElapsed => ComplaintCommand::ResponseWindowElapsed,
        Step::Retract => ComplaintCommand::Retract { reason: None },
        Step::MarkRelisted => ComplaintCommand::MarkRelisted { successor },
        Step::MarkRefiled => ComplaintCommand::MarkRefiled { successor },
        Step::CheckBackDue => ComplaintCommand::CheckBackDue,
        Step::RemindDeadline => ComplaintCommand::RemindResponseDeadline,
        Step::StillListed => ComplaintCommand::ReportStillListed,
        Step::WatchForReturn => ComplaintCommand::WatchForReturn,
        Step::FlagRightLapsed => ComplaintCommand::FlagRightLapsed,
        Step::ApproveRight | Step::Wait { .. } => return None,
    })
}

impl Sut {
    fn decide(&self, command: &ComplaintCommand) -> Result<Vec<ComplaintEvent>, ComplaintRefusal> {
        let at = now() + Duration::days(self.day);
        let context = ComplaintContext::new(at, Actor::Platform, &self.policy, Some(&self.right));
        ComplaintDecider::decide(&self.stream.state, command, &context)
    }
}

impl StateMachineTest for Sut {
    type SystemUnderTest = Self;
    type Reference = ComplaintModel;

    fn init_test(model: &Model) -> Self {
        let status = if model.right_approved {
            RightStatus::Approved
        } else {
            RightStatus::UnderReview
        };
        Sut {
            policy: policy_for(model.rules),
            right: fixtures::right_in(status),
            day: 0,
            stream: Driven::new(),
        }
    }

    fn apply(mut sut: Self, model: &Model, step: Step) -> Self {
        match step {
            Step::Wait { days } => sut.day += days,
            Step::ApproveRight => sut.right.status = RightStatus::Approved,
            _ => {}
        }
        if let Some(command) = command(step) {
            let decided = sut.decide(&command);
            sut.stream.record(decided);
        }
        let status = sut.stream.state.as_ref().map(Complaint::status);
        assert_eq!(status, model.status, "status after {step:?}");
        let notices = sut
            .stream
            .state
            .as_ref()
            .map_or(0, |c| c.counter_notices.len());
        assert_eq!(
            notices,
            usize::from(model.counter_notices),
            "after {step:?}"
        );
        assert!(notices <= usize::from(sut.policy.counter_notices_allowed));
        let check_backs = sut.stream.state.as_ref().map_or(0, |c| c.check_backs);
        assert_eq!(check_backs, model.check_backs, "check-backs after {step:?}");
        let complaint = sut.stream.state.as_ref();
        assert_eq!(
            complaint
                .and_then(|c| c.removed_at)
                .map(|at| (at - now()).num_days()),
            model.removed_day,
            "removal day after {step:?}"
        );
        assert_eq!(
            complaint.is_some_and(|c| c.reappeared_at.is_some()),
            model.reappeared,
            "reappearance after {step:?}"
        );
        assert_eq!(
            complaint.is_some_and(|c| c.right_lapsed),
            model.lapsed,
            "lapse flag after {step:?}"
        );
        if let Some(complaint) = complaint {
            assert!(
                !matches!(&complaint.stage, Stage::ListingRemoved { cause } if !cause.is_observed()),
                "a removal recorded without an observation"
            );
            let next_watch =
                next_return_watch(complaint, &sut.policy).map(|due| (due - now()).num_days() + 1);
            let expected = match complaint.status() {
                ComplaintStatus::ListingRemoved => watch_due(model),
                _ => None,
            };
            assert_eq!(next_watch, expected, "the next watch after {step:?}");
        }
        let reminded = sut.stream.state.as_ref().is_some_and(|c| {
            matches!(c.stage, Stage::CounterNoticed { response_due: Some(due) } if c.deadline_reminded == Some(due))
        });
        assert_eq!(
            reminded,
            model.reminded && model.status == Some(ComplaintStatus::CounterNoticed),
            "reminder after {step:?}"
        );
        sut
    }

    fn check_invariants(sut: &Self, _: &Model) {
        sut.stream.assert_replayable();
        assert_json_round_trip(&sut.stream.state);
        if let Some(complaint) = &sut.stream.state
            && complaint.status().is_terminal()
        {
            for step in ALL_STEPS {
                if let Some(command) = command(step) {
                    assert!(
                        sut.decide(&command).is_err(),
                        "terminal {} accepted {step:?}",
                        complaint.status()
                    );
                }
            }
        }
    }
}

prop_state_machine! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]
    #[test]
    fn complaint_machine_agrees_with_the_model(sequential 1..50 => Sut);
}
