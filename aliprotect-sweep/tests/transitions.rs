//! One example per transition and per refusal of the sweep, candidate and authorised-seller
//! machines, in given/when/then form.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use aliprotect_core::complaint::ComplaintReason;
use aliprotect_core::decider::{Recorded, StateName};
use aliprotect_core::ids::{ComplaintId, RightId};
use aliprotect_core::listing::{Listing, ListingDetails};
use aliprotect_core::marketplace::Marketplace;
use aliprotect_core::testkit::fixtures::{self, now, text};
use aliprotect_core::testkit::given::Given;
use aliprotect_sweep::*;
use chrono::{DateTime, Duration, Utc};

fn stamp_at(at: DateTime<Utc>) -> Stamp {
    Stamp {
        at,
        actor: fixtures::holder_user(),
    }
}

fn stamp() -> Stamp {
    stamp_at(now())
}

// ---------------------------------------------------------------- sweeps

fn sweep_id() -> SweepId {
    "0195f0a0-0000-7000-8000-000000000007".parse().unwrap()
}

fn spec() -> SweepSpec {
    SweepSpec {
        name: "Earbuds on Alibaba".to_owned(),
        keywords: vec!["acme earbuds".to_owned(), "acme sound".to_owned()],
        marketplace: Marketplace::AlibabaCom,
        right: RightId::from_u128(1),
        campaign: None,
        reason: ComplaintReason::TrademarkCounterfeit,
        explanation: text("Counterfeit earbuds bearing our mark"),
        every_hours: 24,
        page_budget: 5,
    }
}

fn create(spec: SweepSpec) -> SweepCommand {
    SweepCommand::Create {
        id: sweep_id(),
        tenant: fixtures::tenant(),
        spec,
    }
}

fn created() -> Option<Sweep> {
    Given::<SweepDecider>::nothing()
        .when(&create(spec()), &stamp())
        .then_state()
}

fn paused() -> Option<Sweep> {
    Given::<SweepDecider>::state(created())
        .when(&SweepCommand::Pause, &stamp_at(now() + Duration::hours(1)))
        .then_state()
}

fn run_started(started: DateTime<Utc>) -> SweepRun {
    SweepRun {
        started,
        pages: 4,
        found: 3,
        to_review: 2,
        allowed: 1,
        stopped: vec!["acme sound, page 2: timed out".to_owned()],
        ..SweepRun::default()
    }
}

/// The rule that refuses creating a sweep of `spec`, from nothing.
fn spec_refusal(spec: SweepSpec) -> SweepRule {
    let then = Given::<SweepDecider>::nothing().when(&create(spec), &stamp());
    let refusal = then.then_refused();
    assert_eq!(refusal.state, StateName::Absent);
    assert_eq!(refusal.command, "create");
    refusal.rule.clone()
}

/// Whether a sweep of `spec` is created.
fn spec_accepted(spec: SweepSpec) -> bool {
    let then = Given::<SweepDecider>::nothing().when(&create(spec.clone()), &stamp());
    then.then_state().is_some_and(|sweep| sweep.spec == spec)
}

#[test]
fn creating_a_sweep_makes_it_active_and_due_at_once() {
    let then = Given::<SweepDecider>::nothing().when(&create(spec()), &stamp());
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: now(),
            actor: fixtures::holder_user(),
            change: SweepChange::Created {
                id: sweep_id(),
                tenant: fixtures::tenant(),
                spec: spec(),
            },
        }]
    );
    let sweep = then.then_state().unwrap();
    assert_eq!(sweep.id, sweep_id());
    assert_eq!(sweep.tenant, fixtures::tenant());
    assert_eq!(sweep.spec, spec());
    assert_eq!(sweep.status, SweepStatus::Active);
    assert_eq!(sweep.created_at, now());
    assert_eq!((sweep.runs, sweep.last_run.as_ref()), (0, None));
    assert_eq!(sweep.next_run, now());
    assert!(sweep.is_due(now()));
    assert!(!sweep.is_due(now() - Duration::seconds(1)));
}

