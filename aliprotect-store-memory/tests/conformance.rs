//! The memory store runs the shared backend conformance suite.

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
