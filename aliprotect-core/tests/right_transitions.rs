//! One example per transition and per refusal of the IP right machine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use aliprotect_core::decider::{Decider, StateName};
use aliprotect_core::evidence::EvidenceKind;
use aliprotect_core::ids::{RightId, TenantId};
use aliprotect_core::party::Actor;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::right::*;
use aliprotect_core::testkit::fixtures::{self, now, text};
use aliprotect_core::testkit::given::Given;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

const RIGHT: RightId = RightId::from_u128(1);

fn register() -> RightCommand {
    RightCommand::Register {
        id: RIGHT,
        tenant: fixtures::tenant(),
        package: Box::new(fixtures::trademark_package()),
    }
}

fn reject() -> RightCommand {
    RightCommand::Reject {
        reason: text("The trademark certificate is not clear; please upload a colour scan."),
        fixes: vec![Fix {
            target: FixTarget::Evidence(EvidenceKind::TrademarkCertificate),
            instruction: text("Upload a colour scan of the certificate"),
        }],
    }
}

/// Runs `commands` from nothing at `now()`; panics on the first refusal.
fn after(commands: &[RightCommand], policy: &MarketplacePolicy) -> Option<IpRight> {
    commands.iter().fold(None, |state, command| {
        Given::<RightDecider>::state(state)
            .when(command, &context(now(), policy))
            .then_state()
    })
}

/// The right after `commands`, then `command` decided at `at`, under the Alibaba IPP
/// policy; `None` if it was refused.
fn after_then_at(
    commands: &[RightCommand],
    command: RightCommand,
    at: DateTime<Utc>,
) -> Option<IpRight> {
    let policy = MarketplacePolicy::alibaba_ipp();
    Given::<RightDecider>::state(after(commands, &policy))
        .when(&command, &context(at, &policy))
        .then_state()
}

/// When the fixtures' trademark registration expires.
fn registration_expiry() -> NaiveDate {
    NaiveDate::from_ymd_opt(2031, 5, 31).unwrap()
}

fn context(at: DateTime<Utc>, policy: &MarketplacePolicy) -> RightContext<'_> {
    RightContext {
        at,
        actor: fixtures::holder_user(),
        policy,
    }
}

fn status_after(commands: &[RightCommand]) -> RightStatus {
    let policy = MarketplacePolicy::alibaba_ipp();
    after(commands, &policy)
        .map(|r| r.status)
        .expect("registered")
}

fn refused(commands: &[RightCommand], command: RightCommand) -> RightRule {
    refused_with(commands, command, &MarketplacePolicy::alibaba_ipp(), now())
}

fn refused_with(
    commands: &[RightCommand],
    command: RightCommand,
    policy: &MarketplacePolicy,
    at: DateTime<Utc>,
) -> RightRule {
    let state = after(commands, policy);
    Given::<RightDecider>::state(state)
        .when(&command, &context(at, policy))
        .then_refused()
        .rule
        .clone()
}

fn approved_path() -> Vec<RightCommand> {
    vec![
        register(),
        RightCommand::Submit,
        RightCommand::BeginReview,
        RightCommand::Approve,
    ]
}

/// An amendment answering a rejection: the package with a new certificate scan (`n` tells
/// scans apart).
fn amendment(n: u8) -> RightCommand {
    let mut package = fixtures::trademark_package();
    package
        .evidence
        .push(aliprotect_core::evidence::Evidence::of_bytes(
            EvidenceKind::TrademarkCertificate,
            &[n],
            "image/png",
            now(),
        ));
    RightCommand::Amend {
        package: Box::new(package),
    }
}

fn rejected_path() -> Vec<RightCommand> {
    vec![
        register(),
        RightCommand::Submit,
        RightCommand::BeginReview,
        reject(),
    ]
}

#[test]
fn register_creates_a_draft_recording_actor_and_time() {
    let events = Given::<RightDecider>::nothing()
        .when(
            &register(),
            &context(now(), &MarketplacePolicy::alibaba_ipp()),
        )
        .then_events()
        .to_vec();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor, fixtures::holder_user());
    assert_eq!(events[0].at, now());
    let right = RightDecider::fold(&events).unwrap();
    assert_eq!(
        (right.status, right.attempts, right.id),
        (RightStatus::Draft, 0, RIGHT)
    );
}

#[test]
fn commands_before_registration_and_a_second_registration_are_refused() {
    assert_eq!(refused(&[], RightCommand::Submit), RightRule::NotRegistered);
    assert_eq!(
        refused(&[register()], register()),
        RightRule::AlreadyRegistered
    );
}

