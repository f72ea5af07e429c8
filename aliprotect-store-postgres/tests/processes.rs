//! Three engine processes (`examples/engine_process.rs`) share one database: each runs
//! commands on shared complaints, files its own, ticks and dispatches, while this test
//! kills one of them with SIGKILL at random moments (more than ten times) and starts it
//! again. Afterwards, with the processes gone and a final tick and dispatch done:
//!
//! - every command a process saw acknowledged is in the log, under its receipt;
//! - every stream's versions are contiguous, and its snapshot, the status counters and the
//!   metric tallies equal a replay of the events;
//! - no timer is left due, and each fired once in effect (a check-back never falls before
//!   its due time, which a second firing of the same timer would);
//! - every notification ever put in the outbox was delivered at least once, none is left
//!   or dead; the receiver, deduplicating by message id as the contract asks, processed
//!   each once (redeliveries after a kill are counted and reported).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant, SystemTime, UNIX_EPOCH};

use aliprotect_core::clock::ManualClock;
use aliprotect_core::complaint::{
    Complaint, ComplaintChange, ComplaintCommand, ComplaintDecider, ComplaintStatus, Stage,
};
use aliprotect_core::decider::Decider;
use aliprotect_core::engine::{Command, Engine, Request};
use aliprotect_core::ids::{ComplaintId, RightId, TenantId, UserId, WorkerId};
use aliprotect_core::metrics::Tallies;
use aliprotect_core::notify::{MessageId, Notification, Notifier, NotifyError};
use aliprotect_core::party::Actor;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::store::{
    Claim, CountBy, DomainEvent, IdempotencyKey, Lease, Snapshot, StreamId, prelude::*,
};
use aliprotect_core::testkit::engines::approve_right;
use aliprotect_core::testkit::fixtures;
use aliprotect_store_postgres::PostgresStore;
use aliprotect_store_postgres::test_server::{TestPooler, TestServer};

mod support;
use async_trait::async_trait;
use chrono::Duration;
use support::installed;

const PROCESSES: usize = 3;
const SHARED_COMPLAINTS: usize = 40;
/// One simulated day per real second.
const SPEED: i64 = 86_400;
const RUN: StdDuration = StdDuration::from_secs(22);
const KILLS: usize = 12;

const AUDIT: &str = "
CREATE TABLE outbox_audit (tenant uuid, kind smallint, stream uuid, version bigint);
CREATE FUNCTION audit_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox_audit VALUES (NEW.tenant, NEW.kind, NEW.stream, NEW.version);
    RETURN NEW;
END $$;
CREATE TRIGGER outbox_audit AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION audit_outbox();";

/// Records the final dispatch's deliveries, as the processes' receivers do.
#[derive(Clone, Default)]
struct Collect(Arc<std::sync::Mutex<Vec<String>>>);

#[async_trait]
impl Notifier for Collect {
    async fn send(&self, id: &MessageId, _: &Notification) -> Result<(), NotifyError> {
        self.0.lock().unwrap().push(id.to_string());
        Ok(())
    }
}

fn example_binary() -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let target = deps.parent().unwrap().parent().unwrap();
    let binary = target.join("examples").join("engine_process");
    // `cargo test` builds examples; a lone `cargo test --test processes` may not have.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let built = Process::new(cargo)
        .args([
            "build",
            "-p",
            "aliprotect-store-postgres",
            "--example",
            "engine_process",
        ])
        .status()
        .unwrap();
    assert!(built.success(), "building the example failed");
    binary
}

struct Fleet {
    binary: PathBuf,
    args: Vec<String>,
    out: PathBuf,
    children: Vec<(String, Child)>,
    started: usize,
}

impl Fleet {
    fn start(&mut self, slot: Option<usize>) {
        let name = format!("p{}", self.started);
        self.started += 1;
        let stderr = std::fs::File::create(self.out.join(format!("stderr-{name}.log"))).unwrap();
        let mut args = self.args.clone();
        args.insert(5, name.clone());
        let child = Process::new(&self.binary)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        match slot {
            Some(slot) => self.children[slot] = (name, child),
            None => self.children.push((name, child)),
        }
    }

    /// Fails the test if a process ended on its own (an error or a panic).
    fn check_alive(&mut self) {
        for (name, child) in &mut self.children {
            if let Some(status) = child.try_wait().unwrap() {
                let log = std::fs::read_to_string(self.out.join(format!("stderr-{name}.log")));
                panic!("process {name} ended by itself ({status}): {log:?}");
            }
        }
    }

