//! One example per transition and per refusal of the account, API token and session
//! machines, in given/when/then form, and the JSON of what they record.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::collections::{BTreeMap, HashMap};

use aliprotect_core::decider::{Decider, Recorded, StateName};
use aliprotect_core::ids::UserId;
use aliprotect_core::party::Actor;
use aliprotect_core::store::ExtensionStream;
use aliprotect_core::store::decided::Stamp;
use aliprotect_core::testkit::fixtures::{self, now};
use aliprotect_core::testkit::given::{Given, assert_json_round_trip};
use aliprotect_web::accounts::{
    Account, AccountChange, AccountCommand, AccountDecider, AccountRule, FIRM_TENANT, Role,
    account_id,
};
use aliprotect_web::sessions::{
    SavedRecord, SessionChange, SessionDecider, SessionEnded, SessionStream, StoredSession,
};
use aliprotect_web::tokens::{ApiToken, TokenChange, TokenCommand, TokenDecider, TokenRule};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

fn stamp_at(at: DateTime<Utc>) -> Stamp {
    Stamp {
        at,
        actor: fixtures::holder_user(),
    }
}

fn stamp() -> Stamp {
    stamp_at(now())
}

fn later(minutes: i64) -> Stamp {
    stamp_at(now() + Duration::minutes(minutes))
}

/// A private field (a password's hash, a token's digest) as the state's JSON shows it: the
/// only way to see it from outside the crate.
fn field_of<T: serde::Serialize>(value: &T, field: &str) -> serde_json::Value {
    serde_json::to_value(value).unwrap()[field].clone()
}

// ---------------------------------------------------------------- accounts

const EMAIL: &str = "ana@firm.example";
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$first";
const OTHER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$second";

fn open_as(email: &str, name: &str) -> AccountCommand {
    AccountCommand::Open {
        email: email.to_owned(),
        name: name.to_owned(),
        password_hash: HASH.to_owned(),
    }
}

fn open() -> AccountCommand {
    open_as(EMAIL, "Ana Lima")
}

fn grant(client: &str, role: Role) -> AccountCommand {
    AccountCommand::Grant {
        client: client.to_owned(),
        role,
    }
}

fn withdraw(client: &str) -> AccountCommand {
    AccountCommand::Withdraw {
        client: client.to_owned(),
    }
}

fn opened() -> Option<Account> {
    Given::<AccountDecider>::nothing()
        .when(&open(), &stamp())
        .then_state()
}

fn granted(client: &str, role: Role) -> Option<Account> {
    Given::<AccountDecider>::state(opened())
        .when(&grant(client, role), &later(1))
        .then_state()
}

/// The rule refusing to open an account of `email` and `name`, from nothing.
fn open_refusal(email: &str, name: &str) -> AccountRule {
    let then = Given::<AccountDecider>::nothing().when(&open_as(email, name), &stamp());
    let refusal = then.then_refused();
    assert_eq!(refusal.state, StateName::Absent, "{email:?} {name:?}");
    assert_eq!(refusal.command, "open", "{email:?} {name:?}");
    refusal.rule.clone()
}

#[test]
fn opening_an_account_records_who_it_is() {
    let then = Given::<AccountDecider>::nothing().when(&open(), &stamp());
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: now(),
            actor: fixtures::holder_user(),
            change: AccountChange::Opened {
                id: account_id(EMAIL),
                email: EMAIL.to_owned(),
                name: "Ana Lima".to_owned(),
                password_hash: HASH.to_owned(),
            },
        }]
    );
    let account = then.then_state().unwrap();
    assert_eq!(account.id, account_id(EMAIL));
    assert_eq!(account.email, EMAIL);
    assert_eq!(account.name, "Ana Lima");
    assert_eq!(account.password_epoch, 0);
    assert!(account.grants.is_empty());
    assert_eq!(account.created_at, now());
    assert_eq!(field_of(&account, "password_hash"), HASH);
    assert_eq!(account.role_for("acme"), None);
    assert_eq!(
        account.actor_in(FIRM_TENANT),
        Actor::HolderUser {
            tenant: FIRM_TENANT,
            user: account_id(EMAIL),
        }
    );
}

