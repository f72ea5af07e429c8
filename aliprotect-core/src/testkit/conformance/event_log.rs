//! The event log's promises: what a commit writes is loaded back whole, in order, once;
//! versions, idempotency keys and atomicity hold; hostile payloads round-trip.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use chrono::{DateTime, Duration, Utc};

use super::{
    Builder, assert_nothing, claim_timers, event_count, futures_join, key, lease_until, message,
    record,
};
use crate::complaint::{Complaint, ComplaintCommand, ComplaintStatus};
use crate::evidence::{Evidence, EvidenceKind};
use crate::ids::{ComplaintId, TenantId};
use crate::listing::Listing;
use crate::right::RightStatus;
use crate::store::{
    Claim, CountBy, DomainEvent, FollowUpWork, IndexKey, IndexName, PendingWork, ReadModelExt,
    Receipt, RequestFingerprint, Snapshot, Store, StoreError, StoredReceipt, StreamId, Timer,
    TimerKind, WorkId,
};
use crate::testkit::fixtures::{now, text};
use crate::text::Text;

/// A commit to a new stream is loaded back with version 1 and its snapshot; unknown streams
/// load as `None` with an empty history.
pub async fn append_and_load(store: &dyn Store) {
    let tenant = TenantId::new();
    let builder = Builder::file(store, tenant).await;
    let loaded = store
        .load(tenant, builder.stream())
        .await
        .expect("load")
        .expect("committed stream must load");
    assert_eq!(loaded.version, 1, "version counts events");
    assert_eq!(
        loaded.snapshot,
        Snapshot::Complaint(std::sync::Arc::new(builder.state.clone().expect("filed"))),
        "snapshot must load back equal"
    );
    let unknown = StreamId::Complaint(ComplaintId::new());
    assert!(store.load(tenant, unknown).await.expect("load").is_none());
    assert_nothing(store.history(tenant, unknown).await, "history");
}

/// Events come back in commit order with consecutive versions from 1.
pub async fn stream_ordering(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(store, tenant).await;
    let mut expected: Vec<DomainEvent> = store
        .history(tenant, builder.stream())
        .await
        .expect("history")
        .into_iter()
        .map(|e| e.event)
        .collect();
    for command in [
        ComplaintCommand::Submit,
        ComplaintCommand::Accept,
        ComplaintCommand::CheckBackDue,
        ComplaintCommand::CheckBackDue,
        ComplaintCommand::ReceiveCounterNotice {
            statement: text("genuine"),
            evidence: vec![],
        },
    ] {
        expected.extend(builder.run(store, command).await.events);
    }
    let history = store
        .history(tenant, builder.stream())
        .await
        .expect("history");
    let versions: Vec<u64> = history.iter().map(|e| e.version).collect();
    assert_eq!(
        versions,
        (1..=6).collect::<Vec<_>>(),
        "versions consecutive from 1"
    );
    let events: Vec<DomainEvent> = history.into_iter().map(|e| e.event).collect();
    assert_eq!(events, expected, "events in commit order, unchanged");
    assert!(
        history_streams_match(store, tenant, builder.stream()).await,
        "every stored event names its stream"
    );
}

async fn history_streams_match(store: &dyn Store, tenant: TenantId, stream: StreamId) -> bool {
    store
        .history(tenant, stream)
        .await
        .expect("history")
        .iter()
        .all(|e| e.stream == stream)
}

/// `load_many` answers each key as `load` does, in the order asked: streams of two tenants,
/// one asked twice, an unknown one, and one asked in the wrong tenant (`None`); after a
/// commit it answers the new version, not what an earlier load left in a cache.
pub async fn load_many_as_load(store: &dyn Store) {
    let (first, second) = (TenantId::new(), TenantId::new());
    let mut ours = Builder::file(store, first).await;
    let theirs = Builder::file(store, second).await;
    let unknown = StreamId::Complaint(ComplaintId::new());
    let keys = [
        (second, theirs.stream()),
        (first, ours.stream()),
        (first, unknown),
        (second, ours.stream()),
        (first, ours.stream()),
    ];
    let mut expected = Vec::new();
    for (tenant, stream) in keys {
        expected.push(store.load(tenant, stream).await.expect("load"));
    }
    let loaded = store.load_many(&keys).await.expect("load_many");
    assert_eq!(loaded, expected, "each key as load answers it, in order");
    assert_eq!(
        loaded
            .iter()
            .map(|l| l.as_ref().map(|l| l.version))
            .collect::<Vec<_>>(),
        [Some(1), Some(1), None, None, Some(1)],
        "unknown and wrong-tenant streams are None"
    );
    ours.run(store, ComplaintCommand::Submit).await;
    let loaded = store
        .load_many(&[(first, ours.stream())])
        .await
        .expect("load_many");
    assert_eq!(
        loaded.first().cloned().flatten().map(|l| l.version),
        Some(2),
        "a commit is seen at once"
    );
    assert!(store.load_many(&[]).await.expect("load_many").is_empty());
}

