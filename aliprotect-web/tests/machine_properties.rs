//! Property tests of the account, API token and session machines against reference models
//! written independently of the deciders: tables of what each command does in each state,
//! over small numbers naming the data (which address, which name, which client), with what
//! each datum should become spelled out rather than computed the decider's way. Random
//! command sequences must be accepted or refused (by the very rule, in the very state)
//! exactly as the model says and leave the same state; every stream must refold from its
//! events, each of which survives a JSON round trip. Arbitrary text never makes a decider
//! panic, and what it accepts is always well formed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use aliprotect_core::decider::{Decider, Recorded, StateName};
use aliprotect_core::ids::UserId;
use aliprotect_core::store::ExtensionStream;
use aliprotect_core::store::decided::Stamp;
use aliprotect_core::testkit::fixtures::{self, now};
use aliprotect_core::testkit::given::{Driven, assert_json_round_trip};
use aliprotect_web::accounts::{
    Account, AccountCommand, AccountDecider, AccountRule, Role, account_id,
};
use aliprotect_web::sessions::{
    SavedRecord, SessionChange, SessionDecider, SessionEnded, SessionStream, StoredSession,
};
use aliprotect_web::tokens::{ApiToken, TokenCommand, TokenDecider, TokenRule, TokenStream};
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use uuid::Uuid;

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

/// A private field (a password's hash, a token's digest) as the state's JSON shows it.
fn field_of<T: serde::Serialize>(value: &T, field: &str) -> serde_json::Value {
    serde_json::to_value(value).unwrap()[field].clone()
}

/// A model's state: its facts (`None` before the stream exists) and how it judged the
/// latest step: accepted, or refused by a rule (the facts then unchanged).
#[derive(Debug, Clone)]
struct Model<F, R> {
    facts: Option<F>,
    verdict: Result<(), R>,
}

impl<F, R> Model<F, R> {
    fn start() -> Self {
        Self {
            facts: None,
            verdict: Ok(()),
        }
    }

