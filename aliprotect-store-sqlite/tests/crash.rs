//! Crash test: a child process runs complaint commands through the engine on a SQLite file
//! and prints each one the store acknowledged; the test kills it with SIGKILL at random
//! moments, 20 times, and after each kill reopens the file and checks that every
//! acknowledged command is there, nothing is half written, the read model and the metric
//! tallies equal a replay, and the outbox and timers are intact.
//!
//! The test runs itself as the child (`harness = false`): with `ALIPROTECT_CRASH_CHILD=<db>`
//! in its environment it is the child, otherwise the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use aliprotect_core::clock::SystemClock;
use aliprotect_core::complaint::{ComplaintDecider, ComplaintStatus};
use aliprotect_core::decider::Decider;
use aliprotect_core::engine::{Command, Engine, Request};
use aliprotect_core::ids::{ComplaintId, RightId};
use aliprotect_core::notify::DiscardNotifier;
use aliprotect_core::right::RightDecider;
use aliprotect_core::store::prelude::*;
use aliprotect_core::store::{CountBy, GroupKey, Snapshot, StreamId, TimerKind};
use aliprotect_core::testkit::engines::approve_right;
use aliprotect_core::testkit::fixtures;
use aliprotect_store_sqlite::SqliteStore;
use parking_lot::Mutex;

mod support;

use support::{Failure, engine_on, report, spawn_self};

const CHILD_ENV: &str = "ALIPROTECT_CRASH_CHILD";
const KILLS: usize = 20;

type ChildEngine = Engine<SqliteStore, DiscardNotifier, SystemClock>;

fn main() -> ExitCode {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        // Runs until killed; an error ends the child early, which the parent reports.
        if let Err(error) = runtime.block_on(child(&path)) {
            eprintln!("child failed: {error}");
            return ExitCode::FAILURE;
        }
        return ExitCode::SUCCESS;
    }
    let outcome = parent().map(|acked| {
        format!("crash: {KILLS} kills, {acked} acknowledged commands all found intact")
    });
    report("crash", outcome)
}

async fn child(path: &str) -> Result<(), Failure> {
    let engine = engine_on(path, SystemClock)?;
    let tenant = fixtures::tenant();
    let right = RightId::new();
    approve_right(&engine, tenant, right).await?;
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        tasks.push(tokio::spawn(work(engine.clone(), right, Arc::clone(&out))));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

async fn work(
    engine: ChildEngine,
    right: RightId,
    out: Arc<Mutex<std::io::Stdout>>,
) -> Result<(), Failure> {
    let tenant = fixtures::tenant();
    loop {
        let id = ComplaintId::new();
        // A listing of its own (from the id's random bits): a child restarted after a kill
        // files against new listings, never one whose complaint the last run left open.
        let product = (id.as_uuid().as_u128() % 1_000_000_000_000_000) as u64;
        let filing = fixtures::complaint_filing_on(tenant, right, id, product);
        for (actor, command) in fixtures::life_of_a_complaint(filing) {
            let receipt = engine
                .execute(Request::new(tenant, actor, Command::complaint(id, command)))
                .await?;
            let mut out = out.lock();
            writeln!(out, "ok {id} {}", receipt.version)?;
            out.flush()?;
        }
    }
}

/// A small xorshift generator: random kill moments without a dependency.
struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn parent() -> Result<usize, Failure> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("crash.sqlite");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos() as u64
        | 1;
    println!("crash: seed {seed}");
    let mut random = Random(seed);
    let mut acked: HashMap<ComplaintId, u64> = HashMap::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    for kill in 1..=KILLS {
        let mut child = spawn_self(CHILD_ENV, &db)?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<String>>()
        });
        std::thread::sleep(Duration::from_millis(150 + random.below(350)));
        child.kill()?; // SIGKILL on Unix
        child.wait()?;
        let lines = reader.join().map_err(|_| "reader thread panicked")?;
        let before = acked.len();
        for line in lines {
            let mut parts = line.split_whitespace();
            // A line cut by the kill is not an acknowledgement.
            if let (Some("ok"), Some(id), Some(version), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
                && let (Ok(id), Ok(version)) = (id.parse::<ComplaintId>(), version.parse::<u64>())
            {
                let best = acked.entry(id).or_default();
                *best = (*best).max(version);
            }
        }
        runtime.block_on(verify(&db, &acked))?;
        println!(
            "crash: kill {kill}: {} complaints acknowledged so far (+{}), file intact",
            acked.len(),
            acked.len() - before
        );
    }
    let commands: usize = acked.values().map(|v| *v as usize).sum();
    if commands < 100 {
        return Err(
            format!("only {commands} commands acknowledged: the child did no real work").into(),
        );
    }
    Ok(commands)
}