    fn kill(&mut self, slot: usize) {
        let child = &mut self.children[slot].1;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
}

fn lines(dir: &Path, prefix: &str) -> Vec<String> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(prefix) {
            let text = std::fs::read_to_string(&path).unwrap();
            // A kill may cut the last line short: only whole lines count.
            let whole = text.rsplit_once('\n').map_or("", |(whole, _)| whole);
            all.extend(whole.lines().map(str::to_owned));
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_killed_at_random_lose_and_double_nothing() {
    let Some(server) = installed() else { return };
    three_processes_killed_at_random(server, str::to_owned).await;
}

/// The same, with the engines behind PgBouncer in transaction mode (the test's own checks
/// connect directly).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_behind_pgbouncer_lose_and_double_nothing() {
    let Some(server) = installed() else { return };
    let Some(pooler) = TestPooler::start_unless_missing(server, &["postgres"]).unwrap() else {
        eprintln!("skipped: no PgBouncer on this machine");
        return;
    };
    three_processes_killed_at_random(server, |url| pooler.url_of(url)).await;
}

/// Runs the fleet on a fresh database of `server`, the engines connecting through the URL
/// `engines_url` makes of the database's.
async fn three_processes_killed_at_random(
    server: &TestServer,
    engines_url: impl Fn(&str) -> String,
) {
    let url = server.create_database().await.unwrap();
    let store = Arc::new(PostgresStore::connect(&url).await.unwrap());
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client.batch_execute(AUDIT).await.unwrap();

    // The shared story: an approved right and complaints with the platform.
    let origin = fixtures::now();
    let clock = ManualClock::at(origin);
    let policy = MarketplacePolicy::alibaba_ipp();
    let engine = Engine::new(
        store.clone(),
        Collect::default(),
        clock.clone(),
        policy.clone(),
    );
    let (tenant, right) = (TenantId::new(), RightId::new());
    approve_right(&engine, tenant, right).await.unwrap();
    let holder = Actor::HolderUser {
        tenant,
        user: UserId::from_u128(1),
    };
    let mut shared = Vec::new();
    for i in 0..SHARED_COMPLAINTS {
        let id = ComplaintId::new();
        let filing = fixtures::complaint_filing_on(tenant, right, id, 500 + i as u64);
        for (actor, command) in [
            (holder, ComplaintCommand::File(Box::new(filing))),
            (holder, ComplaintCommand::Submit),
        ] {
            engine
                .execute(Request::new(tenant, actor, Command::complaint(id, command)))
                .await
                .unwrap();
        }
        shared.push(id);
    }

    let out = tempfile_dir();
    let complaints_file = out.join("complaints.txt");
    let listing: Vec<String> = shared.iter().map(ToString::to_string).collect();
    std::fs::write(&complaints_file, listing.join("\n")).unwrap();
    let real_origin = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    let mut fleet = Fleet {
        binary: example_binary(),
        args: vec![
            engines_url(&url),
            tenant.to_string(),
            right.to_string(),
            complaints_file.display().to_string(),
            out.display().to_string(),
            origin.timestamp_micros().to_string(),
            real_origin.to_string(),
            SPEED.to_string(),
        ],
        out: out.clone(),
        children: Vec::new(),
        started: 0,
    };
    for _ in 0..PROCESSES {
        fleet.start(None);
    }
    let began = Instant::now();
    let mut kills = 0;
    let mut random = began.elapsed().as_nanos() as u64 | 1;
    while began.elapsed() < RUN || kills < KILLS {
        random = random
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        let pause = 700 + (random >> 33) % 1_100;
        tokio::time::sleep(StdDuration::from_millis(pause)).await;
        fleet.check_alive();
        let slot = ((random >> 20) % PROCESSES as u64) as usize;
        fleet.kill(slot);
        kills += 1;
        fleet.start(Some(slot));
    }
    fleet.check_alive();
    for slot in 0..PROCESSES {
        fleet.kill(slot);
    }
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
        - real_origin;

    // Every lease has run out and every timer is due: a final tick and dispatch.
    let end = origin + Duration::microseconds(elapsed * SPEED) + Duration::days(60);
    clock.set(end);
    let collect = Collect::default();
    let engine = Engine::new(
        store.clone(),
        collect.clone(),
        clock.clone(),
        policy.clone(),
    );
    loop {
        let report = engine.jobs().tick().await.unwrap();
        if report == Default::default() {
            break;
        }
    }
    while engine.jobs().dispatch().await.unwrap().handled_any() {}

    // Every acknowledged command is in the log under its receipt.
    let acks = lines(&out, "acks-");
    assert!(
        acks.len() > 100,
        "the processes did little: {} acks",
        acks.len()
    );
    for ack in &acks {
        let [key, stream, version] = ack.split(' ').collect::<Vec<_>>()[..] else {
            panic!("bad ack line {ack:?}");
        };
        let receipt = store
            .receipt(tenant, &IdempotencyKey::new(key).unwrap())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged command {key} is missing"));
        assert_eq!(receipt.receipt.stream.to_string(), stream, "{key}");
        assert_eq!(receipt.receipt.version.to_string(), version, "{key}");
    }

    // Contiguous versions; snapshots, counters and tallies equal a replay.
    let complaints = store.complaints(tenant, None).await.unwrap();
    let mut replayed: Vec<Complaint> = Vec::new();
    let mut statuses: BTreeMap<ComplaintStatus, u64> = BTreeMap::new();
    let mut check_backs = 0;
    for stored in &complaints {
        let stream = StreamId::Complaint(stored.id());
        let history = store.history(tenant, stream).await.unwrap();
        let versions: Vec<u64> = history.iter().map(|e| e.version).collect();
        let expected: Vec<u64> = (1..=history.len() as u64).collect();
        assert_eq!(versions, expected, "versions of {stream}");
        let mut state: Option<Complaint> = None;
        for event in &history {
            let DomainEvent::Complaint(event) = &event.event else {
                panic!("a complaint stream holds another stream's event");
            };
            if let (Some(before), ComplaintChange::CheckBackDue { .. }) = (&state, &event.change) {
                check_backs += 1;
                let review = || {
                    policy
                        .calendar
                        .deadline(before.updated_at, policy.complaint_review)
                };
                // A removal expected is checked at once, then every review period.
                let due = match before.stage {
                    Stage::RemovalExpected { since }
                        if before.checked_at.is_none_or(|checked| checked < since) =>
                    {
                        since
                    }
                    _ => review(),
                };
                assert!(
                    event.at >= due,
                    "{stream}: a check-back fired at {} before it was due at {due}",
                    event.at
                );
            }
            state = ComplaintDecider::evolve(state, event);
        }
        let state = state.expect("a filed complaint");
        assert_eq!(&state, &**stored, "snapshot of {stream} equals its replay");
        let loaded = store.load(tenant, stream).await.unwrap().unwrap();
        assert_eq!(loaded.version, history.len() as u64);
        assert_eq!(
            loaded.snapshot,
            Snapshot::Complaint(Arc::new(state.clone()))
        );
        *statuses.entry(state.status()).or_default() += 1;
        replayed.push(state);
    }
    let counted: BTreeMap<ComplaintStatus, u64> = store
        .complaint_counts(tenant, CountBy::Status)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.status, c.count))
        .collect();
    assert_eq!(counted, statuses, "status counters equal the replay");
    assert_eq!(
        store.metric_tallies(tenant, None).await.unwrap(),
        Tallies::of(replayed.iter()),
        "metric tallies equal the replay"
    );

    // No timer or work left due; nothing left in the outbox; nothing dead.
    let claim = Claim {
        now: end,
        lease: Lease {
            owner: WorkerId::new(),
            until: end + Duration::days(1),
        },
        limit: 1_000,
    };
    assert!(store.claim_due(claim).await.unwrap().is_empty());
    assert_eq!(store.claim_outbox(claim).await.unwrap(), vec![]);
    assert_eq!(store.dead_letters(tenant, 10).await.unwrap(), vec![]);

    // Every notification put in the outbox was delivered at least once.
    let audited: BTreeSet<String> = client
        .query(
            "SELECT tenant, kind, stream, version FROM outbox_audit",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| {
            let kind: i16 = row.get(1);
            let stream =
                aliprotect_core::store::columns::stream_from_parts(i64::from(kind), row.get(2))
                    .unwrap();
            let version: i64 = row.get(3);
            MessageId {
                tenant: TenantId::from_uuid(row.get(0)),
                stream,
                version: version as u64,
            }
            .to_string()
        })
        .collect();
    let mut received = lines(&out, "received-");
    received.extend(collect.0.lock().unwrap().iter().cloned());
    let unique: BTreeSet<String> = received.iter().cloned().collect();
    let missing: Vec<_> = audited.difference(&unique).collect();
    assert!(missing.is_empty(), "never delivered: {missing:?}");
    let unknown: Vec<_> = unique.difference(&audited).collect();
    assert!(
        unknown.is_empty(),
        "delivered but never in the outbox: {unknown:?}"
    );
    eprintln!(
        "{} processes started, {kills} killed; {} commands acknowledged, {} complaints, \
         {check_backs} check-backs fired, {} notifications, {} redeliveries dropped by id",
        fleet.started,
        acks.len(),
        complaints.len(),
        unique.len(),
        received.len() - unique.len()
    );
    let _ = std::fs::remove_dir_all(&out);
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "aliprotect-processes-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
