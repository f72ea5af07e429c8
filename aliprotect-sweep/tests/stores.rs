//! The streams of this crate go through every store of the workspace, and a third party's
//! through the conformance suite, without a store crate knowing them: each kind is only
//! codes, keys and JSON to a backend.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::collections::BTreeMap;

use aliprotect_core::complaint::ComplaintReason;
use aliprotect_core::ids::{ComplaintId, RightId, TenantId};
use aliprotect_core::listing::{Listing, ListingDetails};
use aliprotect_core::marketplace::Marketplace;
use aliprotect_core::store::Store;
use aliprotect_core::testkit::conformance::any_stream_kind;
use aliprotect_core::testkit::fixtures;
use aliprotect_store_memory::MemoryStore;
use aliprotect_store_postgres::PostgresStore;
use aliprotect_store_postgres::test_server::TestServer;
use aliprotect_store_sqlite::SqliteStore;
use aliprotect_sweep::{
    AuthorisedSeller, AuthorisedSellers, AuthorisedSellersStream, Candidate, CandidateId,
    CandidateStatus, CandidateStream, Sweep, SweepId, SweepRun, SweepSpec, SweepStatus,
    SweepStream,
};
use uuid::Uuid;

fn sweep(n: u32) -> Sweep {
    Sweep {
        id: SweepId::from_uuid(Uuid::from_u128(u128::from(n) + 1)),
        tenant: fixtures::tenant(),
        spec: SweepSpec {
            name: format!("sweep {n} <script>"),
            keywords: vec!["acme earbuds".into(), "耳机 'x'".into()],
            marketplace: Marketplace::AlibabaCom,
            right: RightId::from_u128(u128::from(n % 3)),
            campaign: None,
            reason: ComplaintReason::TrademarkCounterfeit,
            explanation: fixtures::text("Counterfeit"),
            every_hours: 24,
            page_budget: 5,
        },
        status: if n.is_multiple_of(2) {
            SweepStatus::Active
        } else {
            SweepStatus::Paused
        },
        created_at: fixtures::now(),
        runs: n,
        last_run: (n > 0).then(|| SweepRun {
            started: fixtures::now(),
            found: n,
            stopped: vec!["page 2: shape".into()],
            ..SweepRun::default()
        }),
        next_run: fixtures::now(),
    }
}

fn candidate(n: u32) -> Candidate {
    let listing = Listing::parse(&format!(
        "https://www.alibaba.com/product-detail/Earbuds_{}.html",
        1_600_000_000 + u64::from(n)
    ))
    .unwrap();
    let right = RightId::from_u128(1);
    Candidate {
        id: CandidateId::of(fixtures::tenant(), right, &listing.key),
        tenant: fixtures::tenant(),
        sweep: SweepId::from_uuid(Uuid::from_u128(u128::from(n % 2) + 1)),
        right,
        keyword: "acme".into(),
        listing,
        details: ListingDetails {
            title: Some(format!("Earbuds {n} <b>")),
            ..ListingDetails::default()
        },
        found_at: fixtures::now(),
        status: match n % 5 {
            0 => CandidateStatus::ToReview,
            1 => CandidateStatus::Relisting {
                previous: ComplaintId::from_u128(9),
            },
            2 => CandidateStatus::Confirmed {
                complaint: ComplaintId::from_u128(u128::from(n)),
            },
            3 => CandidateStatus::Dismissed {
                reason: fixtures::text("parody"),
            },
            _ => CandidateStatus::Allowed {
                seller: "ACME Official".into(),
            },
        },
        updated_at: fixtures::now(),
    }
}

fn sellers(n: u32) -> AuthorisedSellers {
    AuthorisedSellers {
        tenant: fixtures::tenant(),
        right: RightId::from_u128(u128::from(n)),
        sellers: (0..n)
            .map(|i| {
                (
                    format!("seller {i}"),
                    AuthorisedSeller {
                        seller: format!("Seller {i}"),
                        note: None,
                        since: fixtures::now(),
                    },
                )
            })
            .collect::<BTreeMap<_, _>>(),
    }
}

async fn every_kind(store: &dyn Store) {
    any_stream_kind::<SweepStream>(store, sweep).await;
    any_stream_kind::<CandidateStream>(store, candidate).await;
    any_stream_kind::<AuthorisedSellersStream>(store, sellers).await;
}

#[tokio::test]
async fn sweeps_and_candidates_on_the_memory_store() {
    every_kind(&MemoryStore::new()).await;
}

#[tokio::test]
async fn sweeps_and_candidates_on_the_sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    every_kind(&SqliteStore::open(dir.path().join("store.db")).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweeps_and_candidates_on_the_postgres_store() {
    let server = TestServer::start_unless_missing();
    let Some(server) = server.unwrap_or_else(|e| panic!("no PostgreSQL to test on: {e}")) else {
        eprintln!("skipped: no PostgreSQL server binaries on this machine");
        return;
    };
    let url = server.create_database().await.unwrap();
    every_kind(&PostgresStore::connect(&url).await.unwrap()).await;
}

#[test]
fn a_candidate_id_is_its_tenant_right_and_listing() {
    let listing =
        Listing::parse("https://www.alibaba.com/product-detail/x_1600000000001.html").unwrap();
    let (tenant, right) = (TenantId::new(), RightId::new());
    let id = CandidateId::of(tenant, right, &listing.key);
    assert_eq!(id, CandidateId::of(tenant, right, &listing.key));
    assert_ne!(id, CandidateId::of(TenantId::new(), right, &listing.key));
    assert_ne!(id, CandidateId::of(tenant, RightId::new(), &listing.key));
    let other =
        Listing::parse("https://www.alibaba.com/product-detail/x_1600000000002.html").unwrap();
    assert_ne!(id, CandidateId::of(tenant, right, &other.key));
}
