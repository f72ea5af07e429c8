//! Against a real HTTP server on 127.0.0.1 (wiremock) serving a live page, a page with the
//! removal marker, a 404, a 5xx and a slow response.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use aliprotect_core::evidence::{ContentHash, EvidenceKind};
use aliprotect_core::listing::Listing;
use aliprotect_core::marketplace::Marketplace;
use aliprotect_core::probe::{ListingProbe, ProbeFinding};
use aliprotect_probe_http::{HttpProbe, HttpProbeConfig};
use futures_util::future::join_all;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REMOVED_PAGE: &str = "<html><h1>Sorry, this product is no longer available</h1></html>";

async fn marketplace() -> MockServer {
    let server = MockServer::start().await;
    let page = |p: &'static str, response: ResponseTemplate| {
        Mock::given(method("GET"))
            .and(path(format!("/www.alibaba.com{p}")))
            .respond_with(response)
    };
    page(
        "/product-detail/Live_1.html",
        ResponseTemplate::new(200).set_body_string("<h1>TWS Earbuds</h1>"),
    )
    .mount(&server)
    .await;
    page(
        "/product-detail/Removed_2.html",
        ResponseTemplate::new(200).set_body_raw(REMOVED_PAGE, "text/html; charset=utf-8"),
    )
    .mount(&server)
    .await;
    page("/product-detail/Gone_3.html", ResponseTemplate::new(404))
        .mount(&server)
        .await;
    page("/product-detail/Broken_4.html", ResponseTemplate::new(503))
        .mount(&server)
        .await;
    page(
        "/product-detail/Slow_5.html",
        ResponseTemplate::new(200).set_delay(Duration::from_secs(3)),
    )
    .mount(&server)
    .await;
    server
}

/// A server that answers every page with a live one.
async fn serving_every_page() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

fn probe(server: &MockServer, interval: Duration) -> HttpProbe {
    let mut config = HttpProbeConfig {
        timeout: Duration::from_millis(500),
        per_host_interval: interval,
        via: Some(server.uri().parse().unwrap()),
        ..HttpProbeConfig::default()
    };
    config
        .removed_markers
        .insert(Marketplace::AlibabaCom, vec!["No Longer Available".into()]);
    HttpProbe::new(config).unwrap()
}

fn listing(page: &str) -> Listing {
    Listing::parse(&format!("https://www.alibaba.com/product-detail/{page}")).unwrap()
}

#[tokio::test]
async fn each_kind_of_page_gives_its_finding() {
    let server = marketplace().await;
    let probe = probe(&server, Duration::ZERO);
    assert_eq!(
        probe.probe(&listing("Live_1.html")).await,
        ProbeFinding::Live
    );
    match probe.probe(&listing("Removed_2.html")).await {
        ProbeFinding::Removed {
            evidence: Some(evidence),
        } => {
            assert_eq!(evidence.kind, EvidenceKind::SavedPage);
            assert_eq!(
                evidence.sha256,
                ContentHash::of_bytes(REMOVED_PAGE.as_bytes())
            );
            assert_eq!(evidence.media_type, "text/html; charset=utf-8");
        }
        other => panic!("marker page must be removed, got {other:?}"),
    }
    assert!(matches!(
        probe.probe(&listing("Gone_3.html")).await,
        ProbeFinding::Removed { .. }
    ));
    assert!(matches!(
        probe.probe(&listing("Broken_4.html")).await,
        ProbeFinding::Unknown { .. }
    ));
    assert!(matches!(
        probe.probe(&listing("Slow_5.html")).await,
        ProbeFinding::Unknown { .. }
    ));
}

#[tokio::test]
async fn requests_say_who_they_are_and_keep_their_distance() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header(
            "user-agent",
            HttpProbeConfig::default().user_agent.as_str(),
        ))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let interval = Duration::from_millis(150);
    let probe = probe(&server, interval);
    let start = Instant::now();
    all_live(&probe, (1..=4).map(|i| listing(&format!("Live_{i}.html")))).await;
    // Four requests to one host, at least `interval` apart.
    assert!(start.elapsed() >= interval * 3, "{:?}", start.elapsed());
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn a_host_waiting_out_its_interval_never_holds_up_another_host() {
    let server = serving_every_page().await;
    let interval = Duration::from_millis(300);
    let config = HttpProbeConfig {
        per_host_interval: interval,
        // One request in flight over all hosts: the tightest case.
        max_in_flight: 1,
        via: Some(server.uri().parse().unwrap()),
        ..HttpProbeConfig::default()
    };
    let probe = HttpProbe::new(config).unwrap();
    let alibaba = (1..=3).map(|i| listing(&format!("Live_{i}.html")));
    let lazada = Listing::parse("https://www.lazada.sg/products/earbuds-i123-s4.html").unwrap();
    all_live(&probe, alibaba.chain([lazada])).await;
    let arrived: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|request| request.url.path().to_owned())
        .collect();
    // Asked last, the other host's listing is fetched while the first host waits out its
    // interval, not after all three of its listings.
    let lazada_at = arrived
        .iter()
        .position(|path| path.starts_with("/www.lazada.sg/"))
        .unwrap();
    assert!(lazada_at <= 1, "{arrived:?}");
    assert_eq!(arrived.len(), 4);
}

