//! One example per transition and per refusal of the complaint machine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use aliprotect_core::complaint::*;
use aliprotect_core::decider::Decider;
use aliprotect_core::evidence::EvidenceKind;
use aliprotect_core::ids::{ComplaintId, RightId, TenantId};
use aliprotect_core::listing::Listing;
use aliprotect_core::party::Actor;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::right::{IpKind, IpRight, RightStatus};
use aliprotect_core::testkit::fixtures::{self, now, text};
use chrono::{DateTime, Duration, TimeZone, Utc};

/// A complaint's world: the policy, the right it rests on, and the clock.
struct World {
    policy: MarketplacePolicy,
    right: IpRight,
    previous: Option<Complaint>,
    at: DateTime<Utc>,
    state: Option<Complaint>,
}

impl World {
    fn new() -> Self {
        Self::with_policy(MarketplacePolicy::alibaba_ipp())
    }

    fn with_policy(policy: MarketplacePolicy) -> Self {
        Self {
            policy,
            right: fixtures::right_in(RightStatus::Approved),
            previous: None,
            at: now(),
            state: None,
        }
    }

    fn context(&self) -> ComplaintContext<'_> {
        ComplaintContext {
            previous: self.previous.as_ref(),
            ..ComplaintContext::new(self.at, Actor::Platform, &self.policy, Some(&self.right))
        }
    }

    fn try_do(&self, command: ComplaintCommand) -> Result<Vec<ComplaintEvent>, ComplaintRefusal> {
        ComplaintDecider::decide(&self.state, &command, &self.context())
    }

    /// Applies `command`; panics if refused.
    fn does(mut self, command: ComplaintCommand) -> Self {
        let events = self
            .try_do(command.clone())
            .unwrap_or_else(|refusal| panic!("{command:?} refused: {refusal}"));
        self.state = events.iter().fold(self.state, ComplaintDecider::evolve);
        self
    }

    fn refuses(&self, command: ComplaintCommand) -> ComplaintRule {
        match self.try_do(command) {
            Ok(events) => panic!("expected a refusal, got {events:?}"),
            Err(refusal) => refusal.rule,
        }
    }

    /// Records a removal a check-back found, with a page of `kind` as what it saw; checks
    /// that the complaint keeps that evidence as the removal's cause.
    fn found_removed_by_check_back(self, kind: EvidenceKind) -> Self {
        let cause = RemovalCause::FoundByCheckBack {
            evidence: Some(fixtures::evidence(kind)),
        };
        let world = self.does(ComplaintCommand::RecordRemoval {
            cause: cause.clone(),
        });
        assert_eq!(world.complaint().stage, Stage::ListingRemoved { cause });
        world
    }

    fn clone_state(&self) -> Self {
        Self {
            policy: self.policy.clone(),
            right: self.right.clone(),
            previous: self.previous.clone(),
            at: self.at,
            state: self.state.clone(),
        }
    }

    fn wait(mut self, duration: Duration) -> Self {
        self.at += duration;
        self
    }

    fn complaint(&self) -> &Complaint {
        self.state.as_ref().expect("filed")
    }

    fn status(&self) -> ComplaintStatus {
        self.complaint().status()
    }

    fn filed(self) -> Self {
        self.does(file(1))
    }

    fn submitted(self) -> Self {
        self.filed().does(ComplaintCommand::Submit)
    }

    fn in_progress(self) -> Self {
        self.submitted().does(ComplaintCommand::Accept)
    }

    fn counter_noticed(self) -> Self {
        self.in_progress().does(counter_notice())
    }

    fn responded(self) -> Self {
        self.counter_noticed().does(respond())
    }

    fn removed(self) -> Self {
        self.in_progress().does(ComplaintCommand::RecordRemoval {
            cause: RemovalCause::PlatformReported,
        })
    }

    fn unable_to_process(self) -> Self {
        self.submitted().does(unable())
    }
}

fn file(id: u128) -> ComplaintCommand {
    ComplaintCommand::File(Box::new(fixtures::complaint_filing(
        id,
        1_600_000 + id as u64,
    )))
}

fn counter_notice() -> ComplaintCommand {
    ComplaintCommand::ReceiveCounterNotice {
        statement: text("We are an authorised reseller; invoices attached."),
        evidence: vec![],
    }
}