#[test]
fn an_email_address_is_kept_trimmed_and_lower_cased_and_a_name_trimmed() {
    let then = Given::<AccountDecider>::nothing()
        .when(&open_as(" \tAna@Firm.EXAMPLE  ", "  Ana Lima \n"), &stamp());
    let account = then.then_state().unwrap();
    assert_eq!(account.email, EMAIL);
    assert_eq!(account.name, "Ana Lima");
    assert_eq!(account.id, account_id(EMAIL));
}

#[test]
fn an_account_id_follows_from_the_address_whatever_its_case_and_spaces() {
    let id = account_id(EMAIL);
    for same in [
        "ana@firm.example",
        "ANA@FIRM.EXAMPLE",
        "Ana@Firm.Example",
        "  ana@firm.example\t",
    ] {
        assert_eq!(account_id(same), id, "{same:?}");
    }
    for other in [
        "bob@firm.example",
        "ana@firm.example.org",
        "ana@firmexample",
    ] {
        assert_ne!(account_id(other), id, "{other:?}");
    }
    // Not a random id: the same address gives the same id in every process.
    assert_eq!(account_id(EMAIL), account_id(EMAIL));
    assert_ne!(id, UserId::from_uuid(Uuid::nil()));
}

#[test]
fn an_account_cannot_be_opened_twice() {
    for again in [open(), open_as("ANA@firm.example", "Someone Else")] {
        let then = Given::<AccountDecider>::state(opened()).when(&again, &later(1));
        let refusal = then.then_refused();
        assert_eq!(refusal.rule, AccountRule::Exists);
        assert_eq!(refusal.state, StateName::In("open"));
        assert_eq!(refusal.command, "open");
    }
}

#[test]
fn password_changes_grants_and_withdrawals_of_no_account_are_refused() {
    for (command, name) in [
        (
            AccountCommand::ChangePassword {
                password_hash: OTHER_HASH.to_owned(),
            },
            "change password",
        ),
        (grant("acme", Role::Paralegal), "grant"),
        (withdraw("acme"), "withdraw"),
    ] {
        let then = Given::<AccountDecider>::nothing().when(&command, &stamp());
        let refusal = then.then_refused();
        assert_eq!(refusal.rule, AccountRule::Missing, "{name}");
        assert_eq!(refusal.state, StateName::Absent, "{name}");
        assert_eq!(refusal.command, name);
    }
}

#[test]
fn an_account_needs_an_email_address() {
    let domain = "@firm.example";
    let longest = format!("{}{domain}", "a".repeat(Account::MAX_CHARS - domain.len()));
    assert_eq!(longest.chars().count(), Account::MAX_CHARS);
    let too_long = format!("a{longest}");
    for bad in [
        "",
        "   ",
        "ana",
        "ana.firm.example",
        "@firm.example",
        "ana@",
        "ana@firm",
        "ana@.firm.example",
        "ana@firm.example.",
        "ana lima@firm.example",
        "ana@firm .example",
        "ana@fi\trm.example",
        "ana\u{0}@firm.example",
        "ana@bob@firm.example",
        too_long.as_str(),
    ] {
        assert_eq!(
            open_refusal(bad, "Ana Lima"),
            AccountRule::BadEmail,
            "{bad:?}"
        );
    }
    for good in [longest.as_str(), "a@b.c", "ana+dmca@mail.firm.example"] {
        let then = Given::<AccountDecider>::nothing().when(&open_as(good, "Ana"), &stamp());
        assert_eq!(then.then_state().unwrap().email, good.to_lowercase());
    }
}

#[test]
fn a_kept_email_address_is_at_most_254_characters_even_once_lower_cased() {
    // 'İ' (U+0130) lower-cases to two characters, 'i' and a combining dot: an address of
    // 254 characters as typed may be longer as kept.
    let typed = format!("{}@firm.example", "İ".repeat(Account::MAX_CHARS - 13));
    assert_eq!(typed.chars().count(), Account::MAX_CHARS);
    let then = Given::<AccountDecider>::nothing().when(&open_as(&typed, "Ana"), &stamp());
    // Refusing the address or keeping it short would both do; keeping it long would not.
    if let Ok(events) = AccountDecider::decide(&None, &open_as(&typed, "Ana"), &stamp()) {
        assert_eq!(then.then_events(), events);
        let kept = then.then_state().unwrap().email;
        assert!(
            kept.chars().count() <= Account::MAX_CHARS,
            "an address of {} characters kept",
            kept.chars().count()
        );
    } else {
        assert_eq!(then.then_refused().rule, AccountRule::BadEmail);
    }
}