#[test]
fn a_sweep_cannot_be_created_twice() {
    let then = Given::<SweepDecider>::state(created()).when(&create(spec()), &stamp());
    let refusal = then.then_refused();
    assert_eq!(refusal.rule, SweepRule::AlreadyExists);
    assert_eq!(refusal.state, StateName::In(SweepStatus::Active));
    assert_eq!(refusal.command, "create");
}

#[test]
fn runs_pauses_and_resumes_of_no_sweep_are_unknown() {
    for (command, name) in [
        (SweepCommand::RecordRun(run_started(now())), "record-run"),
        (SweepCommand::Pause, "pause"),
        (SweepCommand::Resume, "resume"),
    ] {
        let then = Given::<SweepDecider>::nothing().when(&command, &stamp());
        let refusal = then.then_refused();
        assert_eq!(refusal.rule, SweepRule::Unknown, "{name}");
        assert_eq!(refusal.state, StateName::Absent, "{name}");
        assert_eq!(refusal.command, name);
    }
}

#[test]
fn a_sweep_needs_a_keyword_and_no_blank_one() {
    let none = SweepSpec {
        keywords: Vec::new(),
        ..spec()
    };
    assert_eq!(spec_refusal(none), SweepRule::NoKeyword);
    let blank = SweepSpec {
        keywords: vec!["acme earbuds".to_owned(), " \t ".to_owned()],
        ..spec()
    };
    assert_eq!(spec_refusal(blank), SweepRule::NoKeyword);
    let empty = SweepSpec {
        keywords: vec![String::new()],
        ..spec()
    };
    assert_eq!(spec_refusal(empty), SweepRule::NoKeyword);
    assert!(spec_accepted(SweepSpec {
        keywords: vec!["x".to_owned()],
        ..spec()
    }));
}

#[test]
fn a_sweep_has_at_most_fifty_keywords() {
    let keywords = |n: usize| (0..n).map(|i| format!("acme {i}")).collect::<Vec<_>>();
    let too_many = SweepSpec {
        keywords: keywords(SweepSpec::MAX_KEYWORDS + 1),
        ..spec()
    };
    assert_eq!(spec_refusal(too_many), SweepRule::TooManyKeywords);
    assert!(spec_accepted(SweepSpec {
        keywords: keywords(SweepSpec::MAX_KEYWORDS),
        ..spec()
    }));
}

#[test]
fn names_and_keywords_are_one_to_two_hundred_characters() {
    let long = "é".repeat(SweepSpec::MAX_CHARS + 1);
    for bad in [
        SweepSpec {
            name: "   ".to_owned(),
            ..spec()
        },
        SweepSpec {
            name: String::new(),
            ..spec()
        },
        SweepSpec {
            name: long.clone(),
            ..spec()
        },
        SweepSpec {
            keywords: vec!["acme".to_owned(), long.clone()],
            ..spec()
        },
    ] {
        assert_eq!(spec_refusal(bad.clone()), SweepRule::BadText, "{bad:?}");
    }
    // Characters are counted, not bytes: 200 two-byte characters fit.
    let longest = "é".repeat(SweepSpec::MAX_CHARS);
    assert!(spec_accepted(SweepSpec {
        name: longest.clone(),
        keywords: vec![longest],
        ..spec()
    }));
}

#[test]
fn a_sweep_runs_at_most_once_an_hour() {
    let hourly = SweepSpec {
        every_hours: 0,
        ..spec()
    };
    assert_eq!(spec_refusal(hourly), SweepRule::TooOften);
    assert!(spec_accepted(SweepSpec {
        every_hours: 1,
        ..spec()
    }));
}

