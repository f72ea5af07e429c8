//! A campaign of 1,000 listings on SQLite against a fake marketplace (a local HTTP server
//! whose pages change over simulated days): bulk intake with bad rows and duplicates,
//! counter-notices, check-backs that find removals nobody announced, sellers relisting and
//! being caught, and metrics equal to what this test counts by hand.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::time::Duration as StdDuration;

use aliprotect::campaign::{Campaign, CampaignCommand};
use aliprotect::clock::ManualClock;
use aliprotect::complaint::{ComplaintCommand, ComplaintReason, ComplaintStatus, Stage};
use aliprotect::engine::{Command, Engine, Request};
use aliprotect::ids::{CampaignId, ComplaintId, RightId};
use aliprotect::intake::{IntakeFormat, IntakeRequest};
use aliprotect::marketplace::Marketplace;
use aliprotect::notify::DiscardNotifier;
use aliprotect::party::Actor;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store_sqlite::SqliteStore;
use aliprotect::testkit::engines::approve_right;
use aliprotect::testkit::fixtures::{self, text};
use aliprotect_probe_http::{HttpProbe, HttpProbeConfig};
use chrono::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LISTINGS: u64 = 1_000;
const SELLERS: u64 = 50;

fn url(n: u64) -> String {
    format!(
        "https://seller{}.en.alibaba.com/product/{}.html",
        n % SELLERS,
        5_000 + n
    )
}

