//! An email read: what a person would see of it, whatever its encoding (quoted-printable,
//! base64, GBK or GB2312 bodies, HTML only), by `mail-parser`.

use chrono::{DateTime, Utc};
use mail_parser::MessageParser;
use sha2::{Digest, Sha256};

/// An email as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadEmail {
    /// Its Message-ID, without angle brackets; for an email without one, `sha256:` and the
    /// digest of its bytes, so that the same bytes are still one email.
    pub message_id: String,
    /// The sender's address.
    pub from: Option<String>,
    /// Its subject.
    pub subject: Option<String>,
    /// When it says it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// Its text: every text part, HTML parts as text, with quoted lines (`> `) unquoted, so
    /// that a reply or a forward shows the platform's words.
    pub text: String,
    /// Its `Authentication-Results` headers (RFC 8601), as the receiving servers wrote
    /// them: what says whether the sender is who the From header claims.
    pub authentication: Vec<String>,
}

/// Why an email could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    /// Not an email at all.
    #[error("not an email: no header could be read")]
    NotAnEmail,
}

impl ReadEmail {
    /// The email in `bytes`.
    ///
    /// ```
    /// use aliprotect_inbox::ReadEmail;
    /// let email = ReadEmail::parse(
    ///     b"Message-ID: <42@ipp.example>\r\nSubject: =?UTF-8?B?5oqV6K+J?=\r\n\
    ///       Content-Type: text/plain; charset=utf-8\r\n\r\nUnable to Process\r\n",
    /// )?;
    /// assert_eq!(email.message_id, "42@ipp.example");
    /// assert_eq!(email.subject.as_deref(), Some("投诉"));
    /// assert!(email.text.contains("Unable to Process"));
    /// # Ok::<(), aliprotect_inbox::EmailError>(())
    /// ```
    pub fn parse(bytes: &[u8]) -> Result<Self, EmailError> {
        let message = MessageParser::default()
            .parse(bytes)
            .ok_or(EmailError::NotAnEmail)?;
        if message.headers().is_empty() {
            return Err(EmailError::NotAnEmail);
        }
        let message_id = match message
            .message_id()
            .map(str::trim)
            .filter(|id| !id.is_empty())
        {
            Some(id) => id.trim_matches(['<', '>']).to_owned(),
            None => format!("sha256:{}", hex::encode(Sha256::digest(bytes))),
        };
        let mut text = String::new();
        for part in 0..message.text_body_count() {
            if let Some(body) = message.body_text(part) {
                text.push_str(&body);
                text.push('\n');
            }
        }
        if text.trim().is_empty() {
            for part in 0..message.html_body_count() {
                if let Some(body) = message.body_text(part) {
                    text.push_str(&body);
                    text.push('\n');
                }
            }
        }
        Ok(Self {
            message_id,
            from: message
                .from()
                .and_then(|from| from.first())
                .and_then(|address| address.address())
                .map(str::to_owned),
            subject: message.subject().map(str::to_owned),
            sent_at: message
                .date()
                .and_then(|date| DateTime::from_timestamp(date.to_timestamp(), 0)),
            text: unquote(&text),
            authentication: message
                .headers()
                .iter()
                .filter(|header| header.name().eq_ignore_ascii_case("authentication-results"))
                .filter_map(|header| header.value().as_text().map(str::to_owned))
                .collect(),
        })
    }

    /// The subject and the text, for matching.
    pub fn subject_and_text(&self) -> String {
        format!(
            "{}\n{}",
            self.subject.as_deref().unwrap_or_default(),
            self.text
        )
    }
}

/// `text` with the `>` of quoted lines taken off, however deeply quoted.
fn unquote(text: &str) -> String {
    text.lines()
        .map(|line| {
            let mut line = line.trim_start();
            while let Some(rest) = line.strip_prefix('>') {
                line = rest.trim_start();
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}
