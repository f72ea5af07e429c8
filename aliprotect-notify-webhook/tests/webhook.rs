//! Against a real HTTP server on 127.0.0.1 (wiremock): signatures verify, failures are
//! retried or dead-lettered as their status says, and retries carry the same key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration as StdDuration;

use aliprotect_core::clock::ManualClock;
use aliprotect_core::engine::Engine;
use aliprotect_core::ids::RightId;
use aliprotect_core::notify::{NotificationBody, Notifier};
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::testkit::engines::approve_right;
use aliprotect_core::testkit::fixtures;
use aliprotect_notify_webhook::signature::{
    ID_HEADER, SIGNATURE_HEADER, Secret, TIMESTAMP_HEADER, verify,
};
use aliprotect_notify_webhook::{WebhookConfig, WebhookNotifier};
use aliprotect_store_memory::MemoryStore;
use chrono::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "whsec_test";

fn notifier(server: &MockServer, timeout: StdDuration) -> WebhookNotifier {
    let url = format!("{}/hooks", server.uri()).parse().unwrap();
    WebhookNotifier::new(WebhookConfig {
        timeout,
        ..WebhookConfig::new(url, Secret::new(SECRET))
    })
    .unwrap()
}

type TestEngine = Engine<MemoryStore, WebhookNotifier, ManualClock>;

/// An engine whose outbox holds one notification: a right approved.
async fn engine_with_an_approval(server: &MockServer) -> (TestEngine, ManualClock) {
    let clock = ManualClock::at(fixtures::now());
    let engine = Engine::new(
        MemoryStore::new(),
        notifier(server, StdDuration::from_secs(5)),
        clock.clone(),
        MarketplacePolicy::alibaba_ipp(),
    );
    let tenant = fixtures::tenant();
    let right = RightId::new();
    approve_right(&engine, tenant, right).await.unwrap();
    (engine, clock)
}

/// The receiver at `server` answers the first delivery with `first`, every later one 200.
async fn answer_first_then_ok(server: &MockServer, first: ResponseTemplate) {
    Mock::given(method("POST"))
        .respond_with(first)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(server)
        .await;
}

fn header<'a>(request: &'a wiremock::Request, name: &str) -> &'a str {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_signature_verifies_and_the_body_names_the_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let (engine, _) = engine_with_an_approval(&server).await;
    assert_eq!(engine.jobs().dispatch().await.unwrap().delivered, 1);

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    let timestamp: i64 = header(request, TIMESTAMP_HEADER).parse().unwrap();
    let now = chrono::Utc::now().timestamp();
    let id = header(request, ID_HEADER);
    verify(
        &Secret::new(SECRET),
        id,
        timestamp,
        header(request, SIGNATURE_HEADER),
        &request.body,
        now,
        300,
    )
    .expect("signature verifies");
    assert!(
        verify(
            &Secret::new("wrong"),
            id,
            timestamp,
            header(request, SIGNATURE_HEADER),
            &request.body,
            now,
            300
        )
        .is_err()
    );
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["kind"], "right_approved");
    assert_eq!(body["id"], header(request, ID_HEADER));
    assert!(
        header(request, ID_HEADER).starts_with(&format!("{}/right:", fixtures::tenant())),
        "the id names the tenant, then the stream"
    );
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/json"
    );
}

#[tokio::test]
async fn a_5xx_is_retried_later_with_the_same_key() {
    let server = MockServer::start().await;
    answer_first_then_ok(&server, ResponseTemplate::new(503)).await;
    let (engine, clock) = engine_with_an_approval(&server).await;
    let first = engine.jobs().dispatch().await.unwrap();
    assert_eq!((first.delivered, first.failed), (0, 1));
    clock.advance(Duration::seconds(5));
    assert_eq!(engine.jobs().dispatch().await.unwrap().delivered, 1);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        header(&requests[0], ID_HEADER),
        header(&requests[1], ID_HEADER)
    );
}

#[tokio::test]
async fn a_429_is_retried_no_sooner_than_its_retry_after() {
    let server = MockServer::start().await;
    answer_first_then_ok(
        &server,
        ResponseTemplate::new(429).insert_header("retry-after", "120"),
    )
    .await;
    let (engine, clock) = engine_with_an_approval(&server).await;
    assert_eq!(engine.jobs().dispatch().await.unwrap().failed, 1);
    clock.advance(Duration::seconds(60));
    assert_eq!(
        engine.jobs().dispatch().await.unwrap().delivered,
        0,
        "Retry-After honoured"
    );
    clock.advance(Duration::seconds(61));
    assert_eq!(engine.jobs().dispatch().await.unwrap().delivered, 1);
}

#[tokio::test]
async fn a_4xx_is_a_dead_letter_without_retries() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let (engine, clock) = engine_with_an_approval(&server).await;
    assert_eq!(engine.jobs().dispatch().await.unwrap().dead_lettered, 1);
    clock.advance(Duration::days(1));
    assert!(!engine.jobs().dispatch().await.unwrap().handled_any());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    let dead = engine
        .read()
        .dead_letters(fixtures::tenant(), 10)
        .await
        .unwrap();
    assert!(dead[0].error.contains("404"), "{}", dead[0].error);
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(StdDuration::from_secs(3)))
        .mount(&server)
        .await;
    let notifier = notifier(&server, StdDuration::from_millis(200));
    let id = aliprotect_core::notify::MessageId {
        tenant: fixtures::tenant(),
        stream: aliprotect_core::store::StreamId::Right(RightId::new()),
        version: 4,
    };
    let notification = aliprotect_core::notify::Notification {
        tenant: fixtures::tenant(),
        subject: id.stream,
        at: fixtures::now(),
        body: NotificationBody::RightApproved,
    };
    match notifier.send(&id, &notification).await {
        Err(aliprotect_core::notify::NotifyError::Temporary { .. }) => {}
        other => panic!("a timeout must be temporary, got {other:?}"),
    }
}

#[test]
fn the_secret_stays_out_of_debug_output() {
    let config = WebhookConfig::new("http://127.0.0.1:9/x".parse().unwrap(), Secret::new(SECRET));
    assert!(!format!("{config:?}").contains(SECRET));
    let notifier = WebhookNotifier::new(config).unwrap();
    assert!(!format!("{notifier:?}").contains(SECRET));
    assert!(
        WebhookNotifier::new(WebhookConfig::new(
            "ftp://127.0.0.1/x".parse().unwrap(),
            Secret::new(SECRET)
        ))
        .is_err()
    );
}
