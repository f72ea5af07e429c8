//! `aliprotect sweep ...` and `aliprotect candidate ...`: saved keyword searches, run on a
//! schedule, and the queue of listings they found for a person to confirm or dismiss.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aliprotect::complaint::ComplaintReason;
use aliprotect::ids::{CampaignId, RightId};
use aliprotect::search_http::{HttpSearch, HttpSearchConfig, ResultPage};
use aliprotect::sweep::{
    Candidate, CandidateId, CandidateQuery, CandidateStatus, FileSearch, ListingSearch, Sweep,
    SweepError, SweepId, SweepRun, SweepSpec, Sweeps,
};
use clap::{Args, Subcommand};
use serde::Deserialize;

use super::complaint::{format_of, marketplace_of, reason};
use super::text;
use crate::error::CliError;
use crate::output::{Cell, Output, Table, Tone};
use crate::progress::Progress;
use crate::session::Session;

/// `sweep ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum SweepSubcommand {
    /// Save a keyword sweep: what to search for, and what its findings are filed as.
    #[command(
        after_help = "Examples:\n  aliprotect sweep add 'Earbuds' --keyword 'acme earbuds' --keyword 'acme tws' \\\n      \
--right 0193a1f4-... --reason trademark-counterfeit --explanation 'Counterfeit earbuds bearing our mark'\n  \
aliprotect sweep add 'Weekly' --keyword acme --right 0193a1f4-... --reason trademark-counterfeit \\\n      \
--explanation '...' --every-hours 168 --pages 20"
    )]
    Add(AddArgs),
    /// The client's sweeps, with their last run.
    #[command(
        after_help = "Examples:\n  aliprotect sweep list\n  aliprotect sweep list --format json"
    )]
    List,
    /// Run sweeps now: the ones named, or every one due (--due). Each listing found that is
    /// new becomes a candidate (`aliprotect candidate list`).
    #[command(
        after_help = "Examples:\n  aliprotect sweep run --due --search search.toml\n  \
aliprotect sweep run 0193c3d4-... --export results.csv\n\n\
A search file (TOML) says how each marketplace's results pages read:\n\
  interval_seconds = 2                # between two requests to one host\n\
  [[marketplace]]\n\
  marketplace = \"alibaba.com\"\n\
  url_template = \"https://www.alibaba.com/trade/search?SearchText={keyword}&page={page}\"\n\
  results = \"div.organic-list\"       # on every results page, even an empty one\n\
  result = \"div.organic-list > div.list-item\"\n\
  link = \"a.title\"                  # its href is the listing\n\
  title = \"a.title\"\n\
  seller = \".company-name\"\n\
  price = \".price\"\n\
  next = \"a.next\"                   # present when another page follows\n\n\
An export (--export) is a platform's or a spreadsheet's list of results: CSV or JSON Lines\n\
with a `url` column, and optionally title, seller, price.\n\n\
Exit codes: 0 every sweep ran; 1 a sweep was refused or unknown; 3 a search stopped before\n\
its last page (each message is shown: a host that did not answer, or a page whose shape\n\
changed, which needs the search file updated); what was read before it is kept."
    )]
    Run(RunArgs),
    /// Stop running a sweep on schedule.
    #[command(after_help = "Examples:\n  aliprotect sweep pause 0193c3d4-...")]
    Pause {
        /// The sweep.
        id: SweepId,
    },
    /// Run a paused sweep on schedule again.
    #[command(after_help = "Examples:\n  aliprotect sweep resume 0193c3d4-...")]
    Resume {
        /// The sweep.
        id: SweepId,
    },
}

/// `sweep add`.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// A name for people.
    name: String,
    /// A keyword to search for (repeat for several).
    #[arg(long = "keyword", required = true, value_name = "WORDS")]
    keywords: Vec<String>,
    /// The right complaints from it rest on.
    #[arg(long)]
    right: RightId,
    /// Why the listings found infringe; it must fit the right's kind.
    #[arg(long, value_parser = reason())]
    reason: ComplaintReason,
    /// The explanation filed with each complaint.
    #[arg(long)]
    explanation: String,
    /// The campaign its complaints belong to (it says whether relistings are filed at once).
    #[arg(long)]
    campaign: Option<CampaignId>,
    /// The marketplace searched [default: the policy's first].
    #[arg(long)]
    marketplace: Option<String>,
    /// Hours between runs.
    #[arg(long, value_name = "HOURS", default_value_t = 24)]
    every_hours: u32,
    /// Result pages read per keyword and run, at most.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pages: u32,
}

