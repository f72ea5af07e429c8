//! The PostgreSQL store runs the shared backend conformance suite on a throwaway cluster
//! (or the server of `ALIPROTECT_TEST_DATABASE_URL`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::sync::Arc;

use aliprotect_core::testkit::conformance;
use aliprotect_store_postgres::test_server::TestServer;
use aliprotect_store_postgres::{PostgresOptions, PostgresStore, WakeUps};

mod support;
use support::{installed, server};

async fn fresh_store() -> PostgresStore {
    let url = server().create_database().await.unwrap();
    PostgresStore::connect(&url).await.unwrap()
}

/// Two stores connected to one new database, as two processes would connect, each with its
/// own snapshot cache.
async fn two_handles_on_a_fresh_database() -> (PostgresStore, PostgresStore) {
    let url = server().create_database().await.unwrap();
    let first = PostgresStore::connect(&url).await.unwrap();
    let second = PostgresStore::connect(&url).await.unwrap();
    (first, second)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_database_per_check_passes_the_conformance_suite() {
    let Some(_) = installed() else { return };
    conformance::run_all(fresh_store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shared_database_passes_the_conformance_suite() {
    let Some(_) = installed() else { return };
    let store = Arc::new(fresh_store().await);
    conformance::run_all(|| async { store.clone() }).await;
}

/// Two stores on one database, as two processes would connect, each with its own cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_on_one_database_see_each_others_commits() {
    let Some(_) = installed() else { return };
    let (first, second) = two_handles_on_a_fresh_database().await;
    conformance::two_handles(&first, &second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_on_two_handles_decide_on_current_state() {
    let Some(_) = installed() else { return };
    let (first, second) = two_handles_on_a_fresh_database().await;
    conformance::two_engines_on_two_handles(first, second).await;
}

/// LISTEN/NOTIFY: an idle worker on one store is woken by a commit through another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_worker_is_woken_by_another_stores_commit() {
    let Some(_) = installed() else { return };
    let (first, second) = two_handles_on_a_fresh_database().await;
    let wake = first.wake_ups();
    conformance::wake_ups_reach_idle_workers(first, second, wake).await;
}

/// Poll-only mode (for poolers in transaction mode): no LISTEN, no NOTIFY, and the suite
/// still passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_only_mode_passes_the_conformance_suite() {
    let Some(_) = installed() else { return };
    let url = server().create_database().await.unwrap();
    let mut options = PostgresOptions::default();
    options.wake_ups = WakeUps::PollOnly;
    let store = Arc::new(PostgresStore::connect_with(&url, options).await.unwrap());
    conformance::run_all(|| async { store.clone() }).await;
}

/// Engines on two stores of one database (as two processes connect) file against the same
/// listings at once: each listing ends with one open complaint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engines_on_two_handles_leave_one_open_complaint_per_listing() {
    let Some(_) = installed() else { return };
    let (first, second) = two_handles_on_a_fresh_database().await;
    conformance::one_open_complaint_per_listing(vec![first, second]).await;
}

/// The suite checks pending timers only where a store keeps them: this one must.
#[tokio::test]
async fn keeps_its_timers_in_due_order() {
    let Some(_) = installed() else { return };
    use aliprotect_core::store::{Schedule, TimerPage};
    let store = fresh_store().await;
    let first = TimerPage::first(1);
    let page = store.pending_timers(aliprotect_core::ids::TenantId::new(), &first);
    assert_eq!(page.await.unwrap(), Some(Vec::new()));
}

/// A database copied into another keeps every kind of row (the copy's checks), and the
/// copy goes between PostgreSQL and memory both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_copies_into_another_and_to_and_from_memory() {
    let Some(_) = installed() else { return };
    conformance::transfer_round_trip(&fresh_store().await, &fresh_store().await).await;
    let memory = aliprotect_store_memory::MemoryStore::new();
    conformance::transfer_round_trip(&memory, &fresh_store().await).await;
    let memory = aliprotect_store_memory::MemoryStore::new();
    conformance::transfer_round_trip(&fresh_store().await, &memory).await;
}

/// Streams whose events the server reads back by a sort rather than an index (many of
/// them, two commits each, the table analysed) are exported with their events in version
/// order: a copy once took them in the order the sort left them, and the copy was refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_reads_each_streams_events_in_order_however_the_server_scans() {
    use std::ops::ControlFlow;

    use aliprotect_core::clock::SystemClock;
    use aliprotect_core::complaint::ComplaintCommand;
    use aliprotect_core::engine::{Command, Engine, Request};
    use aliprotect_core::ids::{ComplaintId, TenantId};
    use aliprotect_core::notify::DiscardNotifier;
    use aliprotect_core::policy::MarketplacePolicy;
    use aliprotect_core::store::{CopyOptions, copy_store, verify_copy};
    use aliprotect_core::testkit::{engines, fixtures};

    let Some(_) = installed() else { return };
    let url = server().create_database().await.unwrap();
    let store = PostgresStore::connect(&url).await.unwrap();
    let engine = Engine::new(
        store.clone(),
        DiscardNotifier,
        SystemClock,
        MarketplacePolicy::alibaba_ipp(),
    );
    let tenant = TenantId::new();
    let right = engines::approved_right(&engine, tenant).await.unwrap();
    let user = fixtures::holder_user_of(tenant);
    let ids: Vec<ComplaintId> = (0..1500).map(|_| ComplaintId::new()).collect();
    let files = ids.iter().zip(0u64..).map(|(id, n)| {
        let filing = fixtures::complaint_filing_on(tenant, right, *id, 7_000 + n);
        let command = Command::complaint(*id, ComplaintCommand::File(Box::new(filing)));
        Request::new(tenant, user, command)
    });
    for result in engine.execute_batch(files.collect()).await {
        result.unwrap();
    }
    let submits = ids.iter().map(|id| {
        Request::new(
            tenant,
            user,
            Command::complaint(*id, ComplaintCommand::Submit),
        )
    });
    for result in engine.execute_batch(submits.collect()).await {
        result.unwrap();
    }
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client.batch_execute("ANALYZE").await.unwrap();
    let copy = aliprotect_store_memory::MemoryStore::new();
    let options = CopyOptions::default();
    let copied = copy_store(&store, &copy, &options, &mut |_| ControlFlow::Continue(()))
        .await
        .unwrap();
    assert!(copied.finished);
    assert_eq!(
        copied.progress.imported.imported, 1502,
        "the right, the complaints and the policy"
    );
    let check = verify_copy(&store, &copy, &options).await.unwrap();
    assert!(check.is_ok(), "{:?}", check.problems);
}
