//! Copying a store into another ([`Transfer`]): every kind of row survives the trip, leases
//! are dropped, an import is idempotent per stream and refuses to overwrite.

use std::ops::ControlFlow;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Builder, lease_of, message};
use crate::complaint::{ComplaintCommand, RemovalCause};
use crate::ids::{CampaignId, TenantId, WorkerId};
use crate::store::{
    Claim, Commit, CopyOptions, DeadLetter, ExtensionKind, ExtensionStream, FollowUpWork, IndexKey,
    IndexName, PendingWork, ReadModelExt, Settlement, StatusChange, Store, StoreError, StreamId,
    Timer, TimerKind, Transfer, UniqueKeyChange, WorkId, copy_store, verify_copy,
};

/// A kind of the check's own: a copy keeps streams no backend knows.
struct Tag;

#[derive(Serialize, Deserialize)]
struct TagState {
    label: String,
}

impl ExtensionStream for Tag {
    const KIND: ExtensionKind = ExtensionKind::new(200);
    type State = TagState;

    fn status(_: &TagState) -> u8 {
        3
    }

    fn index_keys(state: &TagState) -> Vec<IndexKey> {
        vec![IndexKey::new(IndexName::new("label"), state.label.clone())]
    }
}

/// What the check wrote into the source, to look for in the copy.
struct Written {
    tenants: [TenantId; 2],
    streams: Vec<(TenantId, StreamId)>,
    /// The stream whose timer the source's worker holds claimed.
    claimed_timer: Timer,
    /// Pending work leased in the source to a worker of the source.
    work: PendingWork,
    /// The key of a receipt.
    key: &'static str,
    /// A complaint that holds its listing's unique key, and its builder.
    open: Builder,
}

/// Base of the check's times: long before any other check's, so its claims take only its
/// own rows.
fn base() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + Duration::days(2)
}

/// Fills `store` with every kind of row a copy carries.
async fn fill(store: &dyn Store) -> Written {
    let tenants = [TenantId::new(), TenantId::new()];
    let [first, second] = tenants;
    let base = base();
    let source_worker = WorkerId::new();
    let mut streams = Vec::new();
    // A complaint submitted under an idempotency key, with a timer, a message and work.
    let mut keyed = Builder::file(store, first).await;
    let claimed_timer = Timer {
        tenant: first,
        stream: keyed.stream(),
        kind: TimerKind::CheckBack,
        due: base,
    };
    let work = PendingWork {
        id: WorkId {
            tenant: first,
            stream: keyed.stream(),
            version: 2,
        },
        follow_up: FollowUpWork::RescheduleTimers,
        lease: lease_of(source_worker, base + Duration::days(365)),
    };
    let receipt = crate::store::Receipt {
        stream: keyed.stream(),
        version: 2,
        events: 1,
    };
    let (timer, pending) = (claimed_timer.clone(), work.clone());
    keyed
        .run_with(store, ComplaintCommand::Submit, |submit| {
            submit.receipt = Some(super::record(super::key("copy me"), receipt));
            submit.timers = vec![timer];
            submit.outbox = vec![message(submit.stream, 2, first, base)];
            submit.work = Some(pending);
        })
        .await;
    streams.push((first, keyed.stream()));
    // The source's worker claims the timer: the copy must not inherit the claim.
    let claim = Claim {
        now: base,
        lease: lease_of(source_worker, base + Duration::days(365)),
        limit: 1_000,
    };
    let due = store.claim_due(claim).await.expect("claim in the source");
    assert!(
        due.timers.contains(&claimed_timer),
        "the source's worker claims the timer"
    );
    // A complaint in a campaign taken to removal, its two messages: one dead, one retried.
    let mut removed = Builder::new(first);
    let mut filing = removed.filing();
    filing.campaign = Some(CampaignId::new());
    removed
        .run(store, ComplaintCommand::File(Box::new(filing)))
        .await;
    removed.run(store, ComplaintCommand::Submit).await;
    let stream = removed.stream();
    removed
        .run_with(store, ComplaintCommand::Accept, |accept| {
            accept.outbox = vec![message(stream, 3, first, base)];
        })
        .await;
    removed
        .run_with(
            store,
            ComplaintCommand::RecordRemoval {
                cause: RemovalCause::PlatformReported,
            },
            |remove| remove.outbox = vec![message(stream, 4, first, base)],
        )
        .await;
    streams.push((first, stream));
    let claimed = store.claim_outbox(claim).await.expect("claim the outbox");
    let ours = |version| {
        claimed
            .iter()
            .any(|m| m.id.stream == stream && m.id.version == version)
    };
    assert!(
        ours(3) && ours(4),
        "the source's worker claims the messages"
    );
    let settle = |version, settlement| {
        let id = crate::notify::MessageId {
            tenant: first,
            stream,
            version,
        };
        async move { store.settle_outbox(&id, settlement).await.expect("settle") }
    };
    let owner = source_worker;
    let error = "HTTP 410 Gone".to_owned();
    assert!(settle(3, Settlement::DeadLetter { owner, error }).await);
    let at = base + Duration::hours(1);
    assert!(settle(4, Settlement::Retry { owner, at }).await);
    // The second tenant: an open complaint holding its listing, and a stream of a kind of
    // the check's own.
    let open = Builder::file(store, second).await;
    streams.push((second, open.stream()));
    let id = uuid::Uuid::now_v7();
    let state = TagState {
        label: "mine".to_owned(),
    };
    let snapshot = Tag::snapshot(second, id, &state).expect("a snapshot");
    let tag = Commit {
        tenant: second,
        stream: Tag::stream(id),
        expected_version: 0,
        events: vec![Tag::event(&serde_json::json!({ "tagged": true })).expect("an event")],
        snapshot,
        outbox: Vec::new(),
        timers: Vec::new(),
        receipt: None,
        metrics: None,
        work: None,
        status: StatusChange {
            before: None,
            after: Tag::stream_status(&state),
        },
        unique: UniqueKeyChange::default(),
        index: Tag::index_keys(&state),
    };
    store.commit(tag).await.expect("a stream of another kind");
    streams.push((second, Tag::stream(id)));
    Written {
        tenants,
        streams,
        claimed_timer,
        work,
        key: "copy me",
        open,
    }
}

