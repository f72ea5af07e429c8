//! PostgreSQL as firms run it: a server that takes TLS only (checked as `sslmode` says, with
//! client certificates), PgBouncer in transaction mode in front, and a role that is not a
//! superuser keeping the store's tables in a schema of its own. Each runs the conformance
//! suite; each skips, saying so, where this machine lacks the server or PgBouncer (outside
//! CI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::path::PathBuf;
use std::sync::OnceLock;

use aliprotect_core::ids::ComplaintId;
use aliprotect_core::store::{CountQuery, EventLog, Find, Outbox, ReadModel, StreamId, StreamKind};
use aliprotect_core::testkit::conformance;
use aliprotect_store_postgres::test_server::{TestPooler, TestServer, TestServerError};
use aliprotect_store_postgres::{ConnectError, PostgresStore};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

mod support;
use support::{installed, server};

/// Certificates made for the tests: a CA that signs the server's (for `localhost` only) and
/// the client's, and a CA that signs nothing of ours.
struct Pki {
    dir: PathBuf,
    server_cert: String,
    server_key: String,
    client_ca: String,
}

impl Pki {
    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    fn make() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "aliprotect-pki-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = |name: &str| {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.distinguished_name.push(DnType::CommonName, name);
            let key = KeyPair::generate().unwrap();
            let cert = params.self_signed(&key).unwrap();
            (cert.pem(), Issuer::new(params, key))
        };
        let (ca_pem, issuer) = ca("aliprotect test CA");
        let (other_ca_pem, _) = ca("somebody else's CA");
        let signed = |names: Vec<String>, common_name: &str| {
            let mut params = CertificateParams::new(names).unwrap();
            params
                .distinguished_name
                .push(DnType::CommonName, common_name);
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &issuer).unwrap();
            (cert.pem(), key.serialize_pem())
        };
        let (server_cert, server_key) = signed(vec!["localhost".into()], "localhost");
        let (client_cert, client_key) = signed(Vec::new(), "clerk");
        for (name, text) in [
            ("ca.pem", &ca_pem),
            ("other-ca.pem", &other_ca_pem),
            ("client.pem", &client_cert),
            ("client.key", &client_key),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        Self {
            dir,
            server_cert,
            server_key,
            client_ca: ca_pem,
        }
    }
}

/// The cluster that takes TLS only, and its certificates; `None` where the machine has no
/// server binaries (outside CI).
fn tls_server() -> Option<&'static (TestServer, Pki)> {
    static SERVER: OnceLock<Option<(TestServer, Pki)>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let pki = Pki::make();
            match TestServer::throwaway_with_tls(&pki.server_cert, &pki.server_key, &pki.client_ca)
            {
                Ok(server) => Some((server, pki)),
                Err(TestServerError::NoBinaries)
                    if std::env::var("CI").as_deref() != Ok("true") =>
                {
                    eprintln!("skipped: no PostgreSQL server binaries on this machine");
                    None
                }
                Err(error) => panic!("{error}"),
            }
        })
        .as_ref()
}