/// Serves every listing as live except those in `removed`, which answer 404 (half) or a page
/// saying the product is gone (the other half).
async fn marketplace_day(server: &MockServer, removed: &BTreeSet<u64>) {
    server.reset().await;
    for n in removed {
        // Through the gateway: the listing's host, then its path.
        let page = format!(
            "/seller{}.en.alibaba.com/product/{}.html",
            n % SELLERS,
            5_000 + n
        );
        let response = if n % 2 == 0 {
            ResponseTemplate::new(404)
        } else {
            ResponseTemplate::new(200).set_body_string("This product is no longer available.")
        };
        Mock::given(method("GET"))
            .and(path(page))
            .respond_with(response)
            .with_priority(1)
            .mount(server)
            .await;
    }
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<h1>TWS Earbuds</h1>"))
        .with_priority(10)
        .mount(server)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_of_a_thousand_listings() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(fixtures::now());
    // The policy is data: on this platform a seller's silence changes nothing, so removals
    // are known only from the platform or from check-backs.
    let mut policy = MarketplacePolicy::alibaba_ipp();
    policy.silence.seller_loses_after = None;
    let engine = Engine::new(
        SqliteStore::open(dir.path().join("campaign.sqlite")).unwrap(),
        DiscardNotifier,
        clock.clone(),
        policy,
    );
    let tenant = fixtures::tenant();
    let right = RightId::new();
    approve_right(&engine, tenant, right).await.unwrap();
    let campaign = CampaignId::new();
    let created = Campaign::new(
        campaign,
        tenant,
        text("Earbuds sweep"),
        vec![right],
        fixtures::now(),
    )
    .auto_file_relistings(true);
    engine
        .execute(Request::new(
            tenant,
            fixtures::holder_user(),
            Command::campaign(campaign, CampaignCommand::Create(Box::new(created))),
        ))
        .await
        .unwrap();
    let intake = |submit| IntakeRequest {
        tenant,
        actor: fixtures::holder_user(),
        marketplace: Marketplace::AlibabaCom,
        right,
        reason: ComplaintReason::TrademarkCounterfeit,
        explanation: text("Counterfeit earbuds bearing the ACME SOUND mark"),
        campaign: Some(campaign),
        submit,
    };

    // Day 0: the keyword search export, with 10 bad rows and 25 repeats.
    let mut csv = String::from("url,title,seller\n");
    for n in 0..LISTINGS {
        csv.push_str(&format!(
            "{},TWS Earbuds {n},Seller {}\n",
            url(n),
            n % SELLERS
        ));
        if n % 40 == 0 {
            csv.push_str(&format!("{}?spm=a2700.{n},,\n", url(n)));
        }
        if n % 100 == 7 {
            csv.push_str("https://www.aliexpress.com/item/1.html,,\n");
        }
    }
    let report = engine
        .intake(&intake(true), IntakeFormat::Csv, csv.as_bytes(), |_| {})
        .await
        .unwrap();
    assert_eq!(report.filed.len(), LISTINGS as usize);
    assert_eq!(report.duplicates.len(), 25);
    assert_eq!(report.rejected.len(), 10);
    assert_eq!(report.filings.len(), 4, "300 + 300 + 300 + 100");
    let ids: Vec<ComplaintId> = report.filed.iter().map(|f| f.complaint).collect();

    // Day 1: the platform takes them all up.
    clock.advance(Duration::days(1));
    let accept = ids
        .iter()
        .map(|id| {
            Request::new(
                tenant,
                Actor::Platform,
                Command::complaint(*id, ComplaintCommand::Accept),
            )
        })
        .collect();
    assert!(engine.execute_batch(accept).await.iter().all(Result::is_ok));

    // Day 2: 30 sellers counter-notice; the holder answers 20 and lets 10 go by.
    clock.advance(Duration::days(1));
    let disputed: Vec<usize> = (0..ids.len()).filter(|i| i % 33 == 5).take(30).collect();
    let on_complaint = async |actor, id: ComplaintId, command| {
        engine
            .execute(Request::new(tenant, actor, Command::complaint(id, command)))
            .await
            .unwrap();
    };
    for (k, i) in disputed.iter().enumerate() {
        let counter = ComplaintCommand::ReceiveCounterNotice {
            statement: text("We are an authorised reseller"),
            evidence: vec![],
        };
        on_complaint(Actor::Seller, ids[*i], counter).await;
        if k % 3 != 2 {
            let respond = ComplaintCommand::Respond {
                statement: text("No licence was ever granted"),
                evidence: vec![],
            };
            on_complaint(fixtures::holder_user(), ids[*i], respond).await;
        }
    }
    let counter_noticed: BTreeSet<usize> = disputed.iter().copied().collect();
    let silent: BTreeSet<usize> = disputed
        .iter()
        .enumerate()
        .filter(|(k, _)| k % 3 == 2)
        .map(|(_, i)| *i)
        .collect();
    assert_eq!(silent.len(), 10);

    // The marketplace quietly takes down 600 listings; nobody tells us.
    let removed: BTreeSet<u64> = (0..LISTINGS)
        .filter(|n| n % 5 != 0 && !counter_noticed.contains(&(*n as usize)))
        .take(600)
        .collect();
    assert_eq!(removed.len(), 600);
    let server = MockServer::start().await;
    marketplace_day(&server, &removed).await;
    let mut config = HttpProbeConfig {
        timeout: StdDuration::from_secs(5),
        max_in_flight: 8,
        per_host_interval: StdDuration::ZERO,
        via: Some(server.uri().parse().unwrap()),
        ..HttpProbeConfig::default()
    };
    config
        .removed_markers
        .insert(Marketplace::AlibabaCom, vec!["no longer available".into()]);
    let probe = HttpProbe::new(config).unwrap();

    // Day 20: check-backs fall due (7 working days) and the holders' windows (15 days) close.
    clock.advance(Duration::days(18));
    let report = engine.jobs().tick_with_probe(&probe).await.unwrap();
    assert_eq!(report.found_removed, 600, "every unannounced removal found");
    assert_eq!(
        report.found_live,
        1_000 - 600 - 10,
        "the rest are still up (silent holders' ended)"
    );

    // Day 25: 40 removed listings reappear under new product ids: the same sellers, the
    // same titles (a seller's new product alone would be no relisting).
    clock.advance(Duration::days(5));
    let relisted_sellers: Vec<u64> = removed.iter().copied().take(40).collect();
    let mut again = String::from("url,title,seller\n");
    for (k, n) in relisted_sellers.iter().enumerate() {
        again.push_str(&format!(
            "https://seller{}.en.alibaba.com/product/{}.html,TWS Earbuds {n},\n",
            n % SELLERS,
            90_000 + k as u64
        ));
    }
    let report = engine
        .intake(&intake(false), IntakeFormat::Csv, again.as_bytes(), |_| {})
        .await
        .unwrap();
    assert_eq!(report.filed.len(), 40);
    assert_eq!(
        report.relistings.len(),
        40,
        "every relisting caught and linked"
    );

    // Metrics equal what this test did.
    let metrics = engine
        .read()
        .metrics(tenant, Some(campaign))
        .await
        .unwrap()
        .overall;
    assert_eq!(metrics.filed, 1_040);
    assert_eq!(metrics.removed, 600);
    assert_eq!(metrics.relisted, 40);
    assert_eq!(metrics.restored, 10, "holders silent past their window");
    assert_eq!(metrics.counter_noticed, 30);
    assert_eq!(metrics.in_progress, 1_000 - 600 - 10);
    assert_eq!(metrics.removal_rate, Some(600.0 / 610.0));
    assert_eq!(metrics.relisting_rate, Some(40.0 / 600.0));
    let day = 24;
    assert_eq!(metrics.median_hours_to_removal, Some(20 * day));

    for (i, id) in ids.iter().enumerate() {
        let complaint = engine.read().complaint(tenant, *id).await.unwrap().unwrap();
        if silent.contains(&i) {
            assert_eq!(complaint.status(), ComplaintStatus::ListingRestored);
        } else if removed.contains(&(i as u64)) {
            assert!(matches!(
                complaint.stage,
                Stage::ListingRemoved { .. } | Stage::Relisted { .. }
            ));
        }
    }
}
