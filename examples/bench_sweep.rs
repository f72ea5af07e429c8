//! A keyword sweep of 10,000 results on SQLite: the results served as pages by a local
//! server posing as a marketplace (no delay between pages), read, parsed and recorded as
//! candidates; then the same from an export; then every candidate confirmed (filed).
//!
//! ```text
//! cargo run --release --example bench_sweep -- [results] [per_page]
//! ```
//!
//! Defaults: 10,000 results, 100 to a page.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::time::Instant;

use aliprotect::clock::SystemClock;
use aliprotect::complaint::ComplaintReason;
use aliprotect::engine::Engine;
use aliprotect::intake::IntakeFormat;
use aliprotect::marketplace::Marketplace;
use aliprotect::notify::DiscardNotifier;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store_sqlite::SqliteStore;
use aliprotect::testkit::engines::approved_right;
use aliprotect::testkit::fixtures;
use aliprotect_search_http::{HttpSearch, HttpSearchConfig, ResultPage};
use aliprotect_sweep::{CandidateQuery, FileSearch, SweepSpec, Sweeps};
use wiremock::matchers::{method, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

type Failure = Box<dyn Error + Send + Sync>;

fn arg(n: usize, default: u64) -> Result<u64, Failure> {
    match std::env::args().nth(n) {
        Some(value) => Ok(value.parse()?),
        None => Ok(default),
    }
}

fn listing(n: u64) -> String {
    format!(
        "https://www.alibaba.com/product-detail/Earbuds_{}.html",
        1_600_000_000 + n
    )
}

fn spec(right: aliprotect::ids::RightId, pages: u32) -> SweepSpec {
    SweepSpec {
        name: "bench".into(),
        keywords: vec!["acme earbuds".into()],
        marketplace: Marketplace::AlibabaCom,
        right,
        campaign: None,
        reason: ComplaintReason::TrademarkCounterfeit,
        explanation: fixtures::text("Counterfeit"),
        every_hours: 1,
        page_budget: pages,
    }
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let results = arg(1, 10_000)?;
    let per_page = arg(2, 100)?.max(1);
    let pages = results.div_ceil(per_page);

    let server = MockServer::start().await;
    for page in 1..=pages {
        let first = (page - 1) * per_page;
        let items: String = (first..(first + per_page).min(results))
            .map(|n| {
                format!(
                    r#"<div class="item"><a class="title" href="{}">ACME earbuds {n}</a><span class="seller">Seller {}</span><span class="price">US $3.{n}</span></div>"#,
                    listing(n),
                    n % 97
                )
            })
            .collect();
        let next = if page < pages {
            r#"<a class="next">Next</a>"#
        } else {
            ""
        };
        let body = format!(r#"<html><body><div class="results">{items}</div>{next}</body></html>"#);
        Mock::given(method("GET"))
            .and(query_param("page", page.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
    }
    let mut config = HttpSearchConfig {
        per_host_interval: std::time::Duration::ZERO,
        ..HttpSearchConfig::default()
    };
    config.marketplaces.insert(
        Marketplace::AlibabaCom,
        ResultPage {
            url_template: format!("{}/search?q={{keyword}}&page={{page}}", server.uri()),
            results: "div.results".into(),
            result: "div.results > div.item".into(),
            link: "a.title".into(),
            title: Some("a.title".into()),
            seller: Some(".seller".into()),
            price: Some(".price".into()),
            next: Some("a.next".into()),
        },
    );
    let search = HttpSearch::new(config)?;

    let dir = tempfile::tempdir()?;
    let engine = Engine::new(
        SqliteStore::open(dir.path().join("bench.db"))?,
        DiscardNotifier,
        SystemClock,
        MarketplacePolicy::alibaba_ipp(),
    );
    let tenant = fixtures::tenant();
    let holder = fixtures::holder_user_of(tenant);
    let sweeps = Sweeps::new(&engine);
    let pages_u32 = u32::try_from(pages)?;

    let right = approved_right(&engine, tenant).await?;
    let sweep = sweeps.add(tenant, holder, spec(right, pages_u32)).await?;
    let started = Instant::now();
    let run = sweeps.run(tenant, holder, sweep.id, &search).await?;
    let over_http = started.elapsed();
    assert_eq!(u64::from(run.to_review), results, "{run:?}");

    let started = Instant::now();
    let again = sweeps.run(tenant, holder, sweep.id, &search).await?;
    let rerun = started.elapsed();
    assert_eq!(u64::from(again.known), results, "{again:?}");

    let export: String = std::iter::once("url,title,seller\n".to_owned())
        .chain((0..results).map(|n| {
            format!(
                "{},ACME earbuds {n},Seller {}\n",
                listing(n + results),
                n % 97
            )
        }))
        .collect();
    let from_file = FileSearch::read(IntakeFormat::Csv, export.as_bytes());
    let other = approved_right(&engine, tenant).await?;
    let file_sweep = sweeps.add(tenant, holder, spec(other, pages_u32)).await?;
    let started = Instant::now();
    let file_run = sweeps
        .run(tenant, holder, file_sweep.id, &from_file)
        .await?;
    let over_file = started.elapsed();
    assert_eq!(u64::from(file_run.to_review), results, "{file_run:?}");

    let queue = sweeps
        .candidates(tenant, &CandidateQuery::all().of_sweep(sweep.id))
        .await?;
    let ids: Vec<_> = queue.iter().map(|candidate| candidate.id).collect();
    let started = Instant::now();
    let confirmed = sweeps.confirm(tenant, holder, &ids).await?;
    let confirming = started.elapsed();
    assert!(confirmed.iter().all(|(_, result)| result.is_ok()));

    let rate = |n: u64, d: std::time::Duration| n as f64 / d.as_secs_f64();
    println!("sweep of {results} results, {per_page} to a page ({pages} pages), SQLite:");
    println!(
        "  over HTTP, parsed and recorded:  {:>7.2} s  {:>9.0} results/s",
        over_http.as_secs_f64(),
        rate(results, over_http)
    );
    println!(
        "  run again (nothing new):         {:>7.2} s  {:>9.0} results/s",
        rerun.as_secs_f64(),
        rate(results, rerun)
    );
    println!(
        "  from an export, recorded:        {:>7.2} s  {:>9.0} results/s",
        over_file.as_secs_f64(),
        rate(results, over_file)
    );
    println!(
        "  every candidate confirmed:       {:>7.2} s  {:>9.0} filed/s",
        confirming.as_secs_f64(),
        rate(results, confirming)
    );
    Ok(())
}