#[test]
fn a_name_is_one_to_254_characters() {
    let too_long = "é".repeat(Account::MAX_CHARS + 1);
    for bad in ["", "   ", "\t\n", too_long.as_str()] {
        assert_eq!(open_refusal(EMAIL, bad), AccountRule::BadText, "{bad:?}");
    }
    let longest = "é".repeat(Account::MAX_CHARS);
    let then = Given::<AccountDecider>::nothing().when(&open_as(EMAIL, &longest), &stamp());
    assert_eq!(then.then_state().unwrap().name, longest);
}

#[test]
fn changing_the_password_replaces_its_hash_and_raises_the_epoch() {
    let change = AccountCommand::ChangePassword {
        password_hash: OTHER_HASH.to_owned(),
    };
    let then = Given::<AccountDecider>::state(opened()).when(&change, &later(5));
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: now() + Duration::minutes(5),
            actor: fixtures::holder_user(),
            change: AccountChange::PasswordChanged {
                password_hash: OTHER_HASH.to_owned(),
            },
        }]
    );
    let account = then.then_state().unwrap();
    assert_eq!(account.password_epoch, 1);
    assert_eq!(field_of(&account, "password_hash"), OTHER_HASH);
    // Nothing else changes: not the address, not when the account was created.
    assert_eq!(account.email, EMAIL);
    assert_eq!(account.created_at, now());

    let back = AccountCommand::ChangePassword {
        password_hash: HASH.to_owned(),
    };
    let account = Given::<AccountDecider>::state(Some(account))
        .when(&back, &later(6))
        .then_state()
        .unwrap();
    assert_eq!(account.password_epoch, 2, "each change raises the epoch");
    assert_eq!(field_of(&account, "password_hash"), HASH);
}

#[test]
fn granting_gives_a_role_for_a_client() {
    let then =
        Given::<AccountDecider>::state(opened()).when(&grant(" acme ", Role::Paralegal), &later(1));
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: now() + Duration::minutes(1),
            actor: fixtures::holder_user(),
            change: AccountChange::Granted {
                client: "acme".to_owned(),
                role: Role::Paralegal,
            },
        }]
    );
    let account = then.then_state().unwrap();
    assert_eq!(account.role_for("acme"), Some(Role::Paralegal));
    assert_eq!(account.role_for("globex"), None);
    assert_eq!(
        account.grants,
        BTreeMap::from([("acme".to_owned(), Role::Paralegal)])
    );
}

#[test]
fn granting_again_replaces_the_role_for_that_client_only() {
    let account = Given::<AccountDecider>::state(granted("acme", Role::Paralegal))
        .when(&grant("globex", Role::ClientViewer), &later(2))
        .then_state();
    let account = Given::<AccountDecider>::state(account)
        .when(&grant("acme", Role::FirmAdmin), &later(3))
        .then_state()
        .unwrap();
    assert_eq!(
        account.grants,
        BTreeMap::from([
            ("acme".to_owned(), Role::FirmAdmin),
            ("globex".to_owned(), Role::ClientViewer),
        ])
    );
    // A lesser role replaces a greater one just as well.
    let account = Given::<AccountDecider>::state(Some(account))
        .when(&grant("acme", Role::ClientViewer), &later(4))
        .then_state()
        .unwrap();
    assert_eq!(account.role_for("acme"), Some(Role::ClientViewer));
    assert_eq!(account.grants.len(), 2);
}