/// Two writers decide on the same version: one commits, the other gets a conflict with the
/// versions, and nothing of the loser is written; deciding again on the new version succeeds.
pub async fn optimistic_concurrency(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(store, tenant).await;
    let submit = builder.decide(ComplaintCommand::Submit);
    let retract = builder.decide(ComplaintCommand::Retract { reason: None });
    let (a, b) = futures_join(store.commit(submit.clone()), store.commit(retract.clone())).await;
    let (winner, loser_result) = match (&a, &b) {
        (Ok(()), Err(_)) => (submit, b),
        (Err(_), Ok(())) => (retract, a),
        _ => panic!("exactly one of two commits at the same version must win: {a:?} {b:?}"),
    };
    match loser_result {
        Err(StoreError::Conflict {
            stream,
            expected,
            actual,
        }) => {
            assert_eq!((stream, expected, actual), (builder.stream(), 1, 2));
        }
        other => panic!("the loser must get Conflict, got {other:?}"),
    }
    let history = store
        .history(tenant, builder.stream())
        .await
        .expect("history");
    assert_eq!(history.len(), 2, "only the winner's event is written");
    assert_eq!(history[1].event, winner.events[0]);
    builder.applied(&winner);
    let status = builder.state.as_ref().map(Complaint::status);
    if status == Some(ComplaintStatus::Submitted) {
        builder.run(store, ComplaintCommand::Accept).await;
        let loaded = store.load(tenant, builder.stream()).await.expect("load");
        assert_eq!(
            loaded.map(|l| l.version),
            Some(3),
            "retry on the new version commits"
        );
    }
}

/// A refused commit (version conflict or used idempotency key) writes none of its events,
/// snapshot, outbox messages, timers or receipt.
pub async fn commit_atomicity(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::file(store, tenant).await;
    let counts_before = store
        .complaint_counts(tenant, CountBy::Status)
        .await
        .expect("counts");
    let loaded_before = store.load(tenant, builder.stream()).await.expect("load");

    let mut stale = builder.decide(ComplaintCommand::Submit);
    stale.expected_version = 0;
    stale.outbox = vec![message(builder.stream(), 2, tenant, now())];
    stale.timers = vec![Timer {
        tenant,
        stream: builder.stream(),
        kind: TimerKind::CheckBack,
        due: now() - Duration::days(1),
    }];
    stale.receipt = Some(record(
        key("atomicity-1"),
        Receipt {
            stream: builder.stream(),
            version: 2,
            events: 1,
        },
    ));
    assert!(matches!(
        store.commit(stale.clone()).await,
        Err(StoreError::Conflict { .. })
    ));
    let unchanged = || async {
        assert_eq!(
            store.load(tenant, builder.stream()).await.expect("load"),
            loaded_before,
            "snapshot unchanged"
        );
        assert_eq!(
            event_count(store, tenant, builder.stream()).await,
            1,
            "no event written"
        );
        assert_eq!(
            store
                .complaint_counts(tenant, CountBy::Status)
                .await
                .expect("counts"),
            counts_before,
            "read model unchanged"
        );
        assert!(
            store
                .receipt(tenant, &key("atomicity-1"))
                .await
                .expect("receipt")
                .is_none(),
            "no receipt"
        );
        let far = now() + Duration::days(3650);
        let due = claim_timers(store, far, lease_until(far), 10_000)
            .await
            .expect("timers");
        assert!(
            due.iter().all(|t| t.stream != builder.stream()),
            "no timer written"
        );
        let claimed = store
            .claim_outbox(Claim {
                now: far,
                lease: lease_until(far),
                limit: 10_000,
            })
            .await
            .expect("claim");
        assert!(
            claimed.iter().all(|m| m.id.stream != builder.stream()),
            "no outbox message written"
        );
    };
    unchanged().await;

    // Now a commit at the right version whose key is already used: refused as a whole.
    let first = builder.submit_keyed(store, "atomicity-used").await;
    let mut reused = builder.decide(ComplaintCommand::Accept);
    reused.receipt = first.receipt.clone();
    reused.outbox = vec![message(builder.stream(), 3, tenant, now())];
    match store.commit(reused).await {
        Err(StoreError::DuplicateIdempotencyKey(k)) => assert_eq!(k, key("atomicity-used")),
        other => panic!("reused key must be refused, got {other:?}"),
    }
    assert_eq!(
        event_count(store, tenant, builder.stream()).await,
        2,
        "the refused commit wrote no event"
    );
}

