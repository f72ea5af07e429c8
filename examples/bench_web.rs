//! How fast the web dashboard answers with a campaign of 1,000,000 complaints on the SQLite
//! store: 32 signed-in clients on 127.0.0.1, each asking for every page kind in turn (a
//! bounded load: a fixed number of requests each), every latency recorded (target: p99
//! under 50 ms for the list and dashboard pages).
//!
//! ```text
//! cargo run --release --example bench_web -- [complaints] [requests per client per page]
//! ```
//!
//! `FIGURES_TTL_SECS=5` keeps the trusted-filer standing and the campaign's metrics for 5
//! seconds (the default keeps them only for the requests that arrive while they are read).
//!
//! The campaign is `bench_metrics`' (built once, about three minutes for a million, kept in
//! `$BENCH_DIR`, default `/tmp`). Server and load generator share this process and the
//! machine's cores, so the figures include the generator's own work.
#![allow(clippy::print_stdout)]

#[path = "support/campaign.rs"]
mod campaign;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aliprotect::clock::{Clock, SystemClock};
use aliprotect::engine::{ComplaintQuery, Engine, TimerQuery};
use aliprotect::ids::{ComplaintId, TenantId, UserId};
use aliprotect::notify::{DiscardNotifier, Notifier};
use aliprotect::party::Actor;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store::{CountBy, Store};
use aliprotect::store_sqlite::SqliteStore;
use aliprotect_web::accounts::AccountError;
use aliprotect_web::{Role, Web, WebConfig};

use campaign::{CAMPAIGN, Failure, TENANT};

const CLIENTS: usize = 32;

