//! The whole story of DOMAIN.md through the engine on the memory store: a right rejected
//! twice and approved on the third try, complaints staged and filed in bulk, a counter-notice
//! answered, all three outcome codes, a check-back that finds an unannounced removal, and a
//! relisting that starts a linked complaint.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aliprotect::complaint::*;
use aliprotect::engine::{Command, EngineError};
use aliprotect::evidence::EvidenceKind;
use aliprotect::ids::{ComplaintId, FilingId, RightId};
use aliprotect::listing::Listing;
use aliprotect::notify::NotificationBody;
use aliprotect::party::Actor;
use aliprotect::right::{Fix, FixTarget, RightCommand, RightRule, RightStatus};
use aliprotect::store::{CountBy, DomainEvent, GroupKey, StreamId};
use aliprotect::testkit::fixtures::{self, text};
use chrono::Duration;
use common::Harness;

fn reject(reason: &str) -> RightCommand {
    RightCommand::Reject {
        reason: text(reason),
        fixes: vec![Fix {
            target: FixTarget::Evidence(EvidenceKind::TrademarkCertificate),
            instruction: text("Upload a colour scan"),
        }],
    }
}

async fn statuses(h: &Harness, ids: Vec<ComplaintId>) -> Vec<ComplaintStatus> {
    let mut out = Vec::new();
    for id in ids {
        out.push(h.complaint(id).await.status());
    }
    out
}