/// A receipt is recorded with its commit, found by key, and a second commit with the same
/// key is refused.
pub async fn idempotency_keys(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::new(tenant);
    let filing = builder.filing();
    let mut file = builder.decide(ComplaintCommand::File(Box::new(filing)));
    let receipt = Receipt {
        stream: builder.stream(),
        version: 1,
        events: 1,
    };
    file.receipt = Some(record(key("file-once"), receipt));
    store.commit(file.clone()).await.expect("commit");
    builder.applied(&file);
    assert_eq!(
        store
            .receipt(tenant, &key("file-once"))
            .await
            .expect("receipt"),
        Some(StoredReceipt {
            receipt,
            request: Some(RequestFingerprint::of_bytes(b"file-once")),
        }),
        "a receipt comes back with its request's fingerprint"
    );
    assert!(
        store
            .receipt(tenant, &key("never-used"))
            .await
            .expect("receipt")
            .is_none()
    );
    let mut again = builder.decide(ComplaintCommand::Submit);
    again.receipt = Some(record(key("file-once"), receipt));
    assert!(matches!(
        store.commit(again).await,
        Err(StoreError::DuplicateIdempotencyKey(_))
    ));
}

/// Large payloads and hostile strings (quotes, NUL, SQL, emoji, invalid-looking escapes)
/// come back byte-exact.
pub async fn hostile_and_large_payloads(store: &dyn Store) {
    let tenant = TenantId::new();
    let mut builder = Builder::new(tenant);
    let hostile = "'; DROP TABLE events; -- \"quoted\" \\ \0 NUL \u{1F600} \u{202E}rtl \r\n";
    let explanation: String = hostile.repeat(Text::MAX_CHARS / hostile.chars().count());
    let mut filing = builder.filing();
    filing.explanation = Text::new(explanation.clone()).expect("within limit");
    filing.listing = Listing::parse(
        "https://acme.en.alibaba.com/product-detail/%27%22%3B--_1600000000001.html?q=%F0%9F%98%80",
    )
    .expect("url");
    filing.evidence = (0..500)
        .map(|i| Evidence {
            kind: EvidenceKind::Screenshot,
            sha256: crate::evidence::ContentHash::of_bytes(format!("shot {i}").as_bytes()),
            media_type: format!("image/png; name=\"{hostile}\""),
            captured_at: now() + Duration::milliseconds(i),
        })
        .collect();
    let commit = builder
        .run(store, ComplaintCommand::File(Box::new(filing.clone())))
        .await;
    let loaded = store
        .load(tenant, builder.stream())
        .await
        .expect("load")
        .expect("exists");
    let Snapshot::Complaint(complaint) = &loaded.snapshot else {
        panic!("complaint snapshot expected")
    };
    assert_eq!(*complaint.filed, filing, "filing byte-exact");
    assert_eq!(complaint.filed.explanation.as_str(), explanation);
    let history = store
        .history(tenant, builder.stream())
        .await
        .expect("history");
    assert_eq!(history[0].event, commit.events[0], "event byte-exact");
}

