//! The schedule's promises: due timers are handed out exactly once, replaced by the
//! stream's next commit; pending work is committed with its cause, claimed under a lease and
//! completed by its owner only.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use chrono::{DateTime, Duration, Utc};

use super::{Builder, LEASE, claim_timers, claim_work, lease_of, lease_until, version_of};
use crate::complaint::{ComplaintCommand, FollowUpKind};
use crate::ids::{ComplaintId, TenantId, WorkerId};
use crate::store::{
    Commit, FollowUpWork, PendingWork, Store, StoreError, Timer, TimerKind, WorkId,
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
    let timer = |kind, due| Timer {
        tenant,
        stream,
        kind,
        due,
    };
    let deadline = base + Duration::days(2);
    builder
        .run_with(store, ComplaintCommand::Submit, |submit| {
            submit.timers = vec![
                timer(TimerKind::CheckBack, base),
                timer(TimerKind::SellerAnswerDeadline, deadline),
            ];
        })
        .await;
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
    builder
        .run_with(store, ComplaintCommand::CheckBackDue, |fire| {
            fire.timers = vec![timer(TimerKind::SellerAnswerDeadline, deadline)];
        })
        .await;
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
        version_of(store, tenant, stream).await,
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
    let check_back = vec![Timer {
        tenant,
        stream,
        kind: TimerKind::CheckBack,
        due: base,
    }];
    builder
        .run_with(store, ComplaintCommand::Submit, |submit| {
            submit.timers = check_back.clone();
        })
        .await;
    let ours = |timers: Vec<Timer>| timers.into_iter().filter(|t| t.stream == stream).count();
    // How many of this stream's timers `owner` is handed by a claim at `at`.
    let claimed = async |owner, at| {
        let timers = claim_timers(store, at, lease_of(owner, at), 100).await;
        ours(timers.expect("claim"))
    };
    let (first, second) = (WorkerId::new(), WorkerId::new());
    let (a, b) = tokio::join!(claimed(first, base), claimed(second, base));
    assert_eq!(
        a + b,
        1,
        "two workers claiming at once: exactly one gets the stream"
    );
    let during = base + Duration::seconds(30);
    assert_eq!(
        claimed(second, during).await,
        0,
        "a live lease hides the timers"
    );
    let after = base + LEASE + Duration::seconds(1);
    assert_eq!(
        claimed(second, after).await,
        1,
        "an expired lease is taken over"
    );
    // The stream's next commit (keeping the timer) ends the lease at once.
    builder
        .run_with(store, ComplaintCommand::Accept, |again| {
            again.timers = check_back;
        })
        .await;
    assert_eq!(
        claimed(first, after).await,
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
    let successor = builder.id;
    let work = |version| PendingWork {
        id: WorkId {
            tenant,
            stream,
            version,
        },
        follow_up: FollowUpWork::MarkPredecessor {
            previous: ComplaintId::new(),
            successor,
            kind: FollowUpKind::Relisting,
        },
        lease: lease_of(committer, base),
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
    let expected = work(2);
    builder
        .run_with(store, ComplaintCommand::Submit, |submit| {
            submit.work = Some(expected.clone());
        })
        .await;
    let far = base + Duration::days(1);
    // This stream's work that `owner` is handed by a claim at `at`.
    let claimed = async |owner, at| {
        let work = claim_work(store, at, lease_of(owner, at), 100).await;
        ours(work.expect("claim"))
    };
    assert!(
        claimed(first, base).await.is_empty(),
        "the committing worker holds its work until the lease runs out"
    );
    let (a, b) = tokio::join!(claimed(first, far), claimed(second, far));
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
        claimed(first, much_later).await.is_empty(),
        "completed work is gone"
    );
}