#[test]
fn refusals_name_the_state_and_command() {
    let policy = MarketplacePolicy::alibaba_ipp();
    let refusal = Given::<RightDecider>::state(after(&[register()], &policy))
        .when(&RightCommand::Approve, &context(now(), &policy))
        .then_refused()
        .clone();
    assert_eq!(refusal.state, StateName::In(RightStatus::Draft));
    assert_eq!(refusal.command, "Approve");
    assert_eq!(refusal.rule, RightRule::NotAllowedInState);
    assert_eq!(
        refusal.to_string(),
        "`Approve` refused in state draft: not allowed in this state"
    );
}

#[test]
fn submit_sends_a_complete_draft_as_attempt_one() {
    let policy = MarketplacePolicy::alibaba_ipp();
    let right = after(&[register(), RightCommand::Submit], &policy).unwrap();
    assert_eq!((right.status, right.attempts), (RightStatus::Submitted, 1));
}

#[test]
fn submit_of_an_incomplete_package_lists_every_problem_and_writes_nothing() {
    let mut package = fixtures::trademark_package();
    package.evidence.clear();
    let register = RightCommand::Register {
        id: RIGHT,
        tenant: fixtures::tenant(),
        package: Box::new(package),
    };
    let RightRule::PackageIncomplete(problems) = refused(&[register], RightCommand::Submit) else {
        panic!("expected PackageIncomplete")
    };
    assert_eq!(problems.len(), 2, "{problems:?}");
}

#[test]
fn amend_replaces_the_package_in_draft_and_after_rejection() {
    let mut package = fixtures::trademark_package();
    package
        .evidence
        .push(fixtures::evidence(EvidenceKind::Translation));
    let amend = RightCommand::Amend {
        package: Box::new(package.clone()),
    };
    let policy = MarketplacePolicy::alibaba_ipp();
    let draft = after(&[register(), amend.clone()], &policy).unwrap();
    assert_eq!(
        (draft.status, &draft.package),
        (RightStatus::Draft, &package)
    );
    let mut path = rejected_path();
    path.push(amend);
    let rejected = after(&path, &policy).unwrap();
    assert_eq!(
        (rejected.status, &rejected.package),
        (RightStatus::Rejected, &package)
    );
}

#[test]
fn amend_cannot_change_the_kind_nor_touch_an_approved_right() {
    let amend = RightCommand::Amend {
        package: Box::new(fixtures::design_patent_package()),
    };
    assert_eq!(refused(&[register()], amend), RightRule::KindChanged);
    let amend = RightCommand::Amend {
        package: Box::new(fixtures::trademark_package()),
    };
    assert_eq!(
        refused(&approved_path(), amend),
        RightRule::NotAllowedInState
    );
}

#[test]
fn review_then_approval() {
    assert_eq!(
        status_after(&approved_path()[..3]),
        RightStatus::UnderReview
    );
    let policy = MarketplacePolicy::alibaba_ipp();
    let right = after(&approved_path(), &policy).unwrap();
    assert_eq!(right.status, RightStatus::Approved);
    assert_eq!(right.approved_at, Some(now()));
}

#[test]
fn the_platform_decides_only_under_review() {
    let submitted = [register(), RightCommand::Submit];
    assert_eq!(
        refused(&submitted, RightCommand::Approve),
        RightRule::NotAllowedInState
    );
    assert_eq!(refused(&submitted, reject()), RightRule::NotAllowedInState);
    assert_eq!(
        refused(&[register()], RightCommand::BeginReview),
        RightRule::NotAllowedInState
    );
}

#[test]
fn rejection_keeps_the_platform_reason_verbatim_with_fixes() {
    let policy = MarketplacePolicy::alibaba_ipp();
    let right = after(&rejected_path(), &policy).unwrap();
    assert_eq!(right.status, RightStatus::Rejected);
    let rejection = right.last_rejection().unwrap();
    assert_eq!(
        rejection.reason.as_str(),
        "The trademark certificate is not clear; please upload a colour scan."
    );
    assert_eq!(rejection.attempt, 1);
    assert_eq!(
        rejection.fixes[0].target,
        FixTarget::Evidence(EvidenceKind::TrademarkCertificate)
    );
}

#[test]
fn resubmission_counts_attempts_up_to_the_policy_limit() {
    let mut policy = MarketplacePolicy::alibaba_ipp();
    policy.max_right_submissions = Some(2);
    let mut path = rejected_path();
    path.extend([amendment(1), RightCommand::Submit]);
    let right = after(&path, &policy).unwrap();
    assert_eq!((right.status, right.attempts), (RightStatus::Submitted, 2));
    path.extend([RightCommand::BeginReview, reject(), amendment(2)]);
    assert_eq!(
        refused_with(&path, RightCommand::Submit, &policy, now()),
        RightRule::AttemptLimitReached { limit: 2 }
    );
    policy.max_right_submissions = None;
    let right = after(&[path, vec![RightCommand::Submit]].concat(), &policy).unwrap();
    assert_eq!(right.attempts, 3, "no limit");
}