#[test]
fn a_client_name_is_one_to_254_characters() {
    let too_long = "x".repeat(Account::MAX_CHARS + 1);
    for bad in ["", "  ", too_long.as_str()] {
        let then =
            Given::<AccountDecider>::state(opened()).when(&grant(bad, Role::Paralegal), &later(1));
        let refusal = then.then_refused();
        assert_eq!(refusal.rule, AccountRule::BadText, "{bad:?}");
        assert_eq!(refusal.state, StateName::In("open"));
        assert_eq!(refusal.command, "grant");
    }
    let longest = "x".repeat(Account::MAX_CHARS);
    let account = Given::<AccountDecider>::state(opened())
        .when(&grant(&longest, Role::Paralegal), &later(1))
        .then_state()
        .unwrap();
    assert_eq!(account.role_for(&longest), Some(Role::Paralegal));
}

#[test]
fn withdrawing_takes_the_role_away_for_that_client_only() {
    let both = Given::<AccountDecider>::state(granted("acme", Role::Paralegal))
        .when(&grant("globex", Role::FirmAdmin), &later(2))
        .then_state();
    let then = Given::<AccountDecider>::state(both).when(&withdraw("  acme "), &later(3));
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: now() + Duration::minutes(3),
            actor: fixtures::holder_user(),
            change: AccountChange::Withdrawn {
                client: "acme".to_owned(),
            },
        }]
    );
    let account = then.then_state().unwrap();
    assert_eq!(account.role_for("acme"), None);
    assert_eq!(account.role_for("globex"), Some(Role::FirmAdmin));
    assert_eq!(account.grants.len(), 1);
}

#[test]
fn withdrawing_a_role_the_person_does_not_have_is_refused() {
    let withdrawn = Given::<AccountDecider>::state(granted("acme", Role::Paralegal))
        .when(&withdraw("acme"), &later(2))
        .then_state();
    for (state, client) in [
        (opened(), "acme"),
        (granted("acme", Role::Paralegal), "globex"),
        (granted("acme", Role::Paralegal), ""),
        (withdrawn, "acme"),
    ] {
        let then = Given::<AccountDecider>::state(state).when(&withdraw(client), &later(4));
        let refusal = then.then_refused();
        assert_eq!(refusal.rule, AccountRule::NoRole, "{client:?}");
        assert_eq!(refusal.state, StateName::In("open"));
        assert_eq!(refusal.command, "withdraw");
    }
}

#[test]
fn an_account_event_that_does_not_fit_changes_nothing() {
    let change = |change| Recorded {
        at: now(),
        actor: fixtures::holder_user(),
        change,
    };
    for event in [
        change(AccountChange::PasswordChanged {
            password_hash: OTHER_HASH.to_owned(),
        }),
        change(AccountChange::Granted {
            client: "acme".to_owned(),
            role: Role::FirmAdmin,
        }),
        change(AccountChange::Withdrawn {
            client: "acme".to_owned(),
        }),
    ] {
        assert_eq!(AccountDecider::evolve(None, &event), None, "{event:?}");
    }
    let reopened = change(AccountChange::Opened {
        id: account_id("bob@firm.example"),
        email: "bob@firm.example".to_owned(),
        name: "Bob".to_owned(),
        password_hash: OTHER_HASH.to_owned(),
    });
    let account = granted("acme", Role::Paralegal);
    assert_eq!(AccountDecider::evolve(account.clone(), &reopened), account);
}

#[test]
fn roles_have_names_and_rank() {
    let all = [Role::ClientViewer, Role::Paralegal, Role::FirmAdmin];
    let names: Vec<_> = all.iter().map(|role| role.name()).collect();
    assert_eq!(names, ["client-viewer", "paralegal", "firm-admin"]);
    for role in all {
        assert_eq!(Role::from_name(role.name()), Some(role));
        assert_json_round_trip(&role);
    }
    for unknown in [
        "",
        "admin",
        "Paralegal",
        "client_viewer",
        " paralegal",
        "firm admin",
    ] {
        assert_eq!(Role::from_name(unknown), None, "{unknown:?}");
    }
    let acts: Vec<_> = all.iter().map(|role| role.may_act()).collect();
    assert_eq!(acts, [false, true, true]);
    let administers: Vec<_> = all.iter().map(|role| role.may_administer()).collect();
    assert_eq!(administers, [false, false, true]);
    assert!(Role::ClientViewer < Role::Paralegal && Role::Paralegal < Role::FirmAdmin);
    // How stored events spell roles: changing it would make every grant unreadable.
    let json: Vec<_> = all
        .iter()
        .map(|role| serde_json::to_string(role).unwrap())
        .collect();
    assert_eq!(
        json,
        ["\"client_viewer\"", "\"paralegal\"", "\"firm_admin\""]
    );
}