fn respond() -> ComplaintCommand {
    ComplaintCommand::Respond {
        statement: text("The invoices are forged; our distributor never sold to this seller."),
        evidence: vec![],
    }
}

fn unable() -> ComplaintCommand {
    ComplaintCommand::ReportUnableToProcess {
        reason: text("The link provided cannot be opened"),
    }
}

// ---- File ----

#[test]
fn filing_on_an_approved_right_makes_a_draft() {
    let world = World::new().filed();
    assert_eq!(world.status(), ComplaintStatus::Draft);
    assert_eq!(world.complaint().right_kind, IpKind::Trademark);
    assert_eq!(world.complaint().filed_at, now());
}

#[test]
fn filing_on_a_right_under_review_stages_it_until_approval() {
    let mut world = World::new();
    world.right.status = RightStatus::UnderReview;
    let mut world = world.filed();
    assert_eq!(world.status(), ComplaintStatus::Staged);
    assert_eq!(
        world.refuses(ComplaintCommand::SubmitStaged),
        ComplaintRule::RightNotApproved {
            right: world.right.id,
            status: RightStatus::UnderReview
        }
    );
    world.right.status = RightStatus::Approved;
    let world = world.does(ComplaintCommand::SubmitStaged);
    assert_eq!(world.status(), ComplaintStatus::Submitted);
}

#[test]
fn filing_on_a_right_neither_approved_nor_in_review_is_refused() {
    for status in [
        RightStatus::Draft,
        RightStatus::Rejected,
        RightStatus::Expired,
        RightStatus::Withdrawn,
        RightStatus::Abandoned,
    ] {
        let mut world = World::new();
        world.right.status = status;
        assert_eq!(
            world.refuses(file(1)),
            ComplaintRule::RightNotApproved {
                right: world.right.id,
                status
            }
        );
    }
}

#[test]
fn a_reason_that_does_not_fit_the_right_is_refused_naming_both() {
    let mut filing = fixtures::complaint_filing(1, 1);
    filing.reason = ComplaintReason::PatentCopiedDesign;
    assert_eq!(
        World::new().refuses(ComplaintCommand::File(Box::new(filing))),
        ComplaintRule::ReasonDoesNotFitRight {
            reason: ComplaintReason::PatentCopiedDesign,
            kind: IpKind::Trademark
        }
    );
}

#[test]
fn the_right_must_be_known_and_of_the_same_tenant() {
    let mut world = World::new();
    world.right.id = RightId::from_u128(99);
    assert_eq!(
        world.refuses(file(1)),
        ComplaintRule::UnknownRight(RightId::from_u128(1))
    );
    let mut world = World::new();
    world.right.tenant = TenantId::from_u128(42);
    assert_eq!(
        world.refuses(file(1)),
        ComplaintRule::RightOfOtherTenant(RightId::from_u128(1))
    );
}

#[test]
fn a_marketplace_outside_the_policy_is_refused() {
    let mut filing = fixtures::complaint_filing(1, 1);
    filing.listing = Listing::parse("https://www.ebay.com/itm/1234").unwrap();
    assert_eq!(
        World::new().refuses(ComplaintCommand::File(Box::new(filing))),
        ComplaintRule::MarketplaceNotCovered(aliprotect_core::marketplace::Marketplace::Ebay)
    );
}

#[test]
fn filing_twice_and_commands_before_filing_are_refused() {
    assert_eq!(
        World::new().refuses(ComplaintCommand::Submit),
        ComplaintRule::NotFiled
    );
    assert_eq!(
        World::new().filed().refuses(file(1)),
        ComplaintRule::AlreadyFiled
    );
}

// ---- Submit / Accept / outcomes ----

#[test]
fn submit_sends_a_draft_only_while_its_right_is_approved() {
    assert_eq!(
        World::new().submitted().status(),
        ComplaintStatus::Submitted
    );
    let mut world = World::new().filed();
    world.right.status = RightStatus::Withdrawn;
    assert!(matches!(
        world.refuses(ComplaintCommand::Submit),
        ComplaintRule::RightNotApproved { .. }
    ));
    assert_eq!(
        World::new().submitted().refuses(ComplaintCommand::Submit),
        ComplaintRule::NotAllowedInState
    );
}

