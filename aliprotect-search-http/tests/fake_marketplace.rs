//! A sweep against a fake marketplace on 127.0.0.1, serving paged search results: one
//! listing already complained about, one of an authorised seller, one relisting a removed
//! product, two new ones, and a third page whose shape changed. The sweep files what it
//! should and nothing else; run again, it finds nothing new.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use aliprotect_core::clock::SystemClock;
use aliprotect_core::complaint::{ComplaintReason, ComplaintStatus, FollowUpKind};
use aliprotect_core::engine::{ComplaintQuery, Engine};
use aliprotect_core::ids::{ComplaintId, RightId, TenantId};
use aliprotect_core::listing::ListingDetails;
use aliprotect_core::marketplace::Marketplace;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::testkit::engines::{self, RecordingNotifier};
use aliprotect_core::testkit::fixtures;
use aliprotect_search_http::{HttpSearch, HttpSearchConfig, ResultPage};
use aliprotect_store_memory::MemoryStore;
use aliprotect_sweep::{CandidateQuery, CandidateStatus, SweepSpec, Sweeps};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

type TestEngine = Engine<MemoryStore, RecordingNotifier, SystemClock>;

fn listing_url(product: u64) -> String {
    format!("https://www.alibaba.com/product-detail/Acme-Earbuds_{product}.html")
}