    /// The model after a step whose outcome `table` gives from the current facts.
    fn then(self, table: impl FnOnce(&Option<F>) -> Result<F, R>) -> Self {
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

/// An accepted command is one event, stamped with the command's time and actor.
fn assert_one_stamped_event<C: Debug>(events: &[Recorded<C>], stamp: &Stamp, step: &dyn Debug) {
    assert_eq!(events.len(), 1, "one event for {step:?}");
    assert_eq!(events[0].at, stamp.at, "stamped at, for {step:?}");
    assert_eq!(events[0].actor, stamp.actor, "stamped by, for {step:?}");
}

// ================================================================ accounts

/// Addresses a step may name, and the address an account of it keeps (`None`: not an
/// address).
fn email(n: u8) -> (String, Option<String>) {
    let long_local = |len: usize| "a".repeat(len - "@firm.example".len());
    let spelled = |s: &str| (s.to_owned(), Some(s.to_owned()));
    let bad = |s: &str| (s.to_owned(), None);
    match n {
        0 => spelled("ana@firm.example"),
        1 => (
            "  Ana@FIRM.Example\t".to_owned(),
            Some("ana@firm.example".to_owned()),
        ),
        2 => spelled("bob@firm.example"),
        3 => spelled(&format!("{}@firm.example", long_local(254))),
        4 => bad("ana"),
        5 => bad("ana@firm"),
        6 => bad("ana lima@firm.example"),
        7 => bad("@firm.example"),
        8 => bad(""),
        _ => bad(&format!("{}@firm.example", long_local(255))),
    }
}

const EMAILS: u8 = 10;

/// Names a step may name, and the name an account of it keeps.
fn name(n: u8) -> (String, Option<String>) {
    match n {
        0 => ("Ana Lima".to_owned(), Some("Ana Lima".to_owned())),
        1 => ("  Bob \n".to_owned(), Some("Bob".to_owned())),
        2 => ("é".repeat(254), Some("é".repeat(254))),
        3 => (String::new(), None),
        4 => (" \t ".to_owned(), None),
        _ => ("é".repeat(255), None),
    }
}

const NAMES: u8 = 6;

/// Clients a step may name, and the client a grant of it keeps.
fn client(n: u8) -> (String, Option<String>) {
    match n {
        0 => ("acme".to_owned(), Some("acme".to_owned())),
        1 => (" acme\t".to_owned(), Some("acme".to_owned())),
        2 => ("globex".to_owned(), Some("globex".to_owned())),
        3 => ("Acme".to_owned(), Some("Acme".to_owned())),
        4 => ("c".repeat(254), Some("c".repeat(254))),
        5 => (String::new(), None),
        6 => ("  ".to_owned(), None),
        _ => ("c".repeat(255), None),
    }
}

const CLIENTS: u8 = 8;

fn password_hash(n: u8) -> String {
    format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${n}")
}

fn roles() -> impl Strategy<Value = Role> {
    proptest::sample::select(vec![Role::ClientViewer, Role::Paralegal, Role::FirmAdmin])
}

#[derive(Debug, Clone, PartialEq)]
enum AccountStep {
    Open {
        email: u8,
        name: u8,
        hash: u8,
        at: u16,
    },
    ChangePassword {
        hash: u8,
        at: u16,
    },
    Grant {
        client: u8,
        role: Role,
        at: u16,
    },
    Withdraw {
        client: u8,
        at: u16,
    },
}

impl AccountStep {
    fn at(&self) -> u16 {
        match self {
            AccountStep::Open { at, .. }
            | AccountStep::ChangePassword { at, .. }
            | AccountStep::Grant { at, .. }
            | AccountStep::Withdraw { at, .. } => *at,
        }
    }

    fn command(&self) -> AccountCommand {
        match self {
            AccountStep::Open {
                email: e,
                name: n,
                hash,
                ..
            } => AccountCommand::Open {
                email: email(*e).0,
                name: name(*n).0,
                password_hash: password_hash(*hash),
            },
            AccountStep::ChangePassword { hash, .. } => AccountCommand::ChangePassword {
                password_hash: password_hash(*hash),
            },
            AccountStep::Grant {
                client: c, role, ..
            } => AccountCommand::Grant {
                client: client(*c).0,
                role: *role,
            },
            AccountStep::Withdraw { client: c, .. } => AccountCommand::Withdraw {
                client: client(*c).0,
            },
        }
    }

    fn name(&self) -> &'static str {
        match self {
            AccountStep::Open { .. } => "open",
            AccountStep::ChangePassword { .. } => "change password",
            AccountStep::Grant { .. } => "grant",
            AccountStep::Withdraw { .. } => "withdraw",
        }
    }
}

fn account_steps() -> impl Strategy<Value = AccountStep> {
    prop_oneof![
        2 => (0..EMAILS, 0..NAMES, 0u8..3, instants())
            .prop_map(|(email, name, hash, at)| AccountStep::Open { email, name, hash, at }),
        2 => (0u8..3, instants()).prop_map(|(hash, at)| AccountStep::ChangePassword { hash, at }),
        4 => (0..CLIENTS, roles(), instants())
            .prop_map(|(client, role, at)| AccountStep::Grant { client, role, at }),
        3 => (0..CLIENTS, instants()).prop_map(|(client, at)| AccountStep::Withdraw { client, at }),
    ]
}

#[derive(Debug, Clone, PartialEq)]
struct AccountFacts {
    email: String,
    name: String,
    hash: u8,
    epoch: u32,
    grants: BTreeMap<String, Role>,
    created_at: DateTime<Utc>,
    /// Commands accepted, each one event.
    accepted: usize,
}

fn account_table(
    facts: &Option<AccountFacts>,
    step: &AccountStep,
) -> Result<AccountFacts, AccountRule> {
    let Some(facts) = facts else {
        return match step {
            AccountStep::Open {
                email: e,
                name: n,
                hash,
                at,
            } => match (email(*e).1, name(*n).1) {
                (None, _) => Err(AccountRule::BadEmail),
                (Some(_), None) => Err(AccountRule::BadText),
                (Some(email), Some(name)) => Ok(AccountFacts {
                    email,
                    name,
                    hash: *hash,
                    epoch: 0,
                    grants: BTreeMap::new(),
                    created_at: minutes(*at),
                    accepted: 1,
                }),
            },
            _ => Err(AccountRule::Missing),
        };
    };
    let mut after = AccountFacts {
        accepted: facts.accepted + 1,
        ..facts.clone()
    };
    match step {
        AccountStep::Open { .. } => return Err(AccountRule::Exists),
        AccountStep::ChangePassword { hash, .. } => {
            after.hash = *hash;
            after.epoch += 1;
        }
        AccountStep::Grant {
            client: c, role, ..
        } => {
            let kept = client(*c).1.ok_or(AccountRule::BadText)?;
            after.grants.insert(kept, *role);
        }
        AccountStep::Withdraw { client: c, .. } => {
            let kept = client(*c).1.ok_or(AccountRule::NoRole)?;
            if after.grants.remove(&kept).is_none() {
                return Err(AccountRule::NoRole);
            }
        }
    }
    Ok(after)
}

struct AccountModel;

impl ReferenceStateMachine for AccountModel {
    type State = Model<AccountFacts, AccountRule>;
    type Transition = AccountStep;

