//! Crash test of cross-stream work: a child process commits commands whose work lands on
//! other streams (a right's approval releases its staged complaints; a relisting marks the
//! complaint it follows) and is killed with SIGKILL before that work is done: once in the
//! gap between the commit and the work (an engine that leaves its follow-ups to a tick),
//! and ten times at random moments while an approval releases 120 staged complaints. After
//! each kill an engine on the reopened file ticks past the dead engine's lease: every staged
//! complaint is submitted and the predecessor marked, each exactly once, and a second tick
//! finds nothing left to do.
//!
//! The test runs itself as the child (`harness = false`): with `ALIPROTECT_FOLLOW_UP_CHILD`
//! in its environment it is the child, otherwise the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, ExitCode};
use std::time::Duration as StdDuration;

use aliprotect_core::clock::{ManualClock, SystemClock};
use aliprotect_core::complaint::{
    ComplaintChange, ComplaintCommand, ComplaintStatus, FollowUp, FollowUpKind, RemovalCause,
};
use aliprotect_core::engine::{Command, Engine, EngineConfig, Request};
use aliprotect_core::ids::{ComplaintId, FilingId, RightId};
use aliprotect_core::notify::DiscardNotifier;
use aliprotect_core::party::Actor;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::right::RightCommand;
use aliprotect_core::store::{DomainEvent, StreamId, prelude::*};
use aliprotect_core::testkit::engines::approved_right;
use aliprotect_core::testkit::fixtures;
use aliprotect_store_sqlite::SqliteStore;
use chrono::{Duration, Utc};

mod support;

use support::{Failure, engine_on, report, spawn_self};

const CHILD_ENV: &str = "ALIPROTECT_FOLLOW_UP_CHILD";
const STAGED: usize = 120;
const RANDOM_KILLS: usize = 10;

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        if let Err(error) = runtime.block_on(child(&spec)) {
            eprintln!("child failed: {error}");
            return ExitCode::FAILURE;
        }
        return ExitCode::SUCCESS;
    }
    let outcome = runtime.block_on(parent()).map(|()| {
        format!("follow-up crash: 1 gap kill and {RANDOM_KILLS} random kills, all work done once")
    });
    report("follow-up crash", outcome)
}

/// What the child does, after setting up a right under review with staged complaints and
/// a removed complaint (printed as `ready <right> <removed>`).
enum Scenario {
    /// Follow-ups left to a tick: approve and file a relisting, print `gap`, then wait to
    /// be killed.
    Gap,
    /// Follow-ups done at once: print `approving`, approve (releasing the staged
    /// complaints one by one), and be killed somewhere in it.
    During,
}

fn engine_config(carry_out: bool) -> EngineConfig {
    let mut config = EngineConfig::default();
    config.carry_out_follow_ups = carry_out;
    config
}

