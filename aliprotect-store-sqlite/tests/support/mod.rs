//! What the two crash tests share: each is its own `main` (`harness = false`) that runs
//! itself as the child it kills, so each spawns itself, opens engines on the file the child
//! left behind, and reports in the test harness's words.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, ExitCode, Stdio};

use aliprotect_core::clock::Clock;
use aliprotect_core::engine::Engine;
use aliprotect_core::notify::DiscardNotifier;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_store_sqlite::SqliteStore;

pub(crate) type Failure = Box<dyn std::error::Error + Send + Sync>;

/// An engine on the SQLite file at `path` under the Alibaba IPP policy, on `clock`,
/// discarding notifications.
pub(crate) fn engine_on<C: Clock>(
    path: impl AsRef<Path>,
    clock: C,
) -> Result<Engine<SqliteStore, DiscardNotifier, C>, Failure> {
    Ok(Engine::new(
        SqliteStore::open(path)?,
        DiscardNotifier,
        clock,
        MarketplacePolicy::alibaba_ipp(),
    ))
}

/// This test's own binary as the child: `env` set to `value`, its stdout piped to the
/// parent, its stderr shown.
pub(crate) fn spawn_self(env: &str, value: impl AsRef<OsStr>) -> Result<Child, Failure> {
    Ok(std::process::Command::new(std::env::current_exe()?)
        .env(env, value)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?)
}

/// Prints the parent's `outcome` (its summary line, or why it failed as `test`) and the
/// harness's count line that `cargo test` reads, and exits accordingly.
pub(crate) fn report(test: &str, outcome: Result<String, Failure>) -> ExitCode {
    match outcome {
        Ok(summary) => {
            println!("{summary}");
            println!("1 passed, 0 failed");
            ExitCode::SUCCESS
        }
        Err(error) => {
            println!("{test} test failed: {error}");
            println!("0 passed, 1 failed");
            ExitCode::FAILURE
        }
    }
}