async fn verify(db: &Path, acked: &HashMap<ComplaintId, u64>) -> Result<(), Failure> {
    let store = SqliteStore::open(db)?;
    let tenant = fixtures::tenant();
    for (id, version) in acked {
        let loaded = store
            .load(tenant, StreamId::Complaint(*id))
            .await?
            .ok_or_else(|| format!("acknowledged complaint {id} is missing"))?;
        if loaded.version < *version {
            return Err(format!(
                "{id}: acknowledged version {version}, found {}",
                loaded.version
            )
            .into());
        }
    }

    // Every stream in the file, whether acknowledged or not.
    let streams: Vec<StreamId> = {
        let connection = rusqlite::Connection::open(db)?;
        // The tenant's streams (the file also holds the store's policy stream).
        let mut statement = connection.prepare("SELECT stream FROM streams WHERE kind <> 5")?;
        let keys: Vec<Vec<u8>> = statement
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        keys.iter().map(|key| stream_of(key)).collect()
    };
    let mut statuses: BTreeMap<ComplaintStatus, u64> = BTreeMap::new();
    let mut expected_outbox = BTreeSet::new();
    let mut expected_check_backs = BTreeSet::new();
    for stream in &streams {
        let loaded = store
            .load(tenant, *stream)
            .await?
            .ok_or("listed stream missing")?;
        let history = store.history(tenant, *stream).await?;
        let versions: Vec<u64> = history.iter().map(|e| e.version).collect();
        if versions != (1..=loaded.version).collect::<Vec<_>>() {
            return Err(format!("{stream}: versions {versions:?} vs {}", loaded.version).into());
        }
        for event in &history {
            if matches!(
                event.event.type_name(),
                "complaint.CounterNoticeReceived" | "complaint.ListingRemoved" | "right.Approved"
            ) {
                expected_outbox.insert((*stream, event.version));
            }
        }
        match &loaded.snapshot {
            Snapshot::Complaint(snapshot) => {
                let events = fixtures::complaint_events(history);
                let replayed = ComplaintDecider::fold(&events).ok_or("empty complaint")?;
                if replayed != **snapshot {
                    return Err(format!("{stream}: snapshot differs from its replay").into());
                }
                *statuses.entry(replayed.status()).or_default() += 1;
                if matches!(
                    replayed.status(),
                    ComplaintStatus::Submitted
                        | ComplaintStatus::InProgress
                        | ComplaintStatus::Responded
                ) {
                    expected_check_backs.insert(*stream);
                }
            }
            Snapshot::Right(snapshot) => {
                let events = fixtures::right_events(history);
                if RightDecider::fold(&events).as_ref() != Some(&**snapshot) {
                    return Err(format!("{stream}: snapshot differs from its replay").into());
                }
            }
            other => return Err(format!("{stream}: unexpected snapshot {other:?}").into()),
        }
    }
    let counts: BTreeMap<ComplaintStatus, u64> = store
        .complaint_counts(tenant, CountBy::Status)
        .await?
        .into_iter()
        .filter(|c| c.group == GroupKey::All)
        .map(|c| (c.status, c.count))
        .collect();
    if counts != statuses {
        return Err(format!("counts {counts:?} differ from the replay {statuses:?}").into());
    }
    // The metric tallies are written in the same transaction as each commit: after any kill
    // they still equal a count from the complaints themselves.
    let complaints = store.complaints(tenant, None).await?;
    let recounted = aliprotect_core::metrics::Tallies::of(complaints.iter().map(|c| &**c));
    if store.metric_tallies(tenant, None).await? != recounted {
        return Err("metric tallies differ from a recount of the complaints".into());
    }
    let outbox: BTreeSet<(StreamId, u64)> = {
        // Claiming would lease the messages, so read the table directly.
        let connection = rusqlite::Connection::open(db)?;
        let mut statement = connection.prepare("SELECT stream, version FROM outbox")?;
        let rows: Vec<(Vec<u8>, i64)> = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(key, version)| (stream_of(&key), version as u64))
            .collect()
    };
    if outbox != expected_outbox {
        return Err(format!(
            "outbox has {} messages, the events call for {}",
            outbox.len(),
            expected_outbox.len()
        )
        .into());
    }
    let far = fixtures::now() + chrono::Duration::days(36_500);
    // A claim that has lapsed before it is taken: it hides nothing from the next engine.
    let lapsed = aliprotect_core::store::Lease {
        owner: aliprotect_core::ids::WorkerId::new(),
        until: fixtures::now() - chrono::Duration::days(1),
    };
    let claim = aliprotect_core::store::Claim {
        now: far,
        lease: lapsed,
        limit: usize::MAX,
    };
    let check_backs: BTreeSet<StreamId> = store
        .claim_due(claim)
        .await?
        .timers
        .into_iter()
        .filter(|t| t.kind == TimerKind::CheckBack)
        .map(|t| t.stream)
        .collect();
    if check_backs != expected_check_backs {
        return Err("check-back timers differ from what the complaints' states call for".into());
    }
    Ok(())
}

/// A stream key as the store writes it: a kind byte, then the id.
fn stream_of(key: &[u8]) -> StreamId {
    let uuid = uuid::Uuid::from_slice(&key[1..]).expect("stream key holds a uuid");
    match key[0] {
        0 => StreamId::Right(RightId::from_uuid(uuid)),
        _ => StreamId::Complaint(ComplaintId::from_uuid(uuid)),
    }
}
