//! `aliprotect tick`: fire what is due; with `--probe`, look at each listing due a
//! check-back over HTTP and record what is found, many hosts at once and each host's
//! listings `--probe-interval` apart.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aliprotect::clock::Clock;
use aliprotect::engine::{TickReport, TimerQuery};
use aliprotect::listing::Listing;
use aliprotect::marketplace::Marketplace;
use aliprotect::probe::{ListingProbe, ProbeFinding};
use aliprotect::probe_http::{HttpProbe, HttpProbeConfig};
use aliprotect::store::TimerKind;
use async_trait::async_trait;
use clap::Args;

use crate::error::CliError;
use crate::output::{Cell, Output, Table};
use crate::progress::Progress;
use crate::session::Session;

/// `tick`.
#[derive(Debug, Args)]
pub(crate) struct TickArgs {
    #[command(flatten)]
    pub(crate) probe: ProbeArgs,
}

/// How check-backs look at listings (`tick`, `serve --work`).
#[derive(Debug, Args)]
pub(crate) struct ProbeArgs {
    /// Check each due listing over HTTP and record what is found.
    #[arg(long)]
    pub(crate) probe: bool,
    /// Text that, found in a listing page, means it was removed (repeat for several).
    #[arg(long, value_name = "TEXT", requires = "probe")]
    pub(crate) removed_marker: Vec<String>,
    /// Fetch listings through this base URL (a scraping gateway) instead of the
    /// marketplace: a listing is fetched as URL/HOST/PATH, with its own host and path.
    #[arg(long, value_name = "URL", requires = "probe")]
    pub(crate) probe_via: Option<String>,
    /// Seconds between two requests to one host (0 to 3600).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "2",
        requires = "probe",
        value_parser = interval_seconds
    )]
    pub(crate) probe_interval: Duration,
    /// Requests in flight at most, over all hosts (one at a time to each host).
    #[arg(long, value_name = "N", default_value_t = 16, requires = "probe",
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) probe_in_flight: u16,
}

pub(crate) async fn run(session: &Session, out: &Output, args: TickArgs) -> Result<(), CliError> {
    let Some(probe) = args.probe.build(session)? else {
        let report = session.engine.jobs().tick().await?;
        return out.table(&table(&report));
    };
    let now = session.engine.read().clock().now();
    let due_looks = session
        .engine
        .read()
        .upcoming_timers(
            session.tenant,
            &TimerQuery::soonest(0)
                .until(now)
                .of_kinds([TimerKind::CheckBack, TimerKind::ReturnWatch]),
        )
        .await?
        .total;
    let progress = Progress::start("probing", out);
    progress.update(0, due_looks);
    let counted = Counted {
        inner: probe,
        done: AtomicUsize::new(0),
        unknown: AtomicUsize::new(0),
        first_unknown: std::sync::Mutex::new(None),
        progress: progress.clone(),
        total: due_looks,
    };
    let report = session.engine.jobs().tick_with_probe(&counted).await;
    progress.finish();
    let report = report?;
    out.table(&table(&report))?;
    let looked = counted.done.load(Ordering::Relaxed);
    if looked > 0 && counted.unknown.load(Ordering::Relaxed) == looked {
        let reason = counted
            .first_unknown
            .lock()
            .ok()
            .and_then(|first| first.clone())
            .unwrap_or_default();
        return Err(CliError::Environment(format!(
            "none of the {looked} listing(s) could be looked at ({reason}); the timers \
             fired, and the next check-back tries again"
        )));
    }
    Ok(())
}

impl ProbeArgs {
    /// The probe asked for, keeping every page that shows a removal before the removal is
    /// recorded; `None` without `--probe`.
    pub(crate) fn build(&self, session: &Session) -> Result<Option<HttpProbe>, CliError> {
        if !self.probe {
            return Ok(None);
        }
        Ok(Some(
            http_probe(self)?.keeping_evidence_in(session.evidence()?),
        ))
    }
}

fn http_probe(args: &ProbeArgs) -> Result<HttpProbe, CliError> {
    let mut config = HttpProbeConfig {
        per_host_interval: args.probe_interval,
        max_in_flight: usize::from(args.probe_in_flight),
        ..HttpProbeConfig::default()
    };
    if !args.removed_marker.is_empty() {
        for marketplace in Marketplace::ALL {
            config
                .removed_markers
                .insert(marketplace, args.removed_marker.clone());
        }
    }
    if let Some(via) = &args.probe_via {
        config.via = Some(
            via.parse()
                .map_err(|e| CliError::Usage(format!("--probe-via `{via}`: {e}")))?,
        );
    }
    HttpProbe::new(config).map_err(|e| CliError::Environment(e.to_string()))
}

/// `--probe-interval`: a number of seconds from 0 to an hour, fractions allowed.
fn interval_seconds(value: &str) -> Result<Duration, String> {
    let seconds: f64 = value
        .parse()
        .map_err(|_| format!("`{value}` is not a number of seconds"))?;
    if !(0.0..=3600.0).contains(&seconds) {
        return Err(format!("{value} is not between 0 and 3600 seconds"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// A probe that moves the progress bar as listings are checked.
struct Counted {
    inner: HttpProbe,
    done: AtomicUsize,
    /// Looks that could not tell, and why the first one could not.
    unknown: AtomicUsize,
    first_unknown: std::sync::Mutex<Option<String>>,
    progress: Progress,
    total: usize,
}

#[async_trait]
impl ListingProbe for Counted {
    async fn probe(&self, listing: &Listing) -> ProbeFinding {
        let finding = self.inner.probe(listing).await;
        if let ProbeFinding::Unknown { reason } = &finding {
            self.unknown.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut first) = self.first_unknown.lock() {
                first.get_or_insert_with(|| reason.clone());
            }
        }
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.progress.update(done, self.total.max(done));
        finding
    }
}

fn table(report: &TickReport) -> Table {
    let mut table = Table::new(&["outcome", "count"]);
    let mut row = |outcome: &str, count: usize| {
        table.push(vec![Cell::text(outcome), Cell::Count(count as u64)]);
    };
    row("timers fired", report.fired);
    row("found removed by check-back", report.found_removed);
    row("found still listed", report.found_live);
    row("removed listings found back up", report.reappeared);
    row("could not tell (tried again later)", report.unknown);
    row("follow-up work done", report.follow_ups);
    row("stale timers dropped", report.dropped + report.stale);
    table
}