async fn child(spec: &str) -> Result<(), Failure> {
    let (path, scenario) = match spec.split_once('|') {
        Some((path, "gap")) => (path, Scenario::Gap),
        Some((path, "during")) => (path, Scenario::During),
        _ => return Err(format!("bad child spec {spec}").into()),
    };
    let carry_out = matches!(scenario, Scenario::During);
    let engine = Engine::builder(SqliteStore::open(path)?, DiscardNotifier, SystemClock)
        .config(engine_config(carry_out))
        .build(MarketplacePolicy::alibaba_ipp());
    let tenant = fixtures::tenant();
    let user = fixtures::holder_user();
    let run = |actor, command| engine.execute(Request::new(tenant, actor, command));

    // An approved right with a complaint whose listing came down: the relisting's predecessor.
    let first_right = approved_right(&engine, tenant).await?;
    let removed = ComplaintId::new();
    let filing = fixtures::complaint_filing_on(tenant, first_right, removed, 1);
    let life = [
        (user, ComplaintCommand::File(Box::new(filing))),
        (user, ComplaintCommand::Submit),
        (Actor::Platform, ComplaintCommand::Accept),
        (
            Actor::Platform,
            ComplaintCommand::RecordRemoval {
                cause: RemovalCause::PlatformReported,
            },
        ),
    ];
    for (actor, command) in life {
        run(actor, Command::complaint(removed, command)).await?;
    }

    // A second right under review, with complaints staged against it.
    let right = RightId::new();
    let steps = fixtures::approval_of(right, tenant, fixtures::trademark_package());
    let (approve, before) = steps.split_last().ok_or("no approval step")?;
    for (actor, command) in before {
        run(*actor, Command::right(right, command.clone())).await?;
    }
    for n in 0..STAGED {
        let id = ComplaintId::new();
        let filing = fixtures::complaint_filing_on(tenant, right, id, 10_000 + n as u64);
        run(
            user,
            Command::complaint(id, ComplaintCommand::File(Box::new(filing))),
        )
        .await?;
    }
    println!("ready {right} {removed}");

    match scenario {
        Scenario::Gap => {
            run(approve.0, Command::right(right, approve.1.clone())).await?;
            let relisting = ComplaintId::new();
            let mut filing = fixtures::complaint_filing_on(tenant, first_right, relisting, 2);
            filing.filing = FilingId::new();
            filing.follows = Some(FollowUp {
                previous: removed,
                kind: FollowUpKind::Relisting,
            });
            run(
                user,
                Command::complaint(relisting, ComplaintCommand::File(Box::new(filing))),
            )
            .await?;
            println!("gap");
            tokio::time::sleep(StdDuration::from_secs(60)).await;
            Err("not killed in the gap".into())
        }
        Scenario::During => {
            println!("approving");
            run(approve.0, Command::right(right, RightCommand::Approve)).await?;
            println!("done");
            tokio::time::sleep(StdDuration::from_secs(60)).await;
            Ok(())
        }
    }
}

fn spawn_child(db: &std::path::Path, scenario: &str) -> Result<Child, Failure> {
    spawn_self(CHILD_ENV, format!("{}|{scenario}", db.display()))
}

/// Reads the child's lines until one starts with `word`; returns the `ready` line's fields
/// seen on the way.
fn read_until(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    word: &str,
    ready: &mut Option<(RightId, ComplaintId)>,
) -> Result<(), Failure> {
    for line in lines {
        let line = line?;
        let mut fields = line.split_whitespace();
        match fields.next() {
            Some("ready") => {
                let right = fields.next().ok_or("ready without right")?.parse()?;
                let removed = fields.next().ok_or("ready without complaint")?.parse()?;
                *ready = Some((right, removed));
            }
            Some(first) if first == word => return Ok(()),
            _ => {}
        }
    }
    Err(format!("the child ended before `{word}`").into())
}

async fn parent() -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    // The gap: approval and relisting committed, their work not started.
    let db = dir.path().join("gap.sqlite");
    let mut child = spawn_child(&db, "gap")?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    let mut ready = None;
    read_until(&mut lines, "gap", &mut ready)?;
    child.kill()?;
    child.wait()?;
    let (right, removed) = ready.ok_or("no ready line")?;
    if recover_and_check(&db, right, Some(removed)).await? != Interrupted::MidWork {
        return Err("the gap kill left no work to resume".into());
    }

    // Random moments while an approval releases its staged complaints.
    let mut seed = u64::from(std::process::id()) ^ Utc::now().timestamp_subsec_nanos() as u64;
    println!("follow-up crash: seed {seed}");
    let mut mid_work = 0;
    for kill in 0..RANDOM_KILLS {
        let db = dir.path().join(format!("during-{kill}.sqlite"));
        let mut child = spawn_child(&db, "during")?;
        let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
        let mut ready = None;
        read_until(&mut lines, "approving", &mut ready)?;
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = StdDuration::from_micros((seed >> 33) % 60_000);
        std::thread::sleep(delay);
        child.kill()?;
        child.wait()?;
        let (right, _) = ready.ok_or("no ready line")?;
        if recover_and_check(&db, right, None).await? == Interrupted::MidWork {
            mid_work += 1;
        }
    }
    println!("follow-up crash: {mid_work} of {RANDOM_KILLS} random kills landed mid-release");
    Ok(())
}

