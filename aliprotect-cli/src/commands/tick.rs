//! `aliprotect tick`: fire what is due; with `--probe`, look at each listing due a
//! check-back over HTTP and record what is found.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aliprotect::clock::Clock;
use aliprotect::engine::TickReport;
use aliprotect::listing::Listing;
use aliprotect::marketplace::Marketplace;
use aliprotect::probe::{ListingProbe, ProbeFinding};
use aliprotect::probe_http::{HttpProbe, HttpProbeConfig};
use aliprotect::store::TimerKind;
use async_trait::async_trait;

use crate::cli::TickArgs;
use crate::error::CliError;
use crate::output::{Cell, Output, Table};
use crate::progress::Progress;
use crate::session::Session;

pub(crate) async fn run(session: &Session, out: &Output, args: TickArgs) -> Result<(), CliError> {
    let report = if args.probe {
        let probe = http_probe(&args)?;
        let now = session.engine.clock().now();
        let due_check_backs = session
            .engine
            .upcoming_timers(session.tenant)
            .await?
            .iter()
            .filter(|t| t.kind == TimerKind::CheckBack && t.due <= now)
            .count();
        let progress = Progress::start("probing", out);
        progress.update(0, due_check_backs);
        let counted = Counted {
            inner: probe,
            done: AtomicUsize::new(0),
            progress: progress.clone(),
            total: due_check_backs,
        };
        let report = session.engine.tick_with_probe(&counted).await;
        progress.finish();
        report?
    } else {
        session.engine.tick().await?
    };
    out.table(&table(&report))
}

fn http_probe(args: &TickArgs) -> Result<HttpProbe, CliError> {
    let mut config = HttpProbeConfig {
        per_host_interval: Duration::from_secs_f64(args.probe_interval.clamp(0.0, 3600.0)),
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

/// A probe that moves the progress bar as listings are checked.
struct Counted {
    inner: HttpProbe,
    done: AtomicUsize,
    progress: Progress,
    total: usize,
}

#[async_trait]
impl ListingProbe for Counted {
    async fn probe(&self, listing: &Listing) -> ProbeFinding {
        let finding = self.inner.probe(listing).await;
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
    row("could not tell (tried again later)", report.unknown);
    row("follow-up work done", report.follow_ups);
    row("stale timers dropped", report.dropped + report.stale);
    table
}
