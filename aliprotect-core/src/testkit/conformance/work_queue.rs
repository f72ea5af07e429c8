//! The work queue's promises: pending work committed with its cause, claimed under a
//! lease, completed by its owner only.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use chrono::{DateTime, Duration, Utc};

use super::Builder;
use crate::complaint::{ComplaintCommand, FollowUpKind};
use crate::ids::{ComplaintId, TenantId, WorkerId};
use crate::store::{FollowUpWork, Lease, PendingWork, Store, StoreError, WorkId};

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
            store
                .claim_work(base, lease(first, base), 100)
                .await
                .expect("claim")
        )
        .is_empty(),
        "the committing worker holds its work until the lease runs out"
    );
    let (a, b) = tokio::join!(
        store.claim_work(far, lease(first, far), 100),
        store.claim_work(far, lease(second, far), 100),
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
            store
                .claim_work(much_later, lease(first, much_later), 100)
                .await
                .expect("claim")
        )
        .is_empty(),
        "completed work is gone"
    );
}