#[test]
fn account_events_commands_and_states_survive_json() {
    let at = |change| Recorded {
        at: now(),
        actor: fixtures::holder_user(),
        change,
    };
    for event in [
        at(AccountChange::Opened {
            id: account_id(EMAIL),
            email: EMAIL.to_owned(),
            name: "Ana \"<Lima>\" 名".to_owned(),
            password_hash: HASH.to_owned(),
        }),
        at(AccountChange::PasswordChanged {
            password_hash: OTHER_HASH.to_owned(),
        }),
        at(AccountChange::Granted {
            client: "acme".to_owned(),
            role: Role::FirmAdmin,
        }),
        at(AccountChange::Withdrawn {
            client: "acme".to_owned(),
        }),
    ] {
        assert_json_round_trip(&event);
    }
    for command in [
        open(),
        AccountCommand::ChangePassword {
            password_hash: OTHER_HASH.to_owned(),
        },
        grant("acme", Role::ClientViewer),
        withdraw("acme"),
    ] {
        assert_json_round_trip(&command);
    }
    let account = granted("acme", Role::Paralegal).unwrap();
    assert_json_round_trip(&account);
    let refusal = Given::<AccountDecider>::nothing()
        .when(&withdraw("acme"), &stamp())
        .then_refused()
        .clone();
    assert_eq!(
        refusal.to_string(),
        "`withdraw` refused in state (none): no such account"
    );
    for rule in [
        AccountRule::Exists,
        AccountRule::Missing,
        AccountRule::BadEmail,
        AccountRule::BadText,
        AccountRule::NoRole,
    ] {
        assert_json_round_trip(&rule);
    }
}

// ---------------------------------------------------------------- API tokens

const SECRET_SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn token_id() -> Uuid {
    Uuid::from_u128(0x0195_f0a0_0000_7000_8000_0000_0000_0042)
}

fn owner() -> UserId {
    account_id(EMAIL)
}

fn issue_named(name: &str) -> TokenCommand {
    TokenCommand::Issue {
        id: token_id(),
        account: owner(),
        name: name.to_owned(),
        secret_sha256: SECRET_SHA256.to_owned(),
        password_epoch: 0,
    }
}

fn issued() -> Option<ApiToken> {
    Given::<TokenDecider>::nothing()
        .when(&issue_named("ci"), &stamp())
        .then_state()
}

fn revoked() -> Option<ApiToken> {
    Given::<TokenDecider>::state(issued())
        .when(&TokenCommand::Revoke, &later(10))
        .then_state()
}

#[test]
fn issuing_a_token_records_whose_it_is_and_its_digest() {
    let then = Given::<TokenDecider>::nothing().when(&issue_named("  ci deploys "), &stamp());
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: now(),
            actor: fixtures::holder_user(),
            change: TokenChange::Issued {
                id: token_id(),
                account: owner(),
                name: "ci deploys".to_owned(),
                secret_sha256: SECRET_SHA256.to_owned(),
                password_epoch: 0,
            },
        }]
    );
    let token = then.then_state().unwrap();
    assert_eq!(token.id, token_id());
    assert_eq!(token.account, owner());
    assert_eq!(token.name, "ci deploys");
    assert_eq!(token.issued_at, now());
    assert_eq!(token.revoked_at, None);
    assert_eq!(field_of(&token, "secret_sha256"), SECRET_SHA256);
    assert_eq!(aliprotect_web::tokens::TokenStream::status(&token), 0);
}

#[test]
fn a_token_cannot_be_issued_twice() {
    for (state, name) in [(issued(), "active"), (revoked(), "revoked")] {
        let then = Given::<TokenDecider>::state(state).when(&issue_named("again"), &later(20));
        let refusal = then.then_refused();
        assert_eq!(refusal.rule, TokenRule::Exists, "{name}");
        assert_eq!(refusal.state, StateName::In(name));
        assert_eq!(refusal.command, "issue");
    }
}

