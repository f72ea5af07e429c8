//! One engine process of the several-processes test (`tests/processes.rs`). On a shared
//! PostgreSQL database it runs random commands on shared complaints, files new ones, and
//! ticks and dispatches in the background (woken by the other processes' commits), until
//! it is killed. Its clock runs `SPEED` times faster than real time from `ORIGIN`, so that
//! deadlines and check-backs fall due within seconds.
//!
//! Each command the engine acknowledged is appended to `OUT/acks-NAME.log` as
//! `key stream version`, after the engine returned; each notification delivered to
//! `OUT/received-NAME.log` as its message id.
//!
//! ```text
//! engine_process URL TENANT RIGHT COMPLAINTS_FILE OUT NAME ORIGIN_SIM_MICROS ORIGIN_REAL_MICROS SPEED
//! ```

use std::error::Error;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, SystemTime, UNIX_EPOCH};

use aliprotect_core::clock::Clock;
use aliprotect_core::complaint::{ComplaintCommand, RemovalCause};
use aliprotect_core::engine::{Command, Engine, EngineConfig, EngineError, Request};
use aliprotect_core::ids::{ComplaintId, RightId, TenantId, UserId};
use aliprotect_core::notify::{MessageId, Notification, Notifier, NotifyError};
use aliprotect_core::party::Actor;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::store::IdempotencyKey;
use aliprotect_core::testkit::fixtures;
use aliprotect_store_postgres::PostgresStore;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

type Failure = Box<dyn Error + Send + Sync>;

/// Real time, sped up: `origin_sim + (real now - origin_real) x speed`.
struct FastClock {
    origin_sim: DateTime<Utc>,
    origin_real_micros: i64,
    speed: i64,
}

impl Clock for FastClock {
    fn now(&self) -> DateTime<Utc> {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        let elapsed = (real - self.origin_real_micros).max(0);
        self.origin_sim + Duration::microseconds(elapsed.saturating_mul(self.speed))
    }
}

/// Appends one line per delivery (one `write(2)` of a short line), then takes a few
/// milliseconds to answer, as a receiver across a network would: a kill in that window
/// leaves a delivered message unacknowledged, to be delivered again.
#[derive(Clone)]
struct FileReceiver(Arc<Mutex<File>>);

#[async_trait]
impl Notifier for FileReceiver {
    async fn send(&self, id: &MessageId, _: &Notification) -> Result<(), NotifyError> {
        {
            let mut file = self
                .0
                .lock()
                .map_err(|_| NotifyError::temporary("poisoned"))?;
            file.write_all(format!("{id}\n").as_bytes())
                .map_err(|e| NotifyError::temporary(e.to_string()))?;
        }
        tokio::time::sleep(StdDuration::from_millis(5)).await;
        Ok(())
    }
}

/// xorshift64*: enough randomness to pick commands, no dependency.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

fn append(path: PathBuf) -> Result<File, Failure> {
    Ok(OpenOptions::new().create(true).append(true).open(path)?)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [
        url,
        tenant,
        right,
        complaints,
        out,
        name,
        origin_sim,
        origin_real,
        speed,
    ] = args.as_slice()
    else {
        return Err(
            "usage: engine_process URL TENANT RIGHT COMPLAINTS_FILE OUT NAME \
                    ORIGIN_SIM_MICROS ORIGIN_REAL_MICROS SPEED"
                .into(),
        );
    };
    let tenant: TenantId = tenant.parse()?;
    let right: RightId = right.parse()?;
    let shared: Vec<ComplaintId> = std::fs::read_to_string(complaints)?
        .lines()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let out = PathBuf::from(out);
    let clock = FastClock {
        origin_sim: DateTime::from_timestamp_micros(origin_sim.parse()?).ok_or("origin")?,
        origin_real_micros: origin_real.parse()?,
        speed: speed.parse()?,
    };
    let mut acks = append(out.join(format!("acks-{name}.log")))?;
    let receiver = FileReceiver(Arc::new(Mutex::new(append(
        out.join(format!("received-{name}.log")),
    )?)));

    let store = PostgresStore::connect(url).await?;
    let wake = store.wake_ups();
    let mut config = EngineConfig::default();
    // Leases in the sped-up clock's time: 20 days are 20 real seconds at 86400x.
    config.claim_lease = Duration::days(20);
    config.outbox_lease = Duration::days(20);
    let engine = Engine::builder(store, receiver, clock)
        .config(config)
        .build(MarketplacePolicy::alibaba_ipp());
    let _worker = engine
        .jobs()
        .spawn_worker(StdDuration::from_millis(200), Some(wake));

    let holder = Actor::HolderUser {
        tenant,
        user: UserId::from_u128(1),
    };
    let seed = u64::from(std::process::id())
        ^ (SystemTime::now()
            .elapsed()
            .map_or(7, |d| d.as_nanos() as u64)
            | 1);
    let mut random = Random(seed | 1);
    let mut own: Vec<ComplaintId> = Vec::new();
    for n in 0u64.. {
        let key = IdempotencyKey::new(format!("{name}-{n}"))?;
        let request = if n % 8 == 0 {
            let id = ComplaintId::new();
            // A listing of its own, from the id's random bits: one open complaint per
            // listing holds across processes, and a product drawn from a small range by
            // several processes would meet another's open complaint now and then.
            let product = 1_000_000 + (id.as_uuid().as_u128() % 1_000_000_000_000) as u64;
            let mut filing = fixtures::complaint_filing(0, product);
            filing.id = id;
            filing.tenant = tenant;
            filing.right = right;
            own.push(id);
            Request::new(
                tenant,
                holder,
                Command::complaint(id, ComplaintCommand::File(Box::new(filing))),
            )
        } else {
            let pool = if own.is_empty() || random.below(3) > 0 {
                &shared
            } else {
                &own
            };
            let id = pool[random.below(pool.len())];
            let (actor, command) = match random.below(7) {
                0 => (holder, ComplaintCommand::Submit),
                1 => (Actor::Platform, ComplaintCommand::Accept),
                2 => (
                    Actor::Seller,
                    ComplaintCommand::ReceiveCounterNotice {
                        statement: fixtures::text("We are an authorised reseller."),
                        evidence: vec![],
                    },
                ),
                3 => (
                    holder,
                    ComplaintCommand::Respond {
                        statement: fixtures::text("No licence was ever granted."),
                        evidence: vec![],
                    },
                ),
                4 => (
                    Actor::Platform,
                    ComplaintCommand::RecordRemoval {
                        cause: RemovalCause::PlatformReported,
                    },
                ),
                5 => (
                    Actor::Platform,
                    ComplaintCommand::ReportUnableToProcess {
                        reason: fixtures::text("The evidence does not show the mark."),
                    },
                ),
                _ => (Actor::Platform, ComplaintCommand::PlatformRestores),
            };
            Request::new(tenant, actor, Command::complaint(id, command))
        };
        match engine.execute(request.idempotent(key.clone())).await {
            Ok(receipt) => {
                // Written only once the engine acknowledged: the test checks each line.
                acks.write_all(
                    format!("{} {} {}\n", key.as_str(), receipt.stream, receipt.version).as_bytes(),
                )?;
            }
            Err(error) if error.is_refusal() => {}
            Err(EngineError::Conflict { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}
