//! Commands per second through the engine on the memory store.
//!
//! The workload mirrors `../shared/bench/cqrs-es-peer` (cqrs-es 0.5 on its MemStore): each
//! complaint goes through file, submit, accept, counter-notice, respond and removal. Our
//! machine needs one command more than the peer's five (a complaint is filed as a draft and
//! then submitted), so the figure to compare is commands per second. Every command here also
//! authorizes its actor, loads the right where the decision needs it, updates the dashboard
//! counters, derives timers and writes notifications to the outbox.
//!
//! `cargo run --release --example bench_engine_memory -- [complaints]` (default 40,000).
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use aliprotect::clock::SystemClock;
use aliprotect::complaint::{ComplaintCommand, ComplaintFiling, ComplaintReason, RemovalCause};
use aliprotect::engine::{Command, Engine, Request};
use aliprotect::ids::{ComplaintId, FilingId, RightId, TenantId};
use aliprotect::listing::Listing;
use aliprotect::notify::DiscardNotifier;
use aliprotect::party::Actor;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store_memory::MemoryStore;
use aliprotect::testkit::engines::approved_right;
use aliprotect::text::Text;

type Bench = Engine<Arc<MemoryStore>, DiscardNotifier, SystemClock>;

const COMMANDS_PER_COMPLAINT: usize = 6;

/// Runs the six commands for complaints `from..to`.
async fn workload(
    engine: Bench,
    tenant: TenantId,
    right: RightId,
    from: usize,
    to: usize,
) -> Result<(), Box<dyn Error + Send + Sync>> {
    let user = aliprotect::testkit::fixtures::holder_user_of(tenant);
    let explanation = Text::new("Counterfeit earbuds bearing our mark")?;
    let counter = Text::new("we own this design")?;
    let answer = Text::new("registration 123")?;
    for i in from..to {
        let id = ComplaintId::new();
        let url = format!("https://www.alibaba.com/product-detail/x_{i}.html");
        let mut filing = ComplaintFiling::new(
            id,
            tenant,
            right,
            Listing::parse(&url)?,
            ComplaintReason::TrademarkCounterfeit,
            explanation.clone(),
        );
        filing.filing = FilingId::from_u128(1);
        let steps = [
            (user, ComplaintCommand::File(Box::new(filing))),
            (user, ComplaintCommand::Submit),
            (Actor::Platform, ComplaintCommand::Accept),
            (
                Actor::Seller,
                ComplaintCommand::ReceiveCounterNotice {
                    statement: counter.clone(),
                    evidence: vec![],
                },
            ),
            (
                user,
                ComplaintCommand::Respond {
                    statement: answer.clone(),
                    evidence: vec![],
                },
            ),
            (
                Actor::Platform,
                ComplaintCommand::RecordRemoval {
                    cause: RemovalCause::PlatformReported,
                },
            ),
        ];
        for (actor, command) in steps {
            engine
                .execute(Request::new(tenant, actor, Command::complaint(id, command)))
                .await?;
        }
    }
    Ok(())
}

fn engine() -> Bench {
    Engine::new(
        Arc::new(MemoryStore::new()),
        DiscardNotifier,
        SystemClock,
        MarketplacePolicy::alibaba_ipp(),
    )
}

fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let complaints: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 40_000,
    };
    let commands = complaints * COMMANDS_PER_COMPLAINT;

    // One task on a current-thread runtime, like the peer.
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let secs = runtime.block_on(async {
        let engine = engine();
        let tenant = TenantId::new();
        let right = approved_right(&engine, tenant).await?;
        let start = Instant::now();
        // A clone: the store, freed with the engine's last handle, is freed after timing
        // (as the peer's is), not as the last command's work.
        workload(engine.clone(), tenant, right, 0, complaints).await?;
        let secs = start.elapsed().as_secs_f64();
        drop(engine);
        Ok::<f64, Box<dyn Error + Send + Sync>>(secs)
    })?;
    println!(
        "engine=aliprotect-memory tasks=1 commands={commands} secs={secs:.3} cps={:.0}",
        commands as f64 / secs
    );

    // Two tasks on two worker threads, each on its own half of the complaints.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()?;
    let secs = runtime.block_on(async {
        let engine = engine();
        let tenant = TenantId::new();
        let right = approved_right(&engine, tenant).await?;
        let start = Instant::now();
        let half = complaints / 2;
        let a = tokio::spawn(workload(engine.clone(), tenant, right, 0, half));
        let b = tokio::spawn(workload(engine.clone(), tenant, right, half, complaints));
        a.await??;
        b.await??;
        let secs = start.elapsed().as_secs_f64();
        drop(engine);
        Ok::<f64, Box<dyn Error + Send + Sync>>(secs)
    })?;
    println!(
        "engine=aliprotect-memory tasks=2 commands={commands} secs={secs:.3} cps={:.0}",
        commands as f64 / secs
    );
    Ok(())
}
