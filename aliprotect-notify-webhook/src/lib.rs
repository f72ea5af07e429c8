//! # aliprotect-notify-webhook
//!
//! Delivers aliprotect notifications as signed JSON `POST`s to a URL of your choosing.
//!
//! ```
//! use aliprotect_notify_webhook::{WebhookConfig, WebhookNotifier, signature::Secret};
//! use std::time::Duration;
//!
//! let url = "https://example.com/hooks/aliprotect".parse()?;
//! let notifier = WebhookNotifier::new(WebhookConfig {
//!     timeout: Duration::from_secs(5),
//!     ..WebhookConfig::new(url, Secret::new("s3cret"))
//! })?;
//! // Engine::new(store, notifier, clock, policy): nothing is sent until the first delivery.
//! // The receiving side: `examples/receive_webhooks.rs` at the workspace root.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Each request carries:
//! - the body `{"id": "<tenant>/<stream>@<version>", "kind": "<kind>", "notification": {...}}`;
//! - the [Standard Webhooks](https://www.standardwebhooks.com/) headers: `webhook-id`, the
//!   idempotency key, the same on every retry of a message; `webhook-timestamp`; and
//!   `webhook-signature: v1,<base64>`, HMAC-SHA256 over `<id>.<timestamp>.<body>`. Receivers
//!   check them with [`signature::verify`], or with any Standard Webhooks library, configured
//!   with the secret's [`to_whsec`](signature::Secret::to_whsec).
//!
//! Outcomes, as the dispatcher sees them: 2xx delivered; 5xx, timeouts and connection errors
//! retried later; 429 retried no sooner than its `Retry-After`; any other 4xx refused for good
//! (a dead letter). The secret is never logged nor shown by `Debug`.
#![deny(missing_docs)]

pub mod signature;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aliprotect_core::notify::{MessageId, Notification, Notifier, NotifyError};
use async_trait::async_trait;
use reqwest::StatusCode;
use serde::Serialize;
use url::Url;

use signature::{ID_HEADER, SIGNATURE_HEADER, Secret, TIMESTAMP_HEADER};

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The receiver's URL (http or https).
    pub url: Url,
    /// The shared signing secret.
    pub secret: Secret,
    /// Longest wait for one request, connection included.
    pub timeout: Duration,
    /// The `User-Agent` sent.
    pub user_agent: String,
}

impl WebhookConfig {
    /// A configuration with a 10-second timeout.
    pub fn new(url: Url, secret: Secret) -> Self {
        Self {
            url,
            secret,
            timeout: Duration::from_secs(10),
            user_agent: concat!("aliprotect-notify-webhook/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// Why a webhook notifier could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The URL is not http or https.
    #[error("webhook URL must be http or https, not `{0}`")]
    Scheme(String),
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// A [`Notifier`] that posts signed JSON.
#[derive(Debug, Clone)]
pub struct WebhookNotifier {
    client: reqwest::Client,
    config: WebhookConfig,
}

#[derive(Serialize)]
struct Payload<'a> {
    id: String,
    kind: &'static str,
    notification: &'a Notification,
}

impl WebhookNotifier {
    /// A notifier for `config`.
    pub fn new(config: WebhookConfig) -> Result<Self, WebhookError> {
        match config.url.scheme() {
            "http" | "https" => {}
            other => return Err(WebhookError::Scheme(other.to_owned())),
        }
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(config.user_agent.clone())
            .build()?;
        Ok(Self { client, config })
    }
}

/// Seconds to wait from a `Retry-After` header given in seconds (HTTP dates are rare from
/// webhook receivers and are treated as absent).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[async_trait]
impl Notifier for WebhookNotifier {
    async fn send(&self, id: &MessageId, notification: &Notification) -> Result<(), NotifyError> {
        let body = serde_json::to_vec(&Payload {
            id: id.to_string(),
            kind: notification.body.kind(),
            notification,
        })
        .map_err(|e| NotifyError::permanent(format!("cannot encode: {e}")))?;
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let id = id.to_string();
        let signature = signature::sign(&self.config.secret, &id, timestamp, &body);
        let sent = self
            .client
            .post(self.config.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(ID_HEADER, &id)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            // Timeouts, refused or dropped connections: worth another try.
            Err(error) => return Err(NotifyError::temporary(format!("request failed: {error}"))),
        };
        let status = response.status();
        tracing::debug!(%id, %status, "webhook delivered");
        match status {
            s if s.is_success() => Ok(()),
            StatusCode::TOO_MANY_REQUESTS => Err(NotifyError::Temporary {
                reason: format!("receiver answered {status}"),
                retry_after: retry_after(&response),
            }),
            s if s.is_server_error() => Err(NotifyError::temporary(format!(
                "receiver answered {status}"
            ))),
            _ => Err(NotifyError::permanent(format!(
                "receiver answered {status}"
            ))),
        }
    }
}