#[test]
fn the_page_budget_is_one_to_a_thousand() {
    for page_budget in [0, SweepSpec::MAX_PAGE_BUDGET + 1, u32::MAX] {
        let bad = SweepSpec {
            page_budget,
            ..spec()
        };
        assert_eq!(spec_refusal(bad), SweepRule::BadPageBudget, "{page_budget}");
    }
    for page_budget in [1, SweepSpec::MAX_PAGE_BUDGET] {
        assert!(spec_accepted(SweepSpec {
            page_budget,
            ..spec()
        }));
    }
}

#[test]
fn a_run_is_counted_and_the_next_is_due_a_period_after_it_started() {
    let started = now() + Duration::hours(2);
    let run = run_started(started);
    let then = Given::<SweepDecider>::state(created()).when(
        &SweepCommand::RecordRun(run.clone()),
        &stamp_at(started + Duration::minutes(5)),
    );
    assert_eq!(then.then_events().len(), 1);
    assert_eq!(then.then_events()[0].change, SweepChange::Ran(run.clone()));
    assert_eq!(then.then_events()[0].at, started + Duration::minutes(5));
    let sweep = then.then_state().unwrap();
    assert_eq!(sweep.runs, 1);
    assert_eq!(sweep.last_run.as_ref(), Some(&run));
    assert_eq!(sweep.next_run, started + Duration::hours(24));
    assert_eq!(sweep.status, SweepStatus::Active);
    assert!(!sweep.is_due(started + Duration::hours(23)));
    assert!(sweep.is_due(started + Duration::hours(24)));

    let later = now() + Duration::hours(30);
    let second = Given::<SweepDecider>::state(Some(sweep))
        .when(
            &SweepCommand::RecordRun(run_started(later)),
            &stamp_at(later),
        )
        .then_state()
        .unwrap();
    assert_eq!(second.runs, 2);
    assert_eq!(second.last_run.map(|run| run.started), Some(later));
    assert_eq!(second.next_run, later + Duration::hours(24));
    assert_eq!(second.created_at, now());
}

#[test]
fn a_run_started_before_a_pause_is_recorded_and_the_sweep_stays_paused() {
    let started = now() + Duration::minutes(30);
    let run = run_started(started);
    let then = Given::<SweepDecider>::state(paused()).when(
        &SweepCommand::RecordRun(run.clone()),
        &stamp_at(now() + Duration::hours(2)),
    );
    assert_eq!(then.then_events()[0].change, SweepChange::Ran(run.clone()));
    let sweep = then.then_state().unwrap();
    assert_eq!(sweep.status, SweepStatus::Paused);
    assert_eq!(sweep.runs, 1);
    assert_eq!(sweep.last_run, Some(run));
    assert_eq!(sweep.next_run, started + Duration::hours(24));
    assert!(!sweep.is_due(started + Duration::hours(24)));
}

#[test]
fn pausing_keeps_a_sweep_but_takes_it_off_its_schedule() {
    let then = Given::<SweepDecider>::state(created())
        .when(&SweepCommand::Pause, &stamp_at(now() + Duration::hours(1)));
    assert_eq!(then.then_events()[0].change, SweepChange::Paused);
    let sweep = then.then_state().unwrap();
    assert_eq!(sweep.status, SweepStatus::Paused);
    assert_eq!(sweep.next_run, now());
    assert_eq!(sweep.runs, 0);
    assert!(!sweep.is_due(now() + Duration::days(365)));
}

#[test]
fn a_paused_sweep_cannot_be_paused_again() {
    let then = Given::<SweepDecider>::state(paused()).when(&SweepCommand::Pause, &stamp());
    let refusal = then.then_refused();
    assert_eq!(refusal.rule, SweepRule::Paused);
    assert_eq!(refusal.state, StateName::In(SweepStatus::Paused));
    assert_eq!(refusal.command, "pause");
}

