//! Property tests of the IP right machine against a reference model.
//!
//! The model is a transition table over statuses and counters, written independently of the
//! decider; random command sequences (valid and invalid) must be accepted or refused exactly
//! as the model says, and leave the same status, attempt count, expiry and reminders. A
//! resubmission after a rejection needs an amendment since (an amendment that changes
//! nothing is refused); an approved right is renewed to a later expiry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use aliprotect_core::decider::Decider;
use aliprotect_core::evidence::EvidenceKind;
use aliprotect_core::ids::RightId;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::right::*;
use aliprotect_core::testkit::fixtures::{self, now, text};
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

use aliprotect_core::testkit::given::{Driven, assert_json_round_trip};

const SUBMISSION_LIMIT: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Register {
        complete: bool,
    },
    Amend {
        complete: bool,
    },
    Submit,
    BeginReview,
    Approve,
    Reject,
    /// `Expire` issued after (or before) the registration's expiry date.
    Expire {
        after_expiry: bool,
    },
    /// `RemindExpiry` issued inside (or before) the reminder lead.
    RemindExpiry {
        in_lead: bool,
    },
    Withdraw,
    Abandon,
    /// `Renew` to a date after (or not after) the current expiry, with a renewal document
    /// (or a screenshot, which is none).
    Renew {
        later: bool,
        document: bool,
    },
}

const ALL_STEPS: [Step; 17] = [
    Step::Register { complete: true },
    Step::Register { complete: false },
    Step::Amend { complete: true },
    Step::Amend { complete: false },
    Step::Submit,
    Step::BeginReview,
    Step::Approve,
    Step::Reject,
    Step::Expire { after_expiry: true },
    Step::Expire {
        after_expiry: false,
    },
    Step::RemindExpiry { in_lead: true },
    Step::RemindExpiry { in_lead: false },
    Step::Withdraw,
    Step::Abandon,
    Step::Renew {
        later: true,
        document: true,
    },
    Step::Renew {
        later: false,
        document: true,
    },
    Step::Renew {
        later: true,
        document: false,
    },
];

/// The fixture trademark expires on 2031-05-31; each renewal adds ten years.
fn expiry(renewals: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2031 + 10 * renewals as i32, 5, 31).unwrap()
}

#[derive(Debug, Clone, PartialEq)]
struct Model {
    status: Option<RightStatus>,
    attempts: u32,
    package_complete: bool,
    /// Whether the package was amended since the last rejection.
    changed: bool,
    renewals: u32,
    /// Whether the holder was reminded of the current expiry date.
    reminded: bool,
}

struct RightModel;

impl ReferenceStateMachine for RightModel {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model {
            status: None,
            attempts: 0,
            package_complete: false,
            changed: true,
            renewals: 0,
            reminded: false,
        })
        .boxed()
    }

    /// Mostly steps the model accepts and that keep the right alive, so long stories (the
    /// rejection loop up to the submission limit) happen often; refused and ending steps are
    /// mixed in with less weight.
    fn transitions(model: &Model) -> BoxedStrategy<Step> {
        let weighted = ALL_STEPS
            .into_iter()
            .map(|step| {
                let weight = match model_transition(model, step) {
                    Some(next) if next.status.is_some_and(|s| !s.is_terminal()) => 12,
                    _ => 1,
                };
                (weight, Just(step).boxed())
            })
            .collect::<Vec<_>>();
        Union::new_weighted(weighted).boxed()
    }

    fn apply(model: Model, step: &Step) -> Model {
        model_transition(&model, *step).unwrap_or(model)
    }
}

/// The model's table: the state after `step`, or `None` when the step must be refused.
fn model_transition(model: &Model, step: Step) -> Option<Model> {
    use RightStatus::*;
    let mut next = model.clone();
    let Some(status) = model.status else {
        return match step {
            Step::Register { complete } => {
                next.status = Some(Draft);
                next.package_complete = complete;
                Some(next)
            }
            _ => None,
        };
    };
    next.status = Some(match (status, step) {
        // An amendment must change the package.
        (Draft | Rejected, Step::Amend { complete }) if complete != model.package_complete => {
            next.package_complete = complete;
            next.changed = true;
            status
        }
        (Draft | Rejected, Step::Submit)
            if model.package_complete
                && model.attempts < SUBMISSION_LIMIT
                && (status == Draft || model.changed) =>
        {
            next.attempts += 1;
            Submitted
        }
        (Submitted, Step::BeginReview) => UnderReview,
        (UnderReview, Step::Approve) => Approved,
        (UnderReview, Step::Reject) => {
            next.changed = false;
            Rejected
        }
        (Approved, Step::Expire { after_expiry: true }) => Expired,
        (Approved, Step::RemindExpiry { in_lead: true }) if !model.reminded => {
            next.reminded = true;
            Approved
        }
        (
            Approved,
            Step::Renew {
                later: true,
                document: true,
            },
        ) => {
            next.renewals += 1;
            next.reminded = false;
            Approved
        }
        (Approved, Step::Withdraw) => Withdrawn,
        (Rejected, Step::Abandon) => Abandoned,
        _ => return None,
    });
    Some(next)
}