/// `sweep run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The sweeps to run.
    #[arg(
        value_name = "ID",
        required_unless_present = "due",
        conflicts_with = "due"
    )]
    ids: Vec<SweepId>,
    /// Run every active sweep that is due.
    #[arg(long)]
    due: bool,
    /// How marketplaces' results pages read (TOML; see below).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "export",
        conflicts_with = "export"
    )]
    search: Option<PathBuf>,
    /// Answer every keyword from this export instead of searching (CSV or JSON Lines).
    #[arg(long, value_name = "FILE")]
    export: Option<PathBuf>,
}

/// `candidate ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum CandidateSubcommand {
    /// Listings sweeps found, waiting for a person by default.
    #[command(after_help = "Examples:\n  aliprotect candidate list\n  \
aliprotect candidate list --sweep 0193c3d4-... --status all --format csv\n  \
aliprotect candidate list --quiet > to-confirm.txt")]
    List {
        /// Only those found by this sweep.
        #[arg(long)]
        sweep: Option<SweepId>,
        /// Which: open (to review, relistings, and filings cut short), all, or one status
        /// (to-review, relisting, confirming, confirmed, dismissed, allowed).
        #[arg(long, default_value = "open")]
        status: String,
        /// At most this many.
        #[arg(long, value_name = "N", default_value_t = 1000)]
        limit: usize,
        /// Start after this candidate (the last of the previous page).
        #[arg(long, value_name = "ID")]
        after: Option<CandidateId>,
    },
    /// File the candidates as complaints (a person confirmed them).
    #[command(
        after_help = "Examples:\n  aliprotect candidate confirm 5b1f... 9c2e...\n  \
aliprotect candidate confirm --ids-from to-confirm.txt\n\n\
Exit codes: 0 all filed; 1 some were not (each is listed with why; the others are filed);\n\
3 a database error."
    )]
    Confirm {
        #[command(flatten)]
        ids: ManyCandidates,
    },
    /// Dismiss the candidates: not infringing, with a reason.
    #[command(
        after_help = "Examples:\n  aliprotect candidate dismiss 5b1f... --reason 'Our own product, resold'"
    )]
    Dismiss {
        #[command(flatten)]
        ids: ManyCandidates,
        /// Why, kept verbatim.
        #[arg(long)]
        reason: String,
    },
}

/// Candidates given on the command line and in a file.
#[derive(Debug, Args)]
pub(crate) struct ManyCandidates {
    /// The candidates' ids.
    #[arg(value_name = "ID")]
    ids: Vec<CandidateId>,
    /// A file of candidate ids, one per line (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    ids_from: Option<PathBuf>,
}

impl From<SweepError> for CliError {
    fn from(error: SweepError) -> Self {
        match error {
            SweepError::Engine(error) => error.into(),
            SweepError::Store(error) => error.into(),
            SweepError::UnknownSweep(id) => CliError::NotFound(format!("sweep {id}")),
            SweepError::UnknownCandidate(id) => CliError::NotFound(format!("candidate {id}")),
            SweepError::UnknownRight(id) => CliError::NotFound(format!("right {id}")),
            SweepError::Contended => CliError::Database(
                "the sweep kept changing under this command; run it again".into(),
            ),
            other => CliError::refused(format!("refused: {other}"), Vec::new()),
        }
    }
}