    fn init_state() -> BoxedStrategy<Self::State> {
        Just(Model::start()).boxed()
    }

    fn transitions(_: &Self::State) -> BoxedStrategy<AccountStep> {
        account_steps().boxed()
    }

    fn apply(state: Self::State, step: &AccountStep) -> Self::State {
        state.then(|facts| account_table(facts, step))
    }
}

struct AccountSut {
    stream: Driven<AccountDecider>,
}

fn assert_account_is(account: &Option<Account>, facts: &Option<AccountFacts>, step: &dyn Debug) {
    match (account, facts) {
        (None, None) => {}
        (Some(account), Some(facts)) => {
            assert_eq!(account.id, account_id(&facts.email), "id after {step:?}");
            assert_eq!(account.email, facts.email, "email after {step:?}");
            assert_eq!(account.name, facts.name, "name after {step:?}");
            assert_eq!(
                field_of(account, "password_hash"),
                password_hash(facts.hash),
                "hash after {step:?}"
            );
            assert_eq!(account.password_epoch, facts.epoch, "epoch after {step:?}");
            assert_eq!(account.grants, facts.grants, "grants after {step:?}");
            assert_eq!(
                account.created_at, facts.created_at,
                "created after {step:?}"
            );
        }
        (account, facts) => {
            panic!("after {step:?}: the decider has {account:?}, the model {facts:?}")
        }
    }
}

impl StateMachineTest for AccountSut {
    type SystemUnderTest = Self;
    type Reference = AccountModel;

    fn init_test(_: &Model<AccountFacts, AccountRule>) -> Self {
        Self {
            stream: Driven::new(),
        }
    }

    fn apply(mut sut: Self, model: &Model<AccountFacts, AccountRule>, step: AccountStep) -> Self {
        let stamp = stamp_at(step.at());
        let met = sut
            .stream
            .state
            .as_ref()
            .map_or(StateName::Absent, |_| StateName::In("open"));
        let decided = AccountDecider::decide(&sut.stream.state, &step.command(), &stamp);
        match (&decided, &model.verdict) {
            (Ok(events), Ok(())) => assert_one_stamped_event(events, &stamp, &step),
            (Err(refusal), Err(rule)) => {
                assert_eq!(&refusal.rule, rule, "rule refusing {step:?}");
                assert_eq!(refusal.state, met, "state met by {step:?}");
                assert_eq!(refusal.command, step.name(), "command refused");
            }
            (decided, verdict) => {
                panic!("{step:?}: the decider says {decided:?}, the model {verdict:?}")
            }
        }
        sut.stream.record(decided);
        assert_account_is(&sut.stream.state, &model.facts, &step);
        sut
    }