#[test]
fn acceptance_starts_the_seller_answer_window_in_working_days() {
    // Monday 09:00 UTC = 17:00 in China; 3 working days: Tue, Wed, Thu -> due Fri 00:00 +08.
    let world = World::new().in_progress();
    let Stage::InProgress { seller_answer_due } = world.complaint().stage else {
        panic!("not in progress")
    };
    assert_eq!(
        seller_answer_due,
        Some(Utc.with_ymd_and_hms(2026, 3, 5, 16, 0, 0).unwrap())
    );
    assert_eq!(
        world.status().platform_status(),
        Some(PlatformStatus::InProgress)
    );
}

#[test]
fn unable_to_process_keeps_the_platform_reason() {
    let world = World::new().in_progress().does(unable());
    assert_eq!(
        world.complaint().stage,
        Stage::UnableToProcess {
            reason: text("The link provided cannot be opened")
        }
    );
    assert_eq!(
        world.status().platform_status(),
        Some(PlatformStatus::UnableToProcess)
    );
    assert_eq!(
        World::new().filed().refuses(unable()),
        ComplaintRule::NotAllowedInState
    );
}

#[test]
fn removal_reported_by_the_platform_or_found_by_check_back() {
    let world = World::new().removed();
    assert_eq!(world.status(), ComplaintStatus::ListingRemoved);
    assert_eq!(
        world.status().platform_status(),
        Some(PlatformStatus::ListingRemoved)
    );
    World::new()
        .submitted()
        .found_removed_by_check_back(EvidenceKind::Screenshot);
    assert_eq!(
        World::new()
            .filed()
            .refuses(ComplaintCommand::RecordRemoval {
                cause: RemovalCause::PlatformReported
            }),
        ComplaintRule::NotAllowedInState
    );
}

#[test]
fn a_silent_seller_makes_a_removal_expected_not_recorded() {
    let world = World::new().in_progress();
    let due = Utc.with_ymd_and_hms(2026, 3, 5, 16, 0, 0).unwrap();
    assert_eq!(
        world.refuses(ComplaintCommand::SellerAnswerWindowElapsed),
        ComplaintRule::DeadlineNotPassed { due: Some(due) }
    );
    let world = world
        .wait(Duration::days(3) + Duration::hours(7))
        .does(ComplaintCommand::SellerAnswerWindowElapsed);
    assert_eq!(
        world.complaint().stage,
        Stage::RemovalExpected { since: world.at },
        "expected, not seen: the platform announces no removal"
    );
    assert_eq!(world.complaint().removed_at, None);
    assert_eq!(
        world.status().platform_status(),
        Some(PlatformStatus::InProgress),
        "no more than was seen"
    );
    assert!(world.status().is_open());
}

#[test]
fn an_expected_removal_is_recorded_only_when_seen() {
    let expected = World::new()
        .in_progress()
        .wait(Duration::days(4))
        .does(ComplaintCommand::SellerAnswerWindowElapsed);
    let unseen = [
        RemovalCause::SellerSilent,
        RemovalCause::FoundByCheckBack { evidence: None },
    ];
    for cause in unseen {
        assert_eq!(
            expected.refuses(ComplaintCommand::RecordRemoval { cause }),
            ComplaintRule::RemovalNotObserved
        );
    }
    // A check-back falls due and finds the listing gone, with what it saw.
    let seen = expected
        .does(ComplaintCommand::CheckBackDue)
        .found_removed_by_check_back(EvidenceKind::SavedPage);
    assert_eq!(seen.complaint().removed_at, Some(seen.at));
}

#[test]
fn a_listing_still_up_after_the_sellers_window_goes_to_a_person_at_once() {
    let expected = World::new()
        .in_progress()
        .wait(Duration::days(4))
        .does(ComplaintCommand::SellerAnswerWindowElapsed)
        .does(ComplaintCommand::CheckBackDue);
    let events = expected
        .try_do(ComplaintCommand::ReportStillListed)
        .unwrap();
    assert!(matches!(
        events[0].change,
        ComplaintChange::StillListed { escalate: true, .. }
    ));
    let still = expected.does(ComplaintCommand::ReportStillListed);
    assert_eq!(still.status(), ComplaintStatus::RemovalExpected);
    // The seller may still counter-notify; the platform may still refuse.
    assert_eq!(
        still.clone_state().does(counter_notice()).status(),
        ComplaintStatus::CounterNoticed
    );
    assert_eq!(
        still.clone_state().does(unable()).status(),
        ComplaintStatus::UnableToProcess
    );
}

