//! Check-backs with a probe: a removal nobody announced is found and recorded with its
//! evidence, a listing still up is escalated after the policy's number of checks, and a
//! probe that cannot tell changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use aliprotect::complaint::{ComplaintCommand, RemovalCause, Stage};
use aliprotect::engine::{Command, Engine, EngineConfig};
use aliprotect::evidence::EvidenceKind;
use aliprotect::listing::{Listing, ListingKey};
use aliprotect::notify::NotificationBody;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::probe::{ListingProbe, ProbeFinding};
use aliprotect::testkit::fixtures;
use async_trait::async_trait;
use chrono::Duration;
use common::Harness;

/// Answers from a table: listing key -> finding.
struct ScriptedProbe(HashMap<ListingKey, ProbeFinding>);

#[async_trait]
impl ListingProbe for ScriptedProbe {
    async fn probe(&self, listing: &Listing) -> ProbeFinding {
        self.0
            .get(&listing.key)
            .cloned()
            .unwrap_or(ProbeFinding::Unknown {
                reason: "not scripted".into(),
            })
    }
}

#[tokio::test]
async fn check_backs_find_removals_and_escalate_listings_still_up() {
    let h = Harness::new();
    let right = h.approved_right().await;
    let (gone, up, unclear) = (
        h.filed(right, 11).await,
        h.filed(right, 12).await,
        h.filed(right, 13).await,
    );
    let evidence = fixtures::evidence(EvidenceKind::Screenshot);
    let probe = ScriptedProbe(HashMap::from([
        (
            h.complaint(gone).await.filed.listing.key.clone(),
            ProbeFinding::Removed {
                evidence: Some(evidence.clone()),
            },
        ),
        (
            h.complaint(up).await.filed.listing.key.clone(),
            ProbeFinding::Live,
        ),
    ]));

    let mut totals = (0, 0, 0);
    for _ in 0..3 {
        // One complaint-review period (7 working days) later, every open complaint is due.
        h.clock.advance(Duration::days(12));
        let report = h.engine.jobs().tick_with_probe(&probe).await.unwrap();
        totals.0 += report.found_removed;
        totals.1 += report.found_live;
        totals.2 += report.unknown;
    }
    assert_eq!(
        totals,
        (1, 3, 3),
        "removed once (then closed), live and unknown each time"
    );

    let removed = h.complaint(gone).await;
    assert_eq!(
        removed.stage,
        Stage::ListingRemoved {
            cause: RemovalCause::FoundByCheckBack {
                evidence: Some(evidence)
            }
        }
    );
    let still = h.complaint(up).await;
    assert_eq!(still.check_backs, 3);
    let untouched = h.complaint(unclear).await;
    assert_eq!(
        untouched.status(),
        aliprotect::complaint::ComplaintStatus::Submitted
    );

    h.engine.jobs().dispatch().await.unwrap();
    let bodies = h.notifier.bodies();
    assert_eq!(
        bodies
            .iter()
            .filter(|b| matches!(b, NotificationBody::StillListed { checks: 3 }))
            .count(),
        1,
        "escalated once, at the third check"
    );
    assert!(bodies.iter().any(|b| matches!(
        b,
        NotificationBody::ListingRemoved {
            cause: RemovalCause::FoundByCheckBack { .. }
        }
    )));
    // The platform's own report after the check-back found it: nothing breaks.
    let late = h
        .run(
            aliprotect::party::Actor::Platform,
            Command::complaint(
                gone,
                ComplaintCommand::RecordRemoval {
                    cause: RemovalCause::PlatformReported,
                },
            ),
        )
        .await;
    assert!(late.is_err(), "already removed");
}

/// Finds every listing live, slowly, keeping count of the looks in progress at once.
#[derive(Default)]
struct CountingProbe {
    in_progress: AtomicUsize,
    most_at_once: AtomicUsize,
}

#[async_trait]
impl ListingProbe for CountingProbe {
    async fn probe(&self, _listing: &Listing) -> ProbeFinding {
        let now = self.in_progress.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        self.in_progress.fetch_sub(1, Ordering::SeqCst);
        ProbeFinding::Live
    }
}

#[tokio::test]
async fn a_tick_looks_at_many_listings_at_once_up_to_its_limit() {
    let h = Harness::new();
    let right = h.approved_right().await;
    for product in 0..12 {
        h.filed(right, 100 + product).await;
    }
    h.clock.advance(Duration::days(12));
    let mut config = EngineConfig::default();
    config.probe_concurrency = 4;
    let engine = Engine::builder(h.store.clone(), h.notifier.clone(), h.clock.clone())
        .config(config)
        .build(MarketplacePolicy::alibaba_ipp());
    let probe = CountingProbe::default();

    let report = engine.jobs().tick_with_probe(&probe).await.unwrap();

    assert_eq!((report.fired, report.found_live), (12, 12));
    assert_eq!(
        probe.most_at_once.load(Ordering::SeqCst),
        4,
        "twelve looks, four at a time"
    );
}