    fn check_invariants(sut: &Self, model: &Model<AccountFacts, AccountRule>) {
        sut.stream.assert_replayable();
        let accepted = model.facts.as_ref().map_or(0, |facts| facts.accepted);
        assert_eq!(sut.stream.events.len(), accepted, "one event per command");
        if let Some(account) = &sut.stream.state {
            assert_json_round_trip(account);
            assert!(account.email.chars().count() <= Account::MAX_CHARS);
            for (client, role) in &account.grants {
                assert_eq!(account.role_for(client), Some(*role));
                assert_eq!(client.trim(), client, "a kept client is trimmed");
                assert!(!client.is_empty());
            }
        }
    }
}

prop_state_machine! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]
    #[test]
    fn account_machine_agrees_with_the_model(sequential 1..40 => AccountSut);
}

// ================================================================ API tokens

/// Token names a step may name, and the name a token of it keeps.
fn token_name(n: u8) -> (String, Option<String>) {
    match n {
        0 => ("ci".to_owned(), Some("ci".to_owned())),
        1 => ("  deploys\t".to_owned(), Some("deploys".to_owned())),
        2 => ("ñ".repeat(254), Some("ñ".repeat(254))),
        3 => (String::new(), None),
        4 => (" \n ".to_owned(), None),
        _ => ("n".repeat(255), None),
    }
}

const TOKEN_NAMES: u8 = 6;

fn token_id(n: u8) -> Uuid {
    Uuid::from_u128(0x0195_f0a0_0000_7000_8000_0000_0000_0000 + u128::from(n))
}

fn token_account(n: u8) -> UserId {
    UserId::from_u128(100 + u128::from(n))
}

fn digest(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum TokenStep {
    Issue {
        id: u8,
        account: u8,
        name: u8,
        secret: u8,
        at: u16,
    },
    Revoke {
        at: u16,
    },
}

impl TokenStep {
    fn at(self) -> u16 {
        match self {
            TokenStep::Issue { at, .. } | TokenStep::Revoke { at } => at,
        }
    }

    fn command(self) -> TokenCommand {
        match self {
            TokenStep::Issue {
                id,
                account,
                name,
                secret,
                ..
            } => TokenCommand::Issue {
                id: token_id(id),
                account: token_account(account),
                name: token_name(name).0,
                secret_sha256: digest(secret),
                password_epoch: 0,
            },
            TokenStep::Revoke { .. } => TokenCommand::Revoke,
        }
    }

    fn name(self) -> &'static str {
        match self {
            TokenStep::Issue { .. } => "issue",
            TokenStep::Revoke { .. } => "revoke",
        }
    }
}

fn token_steps() -> impl Strategy<Value = TokenStep> {
    prop_oneof![
        3 => (0u8..3, 0u8..3, 0..TOKEN_NAMES, 0u8..4, instants()).prop_map(
            |(id, account, name, secret, at)| TokenStep::Issue { id, account, name, secret, at }
        ),
        2 => instants().prop_map(|at| TokenStep::Revoke { at }),
    ]
}

#[derive(Debug, Clone, PartialEq)]
struct TokenFacts {
    id: u8,
    account: u8,
    name: String,
    secret: u8,
    issued_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    accepted: usize,
}

impl TokenFacts {
    fn state_name(&self) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else {
            "active"
        }
    }
}

fn token_table(facts: &Option<TokenFacts>, step: TokenStep) -> Result<TokenFacts, TokenRule> {
    match (facts, step) {
        (
            None,
            TokenStep::Issue {
                id,
                account,
                name,
                secret,
                at,
            },
        ) => {
            let name = token_name(name).1.ok_or(TokenRule::BadName)?;
            Ok(TokenFacts {
                id,
                account,
                name,
                secret,
                issued_at: minutes(at),
                revoked_at: None,
                accepted: 1,
            })
        }
        (Some(_), TokenStep::Issue { .. }) => Err(TokenRule::Exists),
        (None, TokenStep::Revoke { .. }) => Err(TokenRule::Missing),
        (Some(facts), TokenStep::Revoke { .. }) if facts.revoked_at.is_some() => {
            Err(TokenRule::Revoked)
        }
        (Some(facts), TokenStep::Revoke { at }) => Ok(TokenFacts {
            revoked_at: Some(minutes(at)),
            accepted: facts.accepted + 1,
            ..facts.clone()
        }),
    }
}

