//! Property tests of the email machine against a reference model: a transition table over
//! the statuses plus the little data that matters (which email was read, the stream it was
//! applied to or found on, why it was held, why it was dismissed, when it was read and last
//! changed), written independently of the decider. Random command sequences must be
//! accepted or refused (by the very rule, in the very state) exactly as the model says and
//! leave the same email; every stream must refold from its events, each of which survives
//! a JSON round trip. Email ids and status names are checked on their own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use aliprotect_core::decider::{Decider, Recorded, StateName};
use aliprotect_core::evidence::ContentHash;
use aliprotect_core::ids::{ComplaintId, RightId, StreamId, TenantId};
use aliprotect_core::store::ExtensionStream;
use aliprotect_core::store::decided::Stamp;
use aliprotect_core::testkit::fixtures::{self, now, text};
use aliprotect_core::text::Text;
use aliprotect_inbox::*;
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

use aliprotect_core::testkit::given::{Driven, assert_json_round_trip};

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

// ---------------------------------------------------------------- the model

/// A step of a random run. Each carries small numbers naming its data (tenant, Message-ID,
/// target stream, why, reason), so that the model can tell whose data the email holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Receive { tenant: u8, message: u8, at: u16 },
    Apply { to: u8, at: u16 },
    FindRecorded { to: u8, at: u16 },
    Hold { why: u8, at: u16 },
    Dismiss { reason: u8, at: u16 },
}

impl Step {
    fn at(self) -> u16 {
        match self {
            Step::Receive { at, .. }
            | Step::Apply { at, .. }
            | Step::FindRecorded { at, .. }
            | Step::Hold { at, .. }
            | Step::Dismiss { at, .. } => at,
        }
    }
}

const TENANTS: u8 = 2;
const MESSAGES: u8 = 3;
const TARGETS: u8 = 6;

fn steps() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (0..TENANTS, 0..MESSAGES, instants())
            .prop_map(|(tenant, message, at)| Step::Receive { tenant, message, at }),
        2 => (0..TARGETS, instants()).prop_map(|(to, at)| Step::Apply { to, at }),
        2 => (0..TARGETS, instants()).prop_map(|(to, at)| Step::FindRecorded { to, at }),
        3 => (0u8..4, instants()).prop_map(|(why, at)| Step::Hold { why, at }),
        3 => (0u8..4, instants()).prop_map(|(reason, at)| Step::Dismiss { reason, at }),
    ]
}

/// Where an email stands, as the model keeps it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ModelStatus {
    Received,
    Applied { to: u8 },
    AlreadyRecorded { to: u8 },
    ForAPerson { why: u8 },
    Dismissed { reason: u8 },
}

