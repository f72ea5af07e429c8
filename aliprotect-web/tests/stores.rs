//! Accounts, API tokens and sessions kept in the engine's store (a memory store here): what
//! signing in, issuing and presenting a token, and a session's life look like from the
//! outside. Password hashing is slow in a debug build: each test hashes only a handful of
//! times.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::collections::HashMap;
use std::sync::Arc;

use aliprotect_core::ids::UserId;
use aliprotect_core::party::Actor;
use aliprotect_core::store::Store;
use aliprotect_store_memory::MemoryStore;
use aliprotect_web::accounts::{
    Account, AccountError, AccountRule, Accounts, FIRM_TENANT, Role, account_id,
};
use aliprotect_web::sessions::StoredSessions;
use aliprotect_web::tokens::{TokenError, TokenRule, Tokens};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::SessionStore;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "tr0ub4dor & three more words";

fn store() -> Arc<dyn Store> {
    Arc::new(MemoryStore::new())
}

fn operator() -> Actor {
    Actor::Operator {
        user: UserId::from_u128(99),
    }
}

/// An account of `email`, opened in `accounts` (one hash).
async fn open(accounts: &Accounts, email: &str) -> Account {
    accounts
        .open(email, "Ana Lima", PASSWORD, operator())
        .await
        .expect("the account opens")
}

fn is_wrong_credentials(result: &Result<Account, AccountError>) -> bool {
    matches!(result, Err(AccountError::WrongCredentials))
}

// ---------------------------------------------------------------- accounts

#[tokio::test]
async fn an_opened_account_signs_in_with_its_password_only() {
    let accounts = Accounts::new(store());
    let ana = open(&accounts, " Ana@Firm.example ").await;
    assert_eq!(ana.email, "ana@firm.example");
    assert_eq!(ana.id, account_id("ana@firm.example"));
    assert_eq!(ana.password_epoch, 0);

    let signed_in = accounts
        .sign_in("ana@firm.example", PASSWORD)
        .await
        .unwrap();
    assert_eq!(signed_in, ana);
    // The address in any case and with spaces around it.
    let signed_in = accounts
        .sign_in("  ANA@FIRM.EXAMPLE", PASSWORD)
        .await
        .unwrap();
    assert_eq!(signed_in.id, ana.id);

    let wrong = accounts.sign_in("ana@firm.example", NEW_PASSWORD).await;
    assert!(is_wrong_credentials(&wrong), "{wrong:?}");
    let unknown = accounts.sign_in("bob@firm.example", PASSWORD).await;
    assert!(is_wrong_credentials(&unknown), "{unknown:?}");
}

#[tokio::test]
async fn sign_in_refuses_an_oversize_password_and_a_blank_address() {
    let accounts = Accounts::new(store());
    let huge = "x".repeat(Account::MAX_PASSWORD_CHARS + 1);
    let refused = accounts.sign_in("ana@firm.example", &huge).await;
    assert!(is_wrong_credentials(&refused), "{refused:?}");
    let refused = accounts.sign_in("", "").await;
    assert!(is_wrong_credentials(&refused), "{refused:?}");
}