#[tokio::test]
async fn the_whole_enforcement_story() {
    let h = Harness::new();
    let right = RightId::new();
    let r = |command| Command::right(right, command);

    // 1. Register a trademark without the company's articles: the check lists the problem.
    let mut package = fixtures::trademark_package();
    package
        .evidence
        .retain(|e| e.kind != EvidenceKind::ArticlesOfIncorporation);
    h.holder(r(RightCommand::Register {
        id: right,
        tenant: h.tenant,
        package: Box::new(package),
    }))
    .await;
    let refused = h
        .run(fixtures::holder_user(), r(RightCommand::Submit))
        .await;
    match refused {
        Err(EngineError::RightRefused(refusal)) => {
            assert!(matches!(refusal.rule, RightRule::PackageIncomplete(ref p) if p.len() == 1))
        }
        other => panic!("incomplete package must be refused, got {other:?}"),
    }
    h.holder(r(RightCommand::Amend {
        package: Box::new(fixtures::trademark_package()),
    }))
    .await;

    // 2. Review: rejected twice, approved on the third try. Listings found meanwhile are
    //    staged against the right under review.
    let mut staged = Vec::new();
    for (attempt, reason) in [
        (1, "Certificate unreadable"),
        (2, "Registrant name does not match"),
    ] {
        h.holder(r(RightCommand::Submit)).await;
        h.platform(r(RightCommand::BeginReview)).await;
        if attempt == 2 {
            for product in [9_001, 9_002] {
                let id = ComplaintId::new();
                let filing = fixtures::complaint_filing_on(fixtures::tenant(), right, id, product);
                h.holder(Command::complaint(
                    id,
                    ComplaintCommand::File(Box::new(filing)),
                ))
                .await;
                staged.push(id);
            }
        }
        h.platform(r(reject(reason))).await;
        h.clock.advance(Duration::days(1));
        // The holder fixes what the platform asked for (a resubmission of an unchanged
        // package is refused: it would waste an attempt).
        let mut fixed = fixtures::trademark_package();
        fixed
            .evidence
            .push(aliprotect::evidence::Evidence::of_bytes(
                aliprotect::evidence::EvidenceKind::TrademarkCertificate,
                format!("colour scan {attempt}").as_bytes(),
                "image/png",
                fixtures::now(),
            ));
        h.holder(r(RightCommand::Amend {
            package: Box::new(fixed),
        }))
        .await;
    }
    h.holder(r(RightCommand::Submit)).await;
    h.platform(r(RightCommand::BeginReview)).await;
    for id in &staged {
        let c = h.complaint(*id).await;
        assert_eq!(c.status(), ComplaintStatus::Staged);
    }
    h.platform(r(RightCommand::Approve)).await;
    let approved = h.right(right).await;
    assert_eq!(
        (approved.status, approved.attempts),
        (RightStatus::Approved, 3)
    );
    assert_eq!(approved.rejections.len(), 2);
    assert_eq!(
        approved.rejections[1].reason.as_str(),
        "Registrant name does not match"
    );
    for id in &staged {
        let c = h.complaint(*id).await;
        assert_eq!(
            c.status(),
            ComplaintStatus::Submitted,
            "filed automatically on approval"
        );
    }

    // 3. Complaints in bulk: one filing of eight listings from pasted URLs.
    let urls: Vec<String> = (0..8)
        .map(|i| {
            format!(
                "https://www.alibaba.com/product-detail/Fake_{}.html?spm=x{i}",
                1_000 + i
            )
        })
        .collect();
    let listings: Vec<Listing> = urls.iter().map(|u| Listing::parse(u).unwrap()).collect();
    let filing = Filing::new(
        FilingId::new(),
        h.tenant,
        right,
        listings,
        h.engine.read().policy(),
    )
    .unwrap();
    let mut ids = Vec::new();
    for listing in &filing.listings {
        let id = h
            .filed_with(right, 0, |complaint| {
                complaint.filing = filing.id;
                complaint.listing = listing.clone();
            })
            .await;
        ids.push(id);
    }
    assert_eq!(
        Filing::status(statuses(&h, ids.clone()).await),
        FilingStatus::Received
    );
    for id in &ids {
        h.accept(*id).await;
    }
    assert_eq!(
        Filing::status(statuses(&h, ids.clone()).await),
        FilingStatus::InProcess
    );
    let c = |i: usize, command| Command::complaint(ids[i], command);
    // A draft complaint on product `product` that follows complaint `previous`.
    let follow_up = async |product, previous, kind| {
        let follows = Some(FollowUp { previous, kind });
        h.draft(right, product, |filing| filing.follows = follows)
            .await
    };

    // 4. Outcomes. #0 removed by the platform.
    h.platform(c(
        0,
        ComplaintCommand::RecordRemoval {
            cause: RemovalCause::PlatformReported,
        },
    ))
    .await;
    // #1 unable to process, refiled as a new complaint linked to it.
    h.unable_to_process(ids[1], "Link cannot be opened").await;
    let refiled = follow_up(1_001, ids[1], FollowUpKind::Refiling).await;
    // #2 counter-noticed, answered, then removed.
    h.run(
        Actor::Seller,
        c(
            2,
            ComplaintCommand::ReceiveCounterNotice {
                statement: text("We bought from an authorised distributor"),
                evidence: vec![],
            },
        ),
    )
    .await
    .unwrap();
    h.holder(c(
        2,
        ComplaintCommand::Respond {
            statement: text("That distributor has no licence for this region"),
            evidence: vec![fixtures::evidence(EvidenceKind::TestBuy)],
        },
    ))
    .await;
    h.platform(c(
        2,
        ComplaintCommand::RecordRemoval {
            cause: RemovalCause::PlatformReported,
        },
    ))
    .await;
    // #3 the seller counter-notices and the holder accepts: the listing stays up.
    h.run(
        Actor::Seller,
        c(
            3,
            ComplaintCommand::ReceiveCounterNotice {
                statement: text("Licensed"),
                evidence: vec![],
            },
        ),
    )
    .await
    .unwrap();
    h.holder(c(3, ComplaintCommand::AcceptCounterNotice)).await;

    // 5. Time passes. The seller answer window (3 working days) closes for the silent
    //    sellers (#4..#7): their removals are expected, not seen, and a check-back falls
    //    due at once for each. A person looks: #4 and #5 are gone (recorded with what was
    //    seen), #6 and #7 are still up (never recorded removed; escalated).
    h.clock.advance(Duration::days(7));
    let report = h.engine.jobs().tick().await.unwrap();
    assert!(
        report.fired >= 8,
        "seller deadlines and check-backs fired: {report:?}"
    );
    for (i, id) in ids.iter().enumerate().skip(4) {
        let complaint = h.complaint(*id).await;
        assert!(
            matches!(complaint.stage, Stage::RemovalExpected { .. }),
            "silent seller #{i}: {:?}",
            complaint.stage
        );
        assert_eq!(complaint.check_backs, 1, "#{i} checked back at once");
        let seen = match i {
            4 | 5 => ComplaintCommand::RecordRemoval {
                cause: RemovalCause::FoundByCheckBack {
                    evidence: Some(fixtures::evidence(EvidenceKind::Screenshot)),
                },
            },
            _ => ComplaintCommand::ReportStillListed,
        };
        h.holder(Command::complaint(*id, seen)).await;
    }
    // The platform never reacted to a staged one: a check-back finds it gone.
    h.clock.advance(Duration::days(12));
    h.engine.jobs().tick().await.unwrap();
    let checked = h.complaint(staged[0]).await;
    assert!(checked.check_backs >= 1, "a check-back fell due");
    h.holder(Command::complaint(
        staged[0],
        ComplaintCommand::RecordRemoval {
            cause: RemovalCause::FoundByCheckBack {
                evidence: Some(fixtures::evidence(EvidenceKind::Screenshot)),
            },
        },
    ))
    .await;

    // 6. Whack-a-mole: the seller of #0 relists; the new complaint is linked to the first.
    let relisting = follow_up(2_000, ids[0], FollowUpKind::Relisting).await;
    let first = h.complaint(ids[0]).await;
    assert_eq!(
        first.stage,
        Stage::Relisted {
            successor: relisting
        }
    );
    let second = h.complaint(ids[1]).await;
    assert_eq!(second.stage, Stage::Refiled { successor: refiled });

    // Outcomes of all three platform codes are present.
    let everything = [ids.clone(), staged.clone(), vec![refiled, relisting]].concat();
    let all: Vec<ComplaintStatus> = statuses(&h, everything).await;
    let codes: Vec<_> = all.iter().filter_map(|s| s.platform_status()).collect();
    for code in PlatformStatus::ALL {
        assert!(codes.contains(code), "{code} present in {all:?}");
    }

    // Dashboard counts equal what the complaints say.
    let counts = h
        .engine
        .read()
        .complaint_counts(h.tenant, CountBy::Status)
        .await
        .unwrap();
    let count_of = |status| {
        counts
            .iter()
            .find(|c| c.group == GroupKey::All && c.status == status)
            .map_or(0, |c| c.count)
    };
    assert_eq!(count_of(ComplaintStatus::ListingRemoved), 4); // #2, #4, #5, staged[0]
    assert_eq!(count_of(ComplaintStatus::RemovalExpected), 2); // #6, #7: still up
    assert_eq!(count_of(ComplaintStatus::Relisted), 1);
    assert_eq!(count_of(ComplaintStatus::Refiled), 1);
    assert_eq!(count_of(ComplaintStatus::ListingRestored), 1);
    let total: u64 = counts.iter().map(|c| c.count).sum();
    assert_eq!(
        total,
        8 + 2 + 2,
        "bulk, staged, refiled and relisting complaints"
    );

    // Every event records its actor; the right's history keeps the platform's words.
    let history = h.history(StreamId::Right(right)).await;
    let rejections: Vec<_> = history
        .iter()
        .filter_map(|e| match &e.event {
            DomainEvent::Right(event) => match &event.change {
                aliprotect::right::RightChange::Rejected { reason, .. } => {
                    Some((event.actor, reason.as_str().to_owned()))
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(
        rejections,
        vec![
            (Actor::Platform, "Certificate unreadable".to_owned()),
            (Actor::Platform, "Registrant name does not match".to_owned())
        ]
    );

    // Notifications: everything that needs a person was delivered.
    h.engine.jobs().dispatch().await.unwrap();
    let bodies = h.notifier.bodies();
    let count = |pred: fn(&NotificationBody) -> bool| bodies.iter().filter(|b| pred(b)).count();
    assert_eq!(
        count(|b| matches!(b, NotificationBody::RightRejected { .. })),
        2
    );
    assert_eq!(count(|b| matches!(b, NotificationBody::RightApproved)), 1);
    assert_eq!(
        count(|b| matches!(b, NotificationBody::CounterNoticeReceived { .. })),
        2
    );
    assert_eq!(
        count(|b| matches!(b, NotificationBody::ComplaintUnableToProcess { .. })),
        1
    );
    assert_eq!(
        count(|b| matches!(b, NotificationBody::RelistingDetected { .. })),
        1
    );
    assert!(count(|b| matches!(b, NotificationBody::CheckBackDue { .. })) >= 1);
    assert_eq!(
        count(|b| matches!(b, NotificationBody::ListingRemoved { .. })),
        5,
        "#0, #2, #4, #5 and staged[0]: only removals someone saw"
    );
    assert_eq!(
        count(|b| matches!(b, NotificationBody::StillListed { .. })),
        2,
        "#6 and #7: expected gone, seen up"
    );
    assert_eq!(
        h.engine.jobs().dispatch().await.unwrap().delivered,
        0,
        "each delivered once"
    );
}
