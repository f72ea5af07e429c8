//! Testing your embedding with the `mock` feature: the engine runs on mockall mocks of the
//! store, notifier and clock, and the test states exactly which calls your code must cause,
//! with no database and no network.
//!
//! Run: `cargo run --example mock_embedding` (in your crate, enable `aliprotect`'s `mock` and
//! `testkit` features for your tests). `cargo test` runs it too, as a test.
#![allow(clippy::print_stdout, clippy::expect_used)]

use aliprotect::backend::{
    DomainEvent, Loaded, MockStore, OutboxMessage, Settlement, Snapshot, StreamId, StreamKind,
};
use aliprotect::clock::MockClock;
use aliprotect::engine::{Command, Engine, Request};
use aliprotect::ids::RightId;
use aliprotect::notify::{MessageId, MockNotifier, NotificationBody};
use aliprotect::party::Actor;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::right::{RightCommand, RightStatus};
use aliprotect::testkit::fixtures;
use mockall::predicate::eq;

/// The embedding program's own code under test: it records an approval read off the
/// platform's dashboard, then pushes notifications out.
async fn record_approval<S, N, C>(engine: &Engine<S, N, C>, right: RightId) -> usize
where
    S: aliprotect::backend::Store,
    N: aliprotect::notify::Notifier,
    C: aliprotect::clock::Clock,
{
    let request = Request::new(
        fixtures::tenant(),
        Actor::Platform,
        Command::right(right, RightCommand::Approve),
    );
    engine.execute(request).await.expect("approval recorded");
    engine.jobs().dispatch().await.expect("dispatch").delivered
}

/// Mocks that expect exactly the calls recording one approval and delivering its
/// notification cause, and the embedding's code run on them. Returns the notifications it
/// delivered; the mocks panic on any unexpected call, and when dropped, on any missing one.
async fn approval_against_mocks() -> usize {
    let mut under_review = fixtures::right_in(RightStatus::UnderReview);
    under_review.attempts = 1;
    let right = under_review.id;
    let stream = StreamId::Right(right);

    let mut clock = MockClock::new();
    clock.expect_now().return_const(fixtures::now());

    let policy = MarketplacePolicy::alibaba_ipp();
    let mut store = MockStore::new();
    // On first use the engine checks that the store's data follows its policy.
    let (policy_tenant, policy_stream) = aliprotect::policy::POLICY_STREAM;
    let recorded = fixtures::recorded_policy(&policy);
    store
        .expect_load()
        .with(eq(policy_tenant), eq(policy_stream))
        .times(1)
        .return_once(move |_, _| Ok(Some(recorded)));
    // The engine loads the stream it decides on with `load_to_decide` (a store may answer it
    // from a cache), and everything else with `load`.
    store
        .expect_load_to_decide()
        .with(eq(fixtures::tenant()), eq(stream))
        .times(1)
        .return_once(move |_, _| {
            Ok(Some(Loaded {
                version: 3,
                snapshot: Snapshot::Right(std::sync::Arc::new(under_review)),
            }))
        });
    store
        .expect_commit()
        .times(1)
        .withf(move |commit| {
            commit.stream == stream
                && commit.expected_version == 3
                && matches!(
                    commit.events.as_slice(),
                    [DomainEvent::Right(e)] if e.change == aliprotect::right::RightChange::Approved
                )
                && commit.outbox.len() == 1
                && commit.work.is_some()
        })
        .returning(|_| Ok(()));
    // Approval releases staged complaints (there are none), then marks that work done.
    store
        .expect_find()
        .withf(|_, query| query.kind == StreamKind::Complaint && query.key.is_some())
        .times(1)
        .returning(|_, _| Ok(vec![]));
    store
        .expect_complete_work()
        .times(1)
        .returning(|_, _| Ok(true));
    let id = MessageId {
        tenant: fixtures::tenant(),
        stream,
        version: 4,
    };
    let mut message = OutboxMessage::new(id, fixtures::now(), NotificationBody::RightApproved);
    message.attempts = 1;
    store
        .expect_claim_outbox()
        .times(1)
        .return_once(move |_| Ok(vec![message]));
    store
        .expect_settle_outbox()
        .withf(move |id, settlement| {
            id.stream == stream
                && id.version == 4
                && matches!(settlement, Settlement::Delivered { .. })
        })
        .times(1)
        .returning(|_, _| Ok(true));

    let mut notifier = MockNotifier::new();
    notifier
        .expect_send()
        .withf(|id, n| id.version == 4 && n.body == NotificationBody::RightApproved)
        .times(1)
        .returning(|_, _| Ok(()));

    let engine = Engine::new(store, notifier, clock, policy);
    record_approval(&engine, right).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let delivered = approval_against_mocks().await;
    println!("approval recorded against mocks; {delivered} notification delivered");
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn an_embedding_is_tested_against_mocks() {
        assert_eq!(super::approval_against_mocks().await, 1);
    }
}
