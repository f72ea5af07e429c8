//! The schedule's promises: due timers are handed out exactly once, replaced by the
//! stream's next commit; pending work is committed with its cause, claimed under a lease and
//! completed by its owner only.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use chrono::{DateTime, Duration, Utc};

use super::{Builder, LEASE, claim_timers, claim_work, lease_of, lease_until, version_of};
use crate::complaint::{ComplaintCommand, FollowUpKind};
use crate::ids::{ComplaintId, TenantId, WorkerId};
use crate::store::{
    Commit, FollowUpWork, PendingWork, Store, StoreError, StreamId, Timer, TimerKind, TimerPage,
    WorkId, order_stream_timers,
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

/// A tenant's pending timers page in the order of each stream's soonest timer, then stream,
/// each stream's timers together and ordered; a page stops at `until`; claimed timers stay
/// listed until the stream's next commit replaces them; another tenant's are absent. A
/// backend that keeps no such order (`Ok(None)`) is not checked further.
pub async fn pending_timers_in_due_order(store: &dyn Store) {
    let (tenant, other) = (TenantId::new(), TenantId::new());
    let base = DateTime::<Utc>::UNIX_EPOCH + Duration::days(9);
    let mut builders = Vec::new();
    let mut committed: Vec<Timer> = Vec::new();
    for i in 0..7_i64 {
        let mut builder = Builder::file(store, tenant).await;
        let stream = builder.stream();
        // Streams 0, 3 and 6 share their soonest time: their ids decide.
        let mut timers = vec![
            Timer {
                tenant,
                stream,
                kind: TimerKind::SellerAnswerDeadline,
                due: base + Duration::hours(10 - i),
            },
            Timer {
                tenant,
                stream,
                kind: TimerKind::CheckBack,
                due: base + Duration::hours(i % 3),
            },
        ];
        if i == 0 {
            // Two timers of one stream at its soonest instant: listed once, by kind.
            timers.push(Timer {
                tenant,
                stream,
                kind: TimerKind::ResponseDeadlineReminder,
                due: base,
            });
        }
        committed.extend(timers.iter().cloned());
        builder
            .run_with(store, ComplaintCommand::Submit, |submit| {
                submit.timers = timers;
            })
            .await;
        builders.push(builder);
    }
    let mut elsewhere = Builder::file(store, other).await;
    let foreign = elsewhere.stream();
    elsewhere
        .run_with(store, ComplaintCommand::Submit, |submit| {
            submit.timers = vec![Timer {
                tenant: other,
                stream: foreign,
                kind: TimerKind::CheckBack,
                due: base,
            }];
        })
        .await;
    let Some(all) = store
        .pending_timers(tenant, &TimerPage::first(100))
        .await
        .expect("pending timers")
    else {
        return;
    };
    let expected = in_page_order(&committed);
    assert_eq!(
        all, expected,
        "by soonest timer, then stream; ordered within"
    );

    // Two streams a page: every stream once, in the same order.
    let mut walked = Vec::new();
    let mut page = TimerPage::first(2);
    loop {
        let found = store
            .pending_timers(tenant, &page)
            .await
            .expect("page")
            .expect("kept");
        let Some(last) = found.last().map(|t| t.stream) else {
            break;
        };
        let soonest = found
            .iter()
            .filter(|t| t.stream == last)
            .map(|t| t.due)
            .min()
            .expect("the last stream's timers");
        walked.extend(found);
        page = page.after(soonest, last);
    }
    assert_eq!(walked, expected, "paging visits every stream once");
    if let Some(count) = store
        .count_pending_timers(tenant)
        .await
        .expect("count pending timers")
    {
        assert_eq!(
            count,
            expected.len() as u64,
            "a count says what a walk lists"
        );
        let stranger = TenantId::new();
        assert_eq!(
            store.count_pending_timers(stranger).await.expect("count"),
            Some(0),
            "another tenant has none"
        );
    }

    let until = base + Duration::hours(1);
    let soon = store
        .pending_timers(tenant, &TimerPage::first(100).until(until))
        .await
        .expect("until")
        .expect("kept");
    let soon_streams: Vec<_> = committed
        .iter()
        .filter(|t| t.due <= until)
        .map(|t| t.stream)
        .collect();
    assert_eq!(
        soon,
        in_page_order(
            &committed
                .iter()
                .filter(|t| soon_streams.contains(&t.stream))
                .cloned()
                .collect::<Vec<_>>()
        ),
        "only the streams whose soonest timer is due by `until`, with all their timers"
    );

    // Claimed timers stay listed; the stream's next commit replaces them.
    let far = base + Duration::days(30);
    assert!(!due_at(store, far, 100).await.is_empty(), "claimed");
    let listed = store
        .pending_timers(tenant, &TimerPage::first(100))
        .await
        .expect("after the claim")
        .expect("kept");
    assert_eq!(listed, expected, "claimed timers are still pending");
    let mut first = builders.remove(0);
    first
        .run_with(store, ComplaintCommand::Accept, |accept| {
            accept.timers = Vec::new();
        })
        .await;
    let rest: Vec<Timer> = committed
        .iter()
        .filter(|t| t.stream != first.stream())
        .cloned()
        .collect();
    assert_eq!(
        store
            .pending_timers(tenant, &TimerPage::first(100))
            .await
            .expect("after a commit")
            .expect("kept"),
        in_page_order(&rest),
        "a commit without timers takes its stream off the list"
    );
    assert_eq!(
        store
            .pending_timers(TenantId::new(), &TimerPage::first(100))
            .await
            .expect("a tenant without timers"),
        Some(Vec::new())
    );
    assert!(
        store
            .pending_timers(tenant, &TimerPage::first(0))
            .await
            .expect("no streams")
            .is_some_and(|timers| timers.is_empty())
    );
}

/// `timers` in the order of [`Schedule::pending_timers`](crate::store::Schedule::pending_timers).
fn in_page_order(timers: &[Timer]) -> Vec<Timer> {
    let mut streams: Vec<(DateTime<Utc>, StreamId)> = Vec::new();
    for timer in timers {
        let soonest = timers
            .iter()
            .filter(|t| t.stream == timer.stream)
            .map(|t| t.due)
            .min()
            .unwrap_or(timer.due);
        if !streams.contains(&(soonest, timer.stream)) {
            streams.push((soonest, timer.stream));
        }
    }
    streams.sort();
    streams
        .into_iter()
        .flat_map(|(_, stream)| {
            let mut of_stream: Vec<Timer> = timers
                .iter()
                .filter(|t| t.stream == stream)
                .cloned()
                .collect();
            order_stream_timers(&mut of_stream);
            of_stream
        })
        .collect()
}
