//! A throwaway IMAP server for tests: Dovecot, started from the machine's binary on a free
//! port of 127.0.0.1 with a configuration, a user and a maildir of its own in a temporary
//! directory, and stopped and removed when the [`TestImapServer`] is dropped. Emails are
//! delivered by writing them into the user's maildir, as a local delivery agent does.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use aliprotect_inbox::{ImapInbox, Inbox, test_server::TestImapServer};
//! let server = TestImapServer::start()?;
//! server.deliver("1", b"Message-ID: <1@x>\r\nSubject: hi\r\n\r\nbody\r\n")?;
//! let inbox = ImapInbox::from_url(&server.url(), server.password())?;
//! assert_eq!(inbox.emails().await?.len(), 1);
//! # Ok(()) }
//! ```
//!
//! The binary is `ALIPROTECT_DOVECOT`, else `/usr/sbin/dovecot` (Debian's `dovecot-imapd`).
//! Run as root, mail is owned by the `dovecot` user (Dovecot refuses to serve it as root).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Why a test server could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestImapError {
    /// No Dovecot binary on this machine.
    #[error("no Dovecot binary (install dovecot-imapd, or set ALIPROTECT_DOVECOT)")]
    NoBinary,
    /// Setting it up or starting it failed.
    #[error("the test IMAP server: {0}")]
    Setup(String),
}

fn setup(detail: impl ToString) -> TestImapError {
    TestImapError::Setup(detail.to_string())
}

/// A running throwaway Dovecot.
#[derive(Debug)]
pub struct TestImapServer {
    dir: tempfile::TempDir,
    port: u16,
    password: String,
    owner: Option<(u32, u32)>,
}

/// The user every test server has.
pub const USER: &str = "firm";

impl TestImapServer {
    /// Starts one; [`TestImapError::NoBinary`] without Dovecot.
    pub fn start() -> Result<Self, TestImapError> {
        let binary = std::env::var_os("ALIPROTECT_DOVECOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/sbin/dovecot"));
        if !binary.is_file() {
            return Err(TestImapError::NoBinary);
        }
        let dir = tempfile::Builder::new()
            .prefix("aliprotect-imap-")
            .tempdir()
            .map_err(setup)?;
        let port = free_port()?;
        let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
        let root = dir.path();
        for sub in [
            "run",
            "state",
            "home",
            "mail/firm/cur",
            "mail/firm/new",
            "mail/firm/tmp",
        ] {
            std::fs::create_dir_all(root.join(sub)).map_err(setup)?;
        }
        // Dovecot serves no mail as root: as root, the mail belongs to its own user.
        let running_as_root = user_ids("root").is_some_and(|(uid, _)| uid == effective_uid());
        let (owner, internal, login) = if running_as_root {
            let ids = user_ids("dovecot").ok_or_else(|| setup("no `dovecot` user"))?;
            (Some(ids), "dovecot".to_owned(), "dovenull".to_owned())
        } else {
            let name = current_user_name()?;
            (None, name.clone(), name)
        };
        let (uid, gid) = owner.unwrap_or((effective_uid(), effective_gid()));
        if owner.is_some() {
            for sub in [
                "home",
                "mail",
                "mail/firm",
                "mail/firm/cur",
                "mail/firm/new",
                "mail/firm/tmp",
            ] {
                std::os::unix::fs::chown(root.join(sub), Some(uid), Some(gid)).map_err(setup)?;
            }
        }
        let d = root.display();
        std::fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{password}\n"))
            .map_err(setup)?;
        let config = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
             protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain login\nmail_location = maildir:{d}/mail/%u\n\
             first_valid_uid = {uid}\nfirst_valid_gid = {gid}\n\
             default_internal_user = {internal}\ndefault_login_user = {login}\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={d}/home/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  \
             inet_listener imaps {{\n    port = 0\n  }}\n}}\n"
        );
        std::fs::write(root.join("dovecot.conf"), config).map_err(setup)?;
        let status = Command::new(&binary)
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .status()
            .map_err(setup)?;
        if !status.success() {
            let log = std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default();
            return Err(setup(format!("dovecot exited {status}: {log}")));
        }
        let server = Self {
            dir,
            port,
            password,
            owner,
        };
        server.wait_until_listening()?;
        Ok(server)
    }

    /// Starts one, or `None` when the machine has no Dovecot and this is not CI (`CI` is
    /// not `true`): the caller's test then skips, saying so in one line. Under CI a missing
    /// binary is an error.
    pub fn start_unless_missing() -> Result<Option<Self>, TestImapError> {
        match Self::start() {
            Ok(server) => Ok(Some(server)),
            Err(TestImapError::NoBinary) if std::env::var("CI").as_deref() != Ok("true") => {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    fn wait_until_listening(&self) -> Result<(), TestImapError> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(setup(format!(
            "nothing listens on port {} after 10 s",
            self.port
        )))
    }

    /// The mailbox's URL: `imap://firm@127.0.0.1:PORT/INBOX`.
    pub fn url(&self) -> String {
        format!("imap://{USER}@127.0.0.1:{}/INBOX", self.port)
    }

    /// The user's password.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Delivers `bytes` as the email `name` into the user's inbox.
    pub fn deliver(&self, name: &str, bytes: &[u8]) -> Result<(), TestImapError> {
        let new = self.dir.path().join("mail/firm/new");
        let staged = self.dir.path().join("mail/firm/tmp").join(name);
        std::fs::write(&staged, bytes).map_err(setup)?;
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::chown(&staged, Some(uid), Some(gid)).map_err(setup)?;
        }
        std::fs::rename(&staged, new.join(name)).map_err(setup)
    }

    fn pid_file(&self) -> PathBuf {
        self.dir.path().join("run/master.pid")
    }
}

impl Drop for TestImapServer {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.pid_file()) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

fn free_port() -> Result<u16, TestImapError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(setup)?;
    Ok(listener.local_addr().map_err(setup)?.port())
}

/// The uid and gid of `user` in /etc/passwd.
fn user_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string(Path::new("/etc/passwd")).ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&user))
            .then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
            .flatten()
    })
}

fn id(flag: &str) -> Option<String> {
    let output = Command::new("id").arg(flag).output().ok()?;
    Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn effective_uid() -> u32 {
    id("-u")
        .and_then(|uid| uid.parse().ok())
        .unwrap_or(u32::MAX)
}

fn effective_gid() -> u32 {
    id("-g")
        .and_then(|gid| gid.parse().ok())
        .unwrap_or(u32::MAX)
}

fn current_user_name() -> Result<String, TestImapError> {
    id("-un")
        .filter(|name| !name.is_empty())
        .ok_or_else(|| setup("who am I?"))
}
