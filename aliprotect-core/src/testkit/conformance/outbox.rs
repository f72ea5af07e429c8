//! The outbox's promises: messages claimed under a lease, settled by their owner only,
//! dead letters kept for a person and revived by their tenant only.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use chrono::{DateTime, Duration, Utc};

use super::{Builder, message};
use crate::complaint::ComplaintCommand;
use crate::ids::{TenantId, WorkerId};
use crate::notify::MessageId;
use crate::store::{Lease, OutboxMessage, Settlement, Store};

/// Outbox messages are leased (attempts counted, hidden until the lease ends), removed on
/// ack, and made available again at the time given on release.
pub async fn outbox_claim_ack_retry(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(store, tenant).await;
    let stream = builder.stream();
    let base = DateTime::<Utc>::UNIX_EPOCH + Duration::days(2);
    let mut submit = builder.decide(ComplaintCommand::Submit);
    submit.outbox = vec![message(stream, 2, tenant, base), {
        let mut m = message(stream, 2, tenant, base);
        m.id.version = 3;
        m
    }];
    store.commit(submit.clone()).await.expect("commit");
    builder.applied(&submit);
    let ours = |messages: Vec<OutboxMessage>| -> Vec<(u64, u32)> {
        messages
            .into_iter()
            .filter(|m| m.id.stream == stream)
            .map(|m| (m.id.version, m.attempts))
            .collect()
    };
    let worker = WorkerId::new();
    let lease_len = Duration::seconds(60);
    let lease = |at: DateTime<Utc>| Lease {
        owner: worker,
        until: at + lease_len,
    };
    let first = store
        .claim_outbox(base, lease(base), 1000)
        .await
        .expect("claim");
    let claimed: Vec<OutboxMessage> = first
        .iter()
        .filter(|m| m.id.stream == stream)
        .cloned()
        .collect();
    assert_eq!(claimed.len(), 2, "both available");
    assert_eq!(
        claimed[0].notification, submit.outbox[0].notification,
        "stored exactly"
    );
    assert_eq!(
        ours(first),
        vec![(2, 1), (3, 1)],
        "oldest first, attempts counted"
    );
    assert!(
        ours(
            store
                .claim_outbox(base, lease(base), 1000)
                .await
                .expect("claim")
        )
        .is_empty(),
        "leased messages are hidden"
    );
    let after_lease = base + lease_len + Duration::seconds(1);
    let taker = WorkerId::new();
    let taken = store
        .claim_outbox(
            after_lease,
            Lease {
                owner: taker,
                until: after_lease + lease_len,
            },
            1000,
        )
        .await
        .expect("claim");
    assert_eq!(
        ours(taken),
        vec![(2, 2), (3, 2)],
        "an expired lease hands the message out again"
    );
    let id = |version| MessageId {
        tenant,
        stream,
        version,
    };
    assert!(
        !store
            .settle_outbox(&id(2), delivered(worker))
            .await
            .expect("ack"),
        "a worker whose claim was taken over cannot ack"
    );
    assert!(
        !store
            .settle_outbox(&id(3), retry(worker, after_lease))
            .await
            .expect("release"),
        "nor release"
    );
    assert!(
        store
            .settle_outbox(&id(2), delivered(taker))
            .await
            .expect("ack")
    );
    assert!(
        !store
            .settle_outbox(&id(2), delivered(taker))
            .await
            .expect("ack"),
        "a second ack is harmless and says so"
    );
    let retry_at = after_lease + Duration::seconds(10);
    assert!(
        store
            .settle_outbox(&id(3), retry(taker, retry_at))
            .await
            .expect("release")
    );
    let early = retry_at - Duration::seconds(1);
    assert!(
        ours(
            store
                .claim_outbox(early, lease(early), 1000)
                .await
                .expect("claim")
        )
        .is_empty(),
        "not before the retry time"
    );
    assert_eq!(
        ours(
            store
                .claim_outbox(retry_at, lease(retry_at), 1000)
                .await
                .expect("claim")
        ),
        vec![(3, 3)],
        "acked message gone, released one back"
    );
}

/// A dead-lettered message is never claimed again, is listed for its own tenant only, and
/// goes back into delivery, attempts reset, when revived.
pub async fn dead_letters(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(store, tenant).await;
    let stream = builder.stream();
    let base = DateTime::<Utc>::UNIX_EPOCH + Duration::days(3);
    let mut submit = builder.decide(ComplaintCommand::Submit);
    submit.outbox = vec![message(stream, 2, tenant, base), {
        let mut m = message(stream, 2, tenant, base);
        m.id.version = 3;
        m
    }];
    store.commit(submit.clone()).await.expect("commit");
    builder.applied(&submit);
    let ours = |messages: Vec<OutboxMessage>| -> Vec<u64> {
        messages
            .into_iter()
            .filter(|m| m.id.stream == stream)
            .map(|m| m.id.version)
            .collect()
    };
    let worker = WorkerId::new();
    let lease_len = Duration::seconds(60);
    let lease = |at: DateTime<Utc>| Lease {
        owner: worker,
        until: at + lease_len,
    };
    assert_eq!(
        ours(
            store
                .claim_outbox(base, lease(base), 1000)
                .await
                .expect("claim")
        ),
        vec![2, 3]
    );
    let gone = MessageId {
        tenant,
        stream,
        version: 2,
    };
    assert!(
        store
            .settle_outbox(&gone, dead_letter(worker, "HTTP 410 Gone"))
            .await
            .expect("dead letter")
    );
    assert!(
        !store
            .settle_outbox(
                &MessageId {
                    tenant,
                    stream,
                    version: 99,
                },
                dead_letter(worker, "x"),
            )
            .await
            .expect("unknown ids are ignored")
    );
    let later = base + Duration::days(1);
    assert_eq!(
        ours(
            store
                .claim_outbox(later, lease(later), 1000)
                .await
                .expect("claim")
        ),
        vec![3],
        "a dead letter is not claimed"
    );
    let dead = store.dead_letters(tenant, 100).await.expect("dead letters");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].message.id, gone);
    assert_eq!(dead[0].message.attempts, 1);
    assert_eq!(dead[0].message.notification, submit.outbox[0].notification);
    assert_eq!(dead[0].error, "HTTP 410 Gone");
    let stranger = TenantId::new();
    assert!(
        store
            .dead_letters(stranger, 100)
            .await
            .expect("dead letters")
            .is_empty()
    );
    assert!(
        !store
            .settle_outbox(
                &MessageId {
                    tenant: stranger,
                    ..gone.clone()
                },
                Settlement::Revive { at: later }
            )
            .await
            .expect("revive")
    );
    assert!(
        store
            .settle_outbox(&gone, Settlement::Revive { at: later })
            .await
            .expect("revive")
    );
    assert!(
        !store
            .settle_outbox(&gone, Settlement::Revive { at: later })
            .await
            .expect("revive once")
    );
    assert!(
        store
            .dead_letters(tenant, 100)
            .await
            .expect("dead letters")
            .is_empty()
    );
    let revived: Vec<OutboxMessage> = store
        .claim_outbox(later, lease(later), 1000)
        .await
        .expect("claim")
        .into_iter()
        .filter(|m| m.id == gone)
        .collect();
    assert_eq!(revived.len(), 1, "revived message is delivered again");
    assert_eq!(revived[0].attempts, 1, "attempts were reset");
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
