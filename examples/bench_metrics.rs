//! How long the metrics of a campaign of 1,000,000 complaints take to compute on the SQLite
//! store (target: under 100 ms), with every figure: counts by outcome, removal and
//! relisting rates, removal-time percentiles, by right, by seller and by week.
//!
//! ```text
//! cargo run --release --example bench_metrics -- [complaints]          metrics of the campaign
//! cargo run --release --example bench_metrics -- [complaints] intake   and a 1,000-row import into it
//! ```
//!
//! The campaign is built once (about three minutes for a million complaints) and kept in
//! `$BENCH_DIR` (default `/tmp`) for later runs: complaints against 10,000 sellers, filed
//! 10,000 a day, 60% removed between 1 and 72 hours after filing, 10% refused, the rest
//! still in progress. The figure is the median of 11 computations on the reopened file.
//! With `intake`, 1,000 new listings are then imported into the campaign (on the same file,
//! which keeps them: each run adds 1,000 complaints), timing duplicate and relisting checks
//! against the campaign's open and removed complaints.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use aliprotect::campaign::{Campaign, CampaignCommand};
use aliprotect::clock::ManualClock;
use aliprotect::complaint::{ComplaintCommand, ComplaintFiling, ComplaintReason, RemovalCause};
use aliprotect::engine::{Command, Engine, Request};
use aliprotect::ids::{CampaignId, ComplaintId, RightId, TenantId};
use aliprotect::intake::{IntakeFormat, IntakeRequest};
use aliprotect::notify::DiscardNotifier;
use aliprotect::party::Actor;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store_sqlite::SqliteStore;
use aliprotect::testkit::engines::approved_right;
use aliprotect::testkit::fixtures;
use aliprotect::text::Text;
use chrono::{Duration, TimeZone, Utc};

type Failure = Box<dyn Error + Send + Sync>;
type Bench = Engine<SqliteStore, DiscardNotifier, ManualClock>;

const PER_DAY: u64 = 10_000;
const SELLERS: u64 = 10_000;
const TENANT: TenantId = TenantId::from_u128(11);
const CAMPAIGN: CampaignId = CampaignId::from_u128(12);

fn holder() -> Actor {
    fixtures::holder_user_of(TENANT)
}

/// Complaint `n` of the campaign, against a listing of its own at one of the sellers.
fn filing(right: RightId, n: u64) -> ComplaintFiling {
    let url = format!(
        "https://seller{}.en.alibaba.com/product/{}.html",
        n % SELLERS,
        1_600_000_000_000 + n
    );
    let mut filing = fixtures::bulk_filing(TENANT, right, &url, n);
    filing.campaign = Some(CAMPAIGN);
    filing
}

/// Runs `commands` as one batch and fails on the first refusal.
async fn batch(
    engine: &Bench,
    commands: impl IntoIterator<Item = (Actor, ComplaintId, ComplaintCommand)>,
) -> Result<(), Failure> {
    let requests = commands
        .into_iter()
        .map(|(actor, id, command)| Request::new(TENANT, actor, Command::complaint(id, command)))
        .collect();
    for result in engine.execute_batch(requests).await {
        result?;
    }
    Ok(())
}

async fn build(path: &Path, complaints: u64) -> Result<(), Failure> {
    let start_of_campaign = Utc
        .with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .ok_or("bad date")?;
    let clock = ManualClock::at(start_of_campaign);
    let engine = Engine::new(
        SqliteStore::open(path)?,
        DiscardNotifier,
        clock.clone(),
        MarketplacePolicy::alibaba_ipp(),
    );
    let right = approved_right(&engine, TENANT).await?;
    let name = Text::new("Earbud counterfeits")?;
    let campaign = Campaign::new(CAMPAIGN, TENANT, name, vec![right], start_of_campaign);
    let create = Command::campaign(CAMPAIGN, CampaignCommand::Create(Box::new(campaign)));
    engine
        .execute(Request::new(TENANT, holder(), create))
        .await?;
    let mut day = 0;
    while day * PER_DAY < complaints {
        clock.set(start_of_campaign + Duration::days(day as i64));
        let range = day * PER_DAY..((day + 1) * PER_DAY).min(complaints);
        let filings: Vec<ComplaintFiling> = range.clone().map(|n| filing(right, n)).collect();
        let ids: Vec<ComplaintId> = filings.iter().map(|f| f.id).collect();
        batch(
            &engine,
            filings
                .into_iter()
                .map(|f| (holder(), f.id, ComplaintCommand::File(Box::new(f)))),
        )
        .await?;
        batch(
            &engine,
            ids.iter()
                .map(|id| (holder(), *id, ComplaintCommand::Submit)),
        )
        .await?;
        batch(
            &engine,
            ids.iter()
                .map(|id| (Actor::Platform, *id, ComplaintCommand::Accept)),
        )
        .await?;
        // Removals spread over the next three days, one batch per hour of delay.
        for hours in 1..=72_u64 {
            clock.advance(Duration::hours(1));
            let removed = range
                .clone()
                .zip(&ids)
                .filter(|(n, _)| n % 10 < 6 && n % 72 + 1 == hours)
                .map(|(_, id)| {
                    let cause = RemovalCause::PlatformReported;
                    (
                        Actor::Platform,
                        *id,
                        ComplaintCommand::RecordRemoval { cause },
                    )
                });
            batch(&engine, removed).await?;
        }
        let reason = Text::new("Insufficient proof")?;
        let refused = range.clone().zip(&ids).filter(|(n, _)| n % 10 == 6);
        batch(
            &engine,
            refused.map(|(_, id)| {
                let reason = reason.clone();
                (
                    Actor::Platform,
                    *id,
                    ComplaintCommand::ReportUnableToProcess { reason },
                )
            }),
        )
        .await?;
        day += 1;
    }
    Ok(())
}

fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() -> Result<(), Failure> {
    let complaints: u64 = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 1_000_000,
    };
    let with_intake = std::env::args().nth(2).as_deref() == Some("intake");
    let dir = PathBuf::from(std::env::var("BENCH_DIR").unwrap_or_else(|_| "/tmp".to_owned()));
    let path = dir.join(format!("aliprotect-bench-metrics-{complaints}.sqlite"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // The marker is written last, so an interrupted build is started again.
        let built = path.with_extension("built");
        if !built.exists() {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            let start = Instant::now();
            build(&path, complaints).await?;
            std::fs::write(&built, "")?;
            println!(
                "built {complaints} complaints in {:.0} s",
                start.elapsed().as_secs_f64()
            );
        }
        let engine = Engine::new(
            SqliteStore::open(&path)?,
            DiscardNotifier,
            ManualClock::at(Utc::now()),
            MarketplacePolicy::alibaba_ipp(),
        );
        let mut samples = Vec::new();
        let mut breakdown = None;
        for _ in 0..11 {
            let start = Instant::now();
            breakdown = Some(engine.read().metrics(TENANT, Some(CAMPAIGN)).await?);
            samples.push(start.elapsed().as_secs_f64() * 1e3);
        }
        let breakdown = breakdown.ok_or("no run")?;
        let overall = &breakdown.overall;
        println!(
            "case=campaign-metrics complaints={} removed={} unable={} in_progress={} \
             median_hours={:?} p90_hours={:?} sellers={} weeks={} metrics_ms={:.1}",
            overall.filed,
            overall.removed,
            overall.unable_to_process,
            overall.in_progress,
            overall.median_hours_to_removal,
            overall.p90_hours_to_removal,
            breakdown.by_seller.len(),
            breakdown.by_week.len(),
            median_ms(samples)
        );
        if with_intake {
            intake_into_campaign(&engine, overall.filed).await?;
        }
        Ok(())
    })
}

/// Imports 1,000 listings never seen before (numbered after the `filed` complaints so far).
async fn intake_into_campaign(
    engine: &Engine<SqliteStore, DiscardNotifier, ManualClock>,
    filed: u64,
) -> Result<(), Failure> {
    let campaign = engine.read().campaign(TENANT, CAMPAIGN).await?;
    let right = campaign
        .and_then(|c| c.rights.first().copied())
        .ok_or("the campaign has no right")?;
    let mut csv = String::from("url,title,seller\n");
    for n in filed..filed + 1_000 {
        csv.push_str(&format!(
            "https://newseller{n}.en.alibaba.com/product/{}.html,Earbuds {n},New seller {n}\n",
            5_000_000_000_u64 + n
        ));
    }
    let request = IntakeRequest {
        tenant: TENANT,
        actor: holder(),
        marketplace: aliprotect::marketplace::Marketplace::AlibabaCom,
        right,
        reason: ComplaintReason::TrademarkCounterfeit,
        explanation: Text::new("Counterfeit earbuds bearing our registered mark")?,
        campaign: Some(CAMPAIGN),
        submit: false,
    };
    let start = Instant::now();
    let report = engine
        .intake(&request, IntakeFormat::Csv, csv.as_bytes(), |_| {})
        .await?;
    println!(
        "case=intake-into-campaign rows=1000 filed={} duplicates={} existing={filed} secs={:.2}",
        report.filed.len(),
        report.duplicates.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
