//! The memory store runs the shared backend conformance suite.

use std::sync::Arc;

use aliprotect_core::testkit::conformance;
use aliprotect_store_memory::MemoryStore;

#[tokio::test]
async fn memory_store_passes_the_conformance_suite() {
    aliprotect_core::testkit::conformance::run_all(|| async { MemoryStore::new() }).await;
}

#[tokio::test]
async fn every_check_also_runs_on_one_shared_store() {
    // Checks use fresh tenants and ids, so they must pass on a store that is not empty.
    let store = std::sync::Arc::new(MemoryStore::new());
    aliprotect_core::testkit::conformance::run_all(|| async { store.clone() }).await;
}

#[tokio::test]
async fn two_handles_of_one_store_see_each_others_commits() {
    let store = Arc::new(MemoryStore::new());
    let other = Arc::clone(&store);
    conformance::two_handles(&store, &other).await;
}

#[tokio::test]
async fn two_engines_on_one_store_decide_on_current_state() {
    let store = Arc::new(MemoryStore::new());
    conformance::two_engines_on_two_handles(Arc::clone(&store), store).await;
}