pub(crate) async fn run_sweep(
    session: &Session,
    out: &Output,
    args: SweepSubcommand,
) -> Result<(), CliError> {
    let sweeps = Sweeps::new(&session.engine);
    match args {
        SweepSubcommand::Add(args) => {
            let spec = SweepSpec {
                name: args.name,
                keywords: args.keywords,
                marketplace: marketplace_of(session, args.marketplace.as_deref())?,
                right: args.right,
                campaign: args.campaign,
                reason: args.reason,
                explanation: text(&args.explanation, "--explanation")?,
                every_hours: args.every_hours,
                page_budget: args.pages,
            };
            let sweep = sweeps.add(session.tenant, session.me, spec).await?;
            out.table(&sweep_table([&sweep]))?;
            out.note(format!(
                "Run it with `aliprotect sweep run {} --search search.toml`, or every due sweep with `--due`.",
                sweep.id
            ));
            Ok(())
        }
        SweepSubcommand::List => {
            session.require_client().await?;
            let all = sweeps.sweeps(session.tenant).await?;
            out.table(&sweep_table(&all))
        }
        SweepSubcommand::Pause { id } => {
            let sweep = sweeps.pause(session.tenant, session.me, id).await?;
            out.table(&sweep_table([&sweep]))
        }
        SweepSubcommand::Resume { id } => {
            let sweep = sweeps.resume(session.tenant, session.me, id).await?;
            out.table(&sweep_table([&sweep]))
        }
        SweepSubcommand::Run(args) => run(session, out, sweeps, args).await,
    }
}

async fn run(
    session: &Session,
    out: &Output,
    sweeps: Sweeps<
        '_,
        impl aliprotect::store::Store,
        impl aliprotect::notify::Notifier,
        impl aliprotect::clock::Clock,
    >,
    args: RunArgs,
) -> Result<(), CliError> {
    let search: Box<dyn ListingSearch> = match (&args.export, &args.search) {
        (Some(path), _) => {
            let bytes = std::fs::read(path).map_err(|e| CliError::file(path, e))?;
            Box::new(FileSearch::read(format_of(path)?, bytes.as_slice()))
        }
        (None, Some(path)) => Box::new(http_search(path)?),
        (None, None) => {
            return Err(CliError::Usage(
                "give --search FILE or --export FILE".into(),
            ));
        }
    };
    let to_run: Vec<Sweep> = if args.due {
        session.require_client().await?;
        let now = aliprotect::clock::Clock::now(session.engine.read().clock());
        sweeps
            .sweeps(session.tenant)
            .await?
            .into_iter()
            .filter(|sweep| sweep.is_due(now))
            .collect()
    } else {
        let mut named = Vec::with_capacity(args.ids.len());
        let mut seen = HashSet::new();
        for id in args.ids.iter().filter(|id| seen.insert(**id)) {
            named.push(sweeps.sweep(session.tenant, *id).await?);
        }
        named
    };
    let mut table = Table::new(&[
        "sweep",
        "name",
        "pages",
        "found",
        "to_review",
        "relistings",
        "filed",
        "allowed",
        "known",
        "unusable",
        "stopped",
    ]);
    let mut stopped = Vec::new();
    for sweep in &to_run {
        let total = sweep.spec.keywords.len() * sweep.spec.page_budget as usize;
        let progress = Progress::start("sweeping", out);
        let run = sweeps
            .run_reporting(
                session.tenant,
                session.me,
                sweep.id,
                search.as_ref(),
                |run| {
                    progress.update(run.pages as usize, total);
                },
            )
            .await;
        progress.finish();
        let run = run?;
        stopped.extend(
            run.stopped
                .iter()
                .map(|why| format!("{}: {why}", sweep.spec.name)),
        );
        table.push(run_row(sweep, &run));
    }
    out.table(&table)?;
    if to_run.is_empty() {
        out.note("No sweep is due.");
    } else {
        out.note("Review what was found with `aliprotect candidate list`.");
    }
    if !stopped.is_empty() {
        return Err(CliError::Batch {
            message: format!(
                "{} search(es) stopped before their last page:",
                stopped.len()
            ),
            lines: stopped,
            exit: 3,
        });
    }
    Ok(())
}