struct TokenModel;

impl ReferenceStateMachine for TokenModel {
    type State = Model<TokenFacts, TokenRule>;
    type Transition = TokenStep;

    fn init_state() -> BoxedStrategy<Self::State> {
        Just(Model::start()).boxed()
    }

    fn transitions(_: &Self::State) -> BoxedStrategy<TokenStep> {
        token_steps().boxed()
    }

    fn apply(state: Self::State, step: &TokenStep) -> Self::State {
        state.then(|facts| token_table(facts, *step))
    }
}

struct TokenSut {
    stream: Driven<TokenDecider>,
}

fn assert_token_is(token: &Option<ApiToken>, facts: &Option<TokenFacts>, step: TokenStep) {
    match (token, facts) {
        (None, None) => {}
        (Some(token), Some(facts)) => {
            assert_eq!(token.id, token_id(facts.id), "id after {step:?}");
            assert_eq!(
                token.account,
                token_account(facts.account),
                "after {step:?}"
            );
            assert_eq!(token.name, facts.name, "name after {step:?}");
            assert_eq!(
                field_of(token, "secret_sha256"),
                digest(facts.secret),
                "digest after {step:?}"
            );
            assert_eq!(token.issued_at, facts.issued_at, "issued after {step:?}");
            assert_eq!(token.revoked_at, facts.revoked_at, "revoked after {step:?}");
        }
        (token, facts) => {
            panic!("after {step:?}: the decider has {token:?}, the model {facts:?}")
        }
    }
}

impl StateMachineTest for TokenSut {
    type SystemUnderTest = Self;
    type Reference = TokenModel;

    fn init_test(_: &Model<TokenFacts, TokenRule>) -> Self {
        Self {
            stream: Driven::new(),
        }
    }

    fn apply(mut sut: Self, model: &Model<TokenFacts, TokenRule>, step: TokenStep) -> Self {
        let stamp = stamp_at(step.at());
        let met = sut
            .stream
            .state
            .as_ref()
            .map_or(StateName::Absent, |token| {
                StateName::In(if token.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                })
            });
        let decided = TokenDecider::decide(&sut.stream.state, &step.command(), &stamp);
        match (&decided, &model.verdict) {
            (Ok(events), Ok(())) => assert_one_stamped_event(events, &stamp, &step),
            (Err(refusal), Err(rule)) => {
                assert_eq!(&refusal.rule, rule, "rule refusing {step:?}");
                assert_eq!(refusal.state, met, "state met by {step:?}");
                // The model's facts are those the refused step met.
                let expected = model
                    .facts
                    .as_ref()
                    .map_or(StateName::Absent, |facts| StateName::In(facts.state_name()));
                assert_eq!(refusal.state, expected, "state met by {step:?}");
                assert_eq!(refusal.command, step.name(), "command refused");
            }
            (decided, verdict) => {
                panic!("{step:?}: the decider says {decided:?}, the model {verdict:?}")
            }
        }
        sut.stream.record(decided);
        assert_token_is(&sut.stream.state, &model.facts, step);
        sut
    }

    fn check_invariants(sut: &Self, model: &Model<TokenFacts, TokenRule>) {
        sut.stream.assert_replayable();
        let accepted = model.facts.as_ref().map_or(0, |facts| facts.accepted);
        assert_eq!(sut.stream.events.len(), accepted, "one event per command");
        if let Some(token) = &sut.stream.state {
            assert_json_round_trip(token);
            assert_eq!(
                TokenStream::status(token),
                u8::from(token.revoked_at.is_some())
            );
            assert!(token.revoked_at.is_none_or(|at| at >= minutes(0)));
        }
    }
}