/// A store with a stream of every kind of row is copied into an empty one and checked:
/// every stream, event, snapshot, index and unique key, timer, outbox message (attempts and
/// availability), dead letter, pending work and receipt (with its fingerprint) is in the
/// copy; its counters and tallies equal the source's and a replay; leases held in the
/// source hold nothing up in the copy. A copy stopped after one page finishes when run
/// again, a copy run twice writes nothing the second time, and a stream that moved on in
/// the target is refused, never overwritten. `from` and `to` are fresh, empty stores.
pub async fn transfer_round_trip(from: &dyn Transfer, to: &dyn Transfer) {
    let written = fill(from).await;
    let page = CopyOptions::default().page(1);
    let mut pages = 0;
    let stopped = copy_store(from, to, &page, &mut |_| {
        pages += 1;
        if pages == 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .await
    .expect("the first pages are copied");
    assert!(!stopped.finished, "the copy stops when told to");
    assert_eq!(stopped.progress.imported.imported, 2, "two pages of one");
    let resumed = copy_store(from, to, &page, &mut |_| ControlFlow::Continue(()))
        .await
        .expect("the copy resumes");
    assert!(resumed.finished);
    assert_eq!(
        resumed.progress.imported.skipped, 2,
        "what was copied is skipped"
    );
    assert_eq!(
        resumed.progress.total_streams,
        written.streams.len() as u64,
        "every stream is counted"
    );
    assert_eq!(resumed.progress.imported.imported, 2);
    assert_eq!(
        resumed.progress.receipts.imported, 1,
        "the receipt is copied"
    );
    let check = verify_copy(from, to, &CopyOptions::default())
        .await
        .expect("verify");
    assert!(
        check.is_ok(),
        "the copy equals its source: {:?}",
        check.problems
    );
    assert_eq!(check.tenants.len(), 2, "both tenants are counted");
    assert!(
        check
            .tenants
            .iter()
            .all(|t| t.equal() && t.source_events > 0)
    );
    for (tenant, stream) in &written.streams {
        assert_eq!(
            to.load(*tenant, *stream).await.expect("load"),
            from.load(*tenant, *stream).await.expect("load"),
            "{stream} is copied"
        );
        assert_eq!(
            to.history(*tenant, *stream).await.expect("history"),
            from.history(*tenant, *stream).await.expect("history"),
        );
    }
    let [first, second] = written.tenants;
    let key = super::key(written.key);
    let receipt = to.receipt(first, &key).await.expect("receipt");
    assert!(
        receipt.is_some_and(|r| r.request.is_some()),
        "with its fingerprint"
    );
    assert_eq!(receipt, from.receipt(first, &key).await.expect("receipt"));
    for tenant in written.tenants {
        assert_eq!(
            to.dead_letters(tenant, 100).await.expect("dead letters"),
            from.dead_letters(tenant, 100).await.expect("dead letters"),
        );
        assert_eq!(
            to.metric_tallies(tenant, None).await.expect("tallies"),
            from.metric_tallies(tenant, None).await.expect("tallies"),
            "the tallies are counted for what was imported"
        );
        for by in [
            crate::store::CountBy::Status,
            crate::store::CountBy::Campaign,
        ] {
            assert_eq!(
                to.complaint_counts(tenant, by).await.expect("counts"),
                from.complaint_counts(tenant, by).await.expect("counts"),
            );
        }
    }
    let dead: Vec<DeadLetter> = to.dead_letters(first, 100).await.expect("dead letters");
    assert_eq!(dead.len(), 1, "the dead letter is copied");
    // Leases stay behind: the copy's worker gets the timer and the work at once.
    let worker = WorkerId::new();
    let claim = Claim {
        now: base(),
        lease: lease_of(worker, base() + Duration::minutes(1)),
        limit: 1_000,
    };
    let due = to.claim_due(claim).await.expect("claim in the copy");
    assert!(
        due.timers.contains(&written.claimed_timer),
        "a timer claimed in the source is free in the copy"
    );
    assert!(
        due.work.iter().any(|w| w.id == written.work.id),
        "work leased in the source is free in the copy"
    );
    let retried = Claim {
        now: base() + Duration::hours(1),
        ..claim
    };
    let messages = to.claim_outbox(retried).await.expect("claim the outbox");
    let mine: Vec<_> = messages.iter().filter(|m| m.id.tenant == first).collect();
    assert_eq!(mine.len(), 2, "the pending messages, not the dead letter");
    assert!(
        mine.iter().any(|m| m.id.version == 4 && m.attempts == 2),
        "a retried message keeps its attempts"
    );
    // The unique key holds in the copy.
    let mut rival = Builder::new(second);
    rival.right = written.open.right.clone();
    let mut filing = rival.filing();
    filing.listing = written.open.filing().listing;
    let refused = to
        .commit(rival.decide(ComplaintCommand::File(Box::new(filing))))
        .await;
    assert!(
        matches!(refused, Err(StoreError::UniqueKeyTaken { .. })),
        "the copied complaint holds its listing: {refused:?}"
    );
    // A second copy writes nothing; a stream that moved on in the copy is refused.
    let again = copy_store(from, to, &CopyOptions::default(), &mut |_| {
        ControlFlow::Continue(())
    })
    .await
    .expect("copy again");
    assert_eq!(again.progress.imported.imported, 0);
    assert_eq!(again.progress.receipts.imported, 0);
    let mut moved = written.open;
    moved.run(to, ComplaintCommand::Submit).await;
    let refused = copy_store(from, to, &CopyOptions::default(), &mut |_| {
        ControlFlow::Continue(())
    })
    .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Conflict {
                expected: 1,
                actual: 2,
                ..
            })
        ),
        "a stream at another version is not overwritten: {refused:?}"
    );
    let check = verify_copy(from, to, &CopyOptions::default())
        .await
        .expect("verify");
    assert!(!check.is_ok(), "the difference is found");
    assert_eq!(
        to.load(second, moved.stream())
            .await
            .expect("load")
            .map(|l| l.version),
        Some(2),
        "the target's stream is left as it was"
    );
}