#[tokio::test]
async fn sellers_shops_on_subdomains_are_spared_with_their_marketplace() {
    let server = serving_every_page().await;
    let interval = Duration::from_millis(300);
    let probe = probe(&server, interval);
    let shops = ["acme", "bolt", "cove"].map(|shop| {
        Listing::parse(&format!(
            "https://{shop}.en.alibaba.com/product/16000001.html"
        ))
        .unwrap()
    });
    let start = Instant::now();
    all_live(&probe, shops).await;
    // Three hosts of one marketplace: one after another, an interval apart.
    assert!(start.elapsed() >= interval * 2, "{:?}", start.elapsed());
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

/// Looks at every listing at once through `probe` and checks each was found live.
async fn all_live(probe: &HttpProbe, listings: impl IntoIterator<Item = Listing>) {
    let looks = listings.into_iter().map(|listing| {
        let probe = probe.clone();
        async move { probe.probe(&listing).await }
    });
    let findings = join_all(looks).await;
    assert!(
        findings.iter().all(|f| *f == ProbeFinding::Live),
        "{findings:?}"
    );
}

/// Evidence kept in memory, or refused.
#[derive(Default)]
struct Kept {
    pages: std::sync::Mutex<Vec<Vec<u8>>>,
    fail: bool,
}

#[aliprotect_core::async_trait]
impl aliprotect_core::evidence::EvidenceStore for Kept {
    async fn put(
        &self,
        bytes: Vec<u8>,
    ) -> Result<ContentHash, aliprotect_core::evidence::EvidenceError> {
        if self.fail {
            return Err(aliprotect_core::evidence::EvidenceError::Unavailable(
                "disk full".into(),
            ));
        }
        let hash = ContentHash::of_bytes(&bytes);
        self.pages.lock().unwrap().push(bytes);
        Ok(hash)
    }
    async fn get(
        &self,
        hash: &ContentHash,
    ) -> Result<Option<Vec<u8>>, aliprotect_core::evidence::EvidenceError> {
        let pages = self.pages.lock().unwrap();
        Ok(pages
            .iter()
            .find(|p| ContentHash::of_bytes(p) == *hash)
            .cloned())
    }
}

#[tokio::test]
async fn a_removal_keeps_the_page_it_saw_or_is_no_finding() {
    use std::sync::Arc;
    let server = marketplace().await;
    let kept = Arc::new(Kept::default());
    let keeping = probe(&server, Duration::ZERO).keeping_evidence_in(kept.clone());
    let ProbeFinding::Removed {
        evidence: Some(evidence),
    } = keeping.probe(&listing("Removed_2.html")).await
    else {
        panic!("removed");
    };
    use aliprotect_core::evidence::EvidenceStore;
    assert_eq!(
        kept.get(&evidence.sha256).await.unwrap().as_deref(),
        Some(REMOVED_PAGE.as_bytes()),
        "the page the record names is kept"
    );
    assert_eq!(
        keeping.probe(&listing("Live_1.html")).await,
        ProbeFinding::Live
    );
    let failing = Arc::new(Kept {
        fail: true,
        ..Kept::default()
    });
    let unkept = probe(&server, Duration::ZERO).keeping_evidence_in(failing);
    match unkept.probe(&listing("Gone_3.html")).await {
        ProbeFinding::Unknown { reason } => assert!(reason.contains("disk full"), "{reason}"),
        other => panic!("a removal without its evidence is no finding, got {other:?}"),
    }
}

#[tokio::test]
async fn through_a_gateway_each_listing_keeps_its_host() {
    let server = MockServer::start().await;
    for (host, body) in [("www.lazada.sg", "sg"), ("www.lazada.com.my", "my")] {
        Mock::given(method("GET"))
            .and(path(format!("/{host}/products/earbuds-i123-s4.html")))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/www.lazada.com.my/products/earbuds-i123-s4.html"))
        .respond_with(ResponseTemplate::new(404))
        .with_priority(1)
        .mount(&server)
        .await;
    let probe = probe(&server, Duration::ZERO);
    let sg = Listing::parse("https://www.lazada.sg/products/earbuds-i123-s4.html").unwrap();
    let my = Listing::parse("https://www.lazada.com.my/products/earbuds-i123-s4.html").unwrap();
    assert_eq!(probe.probe(&sg).await, ProbeFinding::Live);
    assert!(
        matches!(probe.probe(&my).await, ProbeFinding::Removed { .. }),
        "the same path on another host is another listing"
    );
}
