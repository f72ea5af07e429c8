//! A PostgreSQL server for tests and benchmarks: the one named by
//! `ALIPROTECT_TEST_DATABASE_URL`, or else a throwaway cluster started from the machine's
//! server binaries (`initdb`, `pg_ctl`) on a free port in a temporary directory, and removed
//! when the [`TestServer`] is dropped or, should the process die first, by a watchdog.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use aliprotect_store_postgres::{PostgresStore, test_server::TestServer};
//!
//! let server = TestServer::start()?;
//! let url = server.create_database().await?; // a fresh, empty database
//! let store = PostgresStore::connect(&url).await?;
//! # Ok(()) }
//! ```
//!
//! On a server of your own, the databases it creates (`aliprotect_test_*`) are left there for
//! you to look at or drop.
//!
//! The binaries are looked for in `ALIPROTECT_PG_BIN`, then `/usr/lib/postgresql/*/bin`
//! (Debian, Ubuntu), then `pg_config --bindir`. Run as root, the cluster runs as the
//! `postgres` user (initdb refuses root). The cluster is durable (`fsync` on), as every
//! benchmark must be.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

mod pooler;

pub use pooler::TestPooler;

/// Why a test server could not be started or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestServerError {
    /// No PostgreSQL server binaries were found.
    #[error(
        "no PostgreSQL server binaries found (looked in ALIPROTECT_PG_BIN, \
         /usr/lib/postgresql/*/bin and `pg_config --bindir`): install them \
         (Debian/Ubuntu: `apt-get install postgresql`) or set ALIPROTECT_TEST_DATABASE_URL \
         to a server of your own"
    )]
    NoBinaries,
    /// No PgBouncer binary was found (for a [`TestPooler`]).
    #[error(
        "no PgBouncer found (looked in ALIPROTECT_PGBOUNCER, the PATH and /usr/sbin): \
         install it (Debian/Ubuntu: `apt-get install pgbouncer`)"
    )]
    NoPgBouncer,
    /// A command of the cluster's set-up failed.
    #[error("`{command}` failed: {detail}")]
    Command {
        /// The command.
        command: String,
        /// What it printed, or why it could not run.
        detail: String,
    },
    /// Creating a database on the server failed.
    #[error("cannot create a test database: {0}")]
    CreateDatabase(#[source] tokio_postgres::Error),
}

/// A server to run tests against; see the [module docs](self).
#[derive(Debug)]
pub struct TestServer {
    url: String,
    cluster: Option<Cluster>,
    databases: AtomicUsize,
}

/// The PEM texts of a cluster that takes TLS.
#[derive(Clone, Copy)]
struct TlsFiles<'a> {
    cert: &'a str,
    key: &'a str,
    client_ca: &'a str,
}

#[derive(Debug)]
struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
}

impl TestServer {
    /// The server of `ALIPROTECT_TEST_DATABASE_URL`, or a throwaway cluster.
    pub fn start() -> Result<Self, TestServerError> {
        match std::env::var("ALIPROTECT_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Ok(Self {
                url,
                cluster: None,
                databases: AtomicUsize::new(0),
            }),
            _ => Self::throwaway(),
        }
    }

    /// [`TestServer::start`], or `Ok(None)` when this machine has no PostgreSQL server
    /// binaries and the environment is not CI (`CI` is not `true`): the caller's test then
    /// skips, saying so in one line, so that the suite passes on a fresh machine. Under CI a
    /// missing server is [`TestServerError::NoBinaries`], a failure.
    pub fn start_unless_missing() -> Result<Option<Self>, TestServerError> {
        match Self::start() {
            Ok(server) => Ok(Some(server)),
            Err(TestServerError::NoBinaries) if std::env::var("CI").as_deref() != Ok("true") => {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// A throwaway cluster, whatever the environment says.
    pub fn throwaway() -> Result<Self, TestServerError> {
        Self::cluster(None)
    }

    /// A throwaway cluster whose TCP port takes TLS connections only, with the certificate
    /// chain `cert_pem` and its key `key_pem` (made by the caller): its [`url`](Self::url)
    /// names `localhost`, and takes `sslmode` and `sslrootcert` as the caller sees fit.
    /// Members of the role `certified` must also show a client certificate signed by
    /// `client_ca_pem` whose common name is their role's name.
    pub fn throwaway_with_tls(
        cert_pem: &str,
        key_pem: &str,
        client_ca_pem: &str,
    ) -> Result<Self, TestServerError> {
        Self::cluster(Some(TlsFiles {
            cert: cert_pem,
            key: key_pem,
            client_ca: client_ca_pem,
        }))
    }

    fn cluster(tls: Option<TlsFiles<'_>>) -> Result<Self, TestServerError> {
        let bin = binaries().ok_or(TestServerError::NoBinaries)?;
        let dir = std::env::temp_dir().join(format!(
            "aliprotect-pg-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| failed("mkdir", e))?;
        let cluster = Cluster { bin, dir };
        // From here on, dropping `cluster` removes the directory.
        if running_as_root() {
            run(Command::new("chown").arg("postgres").arg(&cluster.dir))?;
        }
        let data = cluster.dir.join("data");
        run(cluster.command("initdb").arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-instructions",
        ]))?;
        let port = free_port()?;
        let mut settings = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300 \
             -c shared_buffers=256MB",
            cluster.dir.display()
        );
        let host = if tls.is_some() {
            "localhost"
        } else {
            "127.0.0.1"
        };
        if let Some(tls) = tls {
            settings.push_str(&cluster.take_tls_only(tls)?);
        }
        run(cluster
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(cluster.dir.join("log"))
            .args(["-w", "-o", &settings, "start"]))?;
        cluster.watch(std::process::id())?;
        Ok(Self {
            url: format!("postgresql://postgres@{host}:{port}/postgres"),
            cluster: Some(cluster),
            databases: AtomicUsize::new(0),
        })
    }

    /// Whether this is a throwaway cluster of this process (not a server of your own).
    pub fn is_throwaway(&self) -> bool {
        self.cluster.is_some()
    }

    /// The URL of the server's default database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A connection string to `database` as the superuser, which needs no TLS (the
    /// cluster's socket, on a throwaway cluster).
    pub fn admin_url(&self, database: &str) -> String {
        match &self.cluster {
            Some(cluster) => format!(
                "host={} port={} user=postgres dbname={database}",
                cluster.dir.display(),
                self.port().unwrap_or(5432)
            ),
            None => match self.url.rsplit_once('/') {
                Some((server, _)) => format!("{server}/{database}"),
                None => self.url.clone(),
            },
        }
    }

    fn port(&self) -> Option<u16> {
        let authority = self.url.split_once('@')?.1.split('/').next()?;
        authority.rsplit_once(':')?.1.parse().ok()
    }

    /// Creates a fresh, empty database and returns its URL.
    pub async fn create_database(&self) -> Result<String, TestServerError> {
        let name = format!(
            "aliprotect_test_{}_{}_{}",
            std::process::id(),
            self.databases.fetch_add(1, Ordering::Relaxed),
            uuid::Uuid::new_v4().simple()
        );
        let (client, connection) =
            tokio_postgres::connect(&self.admin_url("postgres"), tokio_postgres::NoTls)
                .await
                .map_err(TestServerError::CreateDatabase)?;
        let driver = tokio::spawn(connection);
        let created = client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(TestServerError::CreateDatabase);
        drop(client);
        let _ = driver.await;
        created?;
        Ok(match self.url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => format!("{}/{name}", self.url),
        })
    }
}

