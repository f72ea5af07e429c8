//! Throughput and dashboard figures of the engine on the PostgreSQL store, one case per run,
//! in commands per second (every command writes one event and one stream-row update, the
//! shape of `../shared/bench/postgres-limit`), so that `scripts/bench-postgres.sh` can quote
//! each as a ratio to pgbench and to cqrs-es with postgres-es measured in the same run on the
//! same cluster. Each case works in a fresh database of the server at `PGURL`, unless
//! `BENCH_DATABASE` names one (several processes of the `shared` case share one).
//!
//! ```text
//! PGURL=postgresql://... bench_postgres single     [commands]   one task, a complaint's life at a time
//! PGURL=postgresql://... bench_postgres concurrent [commands]   64 tasks
//! PGURL=postgresql://... bench_postgres setup                   prints BENCH_DATABASE, BENCH_TENANT, BENCH_RIGHT
//! PGURL=postgresql://... bench_postgres shared     [commands]   64 tasks on the set-up tenant (run it in 3 processes)
//! PGURL=postgresql://... bench_postgres large      [complaints] dashboard counts, campaign metrics, loads
//! PGURL=postgresql://... bench_postgres tick       [complaints] one tick firing a check-back per complaint, then
//!                                                               delivering the notifications it queued
//! ```
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use aliprotect_core::campaign::{Campaign, CampaignCommand};
use aliprotect_core::clock::{ManualClock, SystemClock};
use aliprotect_core::complaint::{ComplaintCommand, ComplaintFiling};
use aliprotect_core::engine::{Command, Engine, Request};
use aliprotect_core::ids::{CampaignId, RightId, TenantId};
use aliprotect_core::notify::DiscardNotifier;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::store::prelude::*;
use aliprotect_core::store::{CountBy, StreamId};
use aliprotect_core::testkit::engines::{
    approved_right, dispatch_everything, live_through, submitted_in_bulk,
};
use aliprotect_core::testkit::fixtures::{self, holder_user_of};
use aliprotect_core::text::Text;
use aliprotect_store_postgres::PostgresStore;

type Failure = Box<dyn Error + Send + Sync>;
type Bench = Engine<PostgresStore, DiscardNotifier, SystemClock>;

const TASKS: u64 = 64;
/// Commands in `fixtures::life_of_a_complaint`.
const STEPS: u64 = 6;

fn env(name: &str) -> Result<String, Failure> {
    std::env::var(name).map_err(|_| format!("set {name}").into())
}

/// The URL of a fresh database on the server of `PGURL` (or of `BENCH_DATABASE`), as the
/// engines reach it: `BENCH_ENGINE_URL`, where `{db}` stands for the database's name, routes
/// them another way (through a pooler, with other URL parameters).
async fn database() -> Result<String, Failure> {
    let url = fresh_database().await?;
    Ok(match std::env::var("BENCH_ENGINE_URL") {
        Ok(template) => template.replace("{db}", url.rsplit_once('/').map_or("", |(_, db)| db)),
        Err(_) => url,
    })
}

async fn fresh_database() -> Result<String, Failure> {
    if let Ok(url) = std::env::var("BENCH_DATABASE") {
        return Ok(url);
    }
    let server = env("PGURL")?;
    let name = format!("aliprotect_bench_{}", uuid::Uuid::new_v4().simple());
    let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await?;
    let (base, _) = server.rsplit_once('/').ok_or("PGURL has no database")?;
    Ok(format!("{base}/{name}"))
}

async fn engine(url: &str) -> Result<Bench, Failure> {
    Ok(Engine::new(
        PostgresStore::connect(url).await?,
        DiscardNotifier,
        SystemClock,
        MarketplacePolicy::alibaba_ipp(),
    ))
}

/// Complaint `n` of the run, against a listing of its own.
fn filing(tenant: TenantId, right: RightId, n: u64) -> ComplaintFiling {
    let url = format!(
        "https://seller{}.en.alibaba.com/product/{}.html",
        n % 10_000,
        1_600_000_000_000 + n
    );
    fixtures::bulk_filing(tenant, right, &url, n)
}

/// A complaint's whole life, command by command, for each of `numbers`.
async fn run_stories(
    engine: Bench,
    tenant: TenantId,
    right: RightId,
    numbers: impl Iterator<Item = u64>,
) -> Result<(), Failure> {
    for n in numbers {
        live_through(&engine, tenant, filing(tenant, right, n)).await?;
    }
    Ok(())
}

async fn throughput(
    case: &str,
    engine: Bench,
    tenant: TenantId,
    right: RightId,
    commands: u64,
    tasks: u64,
) -> Result<(), Failure> {
    let complaints = commands / STEPS;
    // Numbers differ between processes sharing a tenant, so listings do not repeat.
    let offset = u64::from(std::process::id()) * 10_000_000;
    let start = Instant::now();
    let mut running = Vec::new();
    for task in 0..tasks {
        let numbers = (task..complaints)
            .step_by(tasks as usize)
            .map(move |n| n + offset);
        running.push(tokio::spawn(run_stories(
            engine.clone(),
            tenant,
            right,
            numbers,
        )));
    }
    for task in running {
        task.await??;
    }
    let secs = start.elapsed().as_secs_f64();
    let done = complaints * STEPS;
    println!(
        "case={case} tasks={tasks} commands={done} secs={secs:.3} cps={:.0}",
        done as f64 / secs
    );
    Ok(())
}

fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A campaign of `complaints` complaints, filed in bulk, then the dashboard's reads.
async fn large(complaints: u64) -> Result<(), Failure> {
    let url = database().await?;
    let engine = engine(&url).await?;
    let tenant = TenantId::new();
    let right = approved_right(&engine, tenant).await?;
    let campaign = CampaignId::new();
    engine
        .execute(Request::new(
            tenant,
            holder_user_of(tenant),
            Command::campaign(
                campaign,
                CampaignCommand::Create(Box::new(Campaign::new(
                    campaign,
                    tenant,
                    Text::new("Earbuds 2026")?,
                    vec![right],
                    chrono::Utc::now(),
                ))),
            ),
        ))
        .await?;
    let start = Instant::now();
    let mut sample = Vec::new();
    let mut n = 0;
    while n < complaints {
        let end = (n + 10_000).min(complaints);
        let mut requests = Vec::new();
        for i in n..end {
            let mut filing = filing(tenant, right, i);
            filing.campaign = Some(campaign);
            if i % 10_000 == 0 {
                sample.push(filing.id);
            }
            let id = filing.id;
            requests.push(Request::new(
                tenant,
                holder_user_of(tenant),
                Command::complaint(id, ComplaintCommand::File(Box::new(filing))),
            ));
        }
        for result in engine.execute_batch(requests).await {
            result?;
        }
        n = end;
    }
    let built = start.elapsed().as_secs_f64();
    // A fresh store: nothing cached.
    let store = PostgresStore::connect(&url).await?;
    let mut counts = Vec::new();
    let mut total = 0;
    for _ in 0..21 {
        let start = Instant::now();
        let by_status = store.complaint_counts(tenant, CountBy::Status).await?;
        let rights = store.right_counts(tenant).await?;
        counts.push(start.elapsed().as_secs_f64() * 1e3);
        total = by_status.iter().map(|c| c.count).sum::<u64>();
        std::hint::black_box(rights);
    }
    let mut metrics = Vec::new();
    for _ in 0..11 {
        let start = Instant::now();
        let tallies = store.metric_tallies(tenant, Some(campaign)).await?;
        metrics.push(start.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(tallies);
    }
    let mut loads = Vec::new();
    for id in &sample {
        let start = Instant::now();
        let loaded = store.load(tenant, StreamId::Complaint(*id)).await?;
        loads.push(start.elapsed().as_secs_f64() * 1e3);
        loaded.ok_or_else(|| format!("complaint {id} missing"))?;
    }
    println!(
        "case=large complaints={total} built_secs={built:.1} dashboard_counts_ms={:.2} \
         campaign_metrics_ms={:.2} load_one_ms={:.3}",
        median_ms(counts),
        median_ms(metrics),
        median_ms(loads)
    );
    Ok(())
}

/// `complaints` complaints filed and submitted in bulk on a manual clock, moved 30 days on
/// so that each is due a check-back; then one tick fires them all, and the dispatcher
/// delivers the notifications they queued to a notifier that accepts each at once.
async fn tick(complaints: u64) -> Result<(), Failure> {
    let clock = Arc::new(ManualClock::at(chrono::Utc::now()));
    let engine = Engine::new(
        PostgresStore::connect(&database().await?).await?,
        DiscardNotifier,
        clock.clone(),
        MarketplacePolicy::alibaba_ipp(),
    );
    let tenant = TenantId::new();
    let right = approved_right(&engine, tenant).await?;
    let filings = (0..complaints).map(|n| filing(tenant, right, n));
    submitted_in_bulk(&engine, tenant, filings).await?;
    clock.advance(chrono::Duration::days(30));
    let start = Instant::now();
    let ticked = engine.jobs().tick().await?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "case=tick fired={} secs={secs:.3} timers_per_sec={:.0}",
        ticked.fired,
        ticked.fired as f64 / secs
    );
    let start = Instant::now();
    let delivered = dispatch_everything(&engine).await?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "case=dispatch delivered={delivered} secs={secs:.3} messages_per_sec={:.0}",
        delivered as f64 / secs
    );
    Ok(())
}

fn main() -> Result<(), Failure> {
    let runtime = if std::env::var("BENCH_ONE_THREAD").is_ok() {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
    };
    runtime.block_on(run())
}

async fn run() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let case = args.first().map_or("single", String::as_str);
    let number = |default: u64| -> Result<u64, Failure> {
        Ok(match args.get(1) {
            Some(n) => n.parse()?,
            None => default,
        })
    };
    match case {
        "single" | "concurrent" => {
            let engine = engine(&database().await?).await?;
            let tenant = TenantId::new();
            let right = approved_right(&engine, tenant).await?;
            let tasks = if case == "single" { 1 } else { TASKS };
            let commands = number(if case == "single" { 30_000 } else { 120_000 })?;
            throughput(case, engine, tenant, right, commands, tasks).await
        }
        "setup" => {
            let url = database().await?;
            let engine = engine(&url).await?;
            let tenant = TenantId::new();
            let right = approved_right(&engine, tenant).await?;
            println!("BENCH_DATABASE={url} BENCH_TENANT={tenant} BENCH_RIGHT={right}");
            Ok(())
        }
        "shared" => {
            let engine = engine(&env("BENCH_DATABASE")?).await?;
            let tenant = env("BENCH_TENANT")?.parse()?;
            let right = env("BENCH_RIGHT")?.parse()?;
            throughput(case, engine, tenant, right, number(60_000)?, TASKS).await
        }
        "large" => large(number(1_000_000)?).await,
        "tick" => tick(number(100_000)?).await,
        other => Err(format!("unknown case {other}").into()),
    }
}