#[test]
fn resuming_puts_a_sweep_back_on_its_schedule() {
    let then = Given::<SweepDecider>::state(paused())
        .when(&SweepCommand::Resume, &stamp_at(now() + Duration::hours(2)));
    assert_eq!(then.then_events()[0].change, SweepChange::Resumed);
    let sweep = then.then_state().unwrap();
    assert_eq!(sweep.status, SweepStatus::Active);
    assert_eq!(sweep.next_run, now());
    assert!(sweep.is_due(now() + Duration::hours(2)));
    // It runs again.
    let ran = Given::<SweepDecider>::state(Some(sweep))
        .when(&SweepCommand::RecordRun(run_started(now())), &stamp())
        .then_state()
        .unwrap();
    assert_eq!(ran.runs, 1);
}

#[test]
fn an_active_sweep_cannot_be_resumed() {
    let then = Given::<SweepDecider>::state(created()).when(&SweepCommand::Resume, &stamp());
    let refusal = then.then_refused();
    assert_eq!(refusal.rule, SweepRule::NotPaused);
    assert_eq!(refusal.state, StateName::In(SweepStatus::Active));
    assert_eq!(refusal.command, "resume");
}

#[test]
fn the_longest_period_a_spec_allows_schedules_a_run_a_year_on() {
    let yearly = SweepSpec {
        every_hours: SweepSpec::MAX_EVERY_HOURS,
        ..spec()
    };
    let sweep = Given::<SweepDecider>::nothing()
        .when(&create(yearly), &stamp())
        .then_state();
    let ran = Given::<SweepDecider>::state(sweep)
        .when(&SweepCommand::RecordRun(run_started(now())), &stamp())
        .then_state()
        .unwrap();
    assert_eq!(ran.runs, 1);
    assert_eq!(ran.next_run, now() + Duration::days(366));
    assert!(!ran.is_due(now() + Duration::days(365)));
}

#[test]
fn a_sweep_runs_at_least_once_a_year() {
    let rarer = SweepSpec {
        every_hours: SweepSpec::MAX_EVERY_HOURS + 1,
        ..spec()
    };
    let then = Given::<SweepDecider>::nothing().when(&create(rarer), &stamp());
    assert_eq!(then.then_refused().rule, SweepRule::TooRarely);
}

#[test]
fn a_run_recorded_late_moves_neither_the_last_run_nor_the_next_back() {
    let sweep = Given::<SweepDecider>::nothing()
        .when(&create(spec()), &stamp())
        .then_state();
    let later = Given::<SweepDecider>::state(sweep)
        .when(
            &SweepCommand::RecordRun(run_started(now() + Duration::hours(5))),
            &stamp(),
        )
        .then_state();
    let late = Given::<SweepDecider>::state(later.clone())
        .when(&SweepCommand::RecordRun(run_started(now())), &stamp())
        .then_state()
        .unwrap();
    let later = later.unwrap();
    assert_eq!(late.runs, 2);
    assert_eq!(late.next_run, later.next_run);
    assert_eq!(late.last_run, later.last_run);
}

// ---------------------------------------------------------------- candidates

const PRODUCT: u64 = 1_600_000_000_001;

fn listing() -> Listing {
    fixtures::complaint_filing(1, PRODUCT).listing
}

fn details() -> ListingDetails {
    ListingDetails {
        title: Some("ACME earbuds".to_owned()),
        seller_name: Some("Copy Co".to_owned()),
        price: Some("US$ 3.50".to_owned()),
        image_hash: None,
    }
}

fn found(finding: Finding) -> Found {
    Found {
        tenant: fixtures::tenant(),
        sweep: sweep_id(),
        right: RightId::from_u128(1),
        keyword: "acme earbuds".to_owned(),
        listing: listing(),
        details: details(),
        finding,
    }
}

fn find(finding: Finding) -> CandidateCommand {
    CandidateCommand::Find(Box::new(found(finding)))
}

fn candidate(finding: Finding) -> Option<Candidate> {
    Given::<CandidateDecider>::nothing()
        .when(&find(finding), &stamp())
        .then_state()
}

fn relisting() -> Finding {
    Finding::Relisting {
        previous: ComplaintId::from_u128(41),
    }
}

fn allowed() -> Finding {
    Finding::Allowed {
        seller: "Copy Co".to_owned(),
    }
}