prop_state_machine! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]
    #[test]
    fn token_machine_agrees_with_the_model(sequential 1..20 => TokenSut);
}

// ================================================================ sessions

/// Expiry times a step may name, extremes included.
fn expiry(n: u8) -> i64 {
    [i64::MIN, -1, 0, 1_772_445_600, i64::MAX][usize::from(n % 5)]
}

fn saved_record(user: u8, expires: u8) -> SavedRecord {
    let mut data = HashMap::new();
    data.insert("user".to_owned(), serde_json::json!(format!("user {user}")));
    if user.is_multiple_of(2) {
        data.insert("csrf".to_owned(), serde_json::json!({ "n": user }));
    }
    SavedRecord {
        data,
        expires_at: expiry(expires),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum SessionStep {
    Save { user: u8, expires: u8, at: u16 },
    End { at: u16 },
}

impl SessionStep {
    fn at(self) -> u16 {
        match self {
            SessionStep::Save { at, .. } | SessionStep::End { at } => at,
        }
    }

    fn command(self) -> SessionChange {
        match self {
            SessionStep::Save { user, expires, .. } => {
                SessionChange::Saved(saved_record(user, expires))
            }
            SessionStep::End { .. } => SessionChange::Ended,
        }
    }
}

fn session_steps() -> impl Strategy<Value = SessionStep> {
    prop_oneof![
        4 => (0u8..4, 0u8..5, instants())
            .prop_map(|(user, expires, at)| SessionStep::Save { user, expires, at }),
        1 => instants().prop_map(|at| SessionStep::End { at }),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum SessionFacts {
    Live { user: u8, expires: u8 },
    Ended,
}

/// An ended session refuses everything; a live or missing one takes every save and end.
fn session_table(
    facts: &Option<(SessionFacts, usize)>,
    step: SessionStep,
) -> Result<(SessionFacts, usize), SessionEnded> {
    let accepted = match facts {
        Some((SessionFacts::Ended, _)) => return Err(SessionEnded),
        Some((_, accepted)) => accepted + 1,
        None => 1,
    };
    let facts = match step {
        SessionStep::Save { user, expires, .. } => SessionFacts::Live { user, expires },
        SessionStep::End { .. } => SessionFacts::Ended,
    };
    Ok((facts, accepted))
}

struct SessionModel;

impl ReferenceStateMachine for SessionModel {
    type State = Model<(SessionFacts, usize), SessionEnded>;
    type Transition = SessionStep;

    fn init_state() -> BoxedStrategy<Self::State> {
        Just(Model::start()).boxed()
    }

    fn transitions(_: &Self::State) -> BoxedStrategy<SessionStep> {
        session_steps().boxed()
    }

    fn apply(state: Self::State, step: &SessionStep) -> Self::State {
        state.then(|facts| session_table(facts, *step))
    }
}

struct SessionSut {
    stream: Driven<SessionDecider>,
}

impl StateMachineTest for SessionSut {
    type SystemUnderTest = Self;
    type Reference = SessionModel;

    fn init_test(_: &Model<(SessionFacts, usize), SessionEnded>) -> Self {
        Self {
            stream: Driven::new(),
        }
    }

    fn apply(
        mut sut: Self,
        model: &Model<(SessionFacts, usize), SessionEnded>,
        step: SessionStep,
    ) -> Self {
        let stamp = stamp_at(step.at());
        let decided = SessionDecider::decide(&sut.stream.state, &step.command(), &stamp);
        match (&decided, &model.verdict) {
            (Ok(events), Ok(())) => {
                assert_one_stamped_event(events, &stamp, &step);
                assert_eq!(events[0].change, step.command(), "the change as asked");
            }
            (Err(refusal), Err(rule)) => assert_eq!(refusal, rule),
            (decided, verdict) => {
                panic!("{step:?}: the decider says {decided:?}, the model {verdict:?}")
            }
        }
        sut.stream.record(decided);
        let expected = model.facts.map(|(facts, _)| StoredSession {
            record: match facts {
                SessionFacts::Live { user, expires } => Some(saved_record(user, expires)),
                SessionFacts::Ended => None,
            },
        });
        assert_eq!(sut.stream.state, expected, "after {step:?}");
        sut
    }

    fn check_invariants(sut: &Self, model: &Model<(SessionFacts, usize), SessionEnded>) {
        sut.stream.assert_replayable();
        let accepted = model.facts.map_or(0, |(_, accepted)| accepted);
        assert_eq!(sut.stream.events.len(), accepted, "one event per command");
        if let Some(session) = &sut.stream.state {
            assert_json_round_trip(session);
            assert_eq!(
                SessionStream::status(session),
                u8::from(session.record.is_none())
            );
        }
    }
}

prop_state_machine! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]
    #[test]
    fn session_machine_agrees_with_the_model(sequential 1..20 => SessionSut);
}

// ================================================================ arbitrary text

/// Text that may or may not be an address: near misses, odd characters, long runs.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        "\\PC{0,10}@\\PC{0,10}",
        "[a-zA-Z .@\t]{0,30}",
        (1usize..400).prop_map(|n| "a".repeat(n) + "@x.example"),
        any::<String>(),
    ]
}