impl ModelStatus {
    /// Its name and code, as the read model knows them.
    fn name_and_code(self) -> (&'static str, u8) {
        match self {
            ModelStatus::Received => ("received", 0),
            ModelStatus::Applied { .. } => ("applied", 1),
            ModelStatus::AlreadyRecorded { .. } => ("already-recorded", 2),
            ModelStatus::ForAPerson { .. } => ("for-a-person", 3),
            ModelStatus::Dismissed { .. } => ("dismissed", 4),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct EmailFacts {
    /// The tenant and Message-ID of the reading accepted.
    tenant: u8,
    message: u8,
    status: ModelStatus,
    read_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// Commands accepted, each one event.
    accepted: usize,
}

/// The model: the facts after `step`, or the rule refusing it. Every pair of status and
/// command is spelled out.
fn table(facts: &Option<EmailFacts>, step: Step) -> Result<EmailFacts, EmailRule> {
    use ModelStatus::*;
    let Some(facts) = facts else {
        return match step {
            Step::Receive {
                tenant,
                message,
                at,
            } => Ok(EmailFacts {
                tenant,
                message,
                status: Received,
                read_at: minutes(at),
                updated_at: minutes(at),
                accepted: 1,
            }),
            Step::Apply { .. }
            | Step::FindRecorded { .. }
            | Step::Hold { .. }
            | Step::Dismiss { .. } => Err(EmailRule::Unknown),
        };
    };
    let status = match (facts.status, step) {
        (_, Step::Receive { .. }) => return Err(EmailRule::AlreadyReceived),

        (Received, Step::Apply { to, .. }) => Applied { to },
        (Received, Step::FindRecorded { to, .. }) => AlreadyRecorded { to },
        (Received, Step::Hold { why, .. }) => ForAPerson { why },
        (Received, Step::Dismiss { .. }) => return Err(EmailRule::NotForAPerson),

        (Applied { .. }, Step::Apply { .. } | Step::FindRecorded { .. } | Step::Hold { .. }) => {
            return Err(EmailRule::Settled);
        }
        (Applied { .. }, Step::Dismiss { .. }) => return Err(EmailRule::NotForAPerson),

        (
            AlreadyRecorded { .. },
            Step::Apply { .. } | Step::FindRecorded { .. } | Step::Hold { .. },
        ) => return Err(EmailRule::Settled),
        (AlreadyRecorded { .. }, Step::Dismiss { .. }) => return Err(EmailRule::NotForAPerson),

        (ForAPerson { .. }, Step::Apply { .. } | Step::FindRecorded { .. } | Step::Hold { .. }) => {
            return Err(EmailRule::Settled);
        }
        (ForAPerson { .. }, Step::Dismiss { reason, .. }) => Dismissed { reason },

        (Dismissed { .. }, Step::Apply { .. } | Step::FindRecorded { .. } | Step::Hold { .. }) => {
            return Err(EmailRule::Settled);
        }
        (Dismissed { .. }, Step::Dismiss { .. }) => return Err(EmailRule::NotForAPerson),
    };
    Ok(EmailFacts {
        status,
        updated_at: minutes(step.at()),
        accepted: facts.accepted + 1,
        ..facts.clone()
    })
}

/// The model's state: the facts (`None` before the email is read), and how it judged the
/// latest step: accepted, or refused by a rule (the facts then unchanged).
#[derive(Debug, Clone)]
struct ModelState {
    facts: Option<EmailFacts>,
    verdict: Result<(), EmailRule>,
}

struct EmailModel;

impl ReferenceStateMachine for EmailModel {
    type State = ModelState;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<ModelState> {
        Just(ModelState {
            facts: None,
            verdict: Ok(()),
        })
        .boxed()
    }

    fn transitions(_: &ModelState) -> BoxedStrategy<Step> {
        steps().boxed()
    }

    fn apply(state: ModelState, step: &Step) -> ModelState {
        match table(&state.facts, *step) {
            Ok(facts) => ModelState {
                facts: Some(facts),
                verdict: Ok(()),
            },
            Err(rule) => ModelState {
                facts: state.facts,
                verdict: Err(rule),
            },
        }
    }
}

// ---------------------------------------------------------------- the data steps name

fn tenant(n: u8) -> TenantId {
    TenantId::from_u128(1 + u128::from(n))
}

fn message_id(n: u8) -> String {
    format!("<{n}.notice@service.alibaba.com>")
}

fn received(tenant_n: u8, message: u8) -> Received {
    Received {
        tenant: tenant(tenant_n),
        message_id: message_id(message),
        from: (message != 1).then(|| "ipp-noreply@service.alibaba.com".to_owned()),
        subject: Some(format!("Notice {message} — Unable to Process")),
        sent_at: (message != 2).then(|| now() - Duration::hours(i64::from(message) + 1)),
        source: format!("imap://mail.example.com/INBOX;tenant={tenant_n}"),
        evidence: ContentHash::of_bytes(format!("email {tenant_n}/{message}").as_bytes()),
        notice: [
            Some(NoticeKind::UnableToProcess),
            None,
            Some(NoticeKind::CounterNotice),
        ][usize::from(message % 3)],
    }
}

fn target(n: u8) -> StreamId {
    if n.is_multiple_of(2) {
        StreamId::Right(RightId::from_u128(10 + u128::from(n)))
    } else {
        StreamId::Complaint(ComplaintId::from_u128(10 + u128::from(n)))
    }
}

fn why(n: u8) -> String {
    format!("matches {n} complaints")
}

fn reason(n: u8) -> Text {
    text(&format!("Set aside: reason {n}"))
}

fn command(step: Step) -> (EmailCommand, Stamp) {
    let command = match step {
        Step::Receive {
            tenant, message, ..
        } => EmailCommand::Receive(Box::new(received(tenant, message))),
        Step::Apply { to, .. } => EmailCommand::Apply { to: target(to) },
        Step::FindRecorded { to, .. } => EmailCommand::FindRecorded { to: target(to) },
        Step::Hold { why: n, .. } => EmailCommand::Hold { why: why(n) },
        Step::Dismiss { reason: n, .. } => EmailCommand::Dismiss { reason: reason(n) },
    };
    (command, stamp_at(step.at()))
}

/// The change a step stands for, whether or not the decider would decide it.
fn change(step: Step) -> EmailChange {
    match step {
        Step::Receive {
            tenant, message, ..
        } => EmailChange::Received(Box::new(received(tenant, message))),
        Step::Apply { to, .. } => EmailChange::Applied { to: target(to) },
        Step::FindRecorded { to, .. } => EmailChange::FoundRecorded { to: target(to) },
        Step::Hold { why: n, .. } => EmailChange::Held { why: why(n) },
        Step::Dismiss { reason: n, .. } => EmailChange::Dismissed { reason: reason(n) },
    }
}

/// One step of each kind, for events forced on a stream.
fn one_of_each(at: u16) -> [Step; 5] {
    [
        Step::Receive {
            tenant: 1,
            message: 2,
            at,
        },
        Step::Apply { to: 3, at },
        Step::FindRecorded { to: 4, at },
        Step::Hold { why: 3, at },
        Step::Dismiss { reason: 3, at },
    ]
}

/// The status the model's status stands for.
fn status_of(status: ModelStatus) -> EmailStatus {
    match status {
        ModelStatus::Received => EmailStatus::Received,
        ModelStatus::Applied { to } => EmailStatus::Applied { to: target(to) },
        ModelStatus::AlreadyRecorded { to } => EmailStatus::AlreadyRecorded { to: target(to) },
        ModelStatus::ForAPerson { why: n } => EmailStatus::ForAPerson { why: why(n) },
        ModelStatus::Dismissed { reason: n } => EmailStatus::Dismissed { reason: reason(n) },
    }
}

// ---------------------------------------------------------------- the decider against it

struct EmailSut {
    stream: Driven<EmailDecider>,
}

impl StateMachineTest for EmailSut {
    type SystemUnderTest = Self;
    type Reference = EmailModel;

    fn init_test(_: &ModelState) -> Self {
        EmailSut {
            stream: Driven::new(),
        }
    }

    fn apply(mut sut: Self, model: &ModelState, step: Step) -> Self {
        let (command, stamp) = command(step);
        // The model has applied the step already: a refusal met the facts it kept.
        let met = sut
            .stream
            .state
            .as_ref()
            .map_or(StateName::Absent, |email| {
                StateName::In(email.status.name())
            });
        let decided = EmailDecider::decide(&sut.stream.state, &command, &stamp);
        match (&decided, &model.verdict) {
            (Ok(events), Ok(())) => {
                assert_eq!(events.len(), 1, "one event for {step:?}");
                assert_eq!(events[0].at, stamp.at, "stamped at for {step:?}");
                assert_eq!(events[0].actor, stamp.actor, "stamped by for {step:?}");
            }
            (Err(refusal), Err(rule)) => {
                assert_eq!(&refusal.rule, rule, "rule refusing {step:?}");
                let expected = model.facts.as_ref().map_or(StateName::Absent, |facts| {
                    StateName::In(facts.status.name_and_code().0)
                });
                assert_eq!(refusal.state, expected, "state met by {step:?}");
                assert_eq!(refusal.state, met, "state met by {step:?}");
            }
            (decided, verdict) => {
                panic!("{step:?}: the decider says {decided:?}, the model {verdict:?}")
            }
        }
        sut.stream.record(decided);
        match (&sut.stream.state, &model.facts) {
            (None, None) => {}
            (Some(email), Some(facts)) => {
                assert_eq!(email.status, status_of(facts.status), "after {step:?}");
                assert_eq!(email.read_at, facts.read_at, "read at, after {step:?}");
                assert_eq!(
                    email.updated_at, facts.updated_at,
                    "updated, after {step:?}"
                );
                assert_eq!(
                    email.received,
                    received(facts.tenant, facts.message),
                    "after {step:?}"
                );
            }
            (state, facts) => {
                panic!("after {step:?}: the decider has {state:?}, the model {facts:?}")
            }
        }
        sut
    }

    fn check_invariants(sut: &Self, model: &ModelState) {
        sut.stream.assert_replayable();
        let accepted = model.facts.as_ref().map_or(0, |facts| facts.accepted);
        assert_eq!(sut.stream.events.len(), accepted, "one event per command");
        if let (Some(email), Some(facts)) = (&sut.stream.state, &model.facts) {
            assert_eq!(
                email.id,
                EmailId::of(tenant(facts.tenant), &message_id(facts.message))
            );
            let (name, code) = facts.status.name_and_code();
            assert_eq!(email.status.name(), name);
            assert_eq!(email.status.code(), code);
            assert_eq!(EmailStream::status(email), code);
            assert_eq!(EmailStatus::code_of(name), Some(code));
            assert_json_round_trip(email);
        }
        // An event forced on the stream (a store's, not the decider's) changes it as the
        // model says, or not at all when the model refuses the step.
        for step in one_of_each(u16::MAX) {
            let forced = Recorded {
                at: minutes(step.at()),
                actor: fixtures::holder_user(),
                change: change(step),
            };
            let after = EmailDecider::evolve(sut.stream.state.clone(), &forced);
            match table(&model.facts, step) {
                Ok(facts) => {
                    let email = after.unwrap();
                    assert_eq!(email.status, status_of(facts.status), "{step:?}");
                    assert_eq!(email.updated_at, facts.updated_at, "{step:?}");
                    assert_eq!(email.read_at, facts.read_at, "{step:?}");
                }
                Err(_) => assert_eq!(after, sut.stream.state, "{step:?} ignored"),
            }
        }
    }
}

prop_state_machine! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]
    #[test]
    fn email_machine_agrees_with_the_model(sequential 1..30 => EmailSut);
}

// ---------------------------------------------------------------- ids

/// Message-IDs as they come, and near misses of one another: case, spaces, slashes (the id
/// is built from "tenant/message-id").
fn message_ids() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            String::new(),
            "<a@example.com>".to_owned(),
            "<A@example.com>".to_owned(),
            "<a@example.com> ".to_owned(),
            "a@example.com".to_owned(),
            "/<a@example.com>".to_owned(),
            "x/y".to_owned(),
            "x".to_owned(),
        ]),
        "\\PC{0,40}",
    ]
}

