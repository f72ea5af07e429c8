//! Two engines on one database (as two processes would be) run the same sweep and confirm
//! the same candidates at the same time: every listing is one candidate and one complaint,
//! because the store's version check and unique keys decide, not a read before the write.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::collections::HashSet;

use aliprotect_core::clock::SystemClock;
use aliprotect_core::complaint::ComplaintReason;
use aliprotect_core::engine::{ComplaintQuery, Engine};
use aliprotect_core::intake::IntakeFormat;
use aliprotect_core::marketplace::Marketplace;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::store::Store;
use aliprotect_core::testkit::engines::{self, RecordingNotifier};
use aliprotect_core::testkit::fixtures;
use aliprotect_store_postgres::PostgresStore;
use aliprotect_store_postgres::test_server::TestServer;
use aliprotect_store_sqlite::SqliteStore;
use aliprotect_sweep::{CandidateQuery, CandidateStatus, FileSearch, SweepSpec, Sweeps};

const LISTINGS: u64 = 300;

fn engine<S: Store>(store: S) -> Engine<S, RecordingNotifier, SystemClock> {
    Engine::new(
        store,
        RecordingNotifier::default(),
        SystemClock,
        MarketplacePolicy::alibaba_ipp(),
    )
}

async fn race<S: Store>(a: S, b: S) {
    let (a, b) = (engine(a), engine(b));
    let tenant = fixtures::tenant();
    let holder = fixtures::holder_user_of(tenant);
    let right = engines::approved_right(&a, tenant).await.unwrap();
    let export: String = std::iter::once("url,title,seller\n".to_owned())
        .chain((0..LISTINGS).map(|n| {
            format!(
                "https://www.alibaba.com/product-detail/Earbuds_{}.html,Earbuds {n},Seller {n}\n",
                1_600_000_000 + n
            )
        }))
        .collect();
    let search = FileSearch::read(IntakeFormat::Csv, export.as_bytes());
    let (on_a, on_b) = (Sweeps::new(&a), Sweeps::new(&b));
    let sweep = on_a
        .add(
            tenant,
            holder,
            SweepSpec {
                name: "race".into(),
                keywords: vec!["earbuds".into()],
                marketplace: Marketplace::AlibabaCom,
                right,
                campaign: None,
                reason: ComplaintReason::TrademarkCounterfeit,
                explanation: fixtures::text("Counterfeit"),
                every_hours: 1,
                page_budget: 10,
            },
        )
        .await
        .unwrap();

    let (run_a, run_b) = tokio::join!(
        on_a.run(tenant, holder, sweep.id, &search),
        on_b.run(tenant, holder, sweep.id, &search)
    );
    let (run_a, run_b) = (run_a.unwrap(), run_b.unwrap());
    assert_eq!(
        run_a.to_review + run_b.to_review,
        LISTINGS as u32,
        "{run_a:?} {run_b:?}"
    );
    assert_eq!(
        run_a.known + run_b.known,
        LISTINGS as u32,
        "{run_a:?} {run_b:?}"
    );
    assert_eq!(on_b.sweep(tenant, sweep.id).await.unwrap().runs, 2);
    let queue = on_b
        .candidates(tenant, &CandidateQuery::all())
        .await
        .unwrap();
    assert_eq!(queue.len(), LISTINGS as usize);

    let ids: Vec<_> = queue.iter().map(|candidate| candidate.id).collect();
    let (by_a, by_b) = tokio::join!(
        on_a.confirm(tenant, holder, &ids),
        on_b.confirm(tenant, holder, &ids)
    );
    let (by_a, by_b) = (by_a.unwrap(), by_b.unwrap());
    for ((id, a), (_, b)) in by_a.iter().zip(&by_b) {
        assert!(
            a.is_ok() != b.is_ok(),
            "{id}: confirmed once, by one engine: {a:?} {b:?}"
        );
    }
    let complaints = a
        .read()
        .complaints(tenant, &ComplaintQuery::first(10 * LISTINGS as usize))
        .await
        .unwrap();
    assert_eq!(
        complaints.len(),
        LISTINGS as usize,
        "one complaint per listing"
    );
    let filed: HashSet<_> = complaints.iter().map(|c| c.id()).collect();
    for candidate in on_a
        .candidates(tenant, &CandidateQuery::all())
        .await
        .unwrap()
    {
        let CandidateStatus::Confirmed { complaint } = candidate.status else {
            panic!("{:?}", candidate.status)
        };
        assert!(
            filed.contains(&complaint),
            "confirmed with the complaint that exists"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_on_one_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let a = SqliteStore::open(&path).unwrap();
    let b = SqliteStore::open(&path).unwrap();
    race(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_on_one_postgres_database() {
    let server = TestServer::start_unless_missing();
    let Some(server) = server.unwrap_or_else(|e| panic!("no PostgreSQL to test on: {e}")) else {
        eprintln!("skipped: no PostgreSQL server binaries on this machine");
        return;
    };
    let url = server.create_database().await.unwrap();
    let a = PostgresStore::connect(&url).await.unwrap();
    let b = PostgresStore::connect(&url).await.unwrap();
    race(a, b).await;
}
