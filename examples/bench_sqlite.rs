//! Throughput and dashboard figures of the engine on the SQLite store, one case per run, in
//! the units of `../shared/bench/sqlite-limit` (events per second: every command here writes
//! one event and one stream-row upsert, the reference's row shape) so that
//! `scripts/bench-sqlite.sh` can quote each as a ratio to raw SQLite measured in the same run.
//!
//! ```text
//! cargo run --release --example bench_sqlite -- single      [commands]   one task, one command per transaction
//! cargo run --release --example bench_sqlite -- concurrent  [commands] [normal|full]   64 tasks, group commit
//! cargo run --release --example bench_sqlite -- bulk        [complaints]  execute_batch, 10,000 per call
//! cargo run --release --example bench_sqlite -- large       [complaints]  dashboard, load, reopen, memory
//! cargo run --release --example bench_sqlite -- intake      [rows]        CSV intake with dedupe
//! cargo run --release --example bench_sqlite -- tick        [complaints]  one tick firing a check-back per complaint
//! cargo run --release --example bench_sqlite -- dispatch    [complaints]  delivering the notifications such a tick queues
//! ```
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use aliprotect::chrono::{Duration, Utc};
use aliprotect::clock::{Clock, ManualClock, SystemClock};
use aliprotect::complaint::{ComplaintCommand, ComplaintFiling, ComplaintReason};
use aliprotect::engine::{Command, Engine, Request};
use aliprotect::ids::{ComplaintId, RightId, TenantId};
use aliprotect::notify::DiscardNotifier;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store::prelude::*;
use aliprotect::store::{CountBy, StreamId};
use aliprotect::store_sqlite::{Durability, SqliteOptions, SqliteStore};
use aliprotect::testkit::engines::{
    approved_right, dispatch_everything, live_through, submitted_in_bulk,
};
use aliprotect::testkit::fixtures::{self, holder_user_of};
use aliprotect::text::Text;

type Failure = Box<dyn Error + Send + Sync>;
type Bench = Engine<SqliteStore, DiscardNotifier, SystemClock>;

const TASKS: usize = 64;
const STEPS: usize = 6;