#[test]
fn a_removed_listing_is_watched_for_its_return() {
    let removed = World::new().removed();
    let removed_at = removed.complaint().removed_at.expect("removed");
    // Every 5 working days (China's calendar) for 90 days.
    let due = next_return_watch(removed.complaint(), &removed.policy).expect("watched");
    assert!(due > removed_at && due <= removed_at + Duration::days(8));
    assert!(matches!(
        removed.refuses(ComplaintCommand::WatchForReturn),
        ComplaintRule::DeadlineNotPassed { due: Some(_) }
    ));
    let watched = removed
        .wait(Duration::days(8))
        .does(ComplaintCommand::WatchForReturn);
    let next = next_return_watch(watched.complaint(), &watched.policy).expect("still watched");
    assert!(next > due, "the next look is one interval after this one");
    // Seen up again: recorded once, and the watch ends.
    let back = watched.does(ComplaintCommand::ReportStillListed);
    assert_eq!(back.complaint().reappeared_at, Some(back.at));
    assert_eq!(back.status(), ComplaintStatus::ListingRemoved);
    assert_eq!(next_return_watch(back.complaint(), &back.policy), None);
    assert_eq!(
        back.refuses(ComplaintCommand::ReportStillListed),
        ComplaintRule::NotAllowedInState
    );
    // Not after the watch: 90 days.
    let late = World::new().removed().wait(Duration::days(91));
    assert_eq!(
        next_return_watch(late.complaint(), &late.policy).map(|d| d < late.at),
        Some(true)
    );
    let mut unwatched = World::new().removed();
    unwatched.policy.removal_watch = None;
    assert_eq!(
        next_return_watch(unwatched.complaint(), &unwatched.policy),
        None
    );
}

#[test]
fn a_listing_with_an_open_complaint_is_not_filed_again() {
    let mut world = World::new();
    let open = ComplaintId::from_u128(99);
    let refusal = {
        let mut context = world.context();
        context.open_on_listing = Some(open);
        ComplaintDecider::decide(&None, &file(1), &context).unwrap_err()
    };
    assert_eq!(
        refusal.rule,
        ComplaintRule::ListingHasOpenComplaint { open }
    );
    assert!(refusal.to_string().contains(&open.to_string()), "{refusal}");
    world.previous = None;
    assert_eq!(world.filed().status(), ComplaintStatus::Draft);
}

#[test]
fn an_open_complaint_holds_its_listing_until_its_first_ending() {
    let filed = World::new().filed();
    let key =
        aliprotect_core::store::UniqueKey::open_complaint_on(&filed.complaint().filed.listing.key);
    assert_eq!(filed.complaint().unique_keys(), vec![key.clone()]);
    let removed = World::new().removed();
    assert!(removed.complaint().unique_keys().is_empty());
    // Reopened by a counter-notice after the removal: the key is not taken back.
    let reopened = removed.does(counter_notice());
    assert_eq!(reopened.status(), ComplaintStatus::CounterNoticed);
    assert!(reopened.complaint().unique_keys().is_empty());
    let expected = World::new()
        .in_progress()
        .wait(Duration::days(4))
        .does(ComplaintCommand::SellerAnswerWindowElapsed);
    assert_eq!(expected.complaint().unique_keys(), vec![key]);
}

#[test]
fn an_open_complaint_on_a_lapsed_right_is_flagged_once() {
    let world = World::new().in_progress();
    let flagged = world.does(ComplaintCommand::FlagRightLapsed);
    assert!(flagged.complaint().right_lapsed);
    assert_eq!(flagged.status(), ComplaintStatus::InProgress);
    assert_eq!(
        flagged.refuses(ComplaintCommand::FlagRightLapsed),
        ComplaintRule::AlreadyFlagged
    );
    assert_eq!(
        World::new()
            .removed()
            .refuses(ComplaintCommand::FlagRightLapsed),
        ComplaintRule::NotAllowedInState,
        "an ended complaint is left alone"
    );
}