/// In a batch, each commit stands alone: a conflicting one, a corrupt one (a snapshot of
/// another stream) and one with a used idempotency key are refused with their own errors,
/// and the others are written.
pub async fn commit_batch_members(store: &dyn Store) {
    let tenant = TenantId::new();
    let good = Builder::file(store, tenant).await;
    let stale = Builder::file(store, tenant).await;
    let corrupt = Builder::file(store, tenant).await;
    let mut keyed = Builder::file(store, tenant).await;
    keyed.submit_keyed(store, "batch-used").await;
    let fresh = Builder::new(tenant);
    let fresh_filing = fresh.filing();

    let first = good.decide(ComplaintCommand::Submit);
    let mut conflicting = stale.decide(ComplaintCommand::Submit);
    conflicting.expected_version = 5;
    let mut wrong = corrupt.decide(ComplaintCommand::Submit);
    wrong.snapshot = first.snapshot.clone();
    let mut reused = keyed.decide(ComplaintCommand::Accept);
    reused.receipt = Some(record(
        key("batch-used"),
        Receipt {
            stream: keyed.stream(),
            version: 3,
            events: 1,
        },
    ));
    let last = fresh.decide(ComplaintCommand::File(Box::new(fresh_filing)));
    let results = store
        .commit_batch(vec![
            first.clone(),
            conflicting,
            wrong,
            reused,
            last.clone(),
        ])
        .await;
    assert_eq!(results.len(), 5, "one result per commit, in order");
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(matches!(results[1], Err(StoreError::Conflict { .. })));
    assert!(matches!(results[2], Err(StoreError::Corrupt { .. })));
    assert!(matches!(
        results[3],
        Err(StoreError::DuplicateIdempotencyKey(_))
    ));
    assert!(results[4].is_ok(), "{:?}", results[4]);
    let version = |stream| async move {
        store
            .load(tenant, stream)
            .await
            .expect("load")
            .map(|l| l.version)
    };
    assert_eq!(version(good.stream()).await, Some(2));
    assert_eq!(
        version(stale.stream()).await,
        Some(1),
        "conflict wrote nothing"
    );
    assert_eq!(
        version(corrupt.stream()).await,
        Some(1),
        "corrupt wrote nothing"
    );
    assert_eq!(
        version(keyed.stream()).await,
        Some(2),
        "used key wrote nothing"
    );
    assert_eq!(version(fresh.stream()).await, Some(1));
}

/// A commit that does not hold together is refused as [`StoreError::Corrupt`], writing
/// nothing: a snapshot of another tenant, a status change that does not match the snapshot,
/// an outbox message of another tenant, pending work not keyed by the commit. Every backend
/// refuses what [`crate::store::Commit::check`] refuses.
pub async fn inconsistent_commits_are_refused(store: &dyn Store) {
    let tenant = TenantId::new();
    let builder = Builder::file(store, tenant).await;
    let stream = builder.stream();
    let base = DateTime::<Utc>::UNIX_EPOCH + Duration::days(9);
    let good = builder.decide(ComplaintCommand::Submit);
    let mut foreign_snapshot = good.clone();
    foreign_snapshot.tenant = TenantId::new();
    let mut wrong_status = good.clone();
    wrong_status.status.after =
        crate::store::StreamStatus::Complaint(crate::complaint::ComplaintStatus::ListingRemoved);
    let mut foreign_message = good.clone();
    foreign_message.outbox = vec![message(stream, 2, TenantId::new(), base)];
    let mut misplaced_work = good.clone();
    misplaced_work.work = Some(PendingWork {
        id: WorkId {
            tenant,
            stream,
            version: 7,
        },
        follow_up: FollowUpWork::ReleaseStaged {
            right: builder.right.id,
        },
        lease: lease_until(base),
    });
    let mut wrong_kind_before = good.clone();
    wrong_kind_before.status.before = Some(crate::store::StreamStatus::Right(RightStatus::Draft));
    let mut unnamed_index = good.clone();
    unnamed_index.index = vec![IndexKey::new(IndexName::new(""), "x")];
    for (what, commit) in [
        ("a snapshot of another tenant", foreign_snapshot),
        ("a status change that does not match", wrong_status),
        ("a status before of another kind", wrong_kind_before),
        ("an outbox message of another tenant", foreign_message),
        ("work not keyed by the commit", misplaced_work),
        ("an index key without a name", unnamed_index),
    ] {
        assert!(
            matches!(store.commit(commit).await, Err(StoreError::Corrupt { .. })),
            "{what} is refused as corrupt"
        );
    }
    let loaded = store.load(tenant, stream).await.expect("load");
    assert_eq!(loaded.map(|l| l.version), Some(1), "nothing was written");
    store
        .commit(good)
        .await
        .expect("the consistent commit goes through");
}