/// A results page in the marketplace's shape: each result's link, title, seller and price.
fn results_page(results: &[(u64, &str, &str)], next: bool) -> String {
    let items: String = results
        .iter()
        .map(|(product, title, seller)| {
            format!(
                r#"<div class="item"><a class="title" href="{}">{title}</a>
                   <span class="seller">{seller}</span><span class="price">US $3.20</span></div>"#,
                listing_url(*product)
            )
        })
        .collect();
    let next = if next {
        r#"<a class="next" href="?page=next">Next</a>"#
    } else {
        ""
    };
    format!(r#"<html><body><div class="results">{items}</div>{next}</body></html>"#)
}

async fn serve(server: &MockServer, page: u32, body: String, times: u64) {
    Mock::given(method("GET"))
        .and(path("/trade/search"))
        .and(query_param("SearchText", "acme earbuds"))
        .and(query_param("page", page.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .expect(times)
        .mount(server)
        .await;
}

fn search_of(server: &MockServer) -> HttpSearch {
    let mut config = HttpSearchConfig {
        per_host_interval: Duration::from_millis(5),
        ..HttpSearchConfig::default()
    };
    config.marketplaces.insert(
        Marketplace::AlibabaCom,
        ResultPage {
            url_template: format!(
                "{}/trade/search?SearchText={{keyword}}&page={{page}}",
                server.uri()
            ),
            results: "div.results".into(),
            result: "div.results > div.item".into(),
            link: "a.title".into(),
            title: Some("a.title".into()),
            seller: Some(".seller".into()),
            price: Some(".price".into()),
            next: Some("a.next".into()),
        },
    );
    HttpSearch::new(config).unwrap()
}

/// Files a complaint on `product` and walks it to its listing's removal.
async fn removed_complaint(
    engine: &TestEngine,
    tenant: TenantId,
    right: RightId,
    product: u64,
    title: &str,
    seller: &str,
) -> ComplaintId {
    let id = ComplaintId::new();
    let mut filing = fixtures::complaint_filing_on(tenant, right, id, product);
    filing.listing = aliprotect_core::listing::Listing::parse(&listing_url(product)).unwrap();
    filing.details = ListingDetails {
        title: Some(title.into()),
        seller_name: Some(seller.into()),
        ..ListingDetails::default()
    };
    engines::live_through(engine, tenant, filing).await.unwrap();
    id
}

async fn complaints(engine: &TestEngine, tenant: TenantId) -> Vec<(String, ComplaintStatus)> {
    let mut all: Vec<_> = engine
        .read()
        .complaints(tenant, &ComplaintQuery::first(1000))
        .await
        .unwrap()
        .iter()
        .map(|c| (c.filed.listing.key.as_str().to_owned(), c.status()))
        .collect();
    all.sort();
    all
}

#[tokio::test]
async fn a_sweep_files_what_it_should_and_a_second_run_finds_nothing_new() {
    let engine = Engine::new(
        MemoryStore::new(),
        RecordingNotifier::default(),
        SystemClock,
        MarketplacePolicy::alibaba_ipp(),
    );
    let tenant = fixtures::tenant();
    let holder = fixtures::holder_user_of(tenant);
    let right = engines::approved_right(&engine, tenant).await.unwrap();
    let sweeps = Sweeps::new(&engine);

    // Already complained about: 101 (open). Removed: 200, by Repeat Co.
    let open = ComplaintId::new();
    let mut filing = fixtures::complaint_filing_on(tenant, right, open, 101);
    filing.listing = aliprotect_core::listing::Listing::parse(&listing_url(101)).unwrap();
    let file = aliprotect_core::complaint::ComplaintCommand::File(Box::new(filing));
    engine
        .execute(aliprotect_core::engine::Request::new(
            tenant,
            holder,
            aliprotect_core::engine::Command::complaint(open, file),
        ))
        .await
        .unwrap();
    let removed = removed_complaint(
        &engine,
        tenant,
        right,
        200,
        "ACME TWS Earbuds Pro",
        "Repeat Co",
    )
    .await;
    sweeps
        .authorise_seller(
            tenant,
            holder,
            right,
            "acme official store",
            Some("Distributor since 2024"),
        )
        .await
        .unwrap();

    let server = MockServer::start().await;
    let page_one = results_page(
        &[
            (101, "ACME earbuds (already filed)", "Copy Co"),
            (102, "ACME earbuds genuine", "ACME Official Store"),
            (103, "ACME earbuds cheap", "Copy Co"),
        ],
        true,
    );
    let page_two = results_page(
        &[
            (201, "ACME TWS Earbuds-Pro!", "Repeat Co"),
            (104, "Earbuds ACME style", "Knock Off Ltd"),
            (103, "ACME earbuds cheap", "Copy Co"),
        ],
        true,
    );
    let captcha =
        "<html><body><form id=\"captcha\">Slide to verify</form></body></html>".to_owned();
    serve(&server, 1, page_one, 2).await;
    serve(&server, 2, page_two, 2).await;
    serve(&server, 3, captcha, 2).await;
    serve(&server, 4, results_page(&[], false), 0).await;
    let search = search_of(&server);

    let sweep = sweeps
        .add(
            tenant,
            holder,
            SweepSpec {
                name: "ACME earbuds".into(),
                keywords: vec!["acme earbuds".into()],
                marketplace: Marketplace::AlibabaCom,
                right,
                campaign: None,
                reason: ComplaintReason::TrademarkCounterfeit,
                explanation: fixtures::text("Counterfeit earbuds bearing the ACME mark."),
                every_hours: 24,
                page_budget: 10,
            },
        )
        .await
        .unwrap();
    let before = complaints(&engine, tenant).await;

    let run = sweeps.run(tenant, holder, sweep.id, &search).await.unwrap();
    assert_eq!(run.pages, 2, "{run:?}");
    assert_eq!(run.found, 5, "103 twice is one listing: {run:?}");
    assert_eq!(
        (
            run.known,
            run.allowed,
            run.to_review,
            run.relistings,
            run.filed
        ),
        (1, 1, 2, 1, 1),
        "{run:?}"
    );
    assert_eq!(run.stopped.len(), 1, "{run:?}");
    assert!(
        run.stopped[0].contains("page 3") && run.stopped[0].contains("shape"),
        "{run:?}"
    );

    // The relisting was filed at once (no campaign holds it), as a follow-up of the removal.
    let after_run = complaints(&engine, tenant).await;
    assert_eq!(after_run.len(), before.len() + 1, "{after_run:?}");
    let relisted = engine
        .read()
        .complaint(tenant, removed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(relisted.status(), ComplaintStatus::Relisted);

    // The queue: the two new listings, nothing else.
    let open_code = CandidateStatus::code_of("to-review").unwrap();
    let queue = sweeps
        .candidates(tenant, &CandidateQuery::all().in_status(open_code))
        .await
        .unwrap();
    let mut queued: Vec<_> = queue.iter().map(|c| c.listing.url.to_string()).collect();
    queued.sort();
    assert_eq!(queued, vec![listing_url(103), listing_url(104)]);
    let allowed = sweeps
        .candidates(
            tenant,
            &CandidateQuery::all().in_status(CandidateStatus::code_of("allowed").unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(allowed.len(), 1);
    assert_eq!(allowed[0].listing.url.as_str(), listing_url(102));

    // A person confirms both: filed and submitted.
    let ids: Vec<_> = queue.iter().map(|c| c.id).collect();
    let confirmed = sweeps.confirm(tenant, holder, &ids).await.unwrap();
    for (id, result) in &confirmed {
        let complaint = result.as_ref().unwrap_or_else(|e| panic!("{id}: {e}"));
        let filed = engine
            .read()
            .complaint(tenant, *complaint)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(filed.status(), ComplaintStatus::Submitted);
        assert_eq!(filed.filed.reason, ComplaintReason::TrademarkCounterfeit);
    }
    let relisting = sweeps
        .candidates(
            tenant,
            &CandidateQuery::all().in_status(CandidateStatus::code_of("confirmed").unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(
        relisting.len(),
        3,
        "two confirmed by a person, the relisting at once"
    );
    let follow_up = relisting
        .iter()
        .find(|c| c.listing.url.as_str() == listing_url(201))
        .unwrap();
    let CandidateStatus::Confirmed { complaint } = follow_up.status else {
        panic!("{:?}", follow_up.status)
    };
    let follows = engine
        .read()
        .complaint(tenant, complaint)
        .await
        .unwrap()
        .unwrap();
    let link = follows.filed.follows.unwrap();
    assert_eq!(
        (link.previous, link.kind),
        (removed, FollowUpKind::Relisting)
    );

    // Everything filed: what was there, the relisting, the two confirmed; not the
    // authorised seller's listing.
    let filed = complaints(&engine, tenant).await;
    assert_eq!(filed.len(), before.len() + 3, "{filed:?}");
    assert!(
        !filed.iter().any(|(key, _)| key.contains("102")),
        "{filed:?}"
    );

    // Confirming again changes nothing.
    let again = sweeps.confirm(tenant, holder, &ids).await.unwrap();
    assert!(again.iter().all(|(_, result)| result.is_err()), "{again:?}");

    // A second run: the same pages, nothing new.
    let second = sweeps.run(tenant, holder, sweep.id, &search).await.unwrap();
    assert_eq!(second.found, 5, "{second:?}");
    assert_eq!(
        (
            second.known,
            second.allowed,
            second.to_review,
            second.relistings,
            second.filed
        ),
        (5, 0, 0, 0, 0),
        "{second:?}"
    );
    assert_eq!(complaints(&engine, tenant).await, filed);
    assert_eq!(sweeps.sweep(tenant, sweep.id).await.unwrap().runs, 2);
    server.verify().await;
}