fn confirm() -> CandidateCommand {
    CandidateCommand::Confirm {
        complaint: ComplaintId::from_u128(42),
    }
}

fn dismiss() -> CandidateCommand {
    CandidateCommand::Dismiss {
        reason: text("An unbranded case, not ours"),
    }
}

fn later() -> Stamp {
    stamp_at(now() + Duration::hours(3))
}

#[test]
fn a_listing_found_is_put_to_review() {
    let then = Given::<CandidateDecider>::nothing().when(&find(Finding::ToReview), &stamp());
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: now(),
            actor: fixtures::holder_user(),
            change: CandidateChange::Found(Box::new(found(Finding::ToReview))),
        }]
    );
    let candidate = then.then_state().unwrap();
    assert_eq!(
        candidate.id,
        CandidateId::of(fixtures::tenant(), RightId::from_u128(1), &listing().key)
    );
    assert_eq!(candidate.tenant, fixtures::tenant());
    assert_eq!(candidate.sweep, sweep_id());
    assert_eq!(candidate.right, RightId::from_u128(1));
    assert_eq!(candidate.keyword, "acme earbuds");
    assert_eq!(candidate.listing, listing());
    assert_eq!(candidate.details, details());
    assert_eq!(candidate.status, CandidateStatus::ToReview);
    assert!(candidate.status.is_open());
    assert_eq!((candidate.found_at, candidate.updated_at), (now(), now()));
}

#[test]
fn a_listing_found_again_after_a_removal_is_proposed_as_a_relisting() {
    let candidate = candidate(relisting()).unwrap();
    assert_eq!(
        candidate.status,
        CandidateStatus::Relisting {
            previous: ComplaintId::from_u128(41)
        }
    );
    assert!(candidate.status.is_open());
    assert_eq!(candidate.status.name(), "relisting");
}

#[test]
fn a_listing_of_an_authorised_seller_is_allowed_without_review() {
    let candidate = candidate(allowed()).unwrap();
    assert_eq!(
        candidate.status,
        CandidateStatus::Allowed {
            seller: "Copy Co".to_owned()
        }
    );
    assert!(!candidate.status.is_open());
}

#[test]
fn a_listing_is_found_once() {
    let then = Given::<CandidateDecider>::state(candidate(Finding::ToReview))
        .when(&find(relisting()), &later());
    let refusal = then.then_refused();
    assert_eq!(refusal.rule, CandidateRule::AlreadyFound);
    assert_eq!(refusal.state, StateName::In("to-review"));
    assert_eq!(refusal.command, "find");
}

#[test]
fn no_candidate_is_confirmed_or_dismissed() {
    for (command, name) in [(confirm(), "confirm"), (dismiss(), "dismiss")] {
        let then = Given::<CandidateDecider>::nothing().when(&command, &stamp());
        let refusal = then.then_refused();
        assert_eq!(refusal.rule, CandidateRule::Unknown, "{name}");
        assert_eq!(refusal.state, StateName::Absent, "{name}");
        assert_eq!(refusal.command, name);
    }
}

#[test]
fn confirming_a_candidate_to_review_records_its_complaint() {
    let then =
        Given::<CandidateDecider>::state(candidate(Finding::ToReview)).when(&confirm(), &later());
    assert_eq!(
        then.then_events()[0].change,
        CandidateChange::Confirmed {
            complaint: ComplaintId::from_u128(42)
        }
    );
    let confirmed = then.then_state().unwrap();
    assert_eq!(
        confirmed.status,
        CandidateStatus::Confirmed {
            complaint: ComplaintId::from_u128(42)
        }
    );
    assert_eq!(confirmed.found_at, now());
    assert_eq!(confirmed.updated_at, later().at);
    assert!(!confirmed.status.is_open());
}

