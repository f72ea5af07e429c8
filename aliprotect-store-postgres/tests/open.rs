//! Opening a store: each way it can go wrong is a typed error, and corrupt rows are
//! reported as corrupt, never as a panic or as another tenant's data.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use aliprotect_core::ids::{ComplaintId, TenantId};
use aliprotect_core::metrics::Tallies;
use aliprotect_core::store::{StoreError, StreamId, prelude::*};
use aliprotect_store_postgres::test_server::TestServer;
use aliprotect_store_postgres::{ConnectError, PostgresStore, SCHEMA_VERSION};

mod support;
use support::{installed, server};

async fn psql(url: &str, sql: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client.batch_execute(sql).await.unwrap();
}

#[tokio::test]
async fn a_missing_database_is_a_typed_error() {
    let Some(_) = installed() else { return };
    let url = server().create_database().await.unwrap();
    let missing = format!("{}_missing", url);
    let error = PostgresStore::connect(&missing).await.unwrap_err();
    assert!(
        matches!(error, ConnectError::MissingDatabase(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unknown_user_is_refused_credentials() {
    let Some(_) = installed() else { return };
    let url = server().create_database().await.unwrap();
    let wrong = url.replacen("postgres@", "nobody@", 1);
    let error = PostgresStore::connect(&wrong).await.unwrap_err();
    assert!(
        matches!(error, ConnectError::BadCredentials(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_server_that_is_not_there_is_unreachable_and_a_bad_url_invalid() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = PostgresStore::connect(&format!("postgresql://postgres@127.0.0.1:{port}/x"))
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectError::Unreachable(_)), "{error:?}");
    let error = PostgresStore::connect("postgresql://[broken")
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectError::InvalidUrl(_)), "{error:?}");
}

#[tokio::test]
async fn a_database_of_a_newer_build_is_refused_and_left_alone() {
    let Some(_) = installed() else { return };
    let url = server().create_database().await.unwrap();
    drop(PostgresStore::connect(&url).await.unwrap());
    let newer = SCHEMA_VERSION + 1;
    psql(
        &url,
        &format!("INSERT INTO aliprotect_schema (version) VALUES ({newer})"),
    )
    .await;
    let error = PostgresStore::connect(&url).await.unwrap_err();
    assert!(
        matches!(error, ConnectError::SchemaTooNew { found, supported }
            if found == newer && supported == SCHEMA_VERSION),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engines_starting_together_migrate_once() {
    let Some(_) = installed() else { return };
    let url = server().create_database().await.unwrap();
    let opened = futures_util::future::join_all((0..6).map(|_| PostgresStore::connect(&url))).await;
    assert!(opened.iter().all(Result::is_ok), "{opened:?}");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let versions: i64 = client
        .query_one("SELECT count(*) FROM aliprotect_schema", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(versions, i64::from(SCHEMA_VERSION));
}

/// A database of schema 2 (complaints' keys in columns of their rows, no index table) is
/// migrated with its streams' index keys filled in from their snapshots.
#[tokio::test]
async fn a_schema_2_database_gets_its_index_filled() {
    let Some(_) = installed() else { return };
    let url = server().create_database().await.unwrap();
    let tenant = TenantId::new();
    let stream;
    let listing;
    {
        let store = PostgresStore::connect(&url).await.unwrap();
        let commit =
            aliprotect_core::testkit::fixtures::filed_commit(tenant, 7, ComplaintId::new());
        stream = commit.stream;
        let aliprotect_core::store::Snapshot::Complaint(complaint) = &commit.snapshot else {
            unreachable!("a complaint's commit")
        };
        listing = complaint.filed.listing.key.clone();
        store.commit(commit).await.unwrap();
    }
    // Back to schema 2: the index table gone, the key columns back (empty: no query of this
    // build reads them).
    psql(
        &url,
        "DROP TABLE stream_index;
         ALTER TABLE streams ADD COLUMN right_id uuid, ADD COLUMN campaign uuid,
             ADD COLUMN seller text, ADD COLUMN listing text, ADD COLUMN representative uuid;
         ALTER TABLE metric_groups DROP COLUMN counter_notices;
         DROP INDEX timers_by_tenant_due;
         DROP INDEX outbox_queue;
         CREATE INDEX outbox_available ON outbox (available_at, seq) WHERE dead_error IS NULL;
         DELETE FROM aliprotect_schema WHERE version > 2;",
    )
    .await;
    let store = PostgresStore::connect(&url).await.unwrap();
    let rows = store.complaints_on_listing(tenant, &listing).await.unwrap();
    assert_eq!(
        rows.iter()
            .map(|row| StreamId::Complaint(row.id))
            .collect::<Vec<_>>(),
        vec![stream],
        "found by its listing: the index was filled from the snapshot"
    );
}

/// A database of schema 3 (sellers' tallies by name alone, no days, no counter-notices) is
/// migrated with every complaint counted again, once.
#[tokio::test]
async fn a_schema_3_database_counts_its_complaints_again() {
    let Some(_) = installed() else { return };
    let url = server().create_database().await.unwrap();
    let tenant = TenantId::new();
    let mut complaints = Vec::new();
    {
        let store = PostgresStore::connect(&url).await.unwrap();
        for product in 1..=3 {
            let commit = aliprotect_core::testkit::fixtures::filed_commit(
                tenant,
                product,
                ComplaintId::new(),
            );
            let aliprotect_core::store::Snapshot::Complaint(complaint) = &commit.snapshot else {
                unreachable!("a complaint's commit")
            };
            complaints.push(complaint.clone());
            store.commit(commit).await.unwrap();
        }
    }
    // Back to schema 3: no counter-notices column, no index of timers by tenant, the outbox
    // by availability, and a
    // seller's row by name alone that the migration must not count on top.
    psql(
        &url,
        "ALTER TABLE metric_groups DROP COLUMN counter_notices;
         DROP INDEX timers_by_tenant_due;
         DROP INDEX outbox_queue;
         CREATE INDEX outbox_available ON outbox (available_at, seq) WHERE dead_error IS NULL;
         INSERT INTO metric_groups
             SELECT tenant, campaign, 2, 'shop', 1, 1, 0, 0, 0, 0, 0 FROM metric_groups
             WHERE dimension = 0;
         DELETE FROM aliprotect_schema WHERE version > 3;",
    )
    .await;
    let store = PostgresStore::connect(&url).await.unwrap();
    assert_eq!(
        store.metric_tallies(tenant, None).await.unwrap(),
        Tallies::of(complaints.iter().map(|c| &**c)),
    );
}

/// A URL naming several hosts is served by the first that answers and takes writes (as
/// libpq reads `host1:port1,host2:port2` and `target_session_attrs`): a dead first host does
/// not stop the store from opening.
#[tokio::test]
async fn a_url_naming_a_dead_host_first_connects_to_the_next() {
    let Some(server) = installed() else { return };
    if !server.is_throwaway() {
        // The URL of a server of one's own may be written any way: only ours is rewritten.
        return;
    }
    let url = server.create_database().await.unwrap();
    let with_dead_first = format!(
        "{}?target_session_attrs=read-write&connect_timeout=2",
        url.replacen("@127.0.0.1:", "@127.0.0.1:1,127.0.0.1:", 1)
    );
    assert_ne!(
        with_dead_first, url,
        "the throwaway server's URL names 127.0.0.1"
    );
    let store = PostgresStore::connect(&with_dead_first).await.unwrap();
    let tenant = TenantId::new();
    let commit = aliprotect_core::testkit::fixtures::filed_commit(tenant, 3, ComplaintId::new());
    let stream = commit.stream;
    store.commit(commit).await.unwrap();
    assert!(store.load(tenant, stream).await.unwrap().is_some());
}

/// A statement the server refuses is `Unavailable` with what the server said: its SQLSTATE,
/// its message and the object it names, not the driver's bare "db error".
#[tokio::test]
async fn a_server_error_says_what_the_server_said() {
    let Some(_) = installed() else { return };
    let url = server().create_database().await.unwrap();
    let store = PostgresStore::connect(&url).await.unwrap();
    psql(&url, "DROP TABLE stream_index").await;
    let query =
        aliprotect_core::store::Find::all(aliprotect_core::store::StreamKind::Complaint).with_key(
            aliprotect_core::store::IndexKey::new(aliprotect_core::store::IndexName::RIGHT, "any"),
        );
    let error = store.find(TenantId::new(), &query).await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    let said = error.to_string();
    assert!(said.contains("42P01"), "the SQLSTATE: {said}");
    assert!(
        said.contains("relation \"stream_index\" does not exist"),
        "the server's message: {said}"
    );
}

#[tokio::test]
async fn corrupt_rows_are_reported_as_corrupt() {
    let Some(_) = installed() else { return };
    let url = server().create_database().await.unwrap();
    let store = PostgresStore::connect(&url).await.unwrap();
    let tenant = TenantId::new();
    let complaint = ComplaintId::new();
    psql(
        &url,
        &format!(
            "INSERT INTO streams (tenant, kind, stream, version, status, snapshot)
             VALUES ('{}', 1, '{}', 1, 0, '{{\"Complaint\": 42}}');
             INSERT INTO events (tenant, kind, stream, version, type, schema, payload)
             VALUES ('{0}', 1, '{1}', 1, 'NoSuchEvent', 1, '{{}}');",
            tenant.as_uuid(),
            complaint.as_uuid()
        ),
    )
    .await;
    let stream = StreamId::Complaint(complaint);
    assert!(matches!(
        store.load(tenant, stream).await,
        Err(StoreError::Corrupt { .. })
    ));
    assert!(matches!(
        store.history(tenant, stream).await,
        Err(StoreError::Corrupt { .. })
    ));
    assert!(matches!(
        store.complaints(tenant, None).await,
        Err(StoreError::Corrupt { .. })
    ));
    // Another tenant sees nothing of it.
    assert_eq!(store.load(TenantId::new(), stream).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_connection_is_unavailable_then_replaced() {
    let Some(_) = installed() else { return };
    let url = server().create_database().await.unwrap();
    let store = PostgresStore::connect(&url).await.unwrap();
    let (tenant, stream) = (TenantId::new(), StreamId::Complaint(ComplaintId::new()));
    assert_eq!(store.load(tenant, stream).await.unwrap(), None);
    psql(
        &url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .await;
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(store.load(tenant, stream).await);
    }
    assert!(
        answers
            .iter()
            .all(|a| matches!(a, Ok(None) | Err(StoreError::Unavailable(_)))),
        "{answers:?}"
    );
    assert!(matches!(answers.last(), Some(Ok(None))), "{answers:?}");
}