/// The search a TOML file describes.
fn http_search(path: &Path) -> Result<HttpSearch, CliError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct SearchFile {
        interval_seconds: Option<u64>,
        user_agent: Option<String>,
        #[serde(default)]
        marketplace: Vec<MarketplaceShape>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct MarketplaceShape {
        marketplace: String,
        url_template: String,
        results: String,
        result: String,
        link: String,
        title: Option<String>,
        seller: Option<String>,
        price: Option<String>,
        next: Option<String>,
    }
    let content = std::fs::read_to_string(path).map_err(|e| CliError::file(path, e))?;
    let file: SearchFile = toml::from_str(&content).map_err(|e| CliError::file(path, e))?;
    let mut config = HttpSearchConfig::default();
    if let Some(seconds) = file.interval_seconds {
        config.per_host_interval = Duration::from_secs(seconds);
    }
    if let Some(agent) = file.user_agent {
        config.user_agent = agent;
    }
    for shape in file.marketplace {
        let marketplace = shape
            .marketplace
            .parse()
            .map_err(|e| CliError::file(path, format!("marketplace: {e}")))?;
        config.marketplaces.insert(
            marketplace,
            ResultPage {
                url_template: shape.url_template,
                results: shape.results,
                result: shape.result,
                link: shape.link,
                title: shape.title,
                seller: shape.seller,
                price: shape.price,
                next: shape.next,
            },
        );
    }
    HttpSearch::new(config).map_err(|e| CliError::file(path, e))
}

fn sweep_table<'a>(sweeps: impl IntoIterator<Item = &'a Sweep>) -> Table {
    let mut table = Table::new(&[
        "id",
        "name",
        "status",
        "keywords",
        "marketplace",
        "right",
        "every_hours",
        "pages",
        "runs",
        "last_run",
        "next_run",
    ]);
    for sweep in sweeps {
        table.push(vec![
            Cell::text(sweep.id),
            Cell::text(&sweep.spec.name),
            Cell::toned(
                sweep.status,
                if sweep.status.as_str() == "active" {
                    Tone::Good
                } else {
                    Tone::Waiting
                },
            ),
            Cell::text(sweep.spec.keywords.join(" | ")),
            Cell::text(sweep.spec.marketplace),
            Cell::text(sweep.spec.right),
            Cell::Count(u64::from(sweep.spec.every_hours)),
            Cell::Count(u64::from(sweep.spec.page_budget)),
            Cell::Count(u64::from(sweep.runs)),
            Cell::optional_time(sweep.last_run.as_ref().map(|run| run.started)),
            Cell::Time(sweep.next_run),
        ]);
    }
    table
}

fn run_row(sweep: &Sweep, run: &SweepRun) -> Vec<Cell> {
    let count = |n: u32| Cell::Count(u64::from(n));
    vec![
        Cell::text(sweep.id),
        Cell::text(&sweep.spec.name),
        count(run.pages),
        count(run.found),
        count(run.to_review),
        count(run.relistings),
        count(run.filed),
        count(run.allowed),
        count(run.known),
        count(run.unusable),
        if run.stopped.is_empty() {
            Cell::Empty
        } else {
            Cell::toned(run.stopped.join("; "), Tone::Bad)
        },
    ]
}