#[test]
fn a_resubmission_with_nothing_changed_is_refused_saying_what_to_fix() {
    let rule = refused(&rejected_path(), RightCommand::Submit);
    let RightRule::UnchangedSinceRejection { reason, fixes } = &rule else {
        panic!("expected UnchangedSinceRejection, got {rule:?}");
    };
    assert_eq!(
        reason.as_str(),
        "The trademark certificate is not clear; please upload a colour scan."
    );
    assert_eq!(fixes.len(), 1);
    let message = rule.to_string();
    assert!(
        message.contains("colour scan") && message.contains("amend"),
        "{message}"
    );
    // An amendment that changes nothing is no change either.
    let same = RightCommand::Amend {
        package: Box::new(fixtures::trademark_package()),
    };
    assert_eq!(refused(&rejected_path(), same), RightRule::NoChange);
    let policy = MarketplacePolicy::alibaba_ipp();
    let fixed = [rejected_path(), vec![amendment(1), RightCommand::Submit]].concat();
    assert_eq!(
        after(&fixed, &policy).unwrap().status,
        RightStatus::Submitted
    );
    // Rejected again: the first amendment does not count for the second rejection.
    let again = [fixed, vec![RightCommand::BeginReview, reject()]].concat();
    assert!(matches!(
        refused(&again, RightCommand::Submit),
        RightRule::UnchangedSinceRejection { .. }
    ));
}

#[test]
fn an_approved_right_is_renewed_with_a_later_expiry_and_its_document() {
    let policy = MarketplacePolicy::alibaba_ipp();
    let renewal = fixtures::evidence(EvidenceKind::RenewalDocument);
    let renewed_on = NaiveDate::from_ymd_opt(2041, 5, 31).unwrap();
    let renew = RightCommand::Renew {
        expires_on: renewed_on,
        document: renewal.clone(),
    };
    let right = after(&[approved_path(), vec![renew.clone()]].concat(), &policy).unwrap();
    assert_eq!(right.status, RightStatus::Approved);
    assert_eq!(right.package.registration.expires_on(), Some(renewed_on));
    assert!(right.package.evidence.contains(&renewal));
    // The old expiry date no longer ends it.
    let old_expiry = Utc.with_ymd_and_hms(2031, 6, 1, 0, 0, 0).unwrap();
    assert_eq!(
        refused_with(
            &[approved_path(), vec![renew.clone()]].concat(),
            RightCommand::Expire,
            &policy,
            old_expiry
        ),
        RightRule::NotExpired {
            expires_on: Some(renewed_on)
        }
    );
    let current = registration_expiry();
    assert_eq!(
        refused(
            &approved_path(),
            RightCommand::Renew {
                expires_on: current,
                document: renewal.clone()
            }
        ),
        RightRule::RenewalNotLater {
            renewed: current,
            current: Some(current)
        }
    );
    assert_eq!(
        refused(
            &approved_path(),
            RightCommand::Renew {
                expires_on: renewed_on,
                document: fixtures::evidence(EvidenceKind::Screenshot)
            }
        ),
        RightRule::NotARenewalDocument(EvidenceKind::Screenshot)
    );
    assert_eq!(
        refused(&rejected_path(), renew),
        RightRule::NotAllowedInState,
        "a right not approved is amended instead"
    );
}

#[test]
fn expiry_only_on_or_after_the_registration_expiry_date() {
    assert_eq!(
        refused(&approved_path(), RightCommand::Expire),
        RightRule::NotExpired {
            expires_on: Some(registration_expiry())
        }
    );
    let later = Utc.with_ymd_and_hms(2031, 5, 31, 0, 0, 0).unwrap();
    let right = after_then_at(&approved_path(), RightCommand::Expire, later).unwrap();
    assert_eq!(right.status, RightStatus::Expired);
}

