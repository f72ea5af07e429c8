//! `aliprotect`: the whole IP enforcement process from the command line, on a SQLite file by
//! default or a PostgreSQL database shared with other programs.
//!
//! ```text
//! aliprotect init
//! aliprotect right register acme-sound.toml
//! aliprotect complaint import found.csv --right ID --reason trademark-counterfeit \
//!     --explanation 'Counterfeit earbuds bearing our mark' --rejected rejected.csv
//! aliprotect dashboard
//! ```
//!
//! `aliprotect --help` lists every command; each has its own `--help` with examples.

mod cli;
mod commands;
mod error;
mod output;
mod progress;
mod right_file;
mod session;
mod settings;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::error::CliError;
use crate::output::Output;
use crate::session::{Location, Session};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return report(&CliError::Environment(format!(
                "cannot start the runtime: {error}"
            )));
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let out = Output::new(&cli.global);
    let global = &cli.global;
    match cli.command {
        Command::Init(args) => {
            let created = session::init(global, args.policy).await?;
            let policy = settings::name_of(args.policy);
            match created {
                true => out.note(format!(
                    "Ready: {} ({policy} rules).",
                    Location::of(&global.db)
                )),
                false => out.note(format!(
                    "{} is already set up with the {policy} rules.",
                    Location::of(&global.db)
                )),
            }
            Ok(())
        }
        Command::Completions { shell } => {
            let mut command = Cli::command();
            let mut stdout = std::io::stdout();
            clap_complete::generate(shell, &mut command, "aliprotect", &mut stdout);
            Ok(())
        }
        Command::Notify(args) => commands::notify::run(global, &out, args).await,
        Command::Db(args) => commands::db::run(global, &out, args).await,
        command => {
            let session = Session::open(global).await?;
            match command {
                Command::Right(args) => commands::right::run(&session, &out, args).await,
                Command::Complaint(args) => commands::complaint::run(&session, &out, args).await,
                Command::Campaign(args) => commands::campaign::run(&session, &out, args).await,
                Command::Seller(args) => commands::seller::run(&session, &out, args).await,
                Command::Sweep(args) => commands::sweep::run_sweep(&session, &out, args).await,
                Command::Candidate(args) => {
                    commands::sweep::run_candidate(&session, &out, args).await
                }
                Command::Inbox(args) => commands::inbox::run(&session, &out, args).await,
                Command::Due(args) => commands::due::run(&session, &out, args).await,
                Command::Tick(args) => commands::tick::run(&session, &out, args).await,
                Command::Dashboard(args) => commands::dashboard::run(&session, &out, args).await,
                Command::Policy(args) => commands::policy::run(&session, &out, args).await,
                Command::Serve(args) => commands::serve::run(&session, &out, args).await,
                Command::User(args) => commands::user::run(&session, &out, args).await,
                Command::Init(_)
                | Command::Completions { .. }
                | Command::Notify(_)
                | Command::Db(_) => Ok(()),
            }
        }
    }
}

/// Prints `error` for a person (no debug dump) and returns its exit code.
fn report(error: &CliError) -> ExitCode {
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let label = if color {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    };
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{label}: {error}");
    for hint in error.hints() {
        let _ = writeln!(stderr, "  {hint}");
    }
    ExitCode::from(error.exit_code())
}

/// Logs to stderr only when asked (`-v`: warnings, `-vv`: what happens, `-vvv`: everything;
/// or `RUST_LOG`): errors reach people as messages, not as log lines.
fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "off",
        1 => "warn",
        2 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
