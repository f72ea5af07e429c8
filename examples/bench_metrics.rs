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

#[path = "support/campaign.rs"]
mod campaign;

use std::time::Instant;

use aliprotect::clock::ManualClock;
use aliprotect::complaint::ComplaintReason;
use aliprotect::engine::Engine;
use aliprotect::intake::{IntakeFormat, IntakeRequest};
use aliprotect::notify::DiscardNotifier;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store_sqlite::SqliteStore;
use aliprotect::text::Text;
use chrono::Utc;

use campaign::{CAMPAIGN, Failure, TENANT, holder};

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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let path = campaign::campaign_file(complaints).await?;
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