#[test]
fn a_copyright_without_an_end_date_never_expires_by_command() {
    let mut package = fixtures::trademark_package();
    package.registration = Registration::Copyright(CopyrightRegistration {
        title: "Product photos".into(),
        registration_number: "2024-A-1".into(),
        jurisdiction: Jurisdiction::new("CN").unwrap(),
        registrant: "Acme Audio Ltd".into(),
        registered_on: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        expires_on: None,
    });
    package.evidence = vec![
        fixtures::evidence(EvidenceKind::CopyrightCertificate),
        fixtures::evidence(EvidenceKind::ArticlesOfIncorporation),
    ];
    let path = vec![
        RightCommand::Register {
            id: RIGHT,
            tenant: fixtures::tenant(),
            package: Box::new(package),
        },
        RightCommand::Submit,
        RightCommand::BeginReview,
        RightCommand::Approve,
    ];
    let far = now() + Duration::days(365 * 200);
    assert_eq!(
        refused_with(
            &path,
            RightCommand::Expire,
            &MarketplacePolicy::alibaba_ipp(),
            far
        ),
        RightRule::NotExpired { expires_on: None }
    );
}

#[test]
fn withdraw_an_approved_right_and_abandon_a_rejected_one() {
    let withdraw = RightCommand::Withdraw {
        reason: Some(text("Brand sold")),
    };
    let abandon = RightCommand::Abandon { reason: None };
    assert_eq!(
        status_after(&[approved_path(), vec![withdraw.clone()]].concat()),
        RightStatus::Withdrawn
    );
    assert_eq!(
        status_after(&[rejected_path(), vec![abandon.clone()]].concat()),
        RightStatus::Abandoned
    );
    assert_eq!(
        refused(&[register()], withdraw),
        RightRule::NotAllowedInState
    );
    assert_eq!(
        refused(&approved_path(), abandon),
        RightRule::NotAllowedInState
    );
}

#[test]
fn terminal_states_accept_nothing() {
    let every_command = [
        register(),
        RightCommand::Amend {
            package: Box::new(fixtures::trademark_package()),
        },
        RightCommand::Submit,
        RightCommand::BeginReview,
        RightCommand::Approve,
        reject(),
        RightCommand::Expire,
        RightCommand::Withdraw { reason: None },
        RightCommand::Abandon { reason: None },
        RightCommand::Renew {
            expires_on: NaiveDate::from_ymd_opt(2041, 5, 31).unwrap(),
            document: fixtures::evidence(EvidenceKind::RenewalDocument),
        },
    ];
    let ends = [
        [
            approved_path(),
            vec![RightCommand::Withdraw { reason: None }],
        ]
        .concat(),
        [
            rejected_path(),
            vec![RightCommand::Abandon { reason: None }],
        ]
        .concat(),
    ];
    let policy = MarketplacePolicy::alibaba_ipp();
    for path in ends {
        let state = after(&path, &policy);
        assert!(state.as_ref().unwrap().status.is_terminal());
        for command in &every_command {
            let far = now() + Duration::days(365 * 20);
            assert!(
                RightDecider::decide(&state, command, &context(far, &policy)).is_err(),
                "{command:?} accepted in {:?}",
                state.as_ref().map(|r| r.status)
            );
        }
    }
}

#[test]
fn evolve_ignores_events_that_do_not_fit_instead_of_panicking() {
    let stray = aliprotect_core::decider::Recorded {
        at: now(),
        actor: Actor::Platform,
        change: RightChange::Approved,
    };
    assert_eq!(RightDecider::evolve(None, &stray), None);
    let policy = MarketplacePolicy::alibaba_ipp();
    let right = after(&[register()], &policy);
    let second = aliprotect_core::decider::Recorded {
        at: now(),
        actor: Actor::System,
        change: RightChange::Registered {
            id: RightId::new(),
            tenant: TenantId::new(),
            package: Box::new(fixtures::design_patent_package()),
        },
    };
    assert_eq!(RightDecider::evolve(right.clone(), &second), right);
}

#[test]
fn an_expiry_reminder_is_due_once_inside_the_policy_lead() {
    let policy = MarketplacePolicy::alibaba_ipp();
    let expires_on = registration_expiry();
    assert_eq!(
        refused(&approved_path(), RightCommand::RemindExpiry),
        RightRule::NotExpiringSoon {
            expires_on: Some(expires_on)
        }
    );
    let in_lead = Utc.with_ymd_and_hms(2031, 3, 2, 0, 0, 0).unwrap();
    let right = after_then_at(&approved_path(), RightCommand::RemindExpiry, in_lead);
    assert_eq!(
        right.as_ref().and_then(|r| r.expiry_reminded_for),
        Some(expires_on)
    );
    let refusal = Given::<RightDecider>::state(right)
        .when(&RightCommand::RemindExpiry, &context(in_lead, &policy))
        .then_refused()
        .rule
        .clone();
    assert_eq!(refusal, RightRule::AlreadyReminded { expires_on });
}