#[test]
fn a_token_name_is_one_to_254_characters() {
    let too_long = "n".repeat(Account::MAX_CHARS + 1);
    for bad in ["", " ", "\t \n", too_long.as_str()] {
        let then = Given::<TokenDecider>::nothing().when(&issue_named(bad), &stamp());
        let refusal = then.then_refused();
        assert_eq!(refusal.rule, TokenRule::BadName, "{bad:?}");
        assert_eq!(refusal.state, StateName::Absent);
        assert_eq!(refusal.command, "issue");
    }
    let longest = "ñ".repeat(Account::MAX_CHARS);
    let token = Given::<TokenDecider>::nothing()
        .when(&issue_named(&longest), &stamp())
        .then_state()
        .unwrap();
    assert_eq!(token.name, longest);
}

#[test]
fn revoking_a_token_records_when() {
    let then = Given::<TokenDecider>::state(issued()).when(&TokenCommand::Revoke, &later(10));
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: now() + Duration::minutes(10),
            actor: fixtures::holder_user(),
            change: TokenChange::Revoked,
        }]
    );
    let token = then.then_state().unwrap();
    assert_eq!(token.revoked_at, Some(now() + Duration::minutes(10)));
    assert_eq!(token.issued_at, now());
    assert_eq!(token.name, "ci");
    assert_eq!(token.account, owner());
    assert_eq!(field_of(&token, "secret_sha256"), SECRET_SHA256);
    assert_eq!(aliprotect_web::tokens::TokenStream::status(&token), 1);
}

#[test]
fn revoking_no_token_is_refused() {
    let then = Given::<TokenDecider>::nothing().when(&TokenCommand::Revoke, &stamp());
    let refusal = then.then_refused();
    assert_eq!(refusal.rule, TokenRule::Missing);
    assert_eq!(refusal.state, StateName::Absent);
    assert_eq!(refusal.command, "revoke");
}

#[test]
fn a_token_cannot_be_revoked_twice() {
    let then = Given::<TokenDecider>::state(revoked()).when(&TokenCommand::Revoke, &later(30));
    let refusal = then.then_refused();
    assert_eq!(refusal.rule, TokenRule::Revoked);
    assert_eq!(refusal.state, StateName::In("revoked"));
    assert_eq!(refusal.command, "revoke");
}

#[test]
fn a_token_event_that_does_not_fit_changes_nothing() {
    let revocation = Recorded {
        at: now() + Duration::minutes(30),
        actor: fixtures::holder_user(),
        change: TokenChange::Revoked,
    };
    assert_eq!(TokenDecider::evolve(None, &revocation), None);
    // A second revocation keeps the first one's time.
    assert_eq!(TokenDecider::evolve(revoked(), &revocation), revoked());
    let reissue = Recorded {
        at: now() + Duration::minutes(30),
        actor: fixtures::holder_user(),
        change: TokenChange::Issued {
            id: Uuid::from_u128(7),
            account: UserId::from_u128(7),
            name: "other".to_owned(),
            secret_sha256: "00".repeat(32),
            password_epoch: 0,
        },
    };
    assert_eq!(TokenDecider::evolve(issued(), &reissue), issued());
}

#[test]
fn token_events_commands_and_states_survive_json() {
    let at = |change| Recorded {
        at: now(),
        actor: fixtures::holder_user(),
        change,
    };
    for event in [
        at(TokenChange::Issued {
            id: token_id(),
            account: owner(),
            name: "ci \"deploys\" <b>".to_owned(),
            secret_sha256: SECRET_SHA256.to_owned(),
            password_epoch: 0,
        }),
        at(TokenChange::Revoked),
    ] {
        assert_json_round_trip(&event);
    }
    assert_json_round_trip(&issue_named("ci"));
    assert_json_round_trip(&TokenCommand::Revoke);
    assert_json_round_trip(&issued().unwrap());
    assert_json_round_trip(&revoked().unwrap());
    for rule in [
        TokenRule::Exists,
        TokenRule::Missing,
        TokenRule::Revoked,
        TokenRule::BadName,
    ] {
        assert_json_round_trip(&rule);
    }
}

// ---------------------------------------------------------------- sessions

