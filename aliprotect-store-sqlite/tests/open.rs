//! Opening files: persistence across reopen, and a clear typed error (never a panic) for a
//! file from a newer build, a file that is not SQLite, a missing or read-only directory, and a
//! corrupt row.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use aliprotect_core::store::prelude::*;
use aliprotect_core::store::{Commit, StoreError};
use aliprotect_core::testkit::fixtures;
use aliprotect_store_sqlite::{OpenError, SCHEMA_VERSION, SqliteStore};

fn filed_commit() -> Commit {
    filed_commit_on(77, aliprotect_core::ids::ComplaintId::from_u128(1))
}

/// Complaint `id` filed against the listing of product `product`.
fn filed_commit_on(product: u64, id: aliprotect_core::ids::ComplaintId) -> Commit {
    fixtures::filed_commit(fixtures::tenant(), product, id)
}

/// A new store file `name` (in a directory that lives as long as the returned guard),
/// closed again after `commit` was committed to it.
async fn closed_file_holding(name: &str, commit: &Commit) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let store = SqliteStore::open(&path).unwrap();
    store.commit(commit.clone()).await.unwrap();
    drop(store);
    (dir, path)
}

#[tokio::test]
async fn commits_survive_closing_and_reopening() {
    let commit = filed_commit();
    let (_dir, path) = closed_file_holding("store.sqlite", &commit).await;
    let store = SqliteStore::open(&path).unwrap();
    let loaded = store
        .load(commit.tenant, commit.stream)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((loaded.version, loaded.snapshot), (1, commit.snapshot));
    assert_eq!(
        store
            .history(commit.tenant, commit.stream)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_file_from_a_newer_build_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.sqlite");
    drop(SqliteStore::open(&path).unwrap());
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(connection);
    match SqliteStore::open(&path) {
        Err(OpenError::SchemaTooNew {
            found, supported, ..
        }) => assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION)),
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION + 1, "untouched");
}

#[test]
fn another_programs_database_is_refused_and_left_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    // One with tables of its own, one with an application id of its own.
    let with_tables = dir.path().join("notes.sqlite");
    let connection = rusqlite::Connection::open(&with_tables).unwrap();
    connection
        .execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');")
        .unwrap();
    drop(connection);
    let with_id = dir.path().join("other-app.sqlite");
    let connection = rusqlite::Connection::open(&with_id).unwrap();
    connection
        .pragma_update(None, "application_id", 0x1234_5678)
        .unwrap();
    drop(connection);
    for path in [with_tables, with_id] {
        let before = std::fs::read(&path).unwrap();
        match SqliteStore::open(&path) {
            Err(OpenError::NotOurs { .. }) => {}
            other => panic!("expected NotOurs for {}, got {other:?}", path.display()),
        }
        // Compared, not printed: the bytes of a page are no message.
        assert!(
            std::fs::read(&path).unwrap() == before,
            "{} changed",
            path.display()
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with("-wal") || name.ends_with("-shm"))
            .collect();
        assert!(leftovers.is_empty(), "no WAL files left: {leftovers:?}");
    }
}

#[test]
fn processes_creating_one_file_at_once_migrate_it_once() {
    // Threads stand in for processes: each opens its own connections, and SQLite's file
    // locks are what they share.
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.sqlite");
        let barrier = std::sync::Barrier::new(6);
        let opened: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..6)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        SqliteStore::open(&path).map(drop)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for result in opened {
            assert!(result.is_ok(), "round {round}: {result:?}");
        }
    }
}

#[test]
fn a_file_that_is_not_sqlite_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "this is not a database, just some text that is long enough ".repeat(20),
    )
    .unwrap();
    assert!(
        matches!(
            SqliteStore::open(&path),
            Err(OpenError::NotADatabase { .. })
        ),
        "{:?}",
        SqliteStore::open(&path)
    );
}

#[test]
fn a_missing_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/store.sqlite");
    let error = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(error, OpenError::CannotOpen { .. }), "{error:?}");
    assert!(error.to_string().contains("no/such/dir"), "{error}");
}

#[test]
fn a_read_only_directory_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
    let result = SqliteStore::open(locked.join("store.sqlite"));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    match result {
        Err(OpenError::CannotOpen { .. }) => {}
        // Directory permissions do not bind root (CI runs as root): there the open succeeds.
        Ok(_) if running_as_root() => {}
        other => panic!("expected CannotOpen, got {other:?}"),
    }
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find(|line| line.starts_with("Uid:"))
            .is_some_and(|line| line.split_whitespace().nth(1) == Some("0"))
    })
}

#[test]
fn a_read_only_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    drop(SqliteStore::open(&path).unwrap());
    // File permissions do not bind root, so open through a URI with mode=ro instead.
    let uri = format!("file:{}?mode=ro", path.display());
    let result = SqliteStore::open(&uri);
    assert!(
        matches!(result, Err(OpenError::ReadOnly { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_corrupt_row_is_a_typed_error_not_a_panic() {
    let commit = filed_commit();
    let (_dir, path) = closed_file_holding("corrupt.sqlite", &commit).await;
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute("UPDATE streams SET snapshot = '{\"Complaint\": 42'", [])
        .unwrap();
    connection
        .execute("UPDATE events SET payload = 'not json'", [])
        .unwrap();
    drop(connection);
    let store = SqliteStore::open(&path).unwrap();
    assert!(matches!(
        store.load(commit.tenant, commit.stream).await,
        Err(StoreError::Corrupt { .. })
    ));
    assert!(matches!(
        store.history(commit.tenant, commit.stream).await,
        Err(StoreError::Corrupt { .. })
    ));
}

#[tokio::test]
async fn committed_pages_reach_the_database_file_while_the_store_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpointed.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    let empty = std::fs::metadata(&path).unwrap().len();
    // Far below the writer's own checkpoint threshold: only the background checkpointer
    // copies these pages from the WAL into the file.
    for product in 0..200 {
        let id = aliprotect_core::ids::ComplaintId::new();
        store.commit(filed_commit_on(product, id)).await.unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::metadata(&path).unwrap().len() == empty {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint within 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