async fn psql(url: &str, sql: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client.batch_execute(sql).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conformance_suite_passes_over_tls_with_verify_full() {
    let Some((server, pki)) = tls_server() else {
        return;
    };
    let ca = pki.path("ca.pem");
    conformance::run_all(|| async {
        let url = server.create_database().await.unwrap();
        let url = format!("{url}?sslmode=verify-full&sslrootcert={ca}");
        PostgresStore::connect(&url).await.unwrap()
    })
    .await;
}

#[tokio::test]
async fn tls_checks_the_server_as_sslmode_says() {
    let Some((server, pki)) = tls_server() else {
        return;
    };
    let url = server.create_database().await.unwrap();
    // The certificate names `localhost`, not `127.0.0.1`.
    let by_address = url.replacen("@localhost:", "@127.0.0.1:", 1);
    let (ca, other_ca) = (pki.path("ca.pem"), pki.path("other-ca.pem"));
    for (url, connects) in [
        (format!("{url}?sslmode=verify-full&sslrootcert={ca}"), true),
        (
            format!("{by_address}?sslmode=verify-full&sslrootcert={ca}"),
            false,
        ),
        (
            format!("{by_address}?sslmode=verify-ca&sslrootcert={ca}"),
            true,
        ),
        (
            format!("{url}?sslmode=verify-ca&sslrootcert={other_ca}"),
            false,
        ),
        (
            format!("{url}?sslmode=require&sslrootcert={other_ca}"),
            false,
        ),
        (format!("{by_address}?sslmode=require"), true),
        (format!("{url}?sslmode=prefer"), true),
        (url.clone(), true),
        // The server takes TLS only.
        (format!("{url}?sslmode=disable"), false),
    ] {
        let opened = PostgresStore::connect(&url).await;
        assert_eq!(opened.is_ok(), connects, "{url}: {:?}", opened.err());
    }
    let missing = format!("{url}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem");
    let error = PostgresStore::connect(&missing).await.unwrap_err();
    assert!(matches!(error, ConnectError::Tls { .. }), "{error:?}");
    assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
}

#[tokio::test]
async fn a_client_certificate_signs_in_a_role_that_needs_one() {
    let Some((server, pki)) = tls_server() else {
        return;
    };
    let url = server.create_database().await.unwrap();
    psql(
        &server.admin_url(url.rsplit_once('/').unwrap().1),
        "DO $$ BEGIN
             IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'certified') THEN
                 CREATE ROLE certified NOLOGIN;
                 CREATE ROLE clerk LOGIN IN ROLE certified;
             END IF;
         END $$;
         GRANT CREATE ON SCHEMA public TO clerk;",
    )
    .await;
    let as_clerk = url.replacen("postgres@", "clerk@", 1);
    let ca = pki.path("ca.pem");
    let with_cert = format!(
        "{as_clerk}?sslmode=verify-full&sslrootcert={ca}&sslcert={}&sslkey={}",
        pki.path("client.pem"),
        pki.path("client.key")
    );
    PostgresStore::connect(&with_cert)
        .await
        .unwrap_or_else(|e| panic!("with the certificate: {e}"));
    let without = format!("{as_clerk}?sslmode=verify-full&sslrootcert={ca}");
    let error = PostgresStore::connect(&without).await.unwrap_err();
    assert!(
        error.to_string().contains("certificate"),
        "the server's words are kept: {error}"
    );
    let half = format!("{without}&sslcert={}", pki.path("client.pem"));
    let error = PostgresStore::connect(&half).await.unwrap_err();
    assert!(
        matches!(
            error,
            ConnectError::InvalidParameter {
                parameter: "sslcert",
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conformance_suite_passes_through_pgbouncer_in_transaction_mode() {
    let Some(server) = installed() else { return };
    let Some(pooler) = pooler(server) else { return };
    conformance::run_all(|| async {
        let url = pooler.url_of(&server.create_database().await.unwrap());
        PostgresStore::connect(&url).await.unwrap()
    })
    .await;
}

/// Forgetting `pooler=transaction`, or asking PgBouncer for `options`, ends in an error that
/// says what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooler_url_without_what_pgbouncer_needs_says_what_to_change() {
    let Some(server) = installed() else { return };
    let Some(pooler) = pooler(server) else { return };
    let url = pooler.url_of(&server.create_database().await.unwrap());
    let with_options = format!("{url}&options=-c%20statement_timeout%3D5s");
    let error = PostgresStore::connect(&with_options).await.unwrap_err();
    assert!(matches!(error, ConnectError::Unreachable(_)), "{error:?}");
    assert!(error.to_string().contains("ALTER ROLE"), "{error}");

    let without = url.replace("?pooler=transaction", "");
    assert_ne!(without, url);
    let tenant = aliprotect_core::ids::TenantId::new();
    let mut said = None;
    // Named statements collide once two stores share PgBouncer's server connections.
    for _ in 0..20 {
        let first = PostgresStore::connect(&without).await;
        let second = PostgresStore::connect(&without).await;
        let (Ok(first), Ok(second)) = (first, second) else {
            said = Some("connect failed".to_owned());
            break;
        };
        // The same statements in the same order: each store's connection names them alike.
        let mut failed = None;
        for store in [&first, &second, &first, &second] {
            let stream = StreamId::Complaint(ComplaintId::new());
            let asked = async {
                store
                    .find(tenant, &Find::all(StreamKind::Complaint))
                    .await?;
                store
                    .count(tenant, &CountQuery::of(StreamKind::Right))
                    .await?;
                store.load(tenant, stream).await?;
                store.history(tenant, stream).await?;
                store.stream_keys(None, 5).await?;
                store.dead_letters(tenant, 5).await?;
                store.metric_tallies(tenant, None).await.map(drop)
            };
            if let Err(error) = asked.await {
                failed = Some(error.to_string());
                break;
            }
        }
        if let Some(error) = failed {
            said = Some(error);
            break;
        }
    }
    let said = said.expect("named statements behind PgBouncer in transaction mode failed");
    assert!(said.contains("pooler=transaction"), "{said}");
}

fn pooler(server: &TestServer) -> Option<TestPooler> {
    let pooler = TestPooler::start_unless_missing(server, &["postgres"]).unwrap();
    if pooler.is_none() {
        eprintln!("skipped: no PgBouncer on this machine");
    }
    pooler
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_is_not_a_superuser_keeps_the_tables_in_a_schema_of_its_own() {
    let Some(_) = installed() else { return };
    let role = format!("paralegal_{}", uuid::Uuid::new_v4().simple());
    let admin = server().url().to_owned();
    psql(
        &admin,
        &format!("CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"),
    )
    .await;
    let setup = |url: String| {
        let role = role.clone();
        async move {
            // What a database's owner runs once, as the README says.
            psql(
                &url,
                &format!(
                    "REVOKE CREATE ON SCHEMA public FROM PUBLIC;
                     CREATE SCHEMA enforcement AUTHORIZATION {role};
                     ALTER ROLE {role} IN DATABASE {} SET search_path = enforcement;",
                    url.rsplit_once('/').unwrap().1
                ),
            )
            .await;
            url.replacen("postgres@", &format!("{role}@"), 1)
        }
    };
    let url = setup(server().create_database().await.unwrap()).await;
    let store = PostgresStore::connect(&url).await.unwrap();
    drop(store);
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE table_schema = 'enforcement'),
                    count(*) FILTER (WHERE table_schema = 'public')
             FROM information_schema.tables WHERE table_name = 'events'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (1, 0));
    conformance::run_all(|| async {
        let url = setup(server().create_database().await.unwrap()).await;
        PostgresStore::connect(&url).await.unwrap()
    })
    .await;
}