/// Addresses anyone would call addresses: a local part, a domain of two or more labels.
fn plain_emails() -> impl Strategy<Value = String> {
    (
        "[A-Za-z0-9][A-Za-z0-9._+-]{0,20}",
        proptest::collection::vec("[A-Za-z0-9][A-Za-z0-9-]{0,10}", 2..4),
        "[ \t]{0,2}",
    )
        .prop_map(|(local, labels, pad)| format!("{pad}{local}@{}{pad}", labels.join(".")))
}

/// A state of an account: missing, opened, or opened with a grant.
fn account_states() -> impl Strategy<Value = Option<Account>> {
    (0u8..3, any_text(), roles()).prop_map(|(n, client, role)| {
        let stamp = stamp_at(0);
        let open = AccountCommand::Open {
            email: "ana@firm.example".to_owned(),
            name: "Ana".to_owned(),
            password_hash: password_hash(0),
        };
        let mut state = None;
        for command in [open, AccountCommand::Grant { client, role }]
            .into_iter()
            .take(usize::from(n))
        {
            if let Ok(events) = AccountDecider::decide(&state, &command, &stamp) {
                state = events.iter().fold(state, AccountDecider::evolve);
            }
        }
        state
    })
}

proptest! {
    #![proptest_config(Config { cases: 512, ..Config::default() })]

    #[test]
    fn an_account_opened_from_any_text_is_well_formed(email in any_text(), name in any_text()) {
        let command = AccountCommand::Open {
            email: email.clone(),
            name: name.clone(),
            password_hash: password_hash(1),
        };
        match AccountDecider::decide(&None, &command, &stamp_at(0)) {
            Ok(events) => {
                let account = AccountDecider::fold(&events).unwrap();
                let kept = &account.email;
                prop_assert_eq!(kept, &email.trim().to_lowercase());
                prop_assert_eq!(account.id, account_id(&email));
                prop_assert_eq!(account.id, account_id(kept));
                prop_assert_eq!(kept.matches('@').count(), 1, "{:?}", kept);
                let (local, domain) = kept.split_once('@').unwrap();
                prop_assert!(!local.is_empty(), "{:?}", kept);
                prop_assert!(domain.contains('.'), "{:?}", kept);
                prop_assert!(!domain.starts_with('.') && !domain.ends_with('.'), "{:?}", kept);
                prop_assert!(!kept.chars().any(char::is_whitespace), "{:?}", kept);
                prop_assert!(!kept.chars().any(char::is_control), "{:?}", kept);
                prop_assert!(email.trim().chars().count() <= Account::MAX_CHARS);
                prop_assert_eq!(&account.name, name.trim());
                prop_assert!(!account.name.is_empty());
                prop_assert!(account.name.chars().count() <= Account::MAX_CHARS);
            }
            Err(refusal) => {
                prop_assert!(
                    matches!(refusal.rule, AccountRule::BadEmail | AccountRule::BadText),
                    "{:?}", refusal
                );
                prop_assert_eq!(refusal.state, StateName::Absent);
            }
        }
    }

    #[test]
    fn a_plain_address_and_name_open_an_account(
        email in plain_emails(),
        name in "[A-Za-z ]{0,5}[A-Za-z][A-Za-z ]{0,5}",
    ) {
        let command = AccountCommand::Open {
            email: email.clone(),
            name,
            password_hash: password_hash(1),
        };
        let events = AccountDecider::decide(&None, &command, &stamp_at(0));
        prop_assert!(events.is_ok(), "{:?}: {:?}", email, events);
        let account = AccountDecider::fold(&events.unwrap()).unwrap();
        prop_assert_eq!(account.email, email.trim().to_ascii_lowercase());
    }

    #[test]
    fn account_commands_of_any_text_never_panic(
        state in account_states(),
        text in any_text(),
        role in roles(),
        pick in 0u8..4,
    ) {
        let command = match pick {
            0 => AccountCommand::Open {
                email: text.clone(),
                name: text.clone(),
                password_hash: text.clone(),
            },
            1 => AccountCommand::ChangePassword { password_hash: text.clone() },
            2 => AccountCommand::Grant { client: text.clone(), role },
            _ => AccountCommand::Withdraw { client: text.clone() },
        };
        let before = state.clone();
        match AccountDecider::decide(&state, &command, &stamp_at(1)) {
            Ok(events) => {
                prop_assert_eq!(events.len(), 1);
                let after = events.iter().fold(state, AccountDecider::evolve);
                prop_assert!(after.is_some());
                for event in &events {
                    assert_json_round_trip(event);
                }
                if let (AccountCommand::Grant { client, role }, Some(after)) = (&command, &after) {
                    prop_assert_eq!(after.role_for(client.trim()), Some(*role));
                }
                if let (AccountCommand::Withdraw { client }, Some(after)) = (&command, &after) {
                    prop_assert_eq!(after.role_for(client.trim()), None);
                    prop_assert!(before.unwrap().role_for(client.trim()).is_some());
                }
            }
            Err(refusal) => prop_assert_eq!(
                refusal.state,
                before.as_ref().map_or(StateName::Absent, |_| StateName::In("open"))
            ),
        }
    }

    #[test]
    fn token_commands_of_any_text_never_panic(
        name in any_text(),
        secret in any_text(),
        issued in any::<bool>(),
    ) {
        let issue = TokenCommand::Issue {
            id: token_id(0),
            account: token_account(0),
            name: name.clone(),
            secret_sha256: secret,
            password_epoch: 0,
        };
        let first = TokenCommand::Issue {
            id: token_id(1),
            account: token_account(1),
            name: "ci".to_owned(),
            secret_sha256: digest(1),
            password_epoch: 0,
        };
        let state = if issued {
            let events = TokenDecider::decide(&None, &first, &stamp_at(0)).unwrap();
            TokenDecider::fold(&events)
        } else {
            None
        };
        for command in [issue, TokenCommand::Revoke] {
            match TokenDecider::decide(&state, &command, &stamp_at(1)) {
                Ok(events) => {
                    prop_assert_eq!(events.len(), 1);
                    let after = events.iter().fold(state.clone(), TokenDecider::evolve).unwrap();
                    prop_assert!(!after.name.is_empty());
                    prop_assert_eq!(after.name.trim(), after.name.as_str());
                    prop_assert!(after.name.chars().count() <= Account::MAX_CHARS);
                    for event in &events {
                        assert_json_round_trip(event);
                    }
                }
                Err(refusal) => prop_assert!(matches!(
                    refusal.rule,
                    TokenRule::Exists | TokenRule::BadName | TokenRule::Missing
                ), "{:?}", refusal),
            }
        }
    }
}
