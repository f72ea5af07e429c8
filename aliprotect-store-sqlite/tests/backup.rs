//! A backup of a live file: taken while an engine writes, it opens, holds every command
//! acknowledged before it began, and its read model equals a replay of its events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aliprotect_core::clock::SystemClock;
use aliprotect_core::engine::Engine;
use aliprotect_core::ids::{ComplaintId, TenantId};
use aliprotect_core::notify::DiscardNotifier;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::store::{
    CopyOptions, CountQuery, ReadModel, StreamKind, count_streams, verify_copy,
};
use aliprotect_core::testkit::{engines, fixtures};
use aliprotect_store_sqlite::{BackupError, SqliteStore};

/// Complaints filed (and walked through their life) by the writer, acknowledged.
async fn complaints(store: &SqliteStore, tenant: TenantId) -> u64 {
    let counts = store
        .count(tenant, &CountQuery::of(StreamKind::Complaint))
        .await
        .unwrap();
    counts.iter().map(|c| c.count).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_writes_opens_and_equals_a_replay() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("live.sqlite")).unwrap();
    let engine = Arc::new(Engine::new(
        store.clone(),
        DiscardNotifier,
        SystemClock,
        MarketplacePolicy::alibaba_ipp(),
    ));
    let tenant = TenantId::new();
    let right = engines::approved_right(&*engine, tenant).await.unwrap();
    let acknowledged = Arc::new(AtomicU64::new(0));
    let writer = {
        let (engine, acknowledged) = (Arc::clone(&engine), Arc::clone(&acknowledged));
        tokio::spawn(async move {
            for product in 0..120u64 {
                let filing = fixtures::complaint_filing_on(
                    tenant,
                    right,
                    ComplaintId::new(),
                    9_000 + product,
                );
                engines::live_through(&*engine, tenant, filing)
                    .await
                    .unwrap();
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    while acknowledged.load(Ordering::SeqCst) < 30 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let before = acknowledged.load(Ordering::SeqCst);
    let path = dir.path().join("backup.sqlite");
    store.backup_to(&path).await.unwrap();
    let during = acknowledged.load(Ordering::SeqCst);
    writer.await.unwrap();
    assert!(during < 120, "the backup was taken while the engine wrote");

    let backup = SqliteStore::open(&path).unwrap();
    let kept = complaints(&backup, tenant).await;
    assert!(
        (before..=during + 1).contains(&kept),
        "every complaint acknowledged before the backup is in it: {before} <= {kept} <= {during}+1"
    );
    assert_eq!(complaints(&store, tenant).await, 120);
    // The backup against itself: every snapshot, counter and tally equals a replay.
    let check = verify_copy(&backup, &backup, &CopyOptions::default())
        .await
        .unwrap();
    assert!(check.is_ok(), "{:?}", check.problems);
    assert!(
        count_streams(&backup).await.unwrap() > kept,
        "the right and the complaints"
    );

    // Never over a file, never from memory.
    let again = store.backup_to(&path).await;
    assert!(matches!(again, Err(BackupError::Exists(_))), "{again:?}");
    assert_eq!(
        complaints(&SqliteStore::open(&path).unwrap(), tenant).await,
        kept
    );
    let memory = SqliteStore::in_memory().unwrap();
    let refused = memory.backup_to(dir.path().join("memory.sqlite")).await;
    assert!(matches!(refused, Err(BackupError::InMemory)), "{refused:?}");
}
