//! The filer record's machine: example tests of each transition, and a property test against
//! a reference model (a warning is recorded unless one was recorded earlier the same UTC day;
//! the record counts them and keeps the last).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use aliprotect_core::accuracy::Standing;
use aliprotect_core::decider::{Decider, StateName};
use aliprotect_core::filer::*;
use aliprotect_core::ids::TenantId;
use aliprotect_core::party::Actor;
use aliprotect_core::testkit::fixtures::now;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

use aliprotect_core::testkit::given::Driven;

const TENANT: TenantId = TenantId::from_u128(7);

fn warning(per_mille: u32) -> AccuracyWarning {
    AccuracyWarning {
        standing: Standing::AtRisk,
        takedown_per_mille: Some(per_mille),
        successful_counter_notice_per_mille: None,
        reasons: Vec::new(),
    }
}

fn warn(per_mille: u32) -> FilerCommand {
    FilerCommand::Warn {
        tenant: TENANT,
        warning: warning(per_mille),
    }
}

fn at(at: DateTime<Utc>) -> FilerContext {
    FilerContext {
        at,
        actor: Actor::System,
    }
}

fn run(state: Option<FilerRecord>, command: &FilerCommand, when: DateTime<Utc>) -> FilerRecord {
    let events = FilerDecider::decide(&state, command, &at(when)).expect("accepted");
    assert_eq!(events.len(), 1);
    events
        .iter()
        .fold(state, FilerDecider::evolve)
        .expect("a record")
}

#[test]
fn a_first_warning_opens_the_record() {
    let record = run(None, &warn(600), now());
    assert_eq!(record.tenant, TENANT);
    assert_eq!(record.warnings, 1);
    assert_eq!(record.last_warned_at, now());
    assert_eq!(record.last_warning, warning(600));
    assert_eq!(record.status(), FilerStatus::Warned);
}

#[test]
fn a_warning_on_a_later_day_is_recorded_and_counted() {
    let first = run(None, &warn(600), now());
    let second = run(Some(first), &warn(550), now() + Duration::days(1));
    assert_eq!(second.warnings, 2);
    assert_eq!(second.last_warning, warning(550));
}

#[test]
fn a_second_warning_the_same_utc_day_is_refused() {
    let midnight = now().date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let first = run(None, &warn(600), midnight);
    let refusal = FilerDecider::decide(
        &Some(first),
        &warn(600),
        &at(midnight + Duration::hours(23) + Duration::minutes(59)),
    )
    .unwrap_err();
    assert_eq!(refusal.rule, FilerRule::WarnedToday);
    assert_eq!(refusal.state, StateName::In(FilerStatus::Warned));
    assert_eq!(refusal.command, "WarnFiler");
}

#[test]
fn only_the_engine_issues_filer_commands() {
    assert_eq!(
        warn(1).issuers(),
        &[aliprotect_core::authority::Issuer::System]
    );
}

// ---------------------------------------------------------------- model

#[derive(Debug, Clone, Copy)]
struct Step {
    /// Hours since the previous step.
    after_hours: i64,
    per_mille: u32,
}

/// Warnings recorded, the day of the last and the figure it gave.
type Model = (u32, Option<(NaiveDate, u32)>, DateTime<Utc>);

struct FilerModel;

impl ReferenceStateMachine for FilerModel {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        Just((0, None, now())).boxed()
    }

    fn transitions(_: &Model) -> BoxedStrategy<Step> {
        (0i64..40, 0u32..=1000)
            .prop_map(|(after_hours, per_mille)| Step {
                after_hours,
                per_mille,
            })
            .boxed()
    }

    fn apply((count, last, clock): Model, step: &Step) -> Model {
        let clock = clock + Duration::hours(step.after_hours);
        match last {
            Some((day, _)) if day == clock.date_naive() => (count, last, clock),
            _ => (count + 1, Some((clock.date_naive(), step.per_mille)), clock),
        }
    }
}

struct FilerSut {
    stream: Driven<FilerDecider>,
    clock: DateTime<Utc>,
}

impl StateMachineTest for FilerSut {
    type SystemUnderTest = Self;
    type Reference = FilerModel;

    fn init_test(_: &Model) -> Self {
        FilerSut {
            stream: Driven::new(),
            clock: now(),
        }
    }

    fn apply(mut sut: Self, model: &Model, step: Step) -> Self {
        sut.clock += Duration::hours(step.after_hours);
        let decided =
            FilerDecider::decide(&sut.stream.state, &warn(step.per_mille), &at(sut.clock));
        sut.stream.record(decided);
        let seen = sut.stream.state.as_ref().map_or((0, None), |record| {
            (
                record.warnings,
                Some((
                    record.last_warned_at.date_naive(),
                    record.last_warning.takedown_per_mille.unwrap_or(u32::MAX),
                )),
            )
        });
        assert_eq!(seen, (model.0, model.1), "after {step:?}");
        sut
    }

    fn check_invariants(sut: &Self, _: &Model) {
        sut.stream.assert_replayable();
    }
}

prop_state_machine! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]
    #[test]
    fn filer_machine_agrees_with_the_model(sequential 1..20 => FilerSut);
}