proptest! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]

    #[test]
    fn an_email_id_is_the_same_exactly_for_the_same_tenant_and_message_id(
        a in (0u128..3, message_ids()),
        b in (0u128..3, message_ids()),
    ) {
        let id = |(t, m): &(u128, String)| EmailId::of(TenantId::from_u128(*t), m);
        prop_assert_eq!(id(&a), id(&a.clone()));
        prop_assert_eq!(id(&a) == id(&b), a == b, "{:?} and {:?}", a, b);
        let one = id(&a);
        prop_assert_eq!(one.to_string().parse::<EmailId>().unwrap(), one);
        prop_assert_eq!(EmailId::from_uuid(one.as_uuid()), one);
        assert_json_round_trip(&one);
    }

    #[test]
    fn a_status_name_reads_back_as_its_code_and_nothing_else_does(
        name in prop_oneof![
            proptest::sample::select(vec![
                "received", "applied", "already-recorded", "for-a-person", "dismissed",
                "Received", "APPLIED", " applied", "dismissed ", "already_recorded",
                "for a person", "", "none",
            ]).prop_map(str::to_owned),
            "\\PC{0,20}",
        ],
    ) {
        let expected = match name.as_str() {
            "received" => Some(0),
            "applied" => Some(1),
            "already-recorded" => Some(2),
            "for-a-person" => Some(3),
            "dismissed" => Some(4),
            _ => None,
        };
        prop_assert_eq!(EmailStatus::code_of(&name), expected, "{:?}", name);
    }
}

