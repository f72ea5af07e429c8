//! The campaign of the benchmarks that need a big one (`bench_metrics`, `bench_web`): built
//! once on a SQLite file and kept for later runs. Complaints against 10,000 sellers, filed
//! 10,000 a day, 60% removed between 1 and 72 hours after filing, 10% refused, the rest
//! still in progress.

use std::path::{Path, PathBuf};
use std::time::Instant;

use aliprotect::campaign::{Campaign, CampaignCommand};
use aliprotect::clock::ManualClock;
use aliprotect::complaint::{ComplaintCommand, ComplaintFiling, RemovalCause};
use aliprotect::engine::{Command, Engine, Request};
use aliprotect::ids::{CampaignId, ComplaintId, RightId, TenantId};
use aliprotect::notify::DiscardNotifier;
use aliprotect::party::Actor;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store_sqlite::SqliteStore;
use aliprotect::testkit::engines::approved_right;
use aliprotect::testkit::fixtures;
use aliprotect::text::Text;
use chrono::{Duration, TimeZone, Utc};

pub(crate) type Failure = Box<dyn std::error::Error + Send + Sync>;

pub(crate) type Bench = Engine<SqliteStore, DiscardNotifier, ManualClock>;

pub(crate) const PER_DAY: u64 = 10_000;
pub(crate) const SELLERS: u64 = 10_000;
pub(crate) const TENANT: TenantId = TenantId::from_u128(11);
pub(crate) const CAMPAIGN: CampaignId = CampaignId::from_u128(12);

pub(crate) fn holder() -> Actor {
    fixtures::holder_user_of(TENANT)
}

/// Complaint `n` of the campaign, against a listing of its own at one of the sellers.
pub(crate) fn filing(right: RightId, n: u64) -> ComplaintFiling {
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
pub(crate) async fn batch(
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

pub(crate) async fn build(path: &Path, complaints: u64) -> Result<(), Failure> {
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

/// The file of a campaign of `complaints`, in `$BENCH_DIR` (default `/tmp`), built first
/// when no earlier run finished building it (about three minutes for a million).
pub(crate) async fn campaign_file(complaints: u64) -> Result<PathBuf, Failure> {
    let dir = PathBuf::from(std::env::var("BENCH_DIR").unwrap_or_else(|_| "/tmp".to_owned()));
    let path = dir.join(format!("aliprotect-bench-metrics-{complaints}.sqlite"));
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
    Ok(path)
}