#[test]
fn under_a_dmca_style_policy_seller_silence_changes_nothing() {
    let mut world = World::with_policy(MarketplacePolicy::dmca_style());
    world
        .policy
        .marketplaces
        .push(aliprotect_core::marketplace::Marketplace::AlibabaCom);
    let world = world.in_progress().wait(Duration::days(60));
    assert_eq!(
        world.refuses(ComplaintCommand::SellerAnswerWindowElapsed),
        ComplaintRule::DeadlineNotPassed { due: None }
    );
}

// ---- Counter-notices ----

#[test]
fn a_counter_notice_opens_the_holders_response_window() {
    let world = World::new().counter_noticed();
    assert_eq!(world.status(), ComplaintStatus::CounterNoticed);
    assert_eq!(world.complaint().counter_notices.len(), 1);
    assert_eq!(world.complaint().counter_notices[0].number, 1);
    // 15 calendar days, counted in China: from Mon 2 March -> closes 18 March 00:00 +08.
    assert_eq!(
        world.complaint().stage,
        Stage::CounterNoticed {
            response_due: Some(Utc.with_ymd_and_hms(2026, 3, 17, 16, 0, 0).unwrap())
        }
    );
}

#[test]
fn the_holder_responds_within_the_window() {
    let world = World::new().responded();
    assert_eq!(world.status(), ComplaintStatus::Responded);
    assert_eq!(world.complaint().responses[0].to_number, 1);
    let late = World::new().counter_noticed().wait(Duration::days(16));
    assert_eq!(
        late.refuses(respond()),
        ComplaintRule::ResponseWindowClosed {
            due: Utc.with_ymd_and_hms(2026, 3, 17, 16, 0, 0).unwrap()
        }
    );
}

#[test]
fn after_a_response_the_platform_removes_or_restores() {
    let removed = World::new()
        .responded()
        .does(ComplaintCommand::RecordRemoval {
            cause: RemovalCause::PlatformReported,
        });
    assert_eq!(removed.status(), ComplaintStatus::ListingRemoved);
    let restored = World::new()
        .responded()
        .does(ComplaintCommand::PlatformRestores);
    assert_eq!(
        restored.complaint().stage,
        Stage::ListingRestored {
            cause: RestorationCause::AcceptedByPlatform
        }
    );
    assert_eq!(restored.status().platform_status(), None);
}

#[test]
fn the_holder_may_accept_the_counter_notice() {
    let world = World::new()
        .counter_noticed()
        .does(ComplaintCommand::AcceptCounterNotice);
    assert_eq!(
        world.complaint().stage,
        Stage::ListingRestored {
            cause: RestorationCause::AcceptedByComplainant
        }
    );
}

#[test]
fn a_silent_holder_sees_the_listing_restored() {
    let world = World::new().counter_noticed();
    assert!(matches!(
        world.refuses(ComplaintCommand::ResponseWindowElapsed),
        ComplaintRule::DeadlineNotPassed { due: Some(_) }
    ));
    let world = world
        .wait(Duration::days(16))
        .does(ComplaintCommand::ResponseWindowElapsed);
    assert_eq!(
        world.complaint().stage,
        Stage::ListingRestored {
            cause: RestorationCause::HolderSilent
        }
    );
}

#[test]
fn the_seller_may_counter_notice_again_up_to_the_policy_limit() {
    let world = World::new()
        .responded()
        .does(counter_notice())
        .does(respond())
        .does(counter_notice());
    assert_eq!(world.complaint().counter_notices.len(), 3);
    let world = world.does(respond());
    assert_eq!(
        world.refuses(counter_notice()),
        ComplaintRule::CounterNoticeLimitReached { limit: 3 }
    );
    let mut dmca = World::with_policy(MarketplacePolicy::dmca_style());
    dmca.policy
        .marketplaces
        .push(aliprotect_core::marketplace::Marketplace::AlibabaCom);
    let dmca = dmca.responded();
    assert_eq!(
        dmca.refuses(counter_notice()),
        ComplaintRule::CounterNoticeLimitReached { limit: 1 }
    );
}

