//! The timer queue's promises: due timers are handed out exactly once, replaced by the
//! stream's next commit.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use chrono::{DateTime, Duration, Utc};

use super::{Builder, lease_until};
use crate::complaint::ComplaintCommand;
use crate::ids::{TenantId, WorkerId};
use crate::store::{Commit, Lease, StatusChange, Store, Timer, TimerKind, UniqueKeyChange};
use crate::testkit::fixtures::now;

/// Timers are due at their time, not before; a commit replaces all of its stream's timers,
/// so the commit that fires a timer removes it and it is never due twice.
pub async fn timers_due_exactly_once(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(store, tenant).await;
    let stream = builder.stream();
    // Far in the past so that timers of other checks on a shared store come after ours.
    let base = DateTime::<Utc>::UNIX_EPOCH + Duration::days(1);
    let mut submit = builder.decide(ComplaintCommand::Submit);
    submit.timers = vec![
        Timer {
            tenant,
            stream,
            kind: TimerKind::CheckBack,
            due: base,
        },
        Timer {
            tenant,
            stream,
            kind: TimerKind::SellerAnswerDeadline,
            due: base + Duration::days(2),
        },
    ];
    store.commit(submit.clone()).await.expect("commit");
    builder.applied(&submit);
    let ours = |timers: Vec<Timer>| -> Vec<TimerKind> {
        timers
            .into_iter()
            .filter(|t| t.stream == stream)
            .map(|t| t.kind)
            .collect()
    };
    let before = store
        .claim_timers(
            base - Duration::seconds(1),
            lease_until(base - Duration::seconds(1)),
            100,
        )
        .await
        .expect("due");
    assert!(ours(before).is_empty(), "nothing due before its time");
    let due = store
        .claim_timers(
            base + Duration::days(1),
            lease_until(base + Duration::days(1)),
            100,
        )
        .await
        .expect("due");
    assert_eq!(
        due.first().map(|t| t.due),
        Some(base),
        "earliest first, with its time"
    );
    assert_eq!(ours(due), vec![TimerKind::CheckBack]);
    // Firing the check-back: the commit keeps only the seller deadline.
    let mut fire = builder.decide(ComplaintCommand::CheckBackDue);
    fire.timers = vec![Timer {
        tenant,
        stream,
        kind: TimerKind::SellerAnswerDeadline,
        due: base + Duration::days(2),
    }];
    store.commit(fire.clone()).await.expect("commit");
    builder.applied(&fire);
    let due = store
        .claim_timers(
            base + Duration::days(1),
            lease_until(base + Duration::days(1)),
            100,
        )
        .await
        .expect("due");
    assert!(ours(due).is_empty(), "a fired timer is not due again");
    let due = store
        .claim_timers(
            base + Duration::days(3),
            lease_until(base + Duration::days(3)),
            100,
        )
        .await
        .expect("due");
    assert_eq!(ours(due), vec![TimerKind::SellerAnswerDeadline]);
    // An empty commit (no events) still replaces timers.
    let loaded = store
        .load(tenant, stream)
        .await
        .expect("load")
        .expect("exists");
    store
        .commit(Commit {
            tenant,
            stream,
            expected_version: loaded.version,
            events: vec![],
            status: StatusChange::between(Some(&loaded.snapshot), &loaded.snapshot),
            index: Vec::new(),
            snapshot: loaded.snapshot,
            outbox: vec![],
            timers: vec![],
            receipt: None,
            metrics: None,
            work: None,
            unique: UniqueKeyChange::default(),
        })
        .await
        .expect("timers-only commit");
    let due = store
        .claim_timers(
            base + Duration::days(30),
            lease_until(base + Duration::days(30)),
            100,
        )
        .await
        .expect("due");
    assert!(
        ours(due).is_empty(),
        "timers-only commit cleared the timers"
    );
    assert_eq!(
        store
            .load(tenant, stream)
            .await
            .expect("load")
            .map(|l| l.version),
        Some(loaded.version),
        "an empty commit adds no version"
    );
    let limited = store
        .claim_timers(
            now() + Duration::days(36_500),
            lease_until(now() + Duration::days(36_500)),
            1,
        )
        .await
        .expect("due");
    assert!(limited.len() <= 1, "limit respected");
}

/// A stream's due timers are handed to one worker at a time: while its lease lasts nobody
/// else gets them; when it runs out another worker takes them over; the stream's next
/// commit ends the lease.
pub async fn timer_claims(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(store, tenant).await;
    let stream = builder.stream();
    let base = DateTime::<Utc>::UNIX_EPOCH + Duration::days(6);
    let mut submit = builder.decide(ComplaintCommand::Submit);
    submit.timers = vec![Timer {
        tenant,
        stream,
        kind: TimerKind::CheckBack,
        due: base,
    }];
    store.commit(submit.clone()).await.expect("commit");
    builder.applied(&submit);
    let ours = |timers: Vec<Timer>| timers.into_iter().filter(|t| t.stream == stream).count();
    let (first, second) = (WorkerId::new(), WorkerId::new());
    let lease = |owner, at: DateTime<Utc>| Lease {
        owner,
        until: at + Duration::seconds(60),
    };
    let (a, b) = tokio::join!(
        store.claim_timers(base, lease(first, base), 100),
        store.claim_timers(base, lease(second, base), 100),
    );
    assert_eq!(
        ours(a.expect("claim")) + ours(b.expect("claim")),
        1,
        "two workers claiming at once: exactly one gets the stream"
    );
    let during = base + Duration::seconds(30);
    assert_eq!(
        ours(
            store
                .claim_timers(during, lease(second, during), 100)
                .await
                .expect("claim")
        ),
        0,
        "a live lease hides the timers"
    );
    let after = base + Duration::seconds(61);
    assert_eq!(
        ours(
            store
                .claim_timers(after, lease(second, after), 100)
                .await
                .expect("claim")
        ),
        1,
        "an expired lease is taken over"
    );
    // The stream's next commit (keeping the timer) ends the lease at once.
    let mut again = builder.decide(ComplaintCommand::Accept);
    again.timers = submit.timers.clone();
    store.commit(again.clone()).await.expect("commit");
    builder.applied(&again);
    assert_eq!(
        ours(
            store
                .claim_timers(after, lease(first, after), 100)
                .await
                .expect("claim")
        ),
        1,
        "a commit ends the claim on its stream"
    );
}
