//! # aliprotect-notify-email
//!
//! Delivers aliprotect notifications by email over SMTP (through `lettre`), with a plain-text
//! and an HTML body per kind of notification, in the recipient's language where a template
//! exists (English otherwise).
//!
//! ```
//! use aliprotect_notify_email::{EmailConfig, EmailNotifier, Language, Recipient, SmtpSecurity};
//!
//! let config = EmailConfig::new("smtp.example.com", 587, SmtpSecurity::StartTls, "alerts@brand.example")?;
//! let legal = Recipient::new("legal@brand.example", Language::En)?;
//! // Who hears about what: here every notification goes to the legal team.
//! let notifier = EmailNotifier::new(config, move |_: &aliprotect_core::notify::Notification| {
//!     vec![legal.clone()]
//! })?;
//! // Engine::new(store, notifier, clock, policy): nothing connects until the first delivery.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Each message carries `X-Aliprotect-Id` (the idempotency key, the same on every retry) and
//! a `Message-ID` derived from it, so mail systems and people can spot a duplicate. SMTP
//! answers 4xx and connection failures are retried by the dispatcher; 5xx are refused for good.
#![deny(missing_docs)]

mod templates;

use std::time::Duration;

use aliprotect_core::notify::{MessageId, Notification, Notifier, NotifyError};
use async_trait::async_trait;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub use templates::{Language, Rendered, render};

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain, upgraded with STARTTLS (port 587).
    StartTls,
    /// No encryption: only for a relay on the same machine or in tests.
    None,
}

/// An address and the language its reader wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The address.
    pub mailbox: Mailbox,
    /// The language of the templates.
    pub language: Language,
}

/// Why an email setting is refused.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// Not an email address.
    #[error("invalid address `{address}`: {source}")]
    Address {
        /// The input.
        address: String,
        /// Why.
        source: lettre::address::AddressError,
    },
    /// The SMTP transport could not be set up (TLS parameters).
    #[error("cannot set up SMTP: {0}")]
    Transport(#[from] lettre::transport::smtp::Error),
}

impl Recipient {
    /// A recipient from an address like `legal@brand.example` or `Legal <legal@brand.example>`.
    pub fn new(address: &str, language: Language) -> Result<Self, EmailError> {
        Ok(Self {
            mailbox: parse_mailbox(address)?,
            language,
        })
    }
}

fn parse_mailbox(address: &str) -> Result<Mailbox, EmailError> {
    address.parse().map_err(|source| EmailError::Address {
        address: address.chars().take(200).collect(),
        source,
    })
}

/// Where to send from and through.
#[derive(Clone)]
pub struct EmailConfig {
    /// SMTP host.
    pub host: String,
    /// SMTP port.
    pub port: u16,
    /// Connection security.
    pub security: SmtpSecurity,
    /// Login, if the server needs one (the password never shows in `Debug`).
    pub credentials: Option<(String, String)>,
    /// The sender.
    pub from: Mailbox,
    /// Longest wait for the SMTP exchange of one message.
    pub timeout: Duration,
}

impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl EmailConfig {
    /// A configuration without login and a 30-second timeout.
    pub fn new(
        host: impl Into<String>,
        port: u16,
        security: SmtpSecurity,
        from: &str,
    ) -> Result<Self, EmailError> {
        Ok(Self {
            host: host.into(),
            port,
            security,
            credentials: None,
            from: parse_mailbox(from)?,
            timeout: Duration::from_secs(30),
        })
    }
}

/// Chooses who receives a notification (per tenant, per kind...).
pub trait RecipientsFor: Send + Sync + 'static {
    /// The recipients of `notification`; none means it is not emailed.
    fn recipients(&self, notification: &Notification) -> Vec<Recipient>;
}

impl<F> RecipientsFor for F
where
    F: Fn(&Notification) -> Vec<Recipient> + Send + Sync + 'static,
{
    fn recipients(&self, notification: &Notification) -> Vec<Recipient> {
        self(notification)
    }
}

/// A [`Notifier`] that sends emails.
pub struct EmailNotifier<R> {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    recipients: R,
}

impl<R> std::fmt::Debug for EmailNotifier<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailNotifier")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl<R: RecipientsFor> EmailNotifier<R> {
    /// A notifier sending through `config` to whom `recipients` names.
    pub fn new(config: EmailConfig, recipients: R) -> Result<Self, EmailError> {
        let builder = match config.security {
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)?,
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)?
            }
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            }
        };
        let mut builder = builder.port(config.port).timeout(Some(config.timeout));
        if let Some((user, password)) = config.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Self {
            transport: builder.build(),
            from: config.from,
            recipients,
        })
    }

    fn message(
        &self,
        id: &MessageId,
        notification: &Notification,
        to: &Recipient,
    ) -> Result<Message, NotifyError> {
        let rendered = render(notification, to.language);
        let domain = self.from.email.domain().to_owned();
        let message_id = format!(
            "<{}.{}@{domain}>",
            id.to_string().replace([':', '@'], "."),
            to.mailbox.email
        );
        let mut message = Message::builder()
            .from(self.from.clone())
            .to(to.mailbox.clone())
            .subject(rendered.subject)
            .message_id(Some(message_id))
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map_err(|e| NotifyError::permanent(format!("cannot build the message: {e}")))?;
        message.headers_mut().insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Aliprotect-Id"),
            id.to_string(),
        ));
        Ok(message)
    }
}

#[async_trait]
impl<R: RecipientsFor> Notifier for EmailNotifier<R> {
    async fn send(&self, id: &MessageId, notification: &Notification) -> Result<(), NotifyError> {
        for recipient in self.recipients.recipients(notification) {
            let message = self.message(id, notification, &recipient)?;
            if let Err(error) = self.transport.send(message).await {
                let reason = format!("SMTP to {}: {error}", recipient.mailbox.email);
                return Err(if error.is_permanent() {
                    NotifyError::permanent(reason)
                } else {
                    NotifyError::temporary(reason)
                });
            }
            tracing::debug!(%id, to = %recipient.mailbox.email, "email sent");
        }
        Ok(())
    }
}
