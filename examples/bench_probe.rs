//! Check-backs over HTTP against a local server posing as many marketplace hosts: how long
//! one tick takes to look at every due listing, next to the least time the per-host interval
//! allows (each host's looks one after another, `interval` apart, all hosts at once).
//!
//! ```text
//! cargo run --release --example bench_probe -- [complaints] [hosts] [interval_ms] [latency_ms] [probe_concurrency]
//! ```
//!
//! Defaults: 2,000 complaints over 14 hosts (the most it knows), 100 ms between two requests
//! to one host, pages served after 50 ms, the engine's default concurrency. A concurrency of 1 looks at one
//! listing at a time (what a tick did before looks ran at once).
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::time::{Duration, Instant};

use aliprotect::clock::ManualClock;
use aliprotect::engine::{Command, Engine, EngineConfig, Request};
use aliprotect::ids::{RightId, TenantId};
use aliprotect::notify::DiscardNotifier;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store_memory::MemoryStore;
use aliprotect::testkit::engines::approved_right;
use aliprotect::testkit::fixtures::{self, holder_user_of};
use aliprotect_probe_http::{HttpProbe, HttpProbeConfig};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

type Failure = Box<dyn Error + Send + Sync>;

/// Listing URLs on hosts of distinct marketplace domains (the HTTP probe spaces requests per
/// domain: two hosts of one domain would be one site): `{}` is the listing's number.
const HOSTS: &[&str] = &[
    "https://www.alibaba.com/product-detail/Earbuds_{}.html",
    "https://www.aliexpress.com/item/{}.html",
    "https://detail.1688.com/offer/{}.html",
    "https://item.taobao.com/item.htm?id={}",
    "https://www.lazada.sg/products/earbuds-i{}-s1.html",
    "https://www.lazada.com.my/products/earbuds-i{}-s1.html",
    "https://www.lazada.co.th/products/earbuds-i{}-s1.html",
    "https://www.lazada.com.ph/products/earbuds-i{}-s1.html",
    "https://www.lazada.vn/products/earbuds-i{}-s1.html",
    "https://www.lazada.co.id/products/earbuds-i{}-s1.html",
    "https://www.aliexpress.us/item/{}.html",
    "https://www.aliexpress.ru/item/{}.html",
    "https://www.lazada.com/products/earbuds-i{}-s1.html",
    "https://detail.tmall.com/item.htm?id={}",
];

fn arg(n: usize, default: u64) -> Result<u64, Failure> {
    match std::env::args().nth(n) {
        Some(value) => Ok(value.parse()?),
        None => Ok(default),
    }
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let complaints = arg(1, 2_000)?;
    let hosts = (arg(2, HOSTS.len() as u64)? as usize).clamp(1, HOSTS.len());
    let interval = Duration::from_millis(arg(3, 100)?);
    let latency = Duration::from_millis(arg(4, 50)?);
    let mut config = EngineConfig::default();
    config.probe_concurrency = arg(5, config.probe_concurrency as u64)? as usize;

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("<h1>TWS Earbuds</h1>")
                .set_delay(latency),
        )
        .mount(&server)
        .await;

    let clock = ManualClock::at(fixtures::now());
    let engine = Engine::builder(MemoryStore::new(), DiscardNotifier, clock.clone())
        .config(config.clone())
        .build(MarketplacePolicy::alibaba_ipp());
    let tenant = TenantId::new();
    let right = approved_right(&engine, tenant).await?;
    file(&engine, tenant, right, complaints, hosts).await?;
    // One complaint-review period later, every complaint's check-back is due.
    clock.advance(aliprotect::chrono::Duration::days(12));

    let probe = HttpProbe::new(HttpProbeConfig {
        per_host_interval: interval,
        via: Some(server.uri().parse()?),
        ..HttpProbeConfig::default()
    })?;
    let start = Instant::now();
    let report = engine.jobs().tick_with_probe(&probe).await?;
    let secs = start.elapsed().as_secs_f64();
    let looked = report.found_live + report.found_removed + report.unknown;
    if looked as u64 != complaints || report.unknown > 0 {
        return Err(format!("{complaints} check-backs due, {report:?}").into());
    }
    // The busiest host's looks, one interval apart, the first at once.
    let busiest = complaints.div_ceil(hosts as u64);
    let least = interval.as_secs_f64() * busiest.saturating_sub(1) as f64;
    println!(
        "case=probe looks={looked} hosts={hosts} interval_ms={} latency_ms={} \
         probe_concurrency={} secs={secs:.2} least_secs={least:.2} looks_per_sec={:.1}",
        interval.as_millis(),
        latency.as_millis(),
        config.probe_concurrency,
        looked as f64 / secs,
    );
    Ok(())
}

/// `complaints` filed and submitted, their listings spread over the first `hosts` hosts.
async fn file(
    engine: &Engine<MemoryStore, DiscardNotifier, ManualClock>,
    tenant: TenantId,
    right: RightId,
    complaints: u64,
    hosts: usize,
) -> Result<(), Failure> {
    use aliprotect::complaint::ComplaintCommand;
    let user = holder_user_of(tenant);
    let (mut files, mut submits) = (Vec::new(), Vec::new());
    for n in 0..complaints {
        let template = HOSTS[n as usize % hosts];
        let url = template.replace("{}", &(1_600_000_000_000 + n).to_string());
        let filing = fixtures::bulk_filing(tenant, right, &url, n);
        let id = filing.id;
        let file = ComplaintCommand::File(Box::new(filing));
        files.push(Request::new(tenant, user, Command::complaint(id, file)));
        let submit = Command::complaint(id, ComplaintCommand::Submit);
        submits.push(Request::new(tenant, user, submit));
    }
    for requests in [files, submits] {
        for result in engine.execute_batch(requests).await {
            result?;
        }
    }
    Ok(())
}