#[test]
fn a_relisting_can_be_confirmed() {
    let confirmed = Given::<CandidateDecider>::state(candidate(relisting()))
        .when(&confirm(), &later())
        .then_state()
        .unwrap();
    assert_eq!(
        confirmed.status,
        CandidateStatus::Confirmed {
            complaint: ComplaintId::from_u128(42)
        }
    );
    assert_eq!(confirmed.updated_at, later().at);
}

#[test]
fn dismissing_a_candidate_to_review_keeps_the_reason_verbatim() {
    let then =
        Given::<CandidateDecider>::state(candidate(Finding::ToReview)).when(&dismiss(), &later());
    assert_eq!(
        then.then_events()[0].change,
        CandidateChange::Dismissed {
            reason: text("An unbranded case, not ours")
        }
    );
    let dismissed = then.then_state().unwrap();
    assert_eq!(
        dismissed.status,
        CandidateStatus::Dismissed {
            reason: text("An unbranded case, not ours")
        }
    );
    assert_eq!(dismissed.found_at, now());
    assert_eq!(dismissed.updated_at, later().at);
}

#[test]
fn a_relisting_can_be_dismissed() {
    let dismissed = Given::<CandidateDecider>::state(candidate(relisting()))
        .when(&dismiss(), &later())
        .then_state()
        .unwrap();
    assert_eq!(dismissed.status.name(), "dismissed");
}

#[test]
fn a_decided_candidate_is_neither_confirmed_nor_dismissed() {
    let decided = [
        (
            Given::<CandidateDecider>::state(candidate(Finding::ToReview))
                .when(&confirm(), &later())
                .then_state(),
            "confirmed",
        ),
        (
            Given::<CandidateDecider>::state(candidate(Finding::ToReview))
                .when(&dismiss(), &later())
                .then_state(),
            "dismissed",
        ),
        (candidate(allowed()), "allowed"),
    ];
    for (state, status) in decided {
        for (command, name) in [(confirm(), "confirm"), (dismiss(), "dismiss")] {
            let then = Given::<CandidateDecider>::state(state.clone()).when(&command, &later());
            let refusal = then.then_refused();
            assert_eq!(refusal.rule, CandidateRule::Decided, "{name} when {status}");
            assert_eq!(refusal.state, StateName::In(status));
            assert_eq!(refusal.command, name);
        }
    }
}

// ---------------------------------------------------------------- authorised sellers

fn authorise(seller: &str, note: Option<&str>) -> AuthorisedSellersCommand {
    AuthorisedSellersCommand::Authorise {
        tenant: fixtures::tenant(),
        right: RightId::from_u128(1),
        seller: seller.to_owned(),
        note: note.map(str::to_owned),
    }
}

fn withdraw(seller: &str) -> AuthorisedSellersCommand {
    AuthorisedSellersCommand::Withdraw {
        seller: seller.to_owned(),
    }
}

fn with_acme() -> Option<AuthorisedSellers> {
    Given::<AuthorisedSellersDecider>::nothing()
        .when(
            &authorise(" ACME Trading ", Some("Distribution contract 2025")),
            &stamp(),
        )
        .then_state()
}

#[test]
fn authorising_a_first_seller_starts_the_rights_list() {
    let then = Given::<AuthorisedSellersDecider>::nothing().when(
        &authorise(" ACME Trading ", Some("Distribution contract 2025")),
        &stamp(),
    );
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: now(),
            actor: fixtures::holder_user(),
            change: AuthorisedSellersChange::Authorised {
                tenant: fixtures::tenant(),
                right: RightId::from_u128(1),
                seller: "ACME Trading".to_owned(),
                note: Some("Distribution contract 2025".to_owned()),
            },
        }]
    );
    let list = then.then_state().unwrap();
    assert_eq!(list.tenant, fixtures::tenant());
    assert_eq!(list.right, RightId::from_u128(1));
    assert_eq!(
        list.sellers.into_iter().collect::<Vec<_>>(),
        [(
            "acme trading".to_owned(),
            AuthorisedSeller {
                seller: "ACME Trading".to_owned(),
                note: Some("Distribution contract 2025".to_owned()),
                since: now(),
            }
        )]
    );
}

