//! The outbox's promises: messages claimed under a lease, settled by their owner only,
//! dead letters kept for a person and revived by their tenant only.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use chrono::{DateTime, Duration, Utc};

use super::{Builder, LEASE, assert_nothing, lease_of, message};
use crate::complaint::ComplaintCommand;
use crate::ids::{TenantId, WorkerId};
use crate::notify::MessageId;
use crate::store::{Claim, Commit, OutboxMessage, Settlement, Store, StreamId};

/// Outbox messages are leased (attempts counted, hidden until the lease ends), removed on
/// ack, and made available again at the time given on release.
pub async fn outbox_claim_ack_retry(store: &dyn Store) {
    let queued = Queued::submit(store, 2).await;
    let base = queued.base;
    let worker = WorkerId::new();
    let claimed = queued.claim(store, worker, base).await;
    assert_eq!(claimed.len(), 2, "both available");
    assert_eq!(
        claimed[0].notification, queued.commit.outbox[0].notification,
        "stored exactly"
    );
    assert_eq!(
        tries(&claimed),
        vec![(2, 1), (3, 1)],
        "oldest first, attempts counted"
    );
    assert!(
        queued.claim(store, worker, base).await.is_empty(),
        "leased messages are hidden"
    );
    let after_lease = base + LEASE + Duration::seconds(1);
    let taker = WorkerId::new();
    assert_eq!(
        tries(&queued.claim(store, taker, after_lease).await),
        vec![(2, 2), (3, 2)],
        "an expired lease hands the message out again"
    );
    assert!(
        !queued.settle(store, 2, delivered(worker)).await,
        "a worker whose claim was taken over cannot ack"
    );
    assert!(
        !queued.settle(store, 3, retry(worker, after_lease)).await,
        "nor release"
    );
    assert!(queued.settle(store, 2, delivered(taker)).await);
    assert!(
        !queued.settle(store, 2, delivered(taker)).await,
        "a second ack is harmless and says so"
    );
    let retry_at = after_lease + Duration::seconds(10);
    assert!(queued.settle(store, 3, retry(taker, retry_at)).await);
    let early = retry_at - Duration::seconds(1);
    assert!(
        queued.claim(store, worker, early).await.is_empty(),
        "not before the retry time"
    );
    assert_eq!(
        tries(&queued.claim(store, worker, retry_at).await),
        vec![(3, 3)],
        "acked message gone, released one back"
    );
}

/// Settlements in a batch apply as they would one by one, in order: the owner's count,
/// a second one, an unknown id's and a stranger's do not, and each answer says which.
pub async fn outbox_batch_settlement(store: &dyn Store) {
    let queued = Queued::submit(store, 4).await;
    let base = queued.base;
    let (worker, stranger) = (WorkerId::new(), WorkerId::new());
    assert_eq!(versions(&queued.claim(store, worker, base).await), [2, 3]);
    let retry_at = base + Duration::seconds(30);
    let applied = store
        .settle_outbox_batch(vec![
            (queued.id(2), delivered(stranger)),
            (queued.id(2), delivered(worker)),
            (queued.id(2), delivered(worker)),
            (queued.id(99), delivered(worker)),
            (queued.id(3), retry(worker, retry_at)),
        ])
        .await
        .expect("settle a batch");
    assert_eq!(
        applied,
        [false, true, false, false, true],
        "a stranger's, a second and an unknown id's settlement change nothing"
    );
    assert!(
        store
            .settle_outbox_batch(Vec::new())
            .await
            .expect("settle nothing")
            .is_empty()
    );
    assert!(
        queued
            .claim(store, worker, retry_at - Duration::seconds(1))
            .await
            .is_empty(),
        "the delivered message is gone, the released one waits for its time"
    );
    assert_eq!(
        tries(&queued.claim(store, worker, retry_at).await),
        vec![(3, 2)],
        "then comes back"
    );

    // Distinct messages only (what a dispatcher settles), which a backend may settle
    // together: the same answers.
    let queued = Queued::submit(store, 5).await;
    let base = queued.base;
    assert_eq!(versions(&queued.claim(store, worker, base).await), [2, 3]);
    let applied = store
        .settle_outbox_batch(vec![
            (queued.id(2), delivered(stranger)),
            (queued.id(99), delivered(worker)),
            (queued.id(3), delivered(worker)),
        ])
        .await
        .expect("settle a batch");
    assert_eq!(applied, [false, false, true]);
    let after_lease = base + LEASE + Duration::seconds(1);
    assert_eq!(
        tries(&queued.claim(store, worker, after_lease).await),
        vec![(2, 2)],
        "the stranger's delivery left its message to be sent again"
    );
}

/// A dead-lettered message is never claimed again, is listed for its own tenant only, and
/// goes back into delivery, attempts reset, when revived.
pub async fn dead_letters(store: &dyn Store) {
    let queued = Queued::submit(store, 3).await;
    let (tenant, base) = (queued.tenant, queued.base);
    let worker = WorkerId::new();
    assert_eq!(
        versions(&queued.claim(store, worker, base).await),
        vec![2, 3]
    );
    let gone = queued.id(2);
    assert!(
        queued
            .settle(store, 2, dead_letter(worker, "HTTP 410 Gone"))
            .await
    );
    assert!(
        !queued.settle(store, 99, dead_letter(worker, "x")).await,
        "unknown ids are ignored"
    );
    let later = base + Duration::days(1);
    assert_eq!(
        versions(&queued.claim(store, worker, later).await),
        vec![3],
        "a dead letter is not claimed"
    );
    let dead = store.dead_letters(tenant, 100).await.expect("dead letters");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].message.id, gone);
    assert_eq!(dead[0].message.attempts, 1);
    assert_eq!(
        dead[0].message.notification,
        queued.commit.outbox[0].notification
    );
    assert_eq!(dead[0].error, "HTTP 410 Gone");
    let stranger = TenantId::new();
    assert_nothing(store.dead_letters(stranger, 100).await, "dead letters");
    let revive = || Settlement::Revive { at: later };
    let strangers_id = MessageId {
        tenant: stranger,
        ..gone.clone()
    };
    assert!(
        !store
            .settle_outbox(&strangers_id, revive())
            .await
            .expect("revive")
    );
    assert!(queued.settle(store, 2, revive()).await);
    assert!(!queued.settle(store, 2, revive()).await, "revive once");
    assert_nothing(store.dead_letters(tenant, 100).await, "dead letters");
    let revived: Vec<OutboxMessage> = queued
        .claim(store, worker, later)
        .await
        .into_iter()
        .filter(|m| m.id == gone)
        .collect();
    assert_eq!(revived.len(), 1, "revived message is delivered again");
    assert_eq!(revived[0].attempts, 1, "attempts were reset");
}