/// A page kind: its name, and the URL of its `n`th request.
type PageKind = (&'static str, Box<dyn Fn(usize) -> String + Send + Sync>);
const EMAIL: &str = "bench@firm.example";
const PASSWORD: &str = "a benchmark passphrase";

fn tenant_of(_client: &str) -> TenantId {
    TENANT
}

/// Ids spread over the whole list, for pages deep inside it.
async fn sample_ids(
    engine: &aliprotect_web::WebEngine,
    every: usize,
) -> Result<Vec<ComplaintId>, Failure> {
    let mut ids = Vec::new();
    let mut query = ComplaintQuery::first(1000);
    loop {
        let page = engine.read().complaints(TENANT, &query).await?;
        ids.extend(page.iter().step_by(every).map(|c| c.id()));
        match page.last() {
            Some(last) if page.len() == 1000 => query = query.after(last.id()),
            _ => return Ok(ids),
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1e3
}

fn main() -> Result<(), Failure> {
    let complaints: u64 = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 1_000_000,
    };
    let per_page: usize = match std::env::args().nth(2) {
        Some(n) => n.parse()?,
        None => 25,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let path = campaign::campaign_file(complaints).await?;
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path)?);
        let engine = Engine::new(
            store,
            Arc::new(DiscardNotifier) as Arc<dyn Notifier>,
            Arc::new(SystemClock) as Arc<dyn Clock>,
            MarketplacePolicy::alibaba_ipp(),
        );
        let mut config = WebConfig::for_public_url("http://127.0.0.1");

        // FIGURES_TTL_SECS=5: the standing and a campaign's metrics kept 5 seconds.
        if let Ok(secs) = std::env::var("FIGURES_TTL_SECS") {
            config.figures_ttl = Duration::from_secs(secs.parse()?);
        }
        println!("figures kept {:?}", config.figures_ttl);
        let web = Web::new(engine.clone(), tenant_of, config);
        let operator = Actor::Operator {
            user: UserId::new(),
        };
        match web
            .accounts()
            .open(EMAIL, "Bench", PASSWORD, operator)
            .await
        {
            Ok(_) | Err(AccountError::Refused(_)) => {}
            Err(other) => return Err(other.into()),
        }
        web.accounts()
            .grant(EMAIL, "bench", Role::FirmAdmin, operator)
            .await?;
        let started = Instant::now();
        let deep = sample_ids(&engine, 1000).await?;
        println!(
            "sampled {} ids across the list in {:.1} s",
            deep.len(),
            started.elapsed().as_secs_f64()
        );

        // What the pages read, timed alone: where a slow page's time goes.
        let read = engine.read();
        let now = read.clock().now();
        let timed = [
            ("upcoming timers (soonest 50)", {
                let t = Instant::now();
                read.upcoming_timers(TENANT, &TimerQuery::soonest(50))
                    .await?;
                t.elapsed()
            }),
            ("upcoming timers (soonest 50, uncounted)", {
                let t = Instant::now();
                read.upcoming_timers(TENANT, &TimerQuery::soonest(50).uncounted())
                    .await?;
                t.elapsed()
            }),
            ("upcoming timers (soonest 50 within 14 days)", {
                let t = Instant::now();
                read.upcoming_timers(
                    TENANT,
                    &TimerQuery::soonest(50).until(now + chrono::Duration::days(14)),
                )
                .await?;
                t.elapsed()
            }),
            ("complaint counts by status", {
                let t = Instant::now();
                read.complaint_counts(TENANT, CountBy::Status).await?;
                t.elapsed()
            }),
            ("trusted-filer accuracy", {
                let t = Instant::now();
                read.filer_accuracy(TENANT).await?;
                t.elapsed()
            }),
            ("campaign metrics", {
                let t = Instant::now();
                read.metrics(TENANT, Some(CAMPAIGN)).await?;
                t.elapsed()
            }),
        ];
        for (what, took) in timed {
            println!("read alone: {what}: {:.1} ms", took.as_secs_f64() * 1e3);
        }

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}/c/bench", listener.local_addr()?);
        let router = web.router();
        let app = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });

        let pages: Vec<PageKind> = vec![
            (
                "today",
                Box::new({
                    let b = base.clone();
                    move |_| b.clone()
                }),
            ),
            (
                "complaints: first page",
                Box::new({
                    let b = base.clone();
                    move |_| format!("{b}/complaints")
                }),
            ),
            (
                "complaints: a page deep in the list",
                Box::new({
                    let b = base.clone();
                    let deep = deep.clone();
                    move |i| format!("{b}/complaints?after={}", deep[i % deep.len()])
                }),
            ),
            (
                "complaints: removed, of the campaign",
                Box::new({
                    let b = base.clone();
                    move |_| format!("{b}/complaints?status=listing+removed&campaign={CAMPAIGN}")
                }),
            ),
            (
                "one complaint's timeline",
                Box::new({
                    let b = base.clone();
                    let deep = deep.clone();
                    move |i| format!("{b}/complaints/{}", deep[(i * 7) % deep.len()])
                }),
            ),
            (
                "campaign report",
                Box::new({
                    let b = base.clone();
                    move |_| format!("{b}/campaigns/{CAMPAIGN}/report?month=2026-03")
                }),
            ),
        ];
        let pages = Arc::new(pages);
        let mut clients = Vec::new();
        for _ in 0..CLIENTS {
            let http = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()?;
            let login = format!("{}/login", base.trim_end_matches("/c/bench"));
            let signed = http
                .post(&login)
                .form(&[("email", EMAIL), ("password", PASSWORD)])
                .send()
                .await?;
            if signed.status() != reqwest::StatusCode::SEE_OTHER {
                return Err(format!("sign-in answered {}", signed.status()).into());
            }
            clients.push(http);
        }
        println!("{CLIENTS} clients signed in; {per_page} requests each per page kind");
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (n, http) in clients.into_iter().enumerate() {
            let pages = Arc::clone(&pages);
            tasks.push(tokio::spawn(async move {
                let mut latencies: Vec<Vec<Duration>> = vec![Vec::new(); pages.len()];
                for round in 0..per_page {
                    for (kind, (_, url)) in pages.iter().enumerate() {
                        let url = url(n * per_page + round);
                        let asked = Instant::now();
                        let response = http.get(&url).send().await?;
                        let status = response.status();
                        response.bytes().await?;
                        latencies[kind].push(asked.elapsed());
                        if status != reqwest::StatusCode::OK {
                            return Err(format!("{url} answered {status}").into());
                        }
                    }
                }
                Ok::<_, Failure>(latencies)
            }));
        }
        let mut all: Vec<Vec<Duration>> = vec![Vec::new(); pages.len()];
        for task in tasks {
            for (kind, latencies) in task.await??.into_iter().enumerate() {
                all[kind].extend(latencies);
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        let total: usize = all.iter().map(Vec::len).sum();
        println!(
            "{total} requests in {elapsed:.1} s: {:.0} requests/s, complaints={complaints}",
            total as f64 / elapsed
        );
        println!("| page | requests | p50 ms | p90 ms | p99 ms | max ms | p99 target 50 ms |");
        println!("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
        for ((name, _), mut latencies) in pages.iter().zip(all) {
            latencies.sort();
            let p99 = percentile(&latencies, 0.99);
            println!(
                "| {name} | {} | {:.1} | {:.1} | {p99:.1} | {:.1} | {} |",
                latencies.len(),
                percentile(&latencies, 0.50),
                percentile(&latencies, 0.90),
                percentile(&latencies, 1.0),
                if p99 < 50.0 { "met" } else { "missed" }
            );
        }
        Ok(())
    })
}
