//! Property tests of the sweep, candidate and authorised-seller machines against reference
//! models: transition tables over statuses plus the little data that matters (a sweep's
//! runs and schedule, a candidate's status and times, the set of authorised sellers),
//! written independently of the deciders. Random command sequences must be accepted or
//! refused (by the very rule) exactly as the model says and leave the same state; every
//! stream must refold from its events, each of which survives a JSON round trip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::collections::BTreeMap;
use std::fmt::{Debug, Display};

use aliprotect_core::complaint::ComplaintReason;
use aliprotect_core::decider::{Decider, Recorded, Refusal, StateName};
use aliprotect_core::ids::{ComplaintId, RightId};
use aliprotect_core::listing::{Listing, ListingDetails};
use aliprotect_core::marketplace::Marketplace;
use aliprotect_core::testkit::fixtures::{self, now, text};
use aliprotect_sweep::*;
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

use aliprotect_core::testkit::given::Driven;

/// A model's state: the facts it keeps (`None` before the stream exists), and how it
/// judged the latest step: accepted, or refused by a rule.
#[derive(Debug, Clone)]
struct Modelled<F, R> {
    facts: Option<F>,
    verdict: Result<(), R>,
}

impl<F: Clone, R> Modelled<F, R> {
    fn start() -> Self {
        Self {
            facts: None,
            verdict: Ok(()),
        }
    }

    /// The state after a step whose outcome `table` gives: the new facts, or the rule that
    /// refuses it (the facts then unchanged).
    fn after(self, table: impl FnOnce(&Option<F>) -> Result<F, R>) -> Self {
        match table(&self.facts) {
            Ok(facts) => Self {
                facts: Some(facts),
                verdict: Ok(()),
            },
            Err(rule) => Self {
                facts: self.facts,
                verdict: Err(rule),
            },
        }
    }
}

/// The decision agrees with the model's verdict: one event stamped with the context when
/// accepted, the very rule and the state met (`state_name`, read from the model) when
/// refused.
fn assert_verdict<C, S, R>(
    decided: &Result<Vec<Recorded<C>>, Refusal<S, R>>,
    verdict: &Result<(), R>,
    state_name: StateName<S>,
    stamp: &Stamp,
    step: &dyn Debug,
) where
    C: Debug,
    S: Debug + Display + PartialEq,
    R: Debug + Display + PartialEq,
{
    match (decided, verdict) {
        (Ok(events), Ok(())) => {
            assert_eq!(events.len(), 1, "one event for {step:?}");
            assert_eq!(events[0].at, stamp.at, "stamped at for {step:?}");
            assert_eq!(events[0].actor, stamp.actor, "stamped by for {step:?}");
        }
        (Err(refusal), Err(rule)) => {
            assert_eq!(&refusal.rule, rule, "rule refusing {step:?}");
            assert_eq!(refusal.state, state_name, "state met by {step:?}");
        }
        (decided, verdict) => {
            panic!("{step:?}: the decider says {decided:?}, the model {verdict:?}")
        }
    }
}

fn minutes(m: u16) -> DateTime<Utc> {
    now() + Duration::minutes(i64::from(m))
}

fn stamp_at(m: u16) -> Stamp {
    Stamp {
        at: minutes(m),
        actor: fixtures::holder_user(),
    }
}

fn instants() -> impl Strategy<Value = u16> {
    0u16..10_000
}

// ---------------------------------------------------------------- sweeps

/// What a created sweep's spec looks like: acceptable, or with exactly one defect.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Plain,
    /// Every limit reached, none exceeded.
    Longest,
    NoKeywords,
    BlankKeyword,
    TooManyKeywords,
    BlankName,
    LongName,
    LongKeyword,
    NoPeriod,
    NoPages,
    TooManyPages,
}