#[test]
fn an_email_id_does_not_change_between_releases() {
    // Stores keep emails under these ids: a new namespace or spelling would read every
    // email again as a new one.
    assert_eq!(
        EmailId::of(fixtures::tenant(), "<a@example.com>").to_string(),
        PINNED_ID
    );
}

/// UUID v5 in namespace 2d0c9f4e-51a3-4a6e-8b0e-3c77a1f26d90 of
/// "00000000-0000-0000-0000-000000000001/<a@example.com>", as Python's `uuid.uuid5` makes it.
const PINNED_ID: &str = "e3dd8b2d-23e5-5c67-91e2-d17abf40faf3";

#[test]
fn every_status_has_its_own_name_and_code() {
    let statuses = [
        EmailStatus::Received,
        EmailStatus::Applied { to: target(0) },
        EmailStatus::AlreadyRecorded { to: target(1) },
        EmailStatus::ForAPerson { why: why(0) },
        EmailStatus::Dismissed { reason: reason(0) },
    ];
    let named: Vec<(&str, u8)> = statuses
        .iter()
        .map(|status| (status.name(), status.code()))
        .collect();
    assert_eq!(
        named,
        [
            ("received", 0),
            ("applied", 1),
            ("already-recorded", 2),
            ("for-a-person", 3),
            ("dismissed", 4),
        ]
    );
    for status in &statuses {
        assert_eq!(EmailStatus::code_of(status.name()), Some(status.code()));
        assert_eq!(
            EmailStatus::NAMES[usize::from(status.code())],
            status.name()
        );
        assert_json_round_trip(status);
    }
    assert_eq!(EmailStatus::NAMES.len(), statuses.len());
    assert_eq!(
        EmailStream::KIND,
        aliprotect_core::store::ExtensionKind::new(143)
    );
}