pub(crate) async fn run_candidate(
    session: &Session,
    out: &Output,
    args: CandidateSubcommand,
) -> Result<(), CliError> {
    let sweeps = Sweeps::new(&session.engine);
    match args {
        CandidateSubcommand::List {
            sweep,
            status,
            limit,
            after,
        } => {
            session.require_client().await?;
            let statuses: Vec<Option<u8>> = match status.as_str() {
                "all" => vec![None],
                "open" => ["to-review", "relisting", "confirming"]
                    .iter()
                    .map(|name| CandidateStatus::code_of(name))
                    .collect(),
                name => match CandidateStatus::code_of(name) {
                    Some(code) => vec![Some(code)],
                    None => {
                        return Err(CliError::Usage(format!(
                            "--status {name}: one of open, all, {}",
                            CandidateStatus::NAMES.join(", ")
                        )));
                    }
                },
            };
            let mut found: Vec<Candidate> = Vec::new();
            for code in statuses {
                let mut query = CandidateQuery::all().limit(limit);
                query.status = code;
                query.sweep = sweep;
                query.after = after;
                found.extend(sweeps.candidates(session.tenant, &query).await?);
            }
            found.sort_by_key(|candidate| candidate.id);
            found.truncate(limit);
            out.table(&candidate_table(&found))
        }
        CandidateSubcommand::Confirm { ids } => {
            let ids = many(&ids)?;
            session.require_client().await?;
            let results = sweeps.confirm(session.tenant, session.me, &ids).await?;
            let mut table = Table::new(&["candidate", "complaint", "outcome"]);
            let mut failed = Vec::new();
            for (id, result) in results {
                match result {
                    Ok(complaint) => table.push(vec![
                        Cell::text(id),
                        Cell::text(complaint),
                        Cell::toned("filed", Tone::Good),
                    ]),
                    Err(error) => {
                        let error = CliError::from(error);
                        table.push(vec![
                            Cell::text(id),
                            Cell::Empty,
                            Cell::toned(format!("not filed: {error}"), Tone::Bad),
                        ]);
                        failed.push((id, error));
                    }
                }
            }
            out.table(&table)?;
            batch_verdict(failed, ids.len(), "filed")
        }
        CandidateSubcommand::Dismiss { ids, reason } => {
            let ids = many(&ids)?;
            let reason = text(&reason, "--reason")?;
            session.require_client().await?;
            let results = sweeps
                .dismiss(session.tenant, session.me, &ids, &reason)
                .await?;
            let mut table = Table::new(&["candidate", "outcome"]);
            let mut failed = Vec::new();
            for (id, result) in results {
                match result {
                    Ok(()) => {
                        table.push(vec![Cell::text(id), Cell::toned("dismissed", Tone::Good)])
                    }
                    Err(error) => {
                        let error = CliError::from(error);
                        table.push(vec![Cell::text(id), Cell::toned(&error, Tone::Bad)]);
                        failed.push((id, error));
                    }
                }
            }
            out.table(&table)?;
            batch_verdict(failed, ids.len(), "dismissed")
        }
    }
}

/// Ok when nothing failed; else every failure, under the gravest exit code among them (a
/// database error says more than a refusal), as `complaint record` does.
fn batch_verdict(
    failed: Vec<(CandidateId, CliError)>,
    of: usize,
    done: &str,
) -> Result<(), CliError> {
    let Some(exit) = failed.iter().map(|(_, error)| error.exit_code()).max() else {
        return Ok(());
    };
    Err(CliError::Batch {
        message: format!("{} of {of} candidate(s) not {done}:", failed.len()),
        lines: failed
            .iter()
            .map(|(id, error)| format!("{id}: {error}"))
            .collect(),
        exit,
    })
}

/// The candidates given on the command line and in a file, in order, each once.
fn many(ids: &ManyCandidates) -> Result<Vec<CandidateId>, CliError> {
    super::many_ids(ids.ids.clone(), ids.ids_from.as_deref(), "candidate")
}

fn candidate_table(candidates: &[Candidate]) -> Table {
    let mut table = Table::new(&[
        "id", "status", "listing", "title", "seller", "price", "keyword", "found_at", "detail",
    ]);
    for candidate in candidates {
        let (tone, detail) = match &candidate.status {
            CandidateStatus::ToReview => (Tone::Waiting, String::new()),
            CandidateStatus::Relisting { previous } => (
                Tone::Waiting,
                format!("relists the listing removed after {previous}"),
            ),
            CandidateStatus::Confirming { complaint } => (
                Tone::Waiting,
                format!("being filed as {complaint}: confirm it again to finish"),
            ),
            CandidateStatus::Confirmed { complaint } => {
                (Tone::Good, format!("complaint {complaint}"))
            }
            CandidateStatus::Dismissed { reason } => (Tone::Plain, reason.as_str().to_owned()),
            CandidateStatus::Allowed { seller } => {
                (Tone::Plain, format!("authorised seller {seller}"))
            }
        };
        table.push(vec![
            Cell::text(candidate.id),
            Cell::toned(&candidate.status, tone),
            Cell::text(&candidate.listing.url),
            Cell::optional(candidate.details.title.as_ref()),
            Cell::optional(
                candidate
                    .details
                    .seller_name
                    .as_ref()
                    .or(candidate.listing.seller_id.as_ref()),
            ),
            Cell::optional(candidate.details.price.as_ref()),
            Cell::text(&candidate.keyword),
            Cell::Time(candidate.found_at),
            if detail.is_empty() {
                Cell::Empty
            } else {
                Cell::text(detail)
            },
        ]);
    }
    table
}