/// Where a kill left the approval.
#[derive(Debug, PartialEq, Eq)]
enum Interrupted {
    /// Before its commit.
    BeforeApproval,
    /// After its commit, with staged complaints not yet released.
    MidWork,
    /// After all its work.
    AfterWork,
}

/// Reopens the file with a fresh engine past every lease, ticks, and checks that the work
/// is done exactly once.
async fn recover_and_check(
    db: &std::path::Path,
    right: RightId,
    removed: Option<ComplaintId>,
) -> Result<Interrupted, Failure> {
    let clock = ManualClock::at(Utc::now() + Duration::minutes(5));
    let engine = engine_on(db, clock)?;
    let tenant = fixtures::tenant();
    let approved = engine
        .read()
        .right(tenant, right)
        .await?
        .ok_or("right lost")?;
    if approved.status != aliprotect_core::right::RightStatus::Approved {
        // Killed before the approval's commit: nothing to recover, nothing released.
        let staged = engine.store().complaints(tenant, None).await?;
        if staged
            .iter()
            .any(|c| c.filed.right == right && c.status() != ComplaintStatus::Staged)
        {
            return Err("complaints released without an approval".into());
        }
        return Ok(Interrupted::BeforeApproval);
    }
    let before = engine.store().complaints(tenant, None).await?;
    let interrupted = if before
        .iter()
        .any(|c| c.filed.right == right && c.status() == ComplaintStatus::Staged)
    {
        Interrupted::MidWork
    } else {
        Interrupted::AfterWork
    };
    engine.jobs().tick().await?;
    let complaints = engine.store().complaints(tenant, None).await?;
    let released: Vec<_> = complaints
        .iter()
        .filter(|c| c.filed.right == right)
        .collect();
    if released.len() != STAGED {
        return Err(format!("{} staged complaints, expected {STAGED}", released.len()).into());
    }
    for complaint in released {
        if complaint.status() != ComplaintStatus::Submitted {
            return Err(format!(
                "{} is {:?} after the tick",
                complaint.id(),
                complaint.status()
            )
            .into());
        }
        let submissions = count(&engine, tenant, complaint.id(), |change| {
            matches!(change, ComplaintChange::Submitted)
        })
        .await?;
        if submissions != 1 {
            return Err(format!("{} was submitted {submissions} times", complaint.id()).into());
        }
    }
    if let Some(removed) = removed {
        let marks = count(&engine, tenant, removed, |change| {
            matches!(change, ComplaintChange::Relisted { .. })
        })
        .await?;
        let status = engine
            .read()
            .complaint(tenant, removed)
            .await?
            .ok_or("lost")?
            .status();
        if marks != 1 || status != ComplaintStatus::Relisted {
            return Err(format!("predecessor marked {marks} times, now {status:?}").into());
        }
    }
    let again = engine.jobs().tick().await?;
    if again.follow_ups != 0 {
        return Err(format!("a second tick found {} follow-ups", again.follow_ups).into());
    }
    Ok(interrupted)
}

type TestEngine = Engine<SqliteStore, DiscardNotifier, ManualClock>;

async fn count(
    engine: &TestEngine,
    tenant: aliprotect_core::ids::TenantId,
    id: ComplaintId,
    wanted: impl Fn(&ComplaintChange) -> bool,
) -> Result<usize, Failure> {
    let history = engine
        .read()
        .history(tenant, StreamId::Complaint(id))
        .await?;
    Ok(history
        .iter()
        .filter(|e| matches!(&e.event, DomainEvent::Complaint(event) if wanted(&event.change)))
        .count())
}
