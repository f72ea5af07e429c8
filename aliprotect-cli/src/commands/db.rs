//! `db`: the database as a whole. `db copy` takes every client's history into another
//! database (SQLite to PostgreSQL when a firm outgrows one file, and back), page by page,
//! safe to run again after an interruption, and checks the copy; `db backup` writes a
//! consistent copy of a live SQLite file.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

use aliprotect::store::{CopyOptions, StoreError, Transfer, Verification, copy_store, verify_copy};
use aliprotect::store_sqlite::BackupError;
use clap::{Args, Subcommand};

use crate::cli::Global;
use crate::error::CliError;
use crate::output::{Cell, Output, Table, Tone};
use crate::progress::Progress;
use crate::session::{self, Location};

/// `db` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum DbSubcommand {
    /// Copy every client's data into another database, then check the copy.
    ///
    /// Every stream with its events, receipts, pending notifications and dead letters,
    /// timers and pending work is copied, page by page in key order; the counters and
    /// metrics of the copy are counted as it arrives. Run it again after an interruption:
    /// what is there already is skipped. A target that holds the same streams with other
    /// data is refused (exit 2), never overwritten. Stop the engines writing to the source
    /// first, or copy a backup of it. At the end the copy is compared with its source and
    /// its counts and metrics with a replay of its events (exit 3 if they differ).
    #[command(after_help = "Examples:\n  \
aliprotect db copy --to postgresql://aliprotect@db.internal/enforcement\n  \
aliprotect --db enforcement.db db copy --to postgresql://aliprotect@db.internal/enforcement --format json\n  \
aliprotect db copy --from postgresql://aliprotect@db.internal/enforcement --to back-home.db")]
    Copy(CopyArgs),
    /// Write a consistent copy of the SQLite file while engines go on writing to it.
    #[command(after_help = "Examples:\n  \
aliprotect db backup --to backups/enforcement-2026-03-02.db\n  \
aliprotect --db enforcement.db db backup --to /mnt/backups/enforcement.db --format json")]
    Backup(BackupArgs),
}

/// `db copy`.
#[derive(Debug, Args)]
pub(crate) struct CopyArgs {
    /// The database to copy into: a SQLite file (created if missing) or a postgresql:// URL.
    #[arg(long, value_name = "FILE|URL")]
    pub(crate) to: String,
    /// The database to copy from (default: --db).
    #[arg(long, value_name = "FILE|URL")]
    pub(crate) from: Option<String>,
    /// Streams per page: each page is one read of the source and one all-or-nothing write
    /// into the target.
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub(crate) page: usize,
    /// Copy without checking the copy afterwards.
    #[arg(long)]
    pub(crate) no_verify: bool,
}

/// `db backup`.
#[derive(Debug, Args)]
pub(crate) struct BackupArgs {
    /// The new file to write (never overwritten).
    #[arg(long, value_name = "FILE")]
    pub(crate) to: String,
}

pub(crate) async fn run(
    global: &Global,
    out: &Output,
    command: DbSubcommand,
) -> Result<(), CliError> {
    match command {
        DbSubcommand::Copy(args) => copy(global, out, args).await,
        DbSubcommand::Backup(args) => backup(global, out, args).await,
    }
}

/// Opens `db` for copying: an existing SQLite file or PostgreSQL database as the source; a
/// target file is created if missing.
async fn open(db: &str, source: bool) -> Result<Arc<dyn Transfer>, CliError> {
    let location = Location::of(db);
    Ok(match location {
        Location::Sqlite(path) => {
            if source && !path.exists() {
                return Err(CliError::Usage(format!(
                    "no database at {} to copy from",
                    path.display()
                )));
            }
            Arc::new(session::open_sqlite(&path)?)
        }
        Location::Postgres(url) => Arc::new(session::connect_postgres(&url).await?),
    })
}

/// What a store error during a copy means for the person running it.
fn copy_error(error: StoreError, to: &str) -> CliError {
    let to = Location::of(to);
    match error {
        StoreError::Conflict { .. }
        | StoreError::ImportMismatch { .. }
        | StoreError::UniqueKeyTaken { .. }
        | StoreError::DuplicateIdempotencyKey(_) => CliError::Usage(format!(
            "{to} already holds other data ({error}): nothing of it was overwritten; copy into an \
             empty database, or into the one an interrupted copy of this source left"
        )),
        other => CliError::Database(format!("the copy stopped: {other}; run it again to go on")),
    }
}

