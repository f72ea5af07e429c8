//! Where emails come from: the [`Inbox`] trait, and [`MailFiles`] for a maildir, an mbox
//! file or a directory of `.eml` files.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

/// An email as an inbox holds it: its RFC 5322 bytes, and where it was found (a file's
/// path, an IMAP message's mailbox and UID), for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEmail {
    /// Where it was found.
    pub source: String,
    /// Its bytes, as received (none when it is too large to read).
    pub bytes: Vec<u8>,
    /// Its size, when it is larger than [`MAX_EMAIL_BYTES`] and so was not read: a reader
    /// reports it for a person, and goes on with the others.
    pub too_large: Option<u64>,
}

impl RawEmail {
    /// The email `bytes` found at `source`.
    pub fn new(source: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self {
            source: source.into(),
            bytes,
            too_large: None,
        }
    }

    /// The email at `source` of `size` bytes: itself if it may be read (`read` gives its
    /// bytes), else a note that it is too large.
    fn of_size(
        source: String,
        size: u64,
        read: impl FnOnce() -> Result<Vec<u8>, InboxError>,
    ) -> Result<Self, InboxError> {
        if size > MAX_EMAIL_BYTES {
            return Ok(Self {
                source,
                bytes: Vec::new(),
                too_large: Some(size),
            });
        }
        Ok(Self::new(source, read()?))
    }
}

/// Why an inbox could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// A file or directory could not be read.
    #[error("{path}: {detail}")]
    File {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The mail server could not be reached, refused the login, or failed.
    #[error("the mail server: {0}")]
    Server(String),
}

/// The largest email read: 25 MiB, what common mail servers accept. A larger one is not
/// read (a hostile inbox cannot exhaust memory), and is reported for a person.
pub const MAX_EMAIL_BYTES: u64 = 25 * 1024 * 1024;

/// A mailbox to read: every email it holds now, in a stable order. Reading twice reads the
/// same emails again; what was applied is known by its Message-ID, not by the inbox.
#[async_trait]
pub trait Inbox: Send + Sync {
    /// Every email the inbox holds.
    async fn emails(&self) -> Result<Vec<RawEmail>, InboxError>;
}

/// Emails in files: a maildir (a directory with `cur` and `new`), an mbox file, or a
/// directory of `.eml` files (and any directories in it), read with `mail-parser`'s
/// mailbox readers.
///
/// ```
/// use aliprotect_inbox::{Inbox, MailFiles};
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("a.eml"), "Message-ID: <1@x>\r\nSubject: hi\r\n\r\nbody\r\n")?;
/// let inbox = MailFiles::open(dir.path())?;
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// assert_eq!(inbox.emails().await?.len(), 1);
/// # Ok::<(), aliprotect_inbox::InboxError>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailFiles {
    /// A maildir.
    Maildir(PathBuf),
    /// An mbox file.
    Mbox(PathBuf),
    /// A directory of `.eml` files.
    EmlDirectory(PathBuf),
}

impl MailFiles {
    /// What `path` holds: a maildir if it has `cur` and `new`, a directory of `.eml` files
    /// if it is another directory, an mbox if it is a file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, InboxError> {
        let path = path.as_ref();
        let metadata = std::fs::metadata(path).map_err(|e| file_error(path, e))?;
        Ok(if metadata.is_file() {
            MailFiles::Mbox(path.to_owned())
        } else if path.join("cur").is_dir() && path.join("new").is_dir() {
            MailFiles::Maildir(path.to_owned())
        } else {
            MailFiles::EmlDirectory(path.to_owned())
        })
    }

    /// The emails: an mbox's in the file's order, a directory's by path.
    fn read(&self) -> Result<Vec<RawEmail>, InboxError> {
        let mut emails = match self {
            MailFiles::Maildir(path) => {
                let messages = mail_parser::mailbox::maildir::MessageIterator::new(path.clone())
                    .map_err(|e| file_error(path, e))?;
                let mut emails = Vec::new();
                for message in messages {
                    let message = message.map_err(|e| file_error(path, e))?;
                    let source = message.path().display().to_string();
                    let size = message.contents().len() as u64;
                    emails.push(RawEmail::of_size(source, size, || {
                        Ok(message.unwrap_contents())
                    })?);
                }
                emails
            }
            MailFiles::Mbox(path) => {
                let file = std::fs::File::open(path).map_err(|e| file_error(path, e))?;
                let messages =
                    mail_parser::mailbox::mbox::MessageIterator::new(std::io::BufReader::new(file));
                let mut emails = Vec::new();
                for (n, message) in messages.enumerate() {
                    let message = message.map_err(|e| file_error(path, e))?;
                    let source = format!("{} #{}", path.display(), n + 1);
                    let size = message.contents().len() as u64;
                    emails.push(RawEmail::of_size(source, size, || {
                        Ok(message.unwrap_contents())
                    })?);
                }
                return Ok(emails);
            }
            MailFiles::EmlDirectory(path) => {
                let mut emails = Vec::new();
                eml_files(path, &mut emails)?;
                emails
            }
        };
        emails.sort_by(|a, b| a.source.cmp(&b.source));
        Ok(emails)
    }
}

#[async_trait]
impl Inbox for MailFiles {
    async fn emails(&self) -> Result<Vec<RawEmail>, InboxError> {
        let files = self.clone();
        tokio::task::spawn_blocking(move || files.read())
            .await
            .map_err(|e| InboxError::Server(format!("the reading task failed: {e}")))?
    }
}

fn file_error(path: &Path, error: impl ToString) -> InboxError {
    InboxError::File {
        path: path.to_owned(),
        detail: error.to_string(),
    }
}

/// The `.eml` files under `dir`, depth first.
fn eml_files(dir: &Path, emails: &mut Vec<RawEmail>) -> Result<(), InboxError> {
    let entries = std::fs::read_dir(dir).map_err(|e| file_error(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| file_error(dir, e))?;
        let path = entry.path();
        // Not through symbolic links: a link to a parent would loop for ever.
        let is_link = entry.file_type().is_ok_and(|kind| kind.is_symlink());
        if path.is_dir() && !is_link {
            eml_files(&path, emails)?;
        } else if path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("eml"))
        {
            let source = path.display().to_string();
            let size = std::fs::metadata(&path)
                .map_err(|e| file_error(&path, e))?
                .len();
            emails.push(RawEmail::of_size(source, size, || {
                std::fs::read(&path).map_err(|e| file_error(&path, e))
            })?);
        }
    }
    Ok(())
}