const SHAPES: [Shape; 11] = [
    Shape::Plain,
    Shape::Longest,
    Shape::NoKeywords,
    Shape::BlankKeyword,
    Shape::TooManyKeywords,
    Shape::BlankName,
    Shape::LongName,
    Shape::LongKeyword,
    Shape::NoPeriod,
    Shape::NoPages,
    Shape::TooManyPages,
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum SweepStep {
    Create {
        shape: Shape,
        every_hours: u32,
        at: u16,
    },
    /// A run that started at `started`, recorded at `at`.
    Run {
        started: u16,
        at: u16,
    },
    Pause {
        at: u16,
    },
    Resume {
        at: u16,
    },
}

fn sweep_steps() -> impl Strategy<Value = SweepStep> {
    let shape = prop_oneof![
        3 => prop_oneof![Just(Shape::Plain), Just(Shape::Longest)],
        2 => proptest::sample::select(SHAPES.to_vec()),
    ];
    let every_hours = prop_oneof![
        Just(1u32),
        Just(24),
        Just(168),
        1u32..10_000,
        Just(u32::MAX)
    ];
    prop_oneof![
        3 => (shape, every_hours, instants())
            .prop_map(|(shape, every_hours, at)| SweepStep::Create { shape, every_hours, at }),
        4 => (instants(), instants()).prop_map(|(started, at)| SweepStep::Run { started, at }),
        2 => instants().prop_map(|at| SweepStep::Pause { at }),
        2 => instants().prop_map(|at| SweepStep::Resume { at }),
    ]
}

#[derive(Debug, Clone, PartialEq)]
struct SweepFacts {
    paused: bool,
    /// The spec of the creation accepted.
    spec: SweepSpec,
    created_at: DateTime<Utc>,
    runs: u32,
    last_started: Option<DateTime<Utc>>,
    next_run: DateTime<Utc>,
}

/// The rule a spec of `shape` breaks, if any.
/// The rule a spec of `shape` with `every_hours` breaks first: its keywords and text, then
/// its period (at most a leap year), then its page budget.
fn defect(shape: Shape, every_hours: u32) -> Option<SweepRule> {
    match shape {
        Shape::NoKeywords | Shape::BlankKeyword => Some(SweepRule::NoKeyword),
        Shape::TooManyKeywords => Some(SweepRule::TooManyKeywords),
        Shape::BlankName | Shape::LongName | Shape::LongKeyword => Some(SweepRule::BadText),
        Shape::NoPeriod => Some(SweepRule::TooOften),
        _ if every_hours > 366 * 24 => Some(SweepRule::TooRarely),
        Shape::NoPages | Shape::TooManyPages => Some(SweepRule::BadPageBudget),
        Shape::Plain | Shape::Longest => None,
    }
}

/// `hours` after `start`; the end of time when that is beyond any date.
fn hours_after(start: DateTime<Utc>, hours: u32) -> DateTime<Utc> {
    let seconds = i64::from(hours) * 3_600;
    start
        .checked_add_signed(Duration::seconds(seconds))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The model: the facts after `step`, or the rule refusing it.
fn sweep_table(facts: &Option<SweepFacts>, step: SweepStep) -> Result<SweepFacts, SweepRule> {
    match (facts, step) {
        (
            None,
            SweepStep::Create {
                shape,
                every_hours,
                at,
            },
        ) => match defect(shape, every_hours) {
            Some(rule) => Err(rule),
            None => Ok(SweepFacts {
                paused: false,
                spec: spec_of(shape, every_hours),
                created_at: minutes(at),
                runs: 0,
                last_started: None,
                next_run: minutes(at),
            }),
        },
        (Some(_), SweepStep::Create { .. }) => Err(SweepRule::AlreadyExists),
        (None, _) => Err(SweepRule::Unknown),
        (Some(facts), SweepStep::Pause { .. }) if facts.paused => Err(SweepRule::Paused),
        // A run is recorded paused or not: one may have started before a pause.
        // A run recorded late (started before the last one) counts, but moves neither the
        // last run nor the next one back.
        (Some(facts), SweepStep::Run { started, .. }) => Ok(SweepFacts {
            runs: facts.runs + 1,
            last_started: facts.last_started.max(Some(minutes(started))),
            next_run: facts
                .next_run
                .max(hours_after(minutes(started), facts.spec.every_hours)),
            ..facts.clone()
        }),
        (Some(facts), SweepStep::Pause { .. }) => Ok(SweepFacts {
            paused: true,
            ..facts.clone()
        }),
        (Some(facts), SweepStep::Resume { .. }) if !facts.paused => Err(SweepRule::NotPaused),
        (Some(facts), SweepStep::Resume { .. }) => Ok(SweepFacts {
            paused: false,
            ..facts.clone()
        }),
    }
}

type SweepModelState = Modelled<SweepFacts, SweepRule>;

struct SweepModel;

impl ReferenceStateMachine for SweepModel {
    type State = SweepModelState;
    type Transition = SweepStep;

    fn init_state() -> BoxedStrategy<Self::State> {
        Just(Modelled::start()).boxed()
    }

    fn transitions(_: &Self::State) -> BoxedStrategy<SweepStep> {
        sweep_steps().boxed()
    }

    fn apply(state: Self::State, step: &SweepStep) -> Self::State {
        state.after(|facts| sweep_table(facts, *step))
    }
}

fn sweep_id() -> SweepId {
    "0195f0a0-0000-7000-8000-000000000009".parse().unwrap()
}

fn spec_of(shape: Shape, every_hours: u32) -> SweepSpec {
    let mut spec = SweepSpec {
        name: "Earbuds on Alibaba".to_owned(),
        keywords: vec!["acme earbuds".to_owned(), "acme sound".to_owned()],
        marketplace: Marketplace::AlibabaCom,
        right: RightId::from_u128(1),
        campaign: None,
        reason: ComplaintReason::TrademarkCounterfeit,
        explanation: text("Counterfeit earbuds bearing our mark"),
        every_hours,
        page_budget: 5,
    };
    let longest = |prefix: String| {
        let fill = 200 - prefix.chars().count();
        format!("{prefix}{}", "é".repeat(fill))
    };
    match shape {
        Shape::Plain => {}
        Shape::Longest => {
            spec.name = longest("Sweep ".to_owned());
            spec.keywords = (0..50).map(|i| longest(format!("kw{i} "))).collect();
            spec.page_budget = 1_000;
        }
        Shape::NoKeywords => spec.keywords.clear(),
        Shape::BlankKeyword => spec.keywords.push(" \t".to_owned()),
        Shape::TooManyKeywords => spec.keywords = (0..51).map(|i| format!("acme {i}")).collect(),
        Shape::BlankName => spec.name = "  ".to_owned(),
        Shape::LongName => spec.name = "n".repeat(201),
        Shape::LongKeyword => spec.keywords.push("k".repeat(201)),
        Shape::NoPeriod => spec.every_hours = 0,
        Shape::NoPages => spec.page_budget = 0,
        Shape::TooManyPages => spec.page_budget = 1_001,
    }
    spec
}

fn sweep_command(step: SweepStep) -> (SweepCommand, Stamp) {
    match step {
        SweepStep::Create {
            shape,
            every_hours,
            at,
        } => (
            SweepCommand::Create {
                id: sweep_id(),
                tenant: fixtures::tenant(),
                spec: spec_of(shape, every_hours),
            },
            stamp_at(at),
        ),
        SweepStep::Run { started, at } => (
            SweepCommand::RecordRun(SweepRun {
                started: minutes(started),
                pages: u32::from(at % 7),
                found: u32::from(started % 11),
                to_review: u32::from(started % 5),
                ..SweepRun::default()
            }),
            stamp_at(at),
        ),
        SweepStep::Pause { at } => (SweepCommand::Pause, stamp_at(at)),
        SweepStep::Resume { at } => (SweepCommand::Resume, stamp_at(at)),
    }
}

fn sweep_facts(sweep: &Sweep) -> SweepFacts {
    SweepFacts {
        paused: sweep.status == SweepStatus::Paused,
        spec: sweep.spec.clone(),
        created_at: sweep.created_at,
        runs: sweep.runs,
        last_started: sweep.last_run.as_ref().map(|run| run.started),
        next_run: sweep.next_run,
    }
}

struct SweepSut {
    stream: Driven<SweepDecider>,
}

impl StateMachineTest for SweepSut {
    type SystemUnderTest = Self;
    type Reference = SweepModel;

    fn init_test(_: &SweepModelState) -> Self {
        SweepSut {
            stream: Driven::new(),
        }
    }

    fn apply(mut sut: Self, model: &SweepModelState, step: SweepStep) -> Self {
        let (command, stamp) = sweep_command(step);
        let decided = SweepDecider::decide(&sut.stream.state, &command, &stamp);
        let met = model.facts.as_ref().map_or(StateName::Absent, |facts| {
            StateName::In(if facts.paused {
                SweepStatus::Paused
            } else {
                SweepStatus::Active
            })
        });
        assert_verdict(&decided, &model.verdict, met, &stamp, &step);
        sut.stream.record(decided);
        assert_eq!(
            sut.stream.state.as_ref().map(sweep_facts),
            model.facts,
            "sweep after {step:?}"
        );
        sut
    }

    fn check_invariants(sut: &Self, model: &SweepModelState) {
        sut.stream.assert_replayable();
        if let (Some(sweep), Some(facts)) = (&sut.stream.state, &model.facts) {
            assert_eq!(sweep.id, sweep_id());
            assert_eq!(sweep.tenant, fixtures::tenant());
            for at in [
                facts.next_run - Duration::seconds(1),
                facts.next_run,
                minutes(u16::MAX),
            ] {
                assert_eq!(
                    sweep.is_due(at),
                    !facts.paused && facts.next_run <= at,
                    "due at {at}"
                );
            }
        }
    }
}

prop_state_machine! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]
    #[test]
    fn sweep_machine_agrees_with_the_model(sequential 1..30 => SweepSut);
}