async fn copy(global: &Global, out: &Output, args: CopyArgs) -> Result<(), CliError> {
    let from_name = args.from.clone().unwrap_or_else(|| global.db.clone());
    if same_database(&from_name, &args.to) {
        return Err(CliError::Usage(format!(
            "--to names the database copied from ({})",
            Location::of(&from_name)
        )));
    }
    let from = open(&from_name, true).await?;
    let to = open(&args.to, false).await?;
    let options = CopyOptions::default().page(args.page);
    let started = Instant::now();
    let progress = Progress::start("copy", out);
    let copied = copy_store(&*from, &*to, &options, &mut |step| {
        progress.update(step.streams as usize, step.total_streams as usize);
        ControlFlow::Continue(())
    })
    .await
    .map_err(|e| copy_error(e, &args.to))?;
    progress.finish();
    let copy_time = started.elapsed();
    let counts = copied.progress;
    out.note(format!(
        "Copied {} streams ({} events) and {} receipts in {:.1} s; {} streams and {} receipts were there already.",
        counts.imported.imported,
        counts.imported.events,
        counts.receipts.imported,
        copy_time.as_secs_f64(),
        counts.imported.skipped,
        counts.receipts.skipped,
    ));
    if args.no_verify {
        return Ok(());
    }
    let started = Instant::now();
    let check = verify_copy(&*from, &*to, &options).await?;
    out.table(&summary(&check))?;
    if !check.is_ok() {
        let mut hints = check.problems.clone();
        if check.problem_count > check.problems.len() as u64 {
            hints.push(format!(
                "... {} more",
                check.problem_count - check.problems.len() as u64
            ));
        }
        return Err(CliError::Database(format!(
            "the copy in {} differs from its source in {} ways:\n  {}",
            Location::of(&args.to),
            check.problem_count,
            hints.join("\n  ")
        )));
    }
    out.note(format!(
        "Checked in {:.1} s: every stream, event and receipt is in the copy, and its counts and metrics equal a replay.",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// Whether two names are the same database (a file by its canonical path).
fn same_database(a: &str, b: &str) -> bool {
    match (Location::of(a), Location::of(b)) {
        (Location::Sqlite(a), Location::Sqlite(b)) => match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        },
        (Location::Postgres(a), Location::Postgres(b)) => a == b,
        _ => false,
    }
}

/// The per-client counts of a check.
fn summary(check: &Verification) -> Table {
    let mut table = Table::new(&[
        "tenant",
        "source_streams",
        "source_events",
        "copy_streams",
        "copy_events",
        "equal",
    ]);
    for tenant in &check.tenants {
        let equal = match tenant.equal() {
            true => Cell::toned("yes", Tone::Good),
            false => Cell::toned("no", Tone::Bad),
        };
        table.push(vec![
            Cell::text(tenant.tenant),
            Cell::Count(tenant.source_streams),
            Cell::Count(tenant.source_events),
            Cell::Count(tenant.target_streams),
            Cell::Count(tenant.target_events),
            equal,
        ]);
    }
    table
}

async fn backup(global: &Global, out: &Output, args: BackupArgs) -> Result<(), CliError> {
    let Location::Sqlite(path) = Location::of(&global.db) else {
        return Err(CliError::Usage(
            "db backup backs up a SQLite file; back a PostgreSQL database up with its own tools \
             (pg_dump, or the service's snapshots)"
                .to_owned(),
        ));
    };
    if !path.exists() {
        return Err(CliError::Usage(format!(
            "no database at {} to back up",
            path.display()
        )));
    }
    let store = session::open_sqlite(&path)?;
    let started = Instant::now();
    store
        .backup_to(&args.to)
        .await
        .map_err(|error| match error {
            BackupError::Exists(_) | BackupError::Path(_) | BackupError::InMemory => {
                CliError::Usage(error.to_string())
            }
            other => CliError::Database(other.to_string()),
        })?;
    let bytes = std::fs::metadata(&args.to).map(|m| m.len()).unwrap_or(0);
    let mut table = Table::new(&["backup", "bytes", "seconds"]);
    table.push(vec![
        Cell::text(&args.to),
        Cell::Count(bytes),
        Cell::text(format!("{:.2}", started.elapsed().as_secs_f64())),
    ]);
    out.table(&table)
}