#[test]
fn authorising_another_seller_adds_it() {
    let list = Given::<AuthorisedSellersDecider>::state(with_acme())
        .when(&authorise("Copy Co", None), &later())
        .then_state()
        .unwrap();
    let keys: Vec<&str> = list.sellers.keys().map(String::as_str).collect();
    assert_eq!(keys, ["acme trading", "copy co"]);
    assert_eq!(list.sellers["copy co"].since, later().at);
    assert_eq!(list.sellers["copy co"].note, None);
    assert_eq!(list.sellers["acme trading"].since, now());
}

#[test]
fn a_seller_is_authorised_once_however_it_is_spelt() {
    for spelling in ["ACME Trading", "acme trading", "\tAcMe TrAdInG  "] {
        let then = Given::<AuthorisedSellersDecider>::state(with_acme())
            .when(&authorise(spelling, Some("again")), &later());
        let refusal = then.then_refused();
        assert_eq!(
            refusal.rule,
            AuthorisedSellersRule::AlreadyAuthorised,
            "{spelling:?}"
        );
        assert_eq!(refusal.state, StateName::In("kept"));
        assert_eq!(refusal.command, "authorise");
    }
}

#[test]
fn a_seller_and_a_note_are_one_to_five_hundred_characters() {
    let long = "é".repeat(AuthorisedSellers::MAX_CHARS + 1);
    for (seller, note) in [
        ("", None),
        ("   ", None),
        (long.as_str(), None),
        ("Copy Co", Some("")),
        ("Copy Co", Some(" \n ")),
        ("Copy Co", Some(long.as_str())),
    ] {
        let then = Given::<AuthorisedSellersDecider>::state(with_acme())
            .when(&authorise(seller, note), &later());
        let refusal = then.then_refused();
        assert_eq!(
            refusal.rule,
            AuthorisedSellersRule::BadText,
            "{seller:?}, {note:?}"
        );
        assert_eq!(refusal.command, "authorise");
    }
    let nothing =
        Given::<AuthorisedSellersDecider>::nothing().when(&authorise(" ", None), &stamp());
    assert_eq!(nothing.then_refused().state, StateName::Absent);
    // Characters are counted, not bytes.
    let longest = "é".repeat(AuthorisedSellers::MAX_CHARS);
    let list = Given::<AuthorisedSellersDecider>::nothing()
        .when(&authorise(&longest, Some(&longest)), &stamp())
        .then_state()
        .unwrap();
    assert_eq!(
        list.sellers[&longest].note.as_deref(),
        Some(longest.as_str())
    );
}

#[test]
fn withdrawing_takes_a_seller_off_the_list_however_it_is_spelt() {
    let with_both = Given::<AuthorisedSellersDecider>::state(with_acme())
        .when(&authorise("Copy Co", None), &stamp())
        .then_state();
    let then = Given::<AuthorisedSellersDecider>::state(with_both)
        .when(&withdraw("acme TRADING "), &later());
    assert_eq!(
        then.then_events()[0].change,
        AuthorisedSellersChange::Withdrawn {
            seller: "acme TRADING".to_owned()
        }
    );
    let list = then.then_state().unwrap();
    let keys: Vec<&str> = list.sellers.keys().map(String::as_str).collect();
    assert_eq!(keys, ["copy co"]);
    // Withdrawn, it can be authorised again.
    let again = Given::<AuthorisedSellersDecider>::state(Some(list))
        .when(&authorise("ACME Trading", None), &later())
        .then_state()
        .unwrap();
    assert!(again.sellers.contains_key("acme trading"));
}