// ---------------------------------------------------------------- candidates

#[derive(Debug, Clone, Copy, PartialEq)]
enum FindAs {
    ToReview,
    Relisting,
    Allowed,
}

/// Each step carries a small number `n` naming its data (keyword, complaint, reason,
/// seller), so that the model can tell whose data a candidate holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum CandidateStep {
    Find { finding: FindAs, n: u8, at: u16 },
    BeginConfirming { n: u8, at: u16 },
    Confirm { n: u8, at: u16 },
    Dismiss { n: u8, at: u16 },
}

fn candidate_steps() -> impl Strategy<Value = CandidateStep> {
    let finding =
        proptest::sample::select(vec![FindAs::ToReview, FindAs::Relisting, FindAs::Allowed]);
    prop_oneof![
        (finding, 0u8..8, instants()).prop_map(|(finding, n, at)| CandidateStep::Find {
            finding,
            n,
            at
        }),
        (0u8..8, instants()).prop_map(|(n, at)| CandidateStep::BeginConfirming { n, at }),
        (0u8..8, instants()).prop_map(|(n, at)| CandidateStep::Confirm { n, at }),
        (0u8..8, instants()).prop_map(|(n, at)| CandidateStep::Dismiss { n, at }),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ModelStatus {
    ToReview,
    Relisting { previous: u8 },
    Confirming { complaint: u8 },
    Confirmed { complaint: u8 },
    Dismissed { reason: u8 },
    Allowed { seller: u8 },
}

impl ModelStatus {
    fn name(self) -> &'static str {
        match self {
            ModelStatus::ToReview => "to-review",
            ModelStatus::Relisting { .. } => "relisting",
            ModelStatus::Confirming { .. } => "confirming",
            ModelStatus::Confirmed { .. } => "confirmed",
            ModelStatus::Dismissed { .. } => "dismissed",
            ModelStatus::Allowed { .. } => "allowed",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct CandidateFacts {
    status: ModelStatus,
    /// The `n` of the find that created it.
    found_by: u8,
    found_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The model: the facts after `step`, or the rule refusing it.
fn candidate_table(
    facts: &Option<CandidateFacts>,
    step: CandidateStep,
) -> Result<CandidateFacts, CandidateRule> {
    use ModelStatus::*;
    match (facts, step) {
        (None, CandidateStep::Find { finding, n, at }) => Ok(CandidateFacts {
            status: match finding {
                FindAs::ToReview => ToReview,
                FindAs::Relisting => Relisting { previous: n },
                FindAs::Allowed => Allowed { seller: n },
            },
            found_by: n,
            found_at: minutes(at),
            updated_at: minutes(at),
        }),
        (Some(_), CandidateStep::Find { .. }) => Err(CandidateRule::AlreadyFound),
        (None, _) => Err(CandidateRule::Unknown),
        (Some(facts), CandidateStep::BeginConfirming { n, at }) => match facts.status {
            ToReview | Relisting { .. } => Ok(CandidateFacts {
                status: Confirming { complaint: n },
                updated_at: minutes(at),
                ..facts.clone()
            }),
            Confirming { .. } | Confirmed { .. } | Dismissed { .. } | Allowed { .. } => {
                Err(CandidateRule::Decided)
            }
        },
        // A filing under way is finished by confirming it (with whichever complaint the
        // filing met), and by nothing else.
        (Some(facts), CandidateStep::Confirm { n, at }) => match facts.status {
            ToReview | Relisting { .. } => Ok(CandidateFacts {
                status: Confirmed { complaint: n },
                updated_at: minutes(at),
                ..facts.clone()
            }),
            Confirming { .. } => Ok(CandidateFacts {
                status: Confirmed { complaint: n },
                updated_at: minutes(at),
                ..facts.clone()
            }),
            Confirmed { .. } | Dismissed { .. } | Allowed { .. } => Err(CandidateRule::Decided),
        },
        (Some(facts), CandidateStep::Dismiss { n, at }) => match facts.status {
            ToReview | Relisting { .. } => Ok(CandidateFacts {
                status: Dismissed { reason: n },
                updated_at: minutes(at),
                ..facts.clone()
            }),
            Confirming { .. } | Confirmed { .. } | Dismissed { .. } | Allowed { .. } => {
                Err(CandidateRule::Decided)
            }
        },
    }
}

type CandidateModelState = Modelled<CandidateFacts, CandidateRule>;

struct CandidateModel;

impl ReferenceStateMachine for CandidateModel {
    type State = CandidateModelState;
    type Transition = CandidateStep;

    fn init_state() -> BoxedStrategy<Self::State> {
        Just(Modelled::start()).boxed()
    }

    fn transitions(_: &Self::State) -> BoxedStrategy<CandidateStep> {
        candidate_steps().boxed()
    }

    fn apply(state: Self::State, step: &CandidateStep) -> Self::State {
        state.after(|facts| candidate_table(facts, *step))
    }
}

const RIGHT: RightId = RightId::from_u128(1);

fn listing() -> Listing {
    fixtures::complaint_filing(1, 1_600_000_000_003).listing
}

fn keyword(n: u8) -> String {
    format!("acme earbuds {n}")
}

fn previous(n: u8) -> ComplaintId {
    ComplaintId::from_u128(100 + u128::from(n))
}

fn complaint(n: u8) -> ComplaintId {
    ComplaintId::from_u128(200 + u128::from(n))
}

fn reason(n: u8) -> aliprotect_core::text::Text {
    text(&format!("Not ours, reason {n}"))
}

fn seller(n: u8) -> String {
    format!("Seller {n}")
}

fn candidate_command(step: CandidateStep) -> (CandidateCommand, Stamp) {
    match step {
        CandidateStep::Find { finding, n, at } => (
            CandidateCommand::Find(Box::new(Found {
                tenant: fixtures::tenant(),
                sweep: sweep_id(),
                right: RIGHT,
                keyword: keyword(n),
                listing: listing(),
                details: ListingDetails {
                    title: Some(format!("ACME earbuds {n}")),
                    seller_name: Some(seller(n)),
                    ..ListingDetails::default()
                },
                finding: match finding {
                    FindAs::ToReview => Finding::ToReview,
                    FindAs::Relisting => Finding::Relisting {
                        previous: previous(n),
                    },
                    FindAs::Allowed => Finding::Allowed { seller: seller(n) },
                },
            })),
            stamp_at(at),
        ),
        CandidateStep::Confirm { n, at } => (
            CandidateCommand::Confirm {
                complaint: complaint(n),
            },
            stamp_at(at),
        ),
        CandidateStep::Dismiss { n, at } => (
            CandidateCommand::Dismiss { reason: reason(n) },
            stamp_at(at),
        ),
        CandidateStep::BeginConfirming { n, at } => (
            CandidateCommand::BeginConfirming {
                complaint: complaint(n),
            },
            stamp_at(at),
        ),
    }
}

/// The status the model's status stands for.
fn status_of(status: ModelStatus) -> CandidateStatus {
    match status {
        ModelStatus::ToReview => CandidateStatus::ToReview,
        ModelStatus::Relisting { previous: n } => CandidateStatus::Relisting {
            previous: previous(n),
        },
        ModelStatus::Confirming { complaint: n } => CandidateStatus::Confirming {
            complaint: complaint(n),
        },
        ModelStatus::Confirmed { complaint: n } => CandidateStatus::Confirmed {
            complaint: complaint(n),
        },
        ModelStatus::Dismissed { reason: n } => CandidateStatus::Dismissed { reason: reason(n) },
        ModelStatus::Allowed { seller: n } => CandidateStatus::Allowed { seller: seller(n) },
    }
}

struct CandidateSut {
    stream: Driven<CandidateDecider>,
}

impl StateMachineTest for CandidateSut {
    type SystemUnderTest = Self;
    type Reference = CandidateModel;

    fn init_test(_: &CandidateModelState) -> Self {
        CandidateSut {
            stream: Driven::new(),
        }
    }

    fn apply(mut sut: Self, model: &CandidateModelState, step: CandidateStep) -> Self {
        let (command, stamp) = candidate_command(step);
        let decided = CandidateDecider::decide(&sut.stream.state, &command, &stamp);
        let met = model.facts.as_ref().map_or(StateName::Absent, |facts| {
            StateName::In(facts.status.name())
        });
        assert_verdict(&decided, &model.verdict, met, &stamp, &step);
        sut.stream.record(decided);
        match (&sut.stream.state, &model.facts) {
            (None, None) => {}
            (Some(candidate), Some(facts)) => {
                assert_eq!(candidate.status, status_of(facts.status), "after {step:?}");
                assert_eq!(candidate.keyword, keyword(facts.found_by), "after {step:?}");
                assert_eq!(candidate.found_at, facts.found_at, "after {step:?}");
                assert_eq!(candidate.updated_at, facts.updated_at, "after {step:?}");
            }
            (state, facts) => {
                panic!("after {step:?}: the decider has {state:?}, the model {facts:?}")
            }
        }
        sut
    }

    fn check_invariants(sut: &Self, model: &CandidateModelState) {
        sut.stream.assert_replayable();
        if let (Some(candidate), Some(facts)) = (&sut.stream.state, &model.facts) {
            assert_eq!(
                candidate.id,
                CandidateId::of(fixtures::tenant(), RIGHT, &listing().key)
            );
            assert_eq!(
                (candidate.tenant, candidate.sweep, candidate.right),
                (fixtures::tenant(), sweep_id(), RIGHT)
            );
            assert_eq!(candidate.listing, listing());
            assert_eq!(candidate.details.seller_name, Some(seller(facts.found_by)));
            let open = matches!(
                facts.status,
                ModelStatus::ToReview | ModelStatus::Relisting { .. }
            );
            assert_eq!(candidate.status.is_open(), open);
            assert_eq!(candidate.status.name(), facts.status.name());
            assert_eq!(
                CandidateStatus::code_of(candidate.status.name()),
                Some(candidate.status.code())
            );
        }
    }
}

prop_state_machine! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]
    #[test]
    fn candidate_machine_agrees_with_the_model(sequential 1..12 => CandidateSut);
}

// ---------------------------------------------------------------- authorised sellers

/// Sellers as a person may type them: `Some(identity)` for the spellings of one seller,
/// `None` for text no seller can be.
fn spellings() -> Vec<(String, Option<usize>)> {
    vec![
        ("ACME Trading".to_owned(), Some(0)),
        ("  acme trading ".to_owned(), Some(0)),
        ("Acme TRADING\t".to_owned(), Some(0)),
        ("Copy Co".to_owned(), Some(1)),
        ("COPY CO".to_owned(), Some(1)),
        ("Ünïcode Shop".to_owned(), Some(2)),
        ("ünïcode shop".to_owned(), Some(2)),
        ("é".repeat(500), Some(3)),
        ("É".repeat(500), Some(3)),
        (String::new(), None),
        ("   ".to_owned(), None),
        ("x".repeat(501), None),
    ]
}

/// How each identity's seller is compared.
fn canonical(identity: usize) -> String {
    match identity {
        0 => "acme trading".to_owned(),
        1 => "copy co".to_owned(),
        2 => "ünïcode shop".to_owned(),
        3 => "é".repeat(500),
        _ => unreachable!("four identities"),
    }
}

const IDENTITIES: usize = 4;

/// Notes: the flag says whether a note can be one.
fn notes() -> Vec<(Option<String>, bool)> {
    vec![
        (None, true),
        (Some("Licence 2025".to_owned()), true),
        (Some("ñ".repeat(500)), true),
        (Some(String::new()), false),
        (Some(" \n".to_owned()), false),
        (Some("n".repeat(501)), false),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum SellerStep {
    /// Authorises spelling `seller` with note `note` (indices into the tables above).
    Authorise {
        seller: usize,
        note: usize,
        at: u16,
    },
    Withdraw {
        seller: usize,
        at: u16,
    },
}

fn seller_steps() -> impl Strategy<Value = SellerStep> {
    let seller = 0..spellings().len();
    let note = 0..notes().len();
    prop_oneof![
        3 => (seller.clone(), note, instants())
            .prop_map(|(seller, note, at)| SellerStep::Authorise { seller, note, at }),
        2 => (seller, instants()).prop_map(|(seller, at)| SellerStep::Withdraw { seller, at }),
    ]
}

/// An authorised seller as the model keeps it: as shown, its note, since when.
type Entry = (String, Option<String>, DateTime<Utc>);

/// The list: authorised sellers by identity.
type SellerFacts = BTreeMap<usize, Entry>;

/// The model: the list after `step`, or the rule refusing it. The list exists from the
/// first seller authorised on, even once every seller is withdrawn.
fn seller_table(
    facts: &Option<SellerFacts>,
    step: SellerStep,
) -> Result<SellerFacts, AuthorisedSellersRule> {
    let spellings = spellings();
    let list = facts.clone().unwrap_or_default();
    match step {
        SellerStep::Authorise { seller, note, at } => {
            let (spelling, identity) = &spellings[seller];
            let (note, fits) = &notes()[note];
            let Some(identity) = identity.filter(|_| *fits) else {
                return Err(AuthorisedSellersRule::BadText);
            };
            if list.contains_key(&identity) {
                return Err(AuthorisedSellersRule::AlreadyAuthorised);
            }
            let mut list = list;
            let shown = spelling.trim().to_owned();
            list.insert(identity, (shown, note.clone(), minutes(at)));
            Ok(list)
        }
        SellerStep::Withdraw { seller, .. } => {
            match spellings[seller]
                .1
                .filter(|identity| list.contains_key(identity))
            {
                Some(identity) => {
                    let mut list = list;
                    list.remove(&identity);
                    Ok(list)
                }
                None => Err(AuthorisedSellersRule::NotAuthorised),
            }
        }
    }
}

type SellerModelState = Modelled<SellerFacts, AuthorisedSellersRule>;

struct SellerModel;

impl ReferenceStateMachine for SellerModel {
    type State = SellerModelState;
    type Transition = SellerStep;

    fn init_state() -> BoxedStrategy<Self::State> {
        Just(Modelled::start()).boxed()
    }

    fn transitions(_: &Self::State) -> BoxedStrategy<SellerStep> {
        seller_steps().boxed()
    }

    fn apply(state: Self::State, step: &SellerStep) -> Self::State {
        state.after(|facts| seller_table(facts, *step))
    }
}

fn seller_command(step: SellerStep) -> (AuthorisedSellersCommand, Stamp) {
    match step {
        SellerStep::Authorise { seller, note, at } => (
            AuthorisedSellersCommand::Authorise {
                tenant: fixtures::tenant(),
                right: RIGHT,
                seller: spellings()[seller].0.clone(),
                note: notes()[note].0.clone(),
            },
            stamp_at(at),
        ),
        SellerStep::Withdraw { seller, at } => (
            AuthorisedSellersCommand::Withdraw {
                seller: spellings()[seller].0.clone(),
            },
            stamp_at(at),
        ),
    }
}

/// The list as the model states it, keyed as the list compares sellers.
fn expected_sellers(facts: &SellerFacts) -> BTreeMap<String, Entry> {
    facts
        .iter()
        .map(|(identity, entry)| (canonical(*identity), entry.clone()))
        .collect()
}

struct SellerSut {
    stream: Driven<AuthorisedSellersDecider>,
}

impl StateMachineTest for SellerSut {
    type SystemUnderTest = Self;
    type Reference = SellerModel;

    fn init_test(_: &SellerModelState) -> Self {
        SellerSut {
            stream: Driven::new(),
        }
    }

    fn apply(mut sut: Self, model: &SellerModelState, step: SellerStep) -> Self {
        let (command, stamp) = seller_command(step);
        let decided = AuthorisedSellersDecider::decide(&sut.stream.state, &command, &stamp);
        let met = model
            .facts
            .as_ref()
            .map_or(StateName::Absent, |_| StateName::In("kept"));
        assert_verdict(&decided, &model.verdict, met, &stamp, &step);
        sut.stream.record(decided);
        let sellers = sut.stream.state.as_ref().map(|list| {
            list.sellers
                .iter()
                .map(|(key, entry)| {
                    (
                        key.clone(),
                        (entry.seller.clone(), entry.note.clone(), entry.since),
                    )
                })
                .collect::<BTreeMap<_, _>>()
        });
        assert_eq!(
            sellers,
            model.facts.as_ref().map(expected_sellers),
            "list after {step:?}"
        );
        sut
    }

    fn check_invariants(sut: &Self, model: &SellerModelState) {
        sut.stream.assert_replayable();
        let Some(list) = &sut.stream.state else {
            assert!(model.facts.is_none());
            return;
        };
        let facts = model.facts.as_ref().unwrap();
        assert_eq!((list.tenant, list.right), (fixtures::tenant(), RIGHT));
        for (key, entry) in &list.sellers {
            assert_eq!(&seller_key(&entry.seller), key, "kept under its own key");
        }
        // Every spelling of an authorised seller finds its listings, by the seller's name
        // or its store id; no other does.
        for (spelling, identity) in spellings() {
            let authorised = identity.and_then(|identity| facts.get(&identity));
            let shown = authorised.map(|(shown, _, _)| shown.as_str());
            let by_name = ListingDetails {
                seller_name: Some(spelling.clone()),
                ..ListingDetails::default()
            };
            assert_eq!(list.seller_of(&listing(), &by_name), shown, "{spelling:?}");
            let mut by_store = listing();
            by_store.seller_id = Some(spelling.clone());
            assert_eq!(
                list.seller_of(&by_store, &ListingDetails::default()),
                shown,
                "{spelling:?}"
            );
        }
        assert!(facts.keys().all(|identity| *identity < IDENTITIES));
    }
}

prop_state_machine! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]
    #[test]
    fn authorised_sellers_machine_agrees_with_the_model(sequential 1..30 => SellerSut);
}