fn fresh(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

fn engine(path: &Path, durability: Durability) -> Result<Bench, Failure> {
    let mut options = SqliteOptions::default();
    options.durability = durability;
    Ok(Engine::new(
        SqliteStore::open_with(path, options)?,
        DiscardNotifier,
        SystemClock,
        MarketplacePolicy::alibaba_ipp(),
    ))
}

/// Complaint `n` of the run, against a listing of its own.
fn filing(tenant: TenantId, right: RightId, n: u64) -> ComplaintFiling {
    let url = format!(
        "https://www.alibaba.com/product-detail/Earbuds_{}.html",
        1_600_000_000_000 + n
    );
    fixtures::bulk_filing(tenant, right, &url, n)
}

async fn run_stories(
    engine: Bench,
    tenant: TenantId,
    right: RightId,
    from: u64,
    to: u64,
) -> Result<(), Failure> {
    for n in from..to {
        live_through(&engine, tenant, filing(tenant, right, n)).await?;
    }
    Ok(())
}

fn report(case: &str, sync: &str, events: usize, secs: f64) {
    println!(
        "case={case} sync={sync} events={events} secs={secs:.3} eps={:.0}",
        events as f64 / secs
    );
}

async fn single(path: &Path, commands: usize) -> Result<(), Failure> {
    fresh(path);
    let engine = engine(path, Durability::Normal)?;
    let tenant = TenantId::new();
    let right = approved_right(&engine, tenant).await?;
    let complaints = (commands / STEPS) as u64;
    let start = Instant::now();
    run_stories(engine, tenant, right, 0, complaints).await?;
    report(
        "single-task",
        "normal",
        complaints as usize * STEPS,
        start.elapsed().as_secs_f64(),
    );
    Ok(())
}

async fn concurrent(path: &Path, commands: usize, durability: Durability) -> Result<(), Failure> {
    fresh(path);
    let engine = engine(path, durability)?;
    let tenant = TenantId::new();
    let right = approved_right(&engine, tenant).await?;
    let per_task = (commands / STEPS / TASKS) as u64;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..TASKS as u64 {
        let range = (task * per_task, (task + 1) * per_task);
        tasks.push(tokio::spawn(run_stories(
            engine.clone(),
            tenant,
            right,
            range.0,
            range.1,
        )));
    }
    for task in tasks {
        task.await??;
    }
    let sync = match durability {
        Durability::Normal => "normal",
        Durability::Full => "full",
    };
    let events = per_task as usize * TASKS * STEPS;
    report("64-tasks", sync, events, start.elapsed().as_secs_f64());
    Ok(())
}

/// Files `complaints` complaints through `execute_batch`, 10,000 per call; returns the id
/// of every 5,000th.
async fn file_in_bulk<C: Clock>(
    engine: &Engine<SqliteStore, DiscardNotifier, C>,
    tenant: TenantId,
    right: RightId,
    complaints: u64,
) -> Result<Vec<ComplaintId>, Failure> {
    let mut sample = Vec::new();
    let mut n = 0;
    while n < complaints {
        let end = (n + 10_000).min(complaints);
        let mut requests = Vec::with_capacity((end - n) as usize);
        for i in n..end {
            let filing = filing(tenant, right, i);
            let id = filing.id;
            if i % 5_000 == 0 {
                sample.push(id);
            }
            let file = ComplaintCommand::File(Box::new(filing));
            requests.push(Request::new(
                tenant,
                holder_user_of(tenant),
                Command::complaint(id, file),
            ));
        }
        for result in engine.execute_batch(requests).await {
            result?;
        }
        n = end;
    }
    Ok(sample)
}

async fn bulk(path: &Path, complaints: u64) -> Result<(), Failure> {
    fresh(path);
    let engine = engine(path, Durability::Normal)?;
    let tenant = TenantId::new();
    let right = approved_right(&engine, tenant).await?;
    let start = Instant::now();
    file_in_bulk(&engine, tenant, right, complaints).await?;
    report(
        "bulk-filing",
        "normal",
        complaints as usize,
        start.elapsed().as_secs_f64(),
    );
    Ok(())
}

/// `complaints` filed in bulk, then one tick a month later, when each complaint's check-back
/// is due: timers fired per second.
/// An engine on a fresh file whose `complaints` complaints, filed and submitted in bulk on a
/// manual clock, are each due a check-back: the clock is moved 30 days on.
async fn due_check_backs(
    path: &Path,
    complaints: u64,
) -> Result<Engine<SqliteStore, DiscardNotifier, Arc<ManualClock>>, Failure> {
    fresh(path);
    let clock = Arc::new(ManualClock::at(Utc::now()));
    let engine = Engine::new(
        SqliteStore::open(path)?,
        DiscardNotifier,
        clock.clone(),
        MarketplacePolicy::alibaba_ipp(),
    );
    let tenant = TenantId::new();
    let right = approved_right(&engine, tenant).await?;
    let filings = (0..complaints).map(|n| filing(tenant, right, n));
    submitted_in_bulk(&engine, tenant, filings).await?;
    clock.advance(Duration::days(30));
    Ok(engine)
}

/// One tick firing `complaints` due check-backs.
async fn tick(path: &Path, complaints: u64) -> Result<(), Failure> {
    let engine = due_check_backs(path, complaints).await?;
    let start = Instant::now();
    let ticked = engine.jobs().tick().await?;
    let secs = start.elapsed().as_secs_f64();
    if (ticked.fired as u64) < complaints {
        return Err(format!("{complaints} check-backs due, {} fired", ticked.fired).into());
    }
    println!(
        "case=tick fired={} secs={secs:.3} timers_per_sec={:.0}",
        ticked.fired,
        ticked.fired as f64 / secs
    );
    Ok(())
}

/// Delivering the `complaints` notifications ("a check-back is due") that one tick queued,
/// to a notifier that accepts each at once: what the dispatcher itself costs.
async fn dispatch(path: &Path, complaints: u64) -> Result<(), Failure> {
    let engine = due_check_backs(path, complaints).await?;
    engine.jobs().tick().await?;
    let start = Instant::now();
    let delivered = dispatch_everything(&engine).await?;
    let secs = start.elapsed().as_secs_f64();
    if (delivered as u64) < complaints {
        return Err(format!("{complaints} messages queued, {delivered} delivered").into());
    }
    println!(
        "case=dispatch delivered={delivered} secs={secs:.3} messages_per_sec={:.0}",
        delivered as f64 / secs
    );
    Ok(())
}

/// CSV intake of `rows` rows (one in 20 repeating an earlier one) on a fresh file.
async fn intake(path: &Path, rows: u64) -> Result<(), Failure> {
    use aliprotect::intake::{IntakeFormat, IntakeRequest};
    fresh(path);
    let engine = engine(path, Durability::Normal)?;
    let tenant = TenantId::new();
    let right = approved_right(&engine, tenant).await?;
    let mut csv = String::from("url,title,seller\n");
    for n in 0..rows {
        let product = if n % 20 == 19 { n - 1 } else { n };
        csv.push_str(&format!(
            "https://seller{}.en.alibaba.com/product/{}.html,Earbuds {n},Seller {}\n",
            product % 500,
            1_600_000_000 + product,
            product % 500
        ));
    }
    let request = IntakeRequest {
        tenant,
        actor: holder_user_of(tenant),
        marketplace: aliprotect::marketplace::Marketplace::AlibabaCom,
        right,
        reason: ComplaintReason::TrademarkCounterfeit,
        explanation: Text::new("Counterfeit earbuds bearing our registered mark")?,
        campaign: None,
        submit: false,
    };
    let start = Instant::now();
    let report = engine
        .intake(&request, IntakeFormat::Csv, csv.as_bytes(), |_| {})
        .await?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "case=intake rows={rows} filed={} duplicates={} secs={secs:.3} rows_per_sec={:.0}",
        report.filed.len(),
        report.duplicates.len(),
        rows as f64 / secs
    );
    Ok(())
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

async fn large(path: &Path, complaints: u64) -> Result<(), Failure> {
    // The file is built once and kept (with a list of sample ids beside it) for later runs.
    let tenant = TenantId::from_u128(7);
    let ids_path = path.with_extension("ids");
    if !path.exists() || !ids_path.exists() {
        fresh(path);
        let engine = engine(path, Durability::Normal)?;
        let right = approved_right(&engine, tenant).await?;
        let start = Instant::now();
        let sample = file_in_bulk(&engine, tenant, right, complaints).await?;
        let lines: Vec<String> = sample.iter().map(ToString::to_string).collect();
        std::fs::write(&ids_path, lines.join("\n"))?;
        println!(
            "built {complaints} complaints in {:.1} s, peak RSS while building {:.0} MiB",
            start.elapsed().as_secs_f64(),
            peak_rss_mib()
        );
    }
    let ids: Vec<ComplaintId> = std::fs::read_to_string(&ids_path)?
        .lines()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    // Reopening must not replay anything: measured on the file as it is.
    let start = Instant::now();
    let store = SqliteStore::open(path)?;
    let reopen_ms = start.elapsed().as_secs_f64() * 1e3;
    let mut count_samples = Vec::new();
    let mut total = 0;
    for _ in 0..21 {
        let start = Instant::now();
        let counts = store.complaint_counts(tenant, CountBy::Status).await?;
        count_samples.push(start.elapsed().as_secs_f64() * 1e3);
        total = counts.iter().map(|c| c.count).sum::<u64>();
    }
    let mut load_samples = Vec::new();
    for id in &ids {
        let start = Instant::now();
        let loaded = store.load(tenant, StreamId::Complaint(*id)).await?;
        load_samples.push(start.elapsed().as_secs_f64() * 1e3);
        if loaded.is_none() {
            return Err(format!("complaint {id} missing").into());
        }
    }
    println!(
        "case=large complaints={total} reopen_ms={reopen_ms:.1} counts_by_status_ms={:.2} \
         load_one_cold_ms={:.3} peak_rss_mib={:.0}",
        median_ms(count_samples),
        median_ms(load_samples),
        peak_rss_mib()
    );
    Ok(())
}

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let case = args.first().map(String::as_str).unwrap_or("single");
    let number = |default: usize| -> Result<usize, Failure> {
        Ok(match args.get(1) {
            Some(n) => n.parse()?,
            None => default,
        })
    };
    let dir = PathBuf::from(std::env::var("BENCH_DIR").unwrap_or_else(|_| "/tmp".to_owned()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match case {
            "single" => single(&dir.join("aliprotect-bench-single.sqlite"), number(20_000)?).await,
            "concurrent" => {
                let durability = match args.get(2).map(String::as_str) {
                    Some("full") => Durability::Full,
                    _ => Durability::Normal,
                };
                concurrent(
                    &dir.join("aliprotect-bench-concurrent.sqlite"),
                    number(200_000)?,
                    durability,
                )
                .await
            }
            "bulk" => {
                bulk(
                    &dir.join("aliprotect-bench-bulk.sqlite"),
                    number(100_000)? as u64,
                )
                .await
            }
            "large" => {
                large(
                    &dir.join("aliprotect-bench-large.sqlite"),
                    number(1_000_000)? as u64,
                )
                .await
            }
            "intake" => {
                let path = dir.join("aliprotect-bench-intake.sqlite");
                intake(&path, number(100_000)? as u64).await
            }
            "tick" => {
                let path = dir.join("aliprotect-bench-tick.sqlite");
                tick(&path, number(100_000)? as u64).await
            }
            "dispatch" => {
                let path = dir.join("aliprotect-bench-dispatch.sqlite");
                dispatch(&path, number(100_000)? as u64).await
            }
            other => Err(format!("unknown case {other}").into()),
        }
    })
}
