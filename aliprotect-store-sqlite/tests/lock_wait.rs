//! A commit made while another process holds the database's write lock waits for it on the
//! store's writer thread, never on the caller's: a runtime with one thread keeps running.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::mpsc;
use std::time::{Duration, Instant};

use aliprotect_core::ids::ComplaintId;
use aliprotect_core::store::prelude::*;
use aliprotect_core::testkit::fixtures;
use aliprotect_store_sqlite::SqliteStore;

#[tokio::test(flavor = "current_thread")]
async fn a_commit_waits_for_another_process_lock_without_holding_the_callers_thread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locked.db");
    let store = SqliteStore::open(&path).unwrap();
    let tenant = fixtures::tenant();
    let warm = fixtures::filed_commit(tenant, 1, ComplaintId::new());
    store.commit(warm).await.unwrap();

    // Another process's connection, as SQLite sees it: it takes the write lock and keeps it.
    let (locked, is_locked) = mpsc::channel();
    let other = std::thread::spawn({
        let path = path.clone();
        move || {
            let connection = rusqlite::Connection::open(&path).unwrap();
            connection.execute_batch("BEGIN IMMEDIATE").unwrap();
            locked.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(400));
            connection.execute_batch("COMMIT").unwrap();
        }
    });
    is_locked.recv().unwrap();

    let started = Instant::now();
    let commit = fixtures::filed_commit(tenant, 2, ComplaintId::new());
    let stream = commit.stream;
    let waiting = tokio::spawn({
        let store = store.clone();
        async move { store.commit(commit).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let woke = started.elapsed();
    assert!(
        woke < Duration::from_millis(300),
        "the runtime's one thread was held for {woke:?} by a commit waiting on the lock"
    );
    waiting
        .await
        .unwrap()
        .expect("committed once the lock was free");
    other.join().unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(350),
        "it did wait"
    );
    assert!(store.load(tenant, stream).await.unwrap().is_some());
}