#[test]
fn a_removed_listing_may_still_be_counter_noticed() {
    let world = World::new().removed().does(counter_notice());
    assert_eq!(world.status(), ComplaintStatus::CounterNoticed);
}

// ---- Withdrawal ----

#[test]
fn the_holder_may_retract_from_every_open_state() {
    let retract = || ComplaintCommand::Retract {
        reason: Some(text("Settled with the seller")),
    };
    let mut staged = World::new();
    staged.right.status = RightStatus::Submitted;
    let open: Vec<World> = vec![
        staged.filed(),
        World::new().filed(),
        World::new().submitted(),
        World::new().in_progress(),
        World::new().counter_noticed(),
        World::new().responded(),
    ];
    for world in open {
        let before = world.status();
        let after = world.does(retract());
        assert_eq!(after.status(), ComplaintStatus::Retracted, "from {before}");
    }
    assert_eq!(
        World::new().removed().refuses(retract()),
        ComplaintRule::NotAllowedInState
    );
}

// ---- The whack-a-mole loops ----

#[test]
fn unable_to_process_is_refiled_as_a_new_linked_complaint() {
    let first = World::new().unable_to_process();
    let first_id = first.complaint().id();
    let mut filing = fixtures::complaint_filing(2, 1_600_001);
    filing.follows = Some(FollowUp {
        previous: first_id,
        kind: FollowUpKind::Refiling,
    });
    let mut second = World::new();
    second.previous = first.state.clone();
    let second = second.does(ComplaintCommand::File(Box::new(filing)));
    assert_eq!(
        second.complaint().filed.follows.map(|f| f.previous),
        Some(first_id)
    );
    let first = first.does(ComplaintCommand::MarkRefiled {
        successor: second.complaint().id(),
    });
    assert_eq!(first.status(), ComplaintStatus::Refiled);
    assert_eq!(
        first.status().platform_status(),
        Some(PlatformStatus::UnableToProcess)
    );
}

#[test]
fn a_relisting_starts_a_new_complaint_linked_to_the_removed_one() {
    let first = World::new().removed();
    let mut filing = fixtures::complaint_filing(2, 1_700_000);
    filing.follows = Some(FollowUp {
        previous: first.complaint().id(),
        kind: FollowUpKind::Relisting,
    });
    let mut second = World::new();
    second.previous = first.state.clone();
    let second = second.does(ComplaintCommand::File(Box::new(filing.clone())));
    assert_eq!(second.status(), ComplaintStatus::Draft);
    let first = first.does(ComplaintCommand::MarkRelisted {
        successor: second.complaint().id(),
    });
    assert_eq!(
        first.complaint().stage,
        Stage::Relisted {
            successor: ComplaintId::from_u128(2)
        }
    );
}

#[test]
fn a_follow_up_must_match_the_earlier_complaints_outcome() {
    let in_progress = World::new().in_progress();
    let mut filing = fixtures::complaint_filing(2, 1_700_000);
    filing.follows = Some(FollowUp {
        previous: in_progress.complaint().id(),
        kind: FollowUpKind::Relisting,
    });
    let mut world = World::new();
    world.previous = in_progress.state.clone();
    let expected = ComplaintRule::FollowUpDoesNotFit {
        previous: ComplaintId::from_u128(1),
        kind: FollowUpKind::Relisting,
    };
    assert_eq!(
        world.refuses(ComplaintCommand::File(Box::new(filing.clone()))),
        expected
    );
    world.previous = None;
    assert_eq!(
        world.refuses(ComplaintCommand::File(Box::new(filing))),
        expected
    );
}

#[test]
fn a_complaint_cannot_be_its_own_successor() {
    let world = World::new().removed();
    assert_eq!(
        world.refuses(ComplaintCommand::MarkRelisted {
            successor: ComplaintId::from_u128(1)
        }),
        ComplaintRule::SelfSuccessor
    );
}

