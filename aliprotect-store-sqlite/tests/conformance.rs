//! The SQLite store runs the shared backend conformance suite, on files and in memory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use aliprotect_core::testkit::conformance;
use aliprotect_store_sqlite::{SqliteOptions, SqliteStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_store_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    conformance::run_all(|| async {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        SqliteStore::open(dir.path().join(format!("store-{n}.sqlite"))).unwrap()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_store_without_cache_passes_on_one_shared_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = SqliteOptions::default();
    options.cache_capacity = 0;
    let store =
        Arc::new(SqliteStore::open_with(dir.path().join("shared.sqlite"), options).unwrap());
    conformance::run_all(|| async { store.clone() }).await;
}

/// Two handles on a new file `name`, as two processes would open it, each with its own
/// snapshot cache (the file's directory lives as long as the returned guard).
fn two_handles_on_a_new_file(name: &str) -> (tempfile::TempDir, SqliteStore, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let first = SqliteStore::open(&path).unwrap();
    let second = SqliteStore::open(&path).unwrap();
    (dir, first, second)
}

#[tokio::test]
async fn an_in_memory_store_passes_the_conformance_suite() {
    conformance::run_all(|| async { SqliteStore::in_memory().unwrap() }).await;
}

/// Two handles on one file, as two processes would open it, each with its own snapshot
/// cache: a load through either reflects every commit that returned before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_on_one_file_see_each_others_commits() {
    let (_dir, first, second) = two_handles_on_a_new_file("two-handles.sqlite");
    conformance::two_handles(&first, &second).await;
}

/// Two engines on two handles of one file take turns on a complaint: neither decides on a
/// snapshot its cache kept from before the other's commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_on_two_handles_of_one_file_decide_on_current_state() {
    let (_dir, first, second) = two_handles_on_a_new_file("two-engines.sqlite");
    conformance::two_engines_on_two_handles(first, second).await;
}

/// Engines on two handles of one file (as two processes would open it) file against the
/// same listings at once: each listing ends with one open complaint, its unique key held in
/// the file, not in either handle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engines_on_two_handles_of_one_file_leave_one_open_complaint_per_listing() {
    let (_dir, first, second) = two_handles_on_a_new_file("one-open.sqlite");
    conformance::one_open_complaint_per_listing(vec![first, second]).await;
}

/// The suite checks pending timers only where a store keeps them: this one must.
#[tokio::test]
async fn keeps_its_timers_in_due_order() {
    use aliprotect_core::store::{Schedule, TimerPage};
    let store = SqliteStore::in_memory().unwrap();
    let first = TimerPage::first(1);
    let page = store.pending_timers(aliprotect_core::ids::TenantId::new(), &first);
    assert_eq!(page.await.unwrap(), Some(Vec::new()));
}

/// A file copied into another file keeps every kind of row (the copy's checks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_store_copies_into_another_file() {
    let dir = tempfile::tempdir().unwrap();
    let from = SqliteStore::open(dir.path().join("from.sqlite")).unwrap();
    let to = SqliteStore::open(dir.path().join("to.sqlite")).unwrap();
    conformance::transfer_round_trip(&from, &to).await;
}

/// From memory into a file and from a file into memory: the backends agree on what a copy
/// is (the same checks, each way).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_go_between_memory_and_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = SqliteStore::open(dir.path().join("to.sqlite")).unwrap();
    conformance::transfer_round_trip(&aliprotect_store_memory::MemoryStore::new(), &file).await;
    let file = SqliteStore::open(dir.path().join("from.sqlite")).unwrap();
    conformance::transfer_round_trip(&file, &SqliteStore::in_memory().unwrap()).await;
}
