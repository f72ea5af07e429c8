//! PgBouncer in transaction mode in front of a throwaway cluster, as many deployments run
//! PostgreSQL: each transaction may get another server connection.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{TestServer, TestServerError, failed, free_port, run, running_as_root};

/// A throwaway PgBouncer (`pool_mode = transaction`) in front of a [`TestServer`], stopped
/// and removed when dropped or, should the process die first, by a watchdog.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use aliprotect_store_postgres::PostgresStore;
/// use aliprotect_store_postgres::test_server::{TestPooler, TestServer};
///
/// let server = TestServer::throwaway()?;
/// let pooler = TestPooler::start(&server, &["postgres"])?;
/// let url = pooler.url_of(&server.create_database().await?);
/// let store = PostgresStore::connect(&url).await?; // `pooler=transaction` is in the URL
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TestPooler {
    port: u16,
    dir: PathBuf,
}

impl TestPooler {
    /// Starts PgBouncer in front of `server` (whose URL must name a TCP host and port),
    /// letting `users` in without a password. The binary is `ALIPROTECT_PGBOUNCER`, else
    /// `pgbouncer` on the `PATH` or in `/usr/sbin` (Debian: `apt-get install pgbouncer`).
    pub fn start(server: &TestServer, users: &[&str]) -> Result<Self, TestServerError> {
        let binary = binary().ok_or(TestServerError::NoPgBouncer)?;
        let (host, server_port) = host_and_port(server.url())
            .ok_or_else(|| failed("pgbouncer", "the server's URL names no host and port"))?;
        let dir = std::env::temp_dir().join(format!(
            "aliprotect-pgbouncer-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| failed("mkdir", e))?;
        let port = free_port()?;
        let pooler = Self { port, dir };
        // From here on, dropping `pooler` stops it and removes the directory.
        let users: String = users
            .iter()
            .map(|user| format!("\"{user}\" \"\"\n"))
            .collect();
        std::fs::write(pooler.dir.join("users.txt"), users).map_err(|e| failed("write", e))?;
        let ini = format!(
            "[databases]\n* = host={host} port={server_port}\n\n[pgbouncer]\n\
             listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {dir}/users.txt\npool_mode = transaction\n\
             max_client_conn = 1000\ndefault_pool_size = 20\nserver_idle_timeout = 5\n\
             ignore_startup_parameters = extra_float_digits\n\
             logfile = {dir}/pgbouncer.log\npidfile = {dir}/pgbouncer.pid\n",
            dir = pooler.dir.display()
        );
        let ini_path = pooler.dir.join("pgbouncer.ini");
        std::fs::write(&ini_path, ini).map_err(|e| failed("write", e))?;
        let mut command = if running_as_root() {
            // PgBouncer refuses to run as root.
            run(Command::new("chown")
                .args(["-R", "postgres"])
                .arg(&pooler.dir))?;
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&binary);
            command
        } else {
            Command::new(&binary)
        };
        run(command.arg("-d").arg(&ini_path))?;
        pooler.watch(std::process::id())?;
        pooler.wait_for_port()?;
        Ok(pooler)
    }

    /// [`TestPooler::start`], or `Ok(None)` when this machine has no PgBouncer and the
    /// environment is not CI (`CI` is not `true`): the caller's test then skips.
    pub fn start_unless_missing(
        server: &TestServer,
        users: &[&str],
    ) -> Result<Option<Self>, TestServerError> {
        match Self::start(server, users) {
            Ok(pooler) => Ok(Some(pooler)),
            Err(TestServerError::NoPgBouncer) if std::env::var("CI").as_deref() != Ok("true") => {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// `database_url` (a URL of the server's, as [`TestServer::create_database`] gives it)
    /// through the pooler, with `pooler=transaction`.
    pub fn url_of(&self, database_url: &str) -> String {
        let (scheme, rest) = database_url
            .split_once("://")
            .unwrap_or(("postgresql", database_url));
        let (user, rest) = rest.split_once('@').unwrap_or(("postgres", rest));
        let path = rest.find(['/', '?']).map_or("", |at| &rest[at..]);
        let separator = if path.contains('?') { '&' } else { '?' };
        format!(
            "{scheme}://{user}@127.0.0.1:{}{path}{separator}pooler=transaction",
            self.port
        )
    }

    fn pid_file(&self) -> PathBuf {
        self.dir.join("pgbouncer.pid")
    }

    fn stop_command_line(&self) -> String {
        format!(
            "[ -f '{pid}' ] && kill $(cat '{pid}')",
            pid = self.pid_file().display()
        )
    }

    /// Stops PgBouncer and removes its directory once `parent` is gone.
    fn watch(&self, parent: u32) -> Result<(), TestServerError> {
        super::watchdog(parent, &self.stop_command_line(), &self.dir)
    }

    fn wait_for_port(&self) -> Result<(), TestServerError> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = std::fs::read_to_string(self.dir.join("pgbouncer.log")).unwrap_or_default();
        Err(failed("pgbouncer", format!("never listened: {log}")))
    }
}

impl Drop for TestPooler {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .args(["-c", &self.stop_command_line()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Err(error) = std::fs::remove_dir_all(&self.dir) {
            tracing::warn!(%error, dir = %self.dir.display(), "cannot remove the test pooler");
        }
    }
}

fn binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ALIPROTECT_PGBOUNCER").map(PathBuf::from) {
        return path.is_file().then_some(path);
    }
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("pgbouncer"))
        .find(|path| path.is_file())
}

/// The host and port of a `postgresql://user@host:port/...` URL.
fn host_and_port(url: &str) -> Option<(String, u16)> {
    let rest = url.split_once("://")?.1;
    let rest = rest.split_once('@').map_or(rest, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next()?;
    let (host, port) = authority.rsplit_once(':')?;
    Some((host.to_owned(), port.parse().ok()?))
}