#[test]
fn terminal_states_accept_nothing() {
    let ends = [
        World::new()
            .counter_noticed()
            .does(ComplaintCommand::AcceptCounterNotice),
        World::new()
            .in_progress()
            .does(ComplaintCommand::Retract { reason: None }),
        World::new().removed().does(ComplaintCommand::MarkRelisted {
            successor: ComplaintId::from_u128(9),
        }),
        World::new()
            .unable_to_process()
            .does(ComplaintCommand::MarkRefiled {
                successor: ComplaintId::from_u128(9),
            }),
    ];
    for world in ends {
        let world = world.wait(Duration::days(400));
        assert!(world.status().is_terminal());
        for command in every_command() {
            assert!(
                world.try_do(command.clone()).is_err(),
                "{command:?} accepted in {}",
                world.status()
            );
        }
    }
}

fn every_command() -> Vec<ComplaintCommand> {
    vec![
        file(1),
        ComplaintCommand::Submit,
        ComplaintCommand::SubmitStaged,
        ComplaintCommand::Accept,
        unable(),
        ComplaintCommand::RecordRemoval {
            cause: RemovalCause::PlatformReported,
        },
        ComplaintCommand::SellerAnswerWindowElapsed,
        counter_notice(),
        respond(),
        ComplaintCommand::AcceptCounterNotice,
        ComplaintCommand::PlatformRestores,
        ComplaintCommand::ResponseWindowElapsed,
        ComplaintCommand::Retract { reason: None },
        ComplaintCommand::MarkRelisted {
            successor: ComplaintId::from_u128(9),
        },
        ComplaintCommand::MarkRefiled {
            successor: ComplaintId::from_u128(9),
        },
    ]
}

#[test]
fn check_backs_are_counted_while_the_platform_has_the_complaint() {
    let world = World::new()
        .submitted()
        .does(ComplaintCommand::CheckBackDue)
        .does(ComplaintCommand::Accept)
        .does(ComplaintCommand::CheckBackDue);
    assert_eq!(world.complaint().check_backs, 2);
    assert_eq!(
        world.status(),
        ComplaintStatus::InProgress,
        "stage unchanged"
    );
    assert_eq!(
        World::new().filed().refuses(ComplaintCommand::CheckBackDue),
        ComplaintRule::NotAllowedInState
    );
    assert_eq!(
        World::new()
            .removed()
            .refuses(ComplaintCommand::CheckBackDue),
        ComplaintRule::NotAllowedInState
    );
}

#[test]
fn the_holder_is_reminded_once_inside_the_lead_before_the_response_deadline() {
    // Counter-notice on Mon 2 March 09:00 UTC: the 15-day window closes 17 March 16:00 UTC;
    // the policy reminds 48 hours before, from 15 March 16:00 UTC.
    let due = Utc.with_ymd_and_hms(2026, 3, 17, 16, 0, 0).unwrap();
    let world = World::new().counter_noticed();
    assert_eq!(
        world.refuses(ComplaintCommand::RemindResponseDeadline),
        ComplaintRule::NoReminderDue { due: Some(due) },
        "too early"
    );
    let world = world
        .wait(Duration::days(13) + Duration::hours(8))
        .does(ComplaintCommand::RemindResponseDeadline);
    assert_eq!(world.complaint().deadline_reminded, Some(due));
    assert_eq!(
        world.refuses(ComplaintCommand::RemindResponseDeadline),
        ComplaintRule::AlreadyReminded { due }
    );
    let late = World::new().counter_noticed().wait(Duration::days(16));
    assert_eq!(
        late.refuses(ComplaintCommand::RemindResponseDeadline),
        ComplaintRule::NoReminderDue { due: Some(due) },
        "after the deadline the window itself ends instead"
    );
}

#[test]
fn a_listing_found_up_again_and_again_is_escalated_to_a_person() {
    let mut world = World::new().in_progress();
    for expected_escalation in [false, false, true] {
        world = world.does(ComplaintCommand::CheckBackDue);
        let events = world.try_do(ComplaintCommand::ReportStillListed).unwrap();
        assert!(matches!(
            events[0].change,
            ComplaintChange::StillListed { escalate, .. } if escalate == expected_escalation
        ));
        world = world.does(ComplaintCommand::ReportStillListed);
    }
    assert_eq!(
        world.status(),
        ComplaintStatus::InProgress,
        "stage unchanged"
    );
    assert_eq!(
        World::new()
            .unable_to_process()
            .refuses(ComplaintCommand::ReportStillListed),
        ComplaintRule::NotAllowedInState
    );
}
