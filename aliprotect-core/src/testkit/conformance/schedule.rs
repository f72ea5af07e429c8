//! The schedule's promises: due timers are handed out exactly once, replaced by the
//! stream's next commit; pending work is committed with its cause, claimed under a lease and
//! completed by its owner only.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use chrono::{DateTime, Duration, Utc};

use super::{Builder, claim_timers, claim_work, lease_until};
use crate::complaint::{ComplaintCommand, FollowUpKind};
use crate::ids::{ComplaintId, TenantId, WorkerId};
use crate::store::{
    Commit, FollowUpWork, Lease, PendingWork, Store, StoreError, Timer, TimerKind, WorkId,
};
use crate::testkit::fixtures::now;

/// The due timers a claim at `at` hands out, leased until a minute later.
async fn due_at(store: &dyn Store, at: DateTime<Utc>, limit: usize) -> Vec<Timer> {
    claim_timers(store, at, lease_until(at), limit)
        .await
        .expect("due")
}

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
    let before = due_at(store, base - Duration::seconds(1), 100).await;
    assert!(ours(before).is_empty(), "nothing due before its time");
    let due = due_at(store, base + Duration::days(1), 100).await;
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
    let due = due_at(store, base + Duration::days(1), 100).await;
    assert!(ours(due).is_empty(), "a fired timer is not due again");
    let due = due_at(store, base + Duration::days(3), 100).await;
    assert_eq!(ours(due), vec![TimerKind::SellerAnswerDeadline]);
    // An empty commit (no events) still replaces timers.
    let loaded = store
        .load(tenant, stream)
        .await
        .expect("load")
        .expect("exists");
    let version = loaded.version;
    store
        .commit(Commit::timers_only(tenant, stream, loaded, vec![]))
        .await
        .expect("timers-only commit");
    let due = due_at(store, base + Duration::days(30), 100).await;
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
        Some(version),
        "an empty commit adds no version"
    );
    let limited = due_at(store, now() + Duration::days(36_500), 1).await;
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
        claim_timers(store, base, lease(first, base), 100),
        claim_timers(store, base, lease(second, base), 100),
    );
    assert_eq!(
        ours(a.expect("claim")) + ours(b.expect("claim")),
        1,
        "two workers claiming at once: exactly one gets the stream"
    );
    let during = base + Duration::seconds(30);
    assert_eq!(
        ours(
            claim_timers(store, during, lease(second, during), 100)
                .await
                .expect("claim")
        ),
        0,
        "a live lease hides the timers"
    );
    let after = base + Duration::seconds(61);
    assert_eq!(
        ours(
            claim_timers(store, after, lease(second, after), 100)
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
            claim_timers(store, after, lease(first, after), 100)
                .await
                .expect("claim")
        ),
        1,
        "a commit ends the claim on its stream"
    );
}

/// Pending work is stored with the commit that causes it (and not at all with a refused
/// one), held by the committing worker until its lease runs out, then claimed by one
/// worker at a time, and removed only by the worker holding it.
pub async fn pending_work(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(store, tenant).await;
    let stream = builder.stream();
    let base = DateTime::<Utc>::UNIX_EPOCH + Duration::days(7);
    let (committer, first, second) = (WorkerId::new(), WorkerId::new(), WorkerId::new());
    let work = |version| PendingWork {
        id: WorkId {
            tenant,
            stream,
            version,
        },
        follow_up: FollowUpWork::MarkPredecessor {
            previous: ComplaintId::new(),
            successor: builder.id,
            kind: FollowUpKind::Relisting,
        },
        lease: Lease {
            owner: committer,
            until: base + Duration::seconds(60),
        },
    };
    let ours = |items: Vec<PendingWork>| -> Vec<PendingWork> {
        items
            .into_iter()
            .filter(|w| w.id.stream == stream)
            .collect()
    };
    // A refused commit leaves no work behind.
    let mut stale = builder.decide(ComplaintCommand::Submit);
    stale.expected_version = 7;
    stale.work = Some(work(8));
    assert!(matches!(
        store.commit(stale).await,
        Err(StoreError::Conflict { .. })
    ));
    let mut submit = builder.decide(ComplaintCommand::Submit);
    let expected = work(2);
    submit.work = Some(expected.clone());
    store.commit(submit.clone()).await.expect("commit");
    builder.applied(&submit);
    let far = base + Duration::days(1);
    let lease = |owner, at: DateTime<Utc>| Lease {
        owner,
        until: at + Duration::seconds(60),
    };
    assert!(
        ours(
            claim_work(store, base, lease(first, base), 100)
                .await
                .expect("claim")
        )
        .is_empty(),
        "the committing worker holds its work until the lease runs out"
    );
    let (a, b) = tokio::join!(
        claim_work(store, far, lease(first, far), 100),
        claim_work(store, far, lease(second, far), 100),
    );
    let (a, b) = (ours(a.expect("claim")), ours(b.expect("claim")));
    assert_eq!(a.len() + b.len(), 1, "one worker takes the work over");
    let (holder, taken) = if a.is_empty() {
        (second, b)
    } else {
        (first, a)
    };
    assert_eq!(taken[0].id, expected.id);
    assert_eq!(taken[0].follow_up, expected.follow_up, "stored exactly");
    assert_eq!(taken[0].lease.owner, holder);
    assert!(
        !store
            .complete_work(&expected.id, committer)
            .await
            .expect("complete"),
        "a worker whose claim was taken over cannot complete"
    );
    assert!(
        store
            .complete_work(&expected.id, holder)
            .await
            .expect("complete")
    );
    let much_later = far + Duration::days(1);
    assert!(
        ours(
            claim_work(store, much_later, lease(first, much_later), 100)
                .await
                .expect("claim")
        )
        .is_empty(),
        "completed work is gone"
    );
}