fn record(user: &str, expires_at: i64) -> SavedRecord {
    SavedRecord {
        data: HashMap::from([
            ("user".to_owned(), serde_json::json!(user)),
            (
                "csrf".to_owned(),
                serde_json::json!({ "token": "abc", "n": 1 }),
            ),
        ]),
        expires_at,
    }
}

const EXPIRES: i64 = 1_772_445_600;

fn saved() -> Option<StoredSession> {
    Given::<SessionDecider>::nothing()
        .when(&SessionChange::Saved(record("ana", EXPIRES)), &stamp())
        .then_state()
}

fn ended() -> Option<StoredSession> {
    Given::<SessionDecider>::state(saved())
        .when(&SessionChange::Ended, &later(1))
        .then_state()
}

#[test]
fn saving_a_new_session_keeps_its_record() {
    let stamp = Stamp {
        at: now(),
        actor: Actor::System,
    };
    let then = Given::<SessionDecider>::nothing()
        .when(&SessionChange::Saved(record("ana", EXPIRES)), &stamp);
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: now(),
            actor: Actor::System,
            change: SessionChange::Saved(record("ana", EXPIRES)),
        }]
    );
    let session = then.then_state().unwrap();
    assert_eq!(session.record, Some(record("ana", EXPIRES)));
    assert_eq!(SessionStream::status(&session), 0);
}

#[test]
fn saving_a_session_again_replaces_its_record() {
    let session = Given::<SessionDecider>::state(saved())
        .when(
            &SessionChange::Saved(record("bob", EXPIRES + 60)),
            &later(1),
        )
        .then_state()
        .unwrap();
    assert_eq!(session.record, Some(record("bob", EXPIRES + 60)));
}

#[test]
fn ending_a_session_drops_its_record() {
    let then = Given::<SessionDecider>::state(saved()).when(&SessionChange::Ended, &later(1));
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: now() + Duration::minutes(1),
            actor: fixtures::holder_user(),
            change: SessionChange::Ended,
        }]
    );
    let session = then.then_state().unwrap();
    assert_eq!(session.record, None);
    assert_eq!(SessionStream::status(&session), 1);
}

#[test]
fn ending_a_session_never_saved_leaves_an_ended_one() {
    let session = Given::<SessionDecider>::nothing()
        .when(&SessionChange::Ended, &stamp())
        .then_state();
    assert_eq!(session, Some(StoredSession { record: None }));
}

#[test]
fn an_ended_session_refuses_a_save_and_another_end() {
    for command in [
        SessionChange::Saved(record("ana", EXPIRES)),
        SessionChange::Ended,
    ] {
        let then = Given::<SessionDecider>::state(ended()).when(&command, &later(2));
        assert_eq!(then.then_refused(), &SessionEnded, "{command:?}");
    }
}

#[test]
fn an_ended_session_stays_ended_whatever_is_folded_into_it() {
    let resave = Recorded {
        at: now() + Duration::minutes(2),
        actor: Actor::System,
        change: SessionChange::Saved(record("mallory", EXPIRES + 3_600)),
    };
    assert_eq!(SessionDecider::evolve(ended(), &resave), ended());
    let events = [
        Recorded {
            at: now(),
            actor: Actor::System,
            change: SessionChange::Saved(record("ana", EXPIRES)),
        },
        Recorded {
            at: now(),
            actor: Actor::System,
            change: SessionChange::Ended,
        },
        resave,
    ];
    assert_eq!(
        Given::<SessionDecider>::events(&events)
            .when(&SessionChange::Saved(record("ana", EXPIRES)), &later(3))
            .then_refused(),
        &SessionEnded
    );
    assert_eq!(
        SessionDecider::fold(&events),
        Some(StoredSession { record: None })
    );
}

#[test]
fn session_events_and_states_survive_json() {
    for change in [
        SessionChange::Saved(record("ana", EXPIRES)),
        SessionChange::Ended,
    ] {
        assert_json_round_trip(&Recorded {
            at: now(),
            actor: Actor::System,
            change,
        });
    }
    assert_json_round_trip(&saved().unwrap());
    assert_json_round_trip(&ended().unwrap());
    let empty = SavedRecord {
        data: HashMap::new(),
        expires_at: i64::MIN,
    };
    assert_json_round_trip(&SessionChange::Saved(empty));
}