impl Cluster {
    /// Writes the server's certificate and key, and lets TCP connections in with TLS only;
    /// returns the server's settings for them.
    fn take_tls_only(&self, tls: TlsFiles<'_>) -> Result<String, TestServerError> {
        let write = |name: &str, text: &str| -> Result<PathBuf, TestServerError> {
            let path = self.dir.join(name);
            std::fs::write(&path, text).map_err(|e| failed("write", e))?;
            if running_as_root() {
                run(Command::new("chown").arg("postgres").arg(&path))?;
            }
            run(Command::new("chmod").arg("600").arg(&path))?;
            Ok(path)
        };
        let cert = write("server.crt", tls.cert)?;
        let key = write("server.key", tls.key)?;
        let client_ca = write("client-ca.crt", tls.client_ca)?;
        let hba = write(
            "pg_hba.conf",
            "local all all trust\n\
             hostssl all +certified 127.0.0.1/32 cert\n\
             hostssl all all 127.0.0.1/32 trust\n",
        )?;
        Ok(format!(
            " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={} -c ssl_ca_file={} -c hba_file={}",
            cert.display(),
            key.display(),
            client_ca.display(),
            hba.display()
        ))
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    /// Starts a watchdog that stops the cluster and removes its directory once `parent` is
    /// gone, so that a test process killed (or ending with the server in a `static`) leaves
    /// nothing running.
    fn watch(&self, parent: u32) -> Result<(), TestServerError> {
        watchdog(parent, &self.stop_command_line(), &self.dir)
    }

    fn stop_command_line(&self) -> String {
        let pg_ctl = self.bin.join("pg_ctl");
        let data = self.dir.join("data");
        let runuser = if running_as_root() {
            "runuser -u postgres -- "
        } else {
            ""
        };
        format!(
            "{runuser}'{}' -D '{}' -m immediate stop",
            pg_ctl.display(),
            data.display()
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.dir.join("data").join("postmaster.pid").exists() {
            let _ = Command::new("sh")
                .args(["-c", &self.stop_command_line()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if let Err(error) = std::fs::remove_dir_all(&self.dir) {
            tracing::warn!(%error, dir = %self.dir.display(), "cannot remove the test cluster");
        }
    }
}

fn running_as_root() -> bool {
    // `id -u` rather than libc: this crate forbids unsafe code.
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

fn binaries() -> Option<PathBuf> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file();
    if let Some(dir) = std::env::var_os("ALIPROTECT_PG_BIN").map(PathBuf::from) {
        return has_initdb(&dir).then_some(dir);
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_initdb(dir))
        .collect();
    debian.sort();
    if let Some((_, dir)) = debian.pop() {
        return Some(dir);
    }
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    has_initdb(&dir).then_some(dir)
}

fn free_port() -> Result<u16, TestServerError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| failed("bind", e))?;
    let port = listener.local_addr().map_err(|e| failed("bind", e))?.port();
    Ok(port)
}

fn failed(command: &str, error: impl ToString) -> TestServerError {
    TestServerError::Command {
        command: command.to_owned(),
        detail: error.to_string(),
    }
}

fn run(command: &mut Command) -> Result<(), TestServerError> {
    let line = format!("{command:?}");
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| failed(&line, e))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(failed(&line, String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Runs `stop` and removes `dir` once process `parent` is gone.
fn watchdog(parent: u32, stop: &str, dir: &Path) -> Result<(), TestServerError> {
    let script = format!(
        "while [ -d /proc/{parent} ]; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf '{}'",
        dir.display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| failed("sh (watchdog)", e))
}