struct Sut {
    policy: MarketplacePolicy,
    stream: Driven<RightDecider>,
    /// The model as the last step left it: what the next command is made from.
    model: Model,
}

fn package(complete: bool) -> SubmissionPackage {
    let mut package = fixtures::trademark_package();
    if !complete {
        package
            .evidence
            .retain(|e| e.kind != EvidenceKind::TrademarkCertificate);
    }
    package
}

fn command(step: Step, model: &Model) -> RightCommand {
    match step {
        Step::Register { complete } => RightCommand::Register {
            id: RightId::from_u128(1),
            tenant: fixtures::tenant(),
            package: Box::new(package(complete)),
        },
        Step::Amend { complete } => RightCommand::Amend {
            package: Box::new(package(complete)),
        },
        Step::Submit => RightCommand::Submit,
        Step::BeginReview => RightCommand::BeginReview,
        Step::Approve => RightCommand::Approve,
        Step::Reject => RightCommand::Reject {
            reason: text("Unclear certificate"),
            fixes: vec![],
        },
        Step::Expire { .. } => RightCommand::Expire,
        Step::RemindExpiry { .. } => RightCommand::RemindExpiry,
        Step::Withdraw => RightCommand::Withdraw { reason: None },
        Step::Abandon => RightCommand::Abandon {
            reason: Some(text("Not worth it")),
        },
        Step::Renew { later, document } => RightCommand::Renew {
            expires_on: match later {
                true => expiry(model.renewals + 1),
                false => expiry(model.renewals),
            },
            document: fixtures::evidence(match document {
                true => EvidenceKind::RenewalDocument,
                false => EvidenceKind::Screenshot,
            }),
        },
    }
}

fn time_of(step: Step, model: &Model) -> DateTime<Utc> {
    let expires = expiry(model.renewals)
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    match step {
        Step::Expire { after_expiry: true } => expires + Duration::days(1),
        // 60 days before the expiry: inside Alibaba's 90-day reminder lead.
        Step::RemindExpiry { in_lead: true } => expires - Duration::days(60),
        _ => now(),
    }
}

impl StateMachineTest for Sut {
    type SystemUnderTest = Self;
    type Reference = RightModel;

    fn init_test(model: &Model) -> Self {
        let mut policy = MarketplacePolicy::alibaba_ipp();
        policy.max_right_submissions = Some(SUBMISSION_LIMIT);
        Sut {
            policy,
            stream: Driven::new(),
            model: model.clone(),
        }
    }

    fn apply(mut sut: Self, model: &Model, step: Step) -> Self {
        // The command as issued in the state before the step.
        let before = sut.model.clone();
        let context = RightContext {
            at: time_of(step, &before),
            actor: fixtures::holder_user(),
            policy: &sut.policy,
        };
        let result = RightDecider::decide(&sut.stream.state, &command(step, &before), &context);
        let attempts_before = sut.stream.state.as_ref().map_or(0, |r| r.attempts);
        sut.stream.record(result);
        let status = sut.stream.state.as_ref().map(|r| r.status);
        let attempts = sut.stream.state.as_ref().map_or(0, |r| r.attempts);
        assert_eq!(status, model.status, "status after {step:?}");
        assert_eq!(attempts, model.attempts, "attempts after {step:?}");
        let reminded = sut.stream.state.as_ref().is_some_and(|r| {
            r.expiry_reminded_for.is_some()
                && r.expiry_reminded_for == r.package.registration.expires_on()
        });
        assert_eq!(reminded, model.reminded, "reminder after {step:?}");
        assert!(attempts >= attempts_before, "attempt counter decreased");
        if let Some(right) = &sut.stream.state {
            assert_eq!(
                right.package.registration.expires_on(),
                Some(expiry(model.renewals)),
                "expiry after {step:?}"
            );
        }
        sut.model = model.clone();
        sut
    }

    fn check_invariants(sut: &Self, _: &Model) {
        sut.stream.assert_replayable();
        assert_json_round_trip(&sut.stream.state);
        if let Some(right) = &sut.stream.state {
            assert_eq!(
                right.rejections.len(),
                sut.stream
                    .events
                    .iter()
                    .filter(|e| matches!(e.change, RightChange::Rejected { .. }))
                    .count()
            );
            if right.status.is_terminal() {
                for step in ALL_STEPS {
                    let context = RightContext {
                        at: time_of(step, &sut.model),
                        actor: fixtures::holder_user(),
                        policy: &sut.policy,
                    };
                    let command = command(step, &sut.model);
                    assert!(
                        RightDecider::decide(&sut.stream.state, &command, &context).is_err(),
                        "terminal {} accepted {step:?}",
                        right.status
                    );
                }
            }
        }
    }
}

prop_state_machine! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]
    #[test]
    fn right_machine_agrees_with_the_model(sequential 1..40 => Sut);
}
