//! A kind of stream that exists only in this file goes through the three stores and the
//! conformance suite: no store crate knows it, so none had to change for it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use aliprotect::backend::{ExtensionKind, ExtensionStream, IndexKey, IndexName};
use aliprotect::store_memory::MemoryStore;
use aliprotect::store_sqlite::SqliteStore;
use aliprotect::testkit::conformance::any_stream_kind;
use aliprotect_store_postgres::PostgresStore;
use aliprotect_store_postgres::test_server::TestServer;
use serde::{Deserialize, Serialize};

/// A saved keyword search on a marketplace: what a sweep of the whack-a-mole issue might
/// keep, defined here and nowhere else.
struct Watch;

#[derive(Serialize, Deserialize)]
struct WatchState {
    keyword: String,
    marketplace: String,
    state: WatchStatus,
    found: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Copy)]
enum WatchStatus {
    Active,
    Paused,
    Retired,
}

impl ExtensionStream for Watch {
    const KIND: ExtensionKind = ExtensionKind::new(131);
    type State = WatchState;

    fn status(state: &WatchState) -> u8 {
        state.state as u8
    }

    fn index_keys(state: &WatchState) -> Vec<IndexKey> {
        vec![
            IndexKey::new(IndexName::new("keyword"), state.keyword.clone()),
            IndexKey::new(IndexName::new("marketplace"), state.marketplace.clone()),
        ]
    }
}

/// Watches over four keywords and two marketplaces, in every status, with hostile text.
fn watch(n: u32) -> WatchState {
    WatchState {
        keyword: [
            "earbuds",
            "sneakers",
            "<script>alert(1)</script>",
            "耳机 'x'",
        ][n as usize % 4]
            .to_owned(),
        marketplace: ["alibaba.com", "1688.com"][n as usize % 2].to_owned(),
        state: [
            WatchStatus::Active,
            WatchStatus::Paused,
            WatchStatus::Retired,
        ][n as usize % 3],
        found: (0..n).map(|i| format!("listing {i}")).collect(),
    }
}

#[tokio::test]
async fn a_kind_unknown_to_the_memory_store() {
    any_stream_kind::<Watch>(&MemoryStore::new(), watch).await;
}

#[tokio::test]
async fn a_kind_unknown_to_the_sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("store.db")).unwrap();
    any_stream_kind::<Watch>(&store, watch).await;
    drop(store);
    // Opening a file checks and migrates what it holds: streams of unknown kinds included.
    let reopened = SqliteStore::open(dir.path().join("store.db")).unwrap();
    any_stream_kind::<Watch>(&reopened, watch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_unknown_to_the_postgres_store() {
    let server = TestServer::start_unless_missing();
    let Some(server) = server.unwrap_or_else(|e| panic!("no PostgreSQL to test on: {e}")) else {
        eprintln!("skipped: no PostgreSQL server binaries on this machine");
        return;
    };
    let url = server.create_database().await.unwrap();
    let store = PostgresStore::connect(&url).await.unwrap();
    any_stream_kind::<Watch>(&store, watch).await;
}
