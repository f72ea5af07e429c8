//! An IMAP mailbox as an [`Inbox`], through `async-imap`: `imap://` in the clear (a server
//! on the same machine), `imaps://` over TLS with the system's roots.

use std::sync::Arc;

use async_imap::Client;
use async_trait::async_trait;
use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use url::Url;

use crate::source::{Inbox, InboxError, MAX_EMAIL_BYTES, RawEmail};

/// An IMAP mailbox, read without changing it (`BODY.PEEK`: nothing is marked seen).
///
/// ```
/// use aliprotect_inbox::ImapInbox;
/// let inbox = ImapInbox::from_url("imaps://ip@mail.firm.example/IPP", "app password")?;
/// assert_eq!(inbox.mailbox(), "IPP");
/// # Ok::<(), aliprotect_inbox::InboxError>(())
/// ```
#[derive(Clone)]
pub struct ImapInbox {
    host: String,
    port: u16,
    tls: bool,
    user: String,
    password: String,
    mailbox: String,
}

impl std::fmt::Debug for ImapInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapInbox")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .field("mailbox", &self.mailbox)
            .finish_non_exhaustive()
    }
}

fn server(detail: impl ToString) -> InboxError {
    InboxError::Server(detail.to_string())
}

impl ImapInbox {
    /// The mailbox at `url` (`imap://USER@HOST[:PORT][/MAILBOX]` or `imaps://...`; the
    /// mailbox is `INBOX` when not given), signed in to with `password`. A password in the
    /// URL is refused: it would end up in shell histories and process lists.
    pub fn from_url(url: &str, password: impl Into<String>) -> Result<Self, InboxError> {
        let parsed = Url::parse(url).map_err(|e| server(format!("`{url}` is no URL: {e}")))?;
        let tls = match parsed.scheme() {
            "imaps" => true,
            "imap" => false,
            other => return Err(server(format!("`{other}:` is not imap: or imaps:"))),
        };
        if parsed.password().is_some() {
            return Err(server("give the password apart from the URL"));
        }
        let user = percent_decode(parsed.username());
        if user.is_empty() {
            return Err(server("the URL names no user (imaps://USER@HOST/MAILBOX)"));
        }
        let host = parsed
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| server("the URL names no host"))?
            .to_owned();
        let mailbox = percent_decode(parsed.path().trim_start_matches('/'));
        Ok(Self {
            port: parsed.port().unwrap_or(if tls { 993 } else { 143 }),
            host,
            tls,
            user,
            password: password.into(),
            mailbox: if mailbox.is_empty() {
                "INBOX".to_owned()
            } else {
                mailbox
            },
        })
    }

    /// The mailbox read.
    pub fn mailbox(&self) -> &str {
        &self.mailbox
    }

    async fn read<T>(&self, stream: T) -> Result<Vec<RawEmail>, InboxError>
    where
        T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
    {
        let mut client = Client::new(stream);
        client
            .read_response()
            .await
            .map_err(server)?
            .ok_or_else(|| server("the server closed the connection before its greeting"))?;
        let mut session = client
            .login(&self.user, &self.password)
            .await
            .map_err(|(error, _)| server(format!("signing in as {}: {error}", self.user)))?;
        let mailbox = session.select(&self.mailbox).await.map_err(server)?;
        let mut emails = Vec::new();
        if mailbox.exists > 0 {
            // Sizes first: a message too large is refused before its bytes are fetched.
            let sizes: Vec<_> = session
                .fetch("1:*", "(UID RFC822.SIZE)")
                .await
                .map_err(server)?
                .try_collect()
                .await
                .map_err(server)?;
            let mut too_large = Vec::new();
            for fetch in &sizes {
                let size = u64::from(fetch.size.unwrap_or(0));
                if size > MAX_EMAIL_BYTES {
                    too_large.push(fetch.message);
                    emails.push(RawEmail {
                        source: self.location(fetch.uid),
                        bytes: Vec::new(),
                        too_large: Some(size),
                    });
                }
            }
            let fetched: Vec<_> = session
                .fetch("1:*", "(UID BODY.PEEK[])")
                .await
                .map_err(server)?
                .try_collect()
                .await
                .map_err(server)?;
            for fetch in fetched {
                if too_large.contains(&fetch.message) {
                    continue;
                }
                // A message the server sends without a body is an empty email: it is
                // recorded, and left for a person, rather than dropped unseen.
                let body = fetch.body().unwrap_or_default().to_vec();
                emails.push(RawEmail::new(self.location(fetch.uid), body));
            }
        }
        if let Err(error) = session.logout().await {
            tracing::debug!(%error, "IMAP logout failed; the emails were read");
        }
        Ok(emails)
    }

    /// An IMAP URL of the message with `uid` (RFC 5092).
    fn location(&self, uid: Option<u32>) -> String {
        let scheme = if self.tls { "imaps" } else { "imap" };
        let uid = uid.map_or_else(String::new, |uid| format!(";UID={uid}"));
        format!("{scheme}://{}/{}{uid}", self.host, self.mailbox)
    }
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

#[async_trait]
impl Inbox for ImapInbox {
    async fn emails(&self) -> Result<Vec<RawEmail>, InboxError> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| server(format!("{}:{}: {e}", self.host, self.port)))?;
        if !self.tls {
            return self.read(tcp).await;
        }
        let mut roots = rustls::RootCertStore::empty();
        for certificate in rustls_native_certs::load_native_certs().certs {
            // A certificate the system holds but rustls cannot use is skipped, as a browser
            // would skip it.
            let _ = roots.add(certificate);
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(server)?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(self.host.clone()).map_err(server)?;
        let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| server(format!("TLS with {}: {e}", self.host)))?;
        self.read(stream).await
    }
}