#[tokio::test]
async fn an_address_has_one_account() {
    let accounts = Accounts::new(store());
    let ana = open(&accounts, "ana@firm.example").await;
    let again = accounts
        .open("ANA@firm.example", "Other Ana", NEW_PASSWORD, operator())
        .await;
    match again {
        Err(AccountError::Refused(refusal)) => assert_eq!(refusal.rule, AccountRule::Exists),
        other => panic!("a second account for one address: {other:?}"),
    }
    assert_eq!(accounts.get(ana.id).await.unwrap(), Some(ana.clone()));
    assert_eq!(accounts.list().await.unwrap(), vec![ana]);
    assert_eq!(
        accounts.get(account_id("bob@firm.example")).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn opening_refuses_a_bad_address_and_a_weak_password() {
    let accounts = Accounts::new(store());
    let bad = accounts
        .open("ana at firm.example", "Ana", PASSWORD, operator())
        .await;
    match bad {
        Err(AccountError::Refused(refusal)) => assert_eq!(refusal.rule, AccountRule::BadEmail),
        other => panic!("an account of a bad address: {other:?}"),
    }
    let short = "x".repeat(Account::MIN_PASSWORD_CHARS - 1);
    let weak = accounts
        .open("ana@firm.example", "Ana", &short, operator())
        .await;
    assert!(matches!(weak, Err(AccountError::WeakPassword)), "{weak:?}");
    assert!(accounts.list().await.unwrap().is_empty(), "nothing opened");
}

#[tokio::test]
async fn grants_and_withdrawals_are_kept() {
    let accounts = Accounts::new(store());
    let ana = open(&accounts, "ana@firm.example").await;
    let after = accounts
        .grant("ANA@firm.example", "acme", Role::Paralegal, operator())
        .await
        .unwrap();
    assert_eq!(after.role_for("acme"), Some(Role::Paralegal));
    accounts
        .grant("ana@firm.example", "acme", Role::FirmAdmin, operator())
        .await
        .unwrap();
    accounts
        .grant("ana@firm.example", "globex", Role::ClientViewer, operator())
        .await
        .unwrap();
    let kept = accounts.get(ana.id).await.unwrap().unwrap();
    assert_eq!(kept.role_for("acme"), Some(Role::FirmAdmin));
    assert_eq!(kept.role_for("globex"), Some(Role::ClientViewer));

    accounts
        .withdraw("ana@firm.example", "acme", operator())
        .await
        .unwrap();
    let refused = accounts
        .withdraw("ana@firm.example", "acme", operator())
        .await;
    match refused {
        Err(AccountError::Refused(refusal)) => assert_eq!(refusal.rule, AccountRule::NoRole),
        other => panic!("a role withdrawn twice: {other:?}"),
    }
    let kept = accounts.get(ana.id).await.unwrap().unwrap();
    assert_eq!(kept.role_for("acme"), None);
    assert_eq!(kept.role_for("globex"), Some(Role::ClientViewer));

    let missing = accounts
        .grant("bob@firm.example", "acme", Role::Paralegal, operator())
        .await;
    match missing {
        Err(AccountError::Refused(refusal)) => assert_eq!(refusal.rule, AccountRule::Missing),
        other => panic!("a grant to no account: {other:?}"),
    }
}

#[tokio::test]
async fn changing_ones_own_password_needs_the_current_one() {
    let accounts = Accounts::new(store());
    let ana = open(&accounts, "ana@firm.example").await;

    let refused = accounts
        .change_own_password(&ana, "not my password at all", NEW_PASSWORD)
        .await;
    assert!(is_wrong_credentials(&refused), "{refused:?}");
    let kept = accounts.get(ana.id).await.unwrap().unwrap();
    assert_eq!(kept.password_epoch, 0, "nothing changed");

    let changed = accounts
        .change_own_password(&ana, PASSWORD, NEW_PASSWORD)
        .await
        .unwrap();
    assert_eq!(changed.password_epoch, 1);
    assert_eq!(changed.id, ana.id);

    let old = accounts.sign_in("ana@firm.example", PASSWORD).await;
    assert!(is_wrong_credentials(&old), "{old:?}");
    let new = accounts
        .sign_in("ana@firm.example", NEW_PASSWORD)
        .await
        .unwrap();
    assert_eq!(new.password_epoch, 1);
}

#[tokio::test]
async fn a_password_is_12_to_1024_characters() {
    let accounts = Accounts::new(store());
    let ana = open(&accounts, "ana@firm.example").await;
    let too_short = "é".repeat(Account::MIN_PASSWORD_CHARS - 1);
    let too_long = "x".repeat(Account::MAX_PASSWORD_CHARS + 1);
    for weak in ["", too_short.as_str(), too_long.as_str()] {
        let refused = accounts
            .set_password("ana@firm.example", weak, operator())
            .await;
        assert!(
            matches!(refused, Err(AccountError::WeakPassword)),
            "{} characters: {refused:?}",
            weak.chars().count()
        );
    }
    assert_eq!(
        accounts.get(ana.id).await.unwrap().unwrap().password_epoch,
        0
    );
    // Twelve characters (multi-byte ones count once) is enough.
    let shortest = "é".repeat(Account::MIN_PASSWORD_CHARS);
    let changed = accounts
        .set_password("ana@firm.example", &shortest, operator())
        .await
        .unwrap();
    assert_eq!(changed.password_epoch, 1);
    assert_eq!(
        accounts
            .sign_in("ana@firm.example", &shortest)
            .await
            .unwrap()
            .id,
        ana.id
    );
}

// ---------------------------------------------------------------- API tokens

#[tokio::test]
async fn an_issued_token_authenticates_as_its_account_until_revoked() {
    let store = store();
    let accounts = Accounts::new(store.clone());
    let tokens = Tokens::new(store);
    let ana = open(&accounts, "ana@firm.example").await;

    let (token, kept) = tokens.issue(&ana, " ci ").await.unwrap();
    assert!(token.starts_with("alp_"), "{token}");
    assert!(!token.contains(' '), "{token}");
    assert_eq!(kept.account, ana.id);
    assert_eq!(kept.name, "ci");
    assert_eq!(kept.revoked_at, None);
    let kept_json = serde_json::to_string(&kept).unwrap();
    let secret = token.rsplit('_').next().unwrap();
    assert!(
        !kept_json.contains(secret),
        "the token's secret is never kept"
    );
    assert_eq!(tokens.authenticate(&token).await.unwrap().account, ana.id);

    let revoked = tokens.revoke(&ana, kept.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    let refused = tokens.authenticate(&token).await;
    assert!(matches!(refused, Err(TokenError::Invalid)), "{refused:?}");
    let again = tokens.revoke(&ana, kept.id).await;
    match again {
        Err(TokenError::Refused(refusal)) => assert_eq!(refusal.rule, TokenRule::Revoked),
        other => panic!("a token revoked twice: {other:?}"),
    }
}

#[tokio::test]
async fn anything_but_a_valid_token_is_invalid() {
    let store = store();
    let accounts = Accounts::new(store.clone());
    let tokens = Tokens::new(store);
    let ana = open(&accounts, "ana@firm.example").await;
    let (token, kept) = tokens.issue(&ana, "ci").await.unwrap();

    let (head, secret) = token.rsplit_once('_').unwrap();
    let flipped = if secret.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{head}_{}{flipped}", &secret[..secret.len() - 1]);
    let truncated = format!("{head}_{}", &secret[..secret.len() - 1]);
    let unknown = format!("alp_{}_{secret}", Uuid::new_v4().simple());
    let no_prefix = token.trim_start_matches("alp_").to_owned();
    let other_prefix = token.replacen("alp_", "ghp_", 1);
    let bad_id = format!("alp_not-a-uuid_{secret}");
    let no_secret = format!("alp_{}", kept.id.simple());
    let empty_secret = format!("alp_{}_", kept.id.simple());
    for presented in [
        tampered.as_str(),
        truncated.as_str(),
        unknown.as_str(),
        no_prefix.as_str(),
        other_prefix.as_str(),
        bad_id.as_str(),
        no_secret.as_str(),
        empty_secret.as_str(),
        "",
        "alp_",
        "alp__",
        " ",
    ] {
        let refused = tokens.authenticate(presented).await;
        assert!(
            matches!(refused, Err(TokenError::Invalid)),
            "{presented:?}: {refused:?}"
        );
    }
    // The genuine token still works: nothing above disturbed it.
    assert_eq!(tokens.authenticate(&token).await.unwrap().account, ana.id);
}

#[tokio::test]
async fn only_its_account_revokes_a_token_and_each_lists_its_own() {
    let store = store();
    let accounts = Accounts::new(store.clone());
    let tokens = Tokens::new(store);
    let ana = open(&accounts, "ana@firm.example").await;
    let bob = open(&accounts, "bob@firm.example").await;

    let (ana_ci, ana_ci_kept) = tokens.issue(&ana, "ci").await.unwrap();
    let (_, ana_laptop) = tokens.issue(&ana, "laptop").await.unwrap();
    let (bob_token, bob_kept) = tokens.issue(&bob, "scripts").await.unwrap();
    assert_ne!(ana_ci_kept.id, ana_laptop.id);

    let refused = tokens.revoke(&bob, ana_ci_kept.id).await;
    assert!(matches!(refused, Err(TokenError::Invalid)), "{refused:?}");
    assert_eq!(
        tokens.authenticate(&ana_ci).await.unwrap().account,
        ana.id,
        "still valid"
    );
    let unknown = tokens.revoke(&ana, Uuid::new_v4()).await;
    assert!(matches!(unknown, Err(TokenError::Invalid)), "{unknown:?}");

    tokens.revoke(&ana, ana_laptop.id).await.unwrap();

    let mut of_ana = tokens.of(&ana).await.unwrap();
    of_ana.sort_by(|a, b| a.name.cmp(&b.name));
    let listed: Vec<_> = of_ana
        .iter()
        .map(|token| (token.id, token.name.as_str(), token.revoked_at.is_some()))
        .collect();
    assert_eq!(
        listed,
        [
            (ana_ci_kept.id, "ci", false),
            (ana_laptop.id, "laptop", true)
        ]
    );
    let of_bob = tokens.of(&bob).await.unwrap();
    assert_eq!(of_bob, vec![bob_kept]);
    assert_eq!(
        tokens.authenticate(&bob_token).await.unwrap().account,
        bob.id
    );
}

#[tokio::test]
async fn a_token_needs_a_name() {
    let store = store();
    let accounts = Accounts::new(store.clone());
    let tokens = Tokens::new(store);
    let ana = open(&accounts, "ana@firm.example").await;
    let refused = tokens.issue(&ana, "  ").await;
    match refused {
        Err(TokenError::Refused(refusal)) => assert_eq!(refusal.rule, TokenRule::BadName),
        other => panic!("a token without a name: {other:?}"),
    }
    assert!(tokens.of(&ana).await.unwrap().is_empty());
}

// ---------------------------------------------------------------- sessions

/// `seconds` from now, to the second (what a kept record holds).
fn in_seconds(seconds: i64) -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    time::OffsetDateTime::from_unix_timestamp(now + seconds).unwrap()
}

fn session_record(user: &str, expiry_date: time::OffsetDateTime) -> Record {
    Record {
        id: Id::default(),
        data: HashMap::from([
            ("user".to_owned(), serde_json::json!(user)),
            ("csrf".to_owned(), serde_json::json!("f00d")),
        ]),
        expiry_date,
    }
}

#[tokio::test]
async fn a_session_is_created_loaded_saved_and_deleted() {
    let sessions = StoredSessions::new(store());
    let mut record = session_record("ana", in_seconds(3_600));
    sessions.create(&mut record).await.unwrap();
    assert_eq!(
        sessions.load(&record.id).await.unwrap(),
        Some(record.clone())
    );

    let changed = Record {
        data: HashMap::from([("user".to_owned(), serde_json::json!("bob"))]),
        expiry_date: in_seconds(7_200),
        ..record.clone()
    };
    sessions.save(&changed).await.unwrap();
    assert_eq!(
        sessions.load(&record.id).await.unwrap(),
        Some(changed.clone())
    );

    sessions.delete(&record.id).await.unwrap();
    assert_eq!(sessions.load(&record.id).await.unwrap(), None);
    // Deleting again is fine; saving a deleted session is not, and does not revive it.
    sessions.delete(&record.id).await.unwrap();
    assert!(sessions.save(&changed).await.is_err());
    assert_eq!(sessions.load(&record.id).await.unwrap(), None);
}

#[tokio::test]
async fn an_unknown_session_loads_as_none_and_deletes_fine() {
    let sessions = StoredSessions::new(store());
    let id = Id::default();
    assert_eq!(sessions.load(&id).await.unwrap(), None);
    sessions.delete(&id).await.unwrap();
    assert_eq!(sessions.load(&id).await.unwrap(), None);
    // Deleting an unknown id left nothing behind: the id can still be saved.
    let record = Record {
        id,
        ..session_record("ana", in_seconds(60))
    };
    sessions.save(&record).await.unwrap();
    assert_eq!(sessions.load(&id).await.unwrap(), Some(record));
}

#[tokio::test]
async fn an_expired_session_loads_as_none() {
    let sessions = StoredSessions::new(store());
    let mut record = session_record("ana", in_seconds(-1));
    sessions.create(&mut record).await.unwrap();
    assert_eq!(sessions.load(&record.id).await.unwrap(), None);

    let mut live = session_record("ana", in_seconds(600));
    sessions.create(&mut live).await.unwrap();
    assert!(sessions.load(&live.id).await.unwrap().is_some());
    let expired = Record {
        expiry_date: in_seconds(-60),
        ..live.clone()
    };
    sessions.save(&expired).await.unwrap();
    assert_eq!(sessions.load(&live.id).await.unwrap(), None);
}

#[tokio::test]
async fn creating_over_a_session_in_use_takes_another_id() {
    let sessions = StoredSessions::new(store());
    let mut first = session_record("ana", in_seconds(600));
    sessions.create(&mut first).await.unwrap();
    let mut second = Record {
        id: first.id,
        ..session_record("mallory", in_seconds(600))
    };
    sessions.create(&mut second).await.unwrap();
    assert_ne!(second.id, first.id);
    assert_eq!(sessions.load(&first.id).await.unwrap(), Some(first));
    assert_eq!(sessions.load(&second.id).await.unwrap(), Some(second));
}

#[tokio::test]
async fn every_process_on_one_store_sees_a_session_end() {
    let store = store();
    let here = StoredSessions::new(store.clone());
    let there = StoredSessions::new(store);
    let mut record = session_record("ana", in_seconds(600));
    here.create(&mut record).await.unwrap();
    assert_eq!(there.load(&record.id).await.unwrap(), Some(record.clone()));
    there.delete(&record.id).await.unwrap();
    assert_eq!(here.load(&record.id).await.unwrap(), None);
    // Kept in the firm's tenant, which holds no client's data.
    assert_ne!(FIRM_TENANT, aliprotect_core::testkit::fixtures::tenant());
}