/// A store that lists the messages still to deliver lists its own tenant's only, oldest
/// first, with their attempts and next try, as far as asked; a delivered message and a dead
/// letter are not among them. (A store that cannot list them answers `None`.)
pub async fn pending_outbox(store: &dyn Store) {
    let queued = Queued::submit(store, 3).await;
    let (tenant, base) = (queued.tenant, queued.base);
    let Some(pending) = store.pending_outbox(tenant, 100).await.expect("pending") else {
        return;
    };
    assert_eq!(
        tries(&pending),
        vec![(2, 0), (3, 0)],
        "both queued, untried"
    );
    assert!(pending.iter().all(|m| m.available_at == base));
    let listed = |limit| async move {
        store
            .pending_outbox(tenant, limit)
            .await
            .expect("pending")
            .expect("listed before")
    };
    assert_eq!(versions(&listed(1).await), vec![2], "as far as asked");
    let stranger = store
        .pending_outbox(TenantId::new(), 100)
        .await
        .expect("pending");
    assert_eq!(stranger, Some(Vec::new()), "another tenant's are absent");

    let worker = WorkerId::new();
    assert_eq!(
        versions(&queued.claim(store, worker, base).await),
        vec![2, 3]
    );
    let next_try = base + Duration::hours(1);
    assert!(queued.settle(store, 2, delivered(worker)).await);
    assert!(queued.settle(store, 3, retry(worker, next_try)).await);
    let retrying = listed(100).await;
    assert_eq!(tries(&retrying), vec![(3, 1)], "the delivered one is gone");
    assert_eq!(retrying[0].available_at, next_try, "with its next try");
    assert_eq!(
        versions(&queued.claim(store, worker, next_try).await),
        vec![3]
    );
    assert!(
        queued
            .settle(store, 3, dead_letter(worker, "HTTP 410 Gone"))
            .await
    );
    assert!(listed(100).await.is_empty(), "a dead letter is not pending");
}

/// A filed complaint of a fresh tenant whose submission queued two messages, versions 2
/// and 3, both available at `base`.
struct Queued {
    tenant: TenantId,
    stream: StreamId,
    base: DateTime<Utc>,
    /// The submission's commit, with the two messages as they were queued.
    commit: Commit,
}

impl Queued {
    /// Files and submits a complaint; its messages are available `days` after the epoch.
    async fn submit(store: &dyn Store, days: i64) -> Self {
        let tenant = TenantId::new();
        let mut builder = Builder::file(store, tenant).await;
        let stream = builder.stream();
        let base = DateTime::<Utc>::UNIX_EPOCH + Duration::days(days);
        let mut second = message(stream, 2, tenant, base);
        second.id.version = 3;
        let commit = builder
            .run_with(store, ComplaintCommand::Submit, |commit| {
                commit.outbox = vec![message(stream, 2, tenant, base), second];
            })
            .await;
        Self {
            tenant,
            stream,
            base,
            commit,
        }
    }

    /// The id of this stream's message `version`.
    fn id(&self, version: u64) -> MessageId {
        MessageId {
            tenant: self.tenant,
            stream: self.stream,
            version,
        }
    }

    /// This stream's messages that a claim by `owner` at `at` hands out (other tests' messages
    /// in a shared store are left out).
    async fn claim(
        &self,
        store: &dyn Store,
        owner: WorkerId,
        at: DateTime<Utc>,
    ) -> Vec<OutboxMessage> {
        let claimed = store
            .claim_outbox(Claim {
                now: at,
                lease: lease_of(owner, at),
                limit: 1000,
            })
            .await
            .expect("claim");
        claimed
            .into_iter()
            .filter(|m| m.id.stream == self.stream)
            .collect()
    }

    /// Whether `settlement` of message `version` took effect.
    async fn settle(&self, store: &dyn Store, version: u64, settlement: Settlement) -> bool {
        store
            .settle_outbox(&self.id(version), settlement)
            .await
            .expect("settle")
    }
}

/// Each message's version and delivery attempts so far.
fn tries(messages: &[OutboxMessage]) -> Vec<(u64, u32)> {
    messages
        .iter()
        .map(|m| (m.id.version, m.attempts))
        .collect()
}

fn versions(messages: &[OutboxMessage]) -> Vec<u64> {
    messages.iter().map(|m| m.id.version).collect()
}

fn delivered(owner: WorkerId) -> Settlement {
    Settlement::Delivered { owner }
}

fn retry(owner: WorkerId, at: DateTime<Utc>) -> Settlement {
    Settlement::Retry { owner, at }
}

fn dead_letter(owner: WorkerId, error: &str) -> Settlement {
    Settlement::DeadLetter {
        owner,
        error: error.to_owned(),
    }
}
