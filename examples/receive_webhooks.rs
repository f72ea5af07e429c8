//! Receiving the signed webhooks: what your HTTP endpoint does with each request the
//! `aliprotect-notify-webhook` notifier sends (feature `webhook` of `aliprotect`).
//!
//! The endpoint checks the signature over the id, the timestamp and the body before
//! trusting anything, then drops repeats by the idempotency key: deliveries are at least
//! once, and a retry carries the same key. The headers are Standard Webhooks' (`webhook-id`,
//! `webhook-timestamp`, `webhook-signature`), so a receiver in another language verifies
//! them with its Standard Webhooks library and the secret's `whsec_` form, for instance in
//! Python: `standardwebhooks.Webhook(whsec).verify(body, headers)`. Here a local mock server
//! stands in for your web framework; the handler, [`receive`], needs only the three headers
//! and the body, whatever the framework.
//! Run: `cargo run --example receive_webhooks`.
#![allow(clippy::print_stdout)]

use std::collections::HashSet;

use aliprotect::ids::{ComplaintId, TenantId};
use aliprotect::notify::{MessageId, Notification, NotificationBody, Notifier};
use aliprotect::store::StreamId;
use aliprotect_notify_webhook::signature::{self, Secret, VerifyError};
use aliprotect_notify_webhook::{WebhookConfig, WebhookNotifier};
use chrono::Utc;
use serde::Deserialize;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// How far the sender's clock may be from ours, and how old a replayed request may be.
const TOLERANCE_SECS: i64 = 300;

/// The JSON body of every webhook.
#[derive(Deserialize)]
struct Delivery {
    id: String,
    kind: String,
    notification: Notification,
}

/// Why the endpoint refused a request (answer 400 or 401; the sender gives up on a 4xx).
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("bad timestamp")]
    BadTimestamp,
    #[error(transparent)]
    Signature(#[from] VerifyError),
    #[error("unreadable body: {0}")]
    Body(#[from] serde_json::Error),
}

/// What the endpoint made of a request it trusts.
enum Received {
    New(Delivery),
    Repeat(String),
}

/// Your endpoint's handler: the three headers and the raw body (before any JSON parsing:
/// the signature covers the exact bytes).
fn receive(
    secret: &Secret,
    header: impl Fn(&'static str) -> Option<String>,
    body: &[u8],
    seen: &mut HashSet<String>,
) -> Result<Received, Refused> {
    let id = header(signature::ID_HEADER).ok_or(Refused::MissingHeader(signature::ID_HEADER))?;
    let timestamp = header(signature::TIMESTAMP_HEADER)
        .ok_or(Refused::MissingHeader(signature::TIMESTAMP_HEADER))?
        .parse::<i64>()
        .map_err(|_| Refused::BadTimestamp)?;
    let signed = header(signature::SIGNATURE_HEADER)
        .ok_or(Refused::MissingHeader(signature::SIGNATURE_HEADER))?;
    let now = Utc::now().timestamp();
    signature::verify(secret, &id, timestamp, &signed, body, now, TOLERANCE_SECS)?;
    let delivery: Delivery = serde_json::from_slice(body)?;
    // Keep the ids in your database in real life, beside what the notification changes.
    if !seen.insert(delivery.id.clone()) {
        return Ok(Received::Repeat(delivery.id));
    }
    Ok(Received::New(delivery))
}

fn headers_of(request: &Request) -> impl Fn(&'static str) -> Option<String> + '_ {
    |name| {
        let value = request.headers.get(name)?;
        value.to_str().ok().map(str::to_owned)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = "whsec-shared-with-the-sender";
    let endpoint = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&endpoint)
        .await;

    // The sending side, as the engine's dispatcher uses it: the same message twice (a retry).
    let url = format!("{}/hooks/aliprotect", endpoint.uri()).parse()?;
    let notifier = WebhookNotifier::new(WebhookConfig::new(url, Secret::new(secret)))?;
    let (tenant, subject) = (TenantId::new(), StreamId::Complaint(ComplaintId::new()));
    let id = MessageId {
        tenant,
        stream: subject,
        version: 5,
    };
    let notification = Notification {
        tenant,
        subject,
        at: Utc::now(),
        body: NotificationBody::CounterNoticeReceived { response_due: None },
    };
    notifier.send(&id, &notification).await?;
    notifier.send(&id, &notification).await?;

    // The receiving side.
    let secret = Secret::new(secret);
    let mut seen = HashSet::new();
    let requests = endpoint.received_requests().await.unwrap_or_default();
    for request in &requests {
        match receive(&secret, headers_of(request), &request.body, &mut seen) {
            Ok(Received::New(delivery)) => println!(
                "accepted {} ({}): about {}",
                delivery.id, delivery.kind, delivery.notification.subject
            ),
            Ok(Received::Repeat(id)) => println!("repeat of {id}: acknowledged, not applied again"),
            Err(refused) => println!("refused: {refused}"),
        }
    }
    // A forged request: the body changed after signing.
    if let Some(request) = requests.first() {
        let forged = String::from_utf8_lossy(&request.body).replace("Counter", "Forged");
        match receive(
            &secret,
            headers_of(request),
            forged.as_bytes(),
            &mut HashSet::new(),
        ) {
            Err(refused) => println!("forged body refused: {refused}"),
            Ok(_) => return Err("a forged body was accepted".into()),
        }
    }
    Ok(())
}