#[test]
fn a_seller_not_on_the_list_cannot_be_withdrawn() {
    let then =
        Given::<AuthorisedSellersDecider>::state(with_acme()).when(&withdraw("Copy Co"), &later());
    let refusal = then.then_refused();
    assert_eq!(refusal.rule, AuthorisedSellersRule::NotAuthorised);
    assert_eq!(refusal.state, StateName::In("kept"));
    assert_eq!(refusal.command, "withdraw");

    let nothing =
        Given::<AuthorisedSellersDecider>::nothing().when(&withdraw("ACME Trading"), &stamp());
    assert_eq!(
        nothing.then_refused().rule,
        AuthorisedSellersRule::NotAuthorised
    );
    assert_eq!(nothing.then_refused().state, StateName::Absent);

    let withdrawn = Given::<AuthorisedSellersDecider>::state(with_acme())
        .when(&withdraw("ACME Trading"), &stamp())
        .then_state();
    let twice = Given::<AuthorisedSellersDecider>::state(withdrawn)
        .when(&withdraw("ACME Trading"), &later());
    assert_eq!(
        twice.then_refused().rule,
        AuthorisedSellersRule::NotAuthorised
    );
}

#[test]
fn a_listing_is_of_an_authorised_seller_by_its_store_id_or_its_sellers_name() {
    let list = with_acme().unwrap();
    let mut by_name = details();
    by_name.seller_name = Some("Acme trading".to_owned());
    assert_eq!(list.seller_of(&listing(), &by_name), Some("ACME Trading"));
    let mut by_store = listing();
    by_store.seller_id = Some("ACME TRADING".to_owned());
    assert_eq!(list.seller_of(&by_store, &details()), Some("ACME Trading"));
    assert_eq!(list.seller_of(&listing(), &details()), None);
}

fn begin_confirming(complaint: u128) -> CandidateCommand {
    CandidateCommand::BeginConfirming {
        complaint: ComplaintId::from_u128(complaint),
    }
}

#[test]
fn a_candidate_being_filed_is_no_longer_dismissed() {
    let then = Given::<CandidateDecider>::state(candidate(Finding::ToReview))
        .when(&begin_confirming(42), &later());
    assert_eq!(
        then.then_events()[0].change,
        CandidateChange::ConfirmingBegun {
            complaint: ComplaintId::from_u128(42)
        }
    );
    let being_filed = then.then_state();
    let status = being_filed.as_ref().map(|c| c.status.clone());
    assert_eq!(
        status,
        Some(CandidateStatus::Confirming {
            complaint: ComplaintId::from_u128(42)
        })
    );
    assert!(!status.unwrap().is_open());
    let dismissed =
        Given::<CandidateDecider>::state(being_filed.clone()).when(&dismiss(), &later());
    assert_eq!(dismissed.then_refused().rule, CandidateRule::Decided);
    assert_eq!(dismissed.then_refused().state, StateName::In("confirming"));
    let again = Given::<CandidateDecider>::state(being_filed).when(&begin_confirming(42), &later());
    assert_eq!(again.then_refused().rule, CandidateRule::Decided);
}

#[test]
fn a_filing_under_way_is_finished_by_the_complaint_it_met() {
    let being_filed = Given::<CandidateDecider>::state(candidate(relisting()))
        .when(&begin_confirming(42), &later())
        .then_state();
    let confirmed = Given::<CandidateDecider>::state(being_filed.clone())
        .when(&confirm(), &later())
        .then_state()
        .unwrap();
    assert_eq!(
        confirmed.status,
        CandidateStatus::Confirmed {
            complaint: ComplaintId::from_u128(42)
        }
    );
    // The listing had a complaint already, filed meanwhile: that one is its complaint.
    let other = CandidateCommand::Confirm {
        complaint: ComplaintId::from_u128(7),
    };
    let met = Given::<CandidateDecider>::state(being_filed)
        .when(&other, &later())
        .then_state()
        .unwrap();
    assert_eq!(
        met.status,
        CandidateStatus::Confirmed {
            complaint: ComplaintId::from_u128(7)
        }
    );
    let done = Given::<CandidateDecider>::state(Some(met)).when(&confirm(), &later());
    assert_eq!(done.then_refused().rule, CandidateRule::Decided);
}
