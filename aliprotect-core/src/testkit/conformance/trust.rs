//! Checks of the promises that keep the record trustworthy across engines and processes:
//! unique keys held by one stream of a tenant (one open complaint per listing), idempotency
//! keys bound to their request, the store-wide walk of streams, and the policy kept with the
//! data.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::sharing::{CheckEngine, approved_right, engine, surroundings};
use super::{Builder, futures_join};
use crate::clock::ManualClock;
use crate::complaint::{ComplaintCommand, ComplaintRule};
use crate::engine::{Command, Engine, EngineError, PolicyError, Request};
use crate::ids::{ComplaintId, RightId, StreamId, TenantId, UserId};
use crate::party::Actor;
use crate::policy::MarketplacePolicy;
use crate::store::{IdempotencyKey, Store, StoreError, UniqueKey, UniqueKeyChange};
use crate::testkit::engines::RecordingNotifier;
use crate::testkit::fixtures;

/// A unique key is held by at most one stream of a tenant: a commit taking a key another
/// stream holds is refused as [`StoreError::UniqueKeyTaken`] naming the holder and writes
/// nothing; the same key is free in another tenant; a key released by its holder (and only
/// by it) can be taken again; two commits racing for one key, alone or in one batch, leave
/// exactly one holder.
pub async fn unique_keys_hold_one_stream(store: &dyn Store) {
    let tenant = TenantId::new();
    let key = |n: u32| UniqueKey::new("conformance", &format!("{tenant}/{n}"));
    let taking = |builder: &Builder, keys: Vec<UniqueKey>| {
        let mut commit = builder.decide(ComplaintCommand::File(Box::new(builder.filing())));
        commit.unique = UniqueKeyChange {
            take: keys,
            release: Vec::new(),
        };
        commit
    };
    let (first, second) = (Builder::new(tenant), Builder::new(tenant));
    store
        .commit(taking(&first, vec![key(1)]))
        .await
        .expect("a free key is taken");
    let refused = store.commit(taking(&second, vec![key(2), key(1)])).await;
    match refused {
        Err(StoreError::UniqueKeyTaken { key: taken, holder }) => {
            assert_eq!(taken, key(1), "the key that was taken");
            assert_eq!(holder, first.stream(), "the stream holding it");
        }
        other => panic!("a key another stream holds must be refused, got {other:?}"),
    }
    assert!(
        store
            .load(tenant, second.stream())
            .await
            .expect("load")
            .is_none(),
        "the refused commit wrote nothing"
    );
    store
        .commit(taking(&second, vec![key(2)]))
        .await
        .expect("its other key was not taken by the refused commit");
    let elsewhere = Builder::new(TenantId::new());
    store
        .commit(taking(&elsewhere, vec![key(1)]))
        .await
        .expect("keys are per tenant");

    // Releasing: a stream that does not hold the key leaves it; its holder frees it.
    let mut first = first;
    let mut stranger = Builder::new(tenant);
    let mut filed = taking(&stranger, Vec::new());
    store.commit(filed.clone()).await.expect("commit");
    stranger.applied(&filed);
    filed = stranger.decide(ComplaintCommand::Submit);
    filed.unique.release = vec![key(1)];
    store
        .commit(filed)
        .await
        .expect("releasing a key one does not hold changes nothing");
    let third = Builder::new(tenant);
    assert!(matches!(
        store.commit(taking(&third, vec![key(1)])).await,
        Err(StoreError::UniqueKeyTaken { .. })
    ));
    first.applied(&taking(&first, vec![key(1)]));
    // Taking a key the stream already holds keeps it, in one commit and in a batch.
    let mut again = first.decide(ComplaintCommand::Submit);
    again.unique.take = vec![key(1)];
    store
        .commit(again.clone())
        .await
        .expect("a stream takes a key it holds");
    first.applied(&again);
    let mut in_batch = first.decide(ComplaintCommand::Accept);
    in_batch.unique.take = vec![key(1)];
    let results = store.commit_batch(vec![in_batch.clone()]).await;
    assert!(results[0].is_ok(), "in a batch: {:?}", results[0]);
    first.applied(&in_batch);
    assert!(matches!(
        store.commit(taking(&third, vec![key(1)])).await,
        Err(StoreError::UniqueKeyTaken { .. })
    ));
    let mut release = first.decide(ComplaintCommand::Retract {
        reason: Some(fixtures::text("retracted")),
    });
    release.unique.release = vec![key(1)];
    store.commit(release).await.expect("the holder releases");
    store
        .commit(taking(&third, vec![key(1)]))
        .await
        .expect("a released key is taken again");

    // A commit refused for its version takes no key.
    let stale = Builder::new(tenant);
    let mut refused = taking(&stale, vec![key(5)]);
    refused.expected_version = 7;
    assert!(matches!(
        store.commit(refused).await,
        Err(StoreError::Conflict { .. })
    ));
    store
        .commit(taking(&Builder::new(tenant), vec![key(5)]))
        .await
        .expect("the key of a commit refused for its version stays free");

    // Two commits racing for one key: exactly one holder.
    let (a, b) = (Builder::new(tenant), Builder::new(tenant));
    let (ra, rb) = futures_join(
        store.commit(taking(&a, vec![key(3)])),
        store.commit(taking(&b, vec![key(3)])),
    )
    .await;
    assert_eq!(
        [ra.is_ok(), rb.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "one racing commit wins the key: {ra:?} / {rb:?}"
    );
    // In one batch: the first commit takes it, the second is refused.
    let (c, d) = (Builder::new(tenant), Builder::new(tenant));
    let results = store
        .commit_batch(vec![taking(&c, vec![key(4)]), taking(&d, vec![key(4)])])
        .await;
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(
        matches!(&results[1], Err(StoreError::UniqueKeyTaken { holder, .. }) if *holder == c.stream()),
        "{:?}",
        results[1]
    );
}

/// [`crate::store::EventLog::stream_keys`] walks every stream of every tenant once, in
/// `(tenant, stream)` order, page after page.
pub async fn stream_keys_walk_every_stream(store: &dyn Store) {
    let mut ours = BTreeSet::new();
    for _ in 0..2 {
        let tenant = TenantId::new();
        for _ in 0..4 {
            let builder = Builder::new(tenant);
            let filed = builder.decide(ComplaintCommand::File(Box::new(builder.filing())));
            store.commit(filed).await.expect("commit");
            ours.insert((tenant, builder.stream()));
        }
    }
    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let page = store.stream_keys(after, 3).await.expect("a page");
        assert!(page.len() <= 3, "a page holds at most the limit");
        let Some(last) = page.last().copied() else {
            break;
        };
        walked.extend(page);
        after = Some(last);
    }
    assert!(
        walked.windows(2).all(|pair| pair[0] < pair[1]),
        "in key order, each once"
    );
    let seen: BTreeSet<(TenantId, StreamId)> = walked.into_iter().collect();
    assert!(
        ours.is_subset(&seen),
        "every stream of every tenant is walked"
    );
}

/// Engines on every handle file complaints against the same listings at once: each listing
/// ends with exactly one open complaint, and every other filing is refused as
/// [`ComplaintRule::ListingHasOpenComplaint`] naming it. Pass one handle, or several
/// handles of one database (processes share it the same way).
pub async fn one_open_complaint_per_listing<S: Store>(handles: Vec<S>) {
    let clock = ManualClock::at(fixtures::now());
    let notifier = RecordingNotifier::default();
    let engines: Vec<CheckEngine<S>> = handles
        .into_iter()
        .flat_map(|handle| {
            let handle = Arc::new(handle);
            [
                engine(&handle, &clock, &notifier),
                engine(&handle, &clock, &notifier),
            ]
        })
        .collect();
    let Some(first) = engines.first() else {
        return;
    };
    let (tenant, right) = approved_right(first).await;
    const LISTINGS: u64 = 12;
    let mut tasks = tokio::task::JoinSet::new();
    for (n, engine) in engines.iter().enumerate() {
        for product in 0..LISTINGS {
            let engine = engine.clone();
            tasks.spawn(async move {
                let id = ComplaintId::new();
                let result = engine.execute(filing(tenant, right, id, product)).await;
                (product, id, n, result)
            });
        }
    }
    let mut winners: BTreeMap<u64, Vec<ComplaintId>> = BTreeMap::new();
    let mut refused: Vec<(u64, ComplaintId)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (product, id, _, result) = joined.expect("task");
        match result {
            Ok(_) => winners.entry(product).or_default().push(id),
            Err(EngineError::ComplaintRefused(refusal)) => match refusal.rule {
                ComplaintRule::ListingHasOpenComplaint { open } => refused.push((product, open)),
                other => panic!("a racing filing refused for another rule: {other}"),
            },
            Err(other) => panic!("a racing filing failed: {other}"),
        }
    }
    assert_eq!(winners.len() as u64, LISTINGS, "every listing filed");
    for (product, ids) in &winners {
        assert_eq!(
            ids.len(),
            1,
            "listing {product}: one open complaint, got {ids:?}"
        );
    }
    for (product, open) in refused {
        assert_eq!(
            winners.get(&product),
            Some(&vec![open]),
            "a refusal names the open complaint"
        );
    }
    // Once it is no longer open, the listing takes a new complaint.
    let (product, ids) = winners.iter().next().expect("a listing");
    first
        .execute(Request::new(
            tenant,
            fixtures::holder_user_of(tenant),
            Command::complaint(ids[0], ComplaintCommand::Retract { reason: None }),
        ))
        .await
        .expect("retracted");
    first
        .execute(filing(tenant, right, ComplaintId::new(), *product))
        .await
        .expect("a retracted complaint leaves its listing free");
}

fn filing(tenant: TenantId, right: RightId, id: ComplaintId, product: u64) -> Request {
    let filing = fixtures::complaint_filing_on(tenant, right, id, 8_800_000 + product);
    Request::new(
        tenant,
        fixtures::holder_user_of(tenant),
        Command::complaint(id, ComplaintCommand::File(Box::new(filing))),
    )
}

/// An idempotency key is bound to its request: the same request again gets the first
/// receipt, another request under the same key is refused as
/// [`EngineError::IdempotencyKeyReused`] and writes nothing, and the receipt comes back
/// with its request's fingerprint.
pub async fn reused_keys_are_refused<S: Store>(store: S) {
    let (store, clock, notifier) = surroundings(store);
    let engine = engine(&store, &clock, &notifier);
    let (tenant, right) = approved_right(&engine).await;
    let key = IdempotencyKey::new("batch1").expect("a key");
    let id = ComplaintId::new();
    let first = filing(tenant, right, id, 1).idempotent(key.clone());
    let receipt = engine.execute(first.clone()).await.expect("filed");
    assert_eq!(
        engine.execute(first.clone()).await.expect("replayed"),
        receipt,
        "the same request again: the first receipt"
    );
    let stored = store
        .receipt(tenant, &key)
        .await
        .expect("receipt")
        .expect("recorded");
    assert_eq!(
        stored.request,
        Some(first.fingerprint().expect("fingerprint")),
        "the receipt keeps its request's fingerprint"
    );
    let other = filing(tenant, right, ComplaintId::new(), 2).idempotent(key.clone());
    match engine.execute(other).await {
        Err(EngineError::IdempotencyKeyReused { key: reused }) => assert_eq!(reused, key),
        other => panic!("a key reused with another request must be refused: {other:?}"),
    }
    let another_command = Request::new(
        tenant,
        Actor::Platform,
        Command::complaint(id, ComplaintCommand::Accept),
    )
    .idempotent(key.clone());
    assert!(matches!(
        engine.execute(another_command).await,
        Err(EngineError::IdempotencyKeyReused { .. })
    ));
    let complaint = engine
        .read()
        .complaint(tenant, id)
        .await
        .expect("load")
        .expect("filed");
    assert_eq!(
        complaint.status(),
        crate::complaint::ComplaintStatus::Draft,
        "the refused requests wrote nothing"
    );
}

/// The store keeps the policy its data follows: the first engine records its own; an engine
/// with another policy is refused ([`PolicyError::Mismatch`]) for commands and ticks, until
/// an operator changes the store's policy on purpose, which is recorded with who and why;
/// the engines of the old policy are then refused in turn (their commands too, once a tick
/// found the change), and [`Engine::open`] follows the stored one. The check leaves the
/// store with the Alibaba IPP policy it found.
pub async fn policy_kept_with_the_data<S: Store>(store: S) {
    let (store, clock, notifier) = surroundings(store);
    let alibaba = engine(&store, &clock, &notifier);
    approved_right(&alibaba).await;
    let mut other = MarketplacePolicy::dmca_style();
    other
        .marketplaces
        .push(crate::marketplace::Marketplace::AlibabaCom);
    let dmca = Engine::new(
        Arc::clone(&store),
        notifier.clone(),
        clock.clone(),
        other.clone(),
    );
    let mismatch = |result: Result<_, EngineError>| {
        matches!(
            result,
            Err(EngineError::Policy(PolicyError::Mismatch { .. }))
        )
    };
    assert!(
        mismatch(approved_right_result(&dmca).await),
        "a command under another policy is refused"
    );
    assert!(mismatch(dmca.jobs().tick().await.map(|_| ())), "and a tick");
    let stored_policy = async || {
        let stored = dmca.read().stored_policy().await.expect("read");
        stored.expect("recorded")
    };
    let stored = stored_policy().await;
    assert_eq!(*stored.policy, MarketplacePolicy::alibaba_ipp());
    let operator = Actor::Operator {
        user: UserId::new(),
    };
    let reason = fixtures::text("The client moved to the DMCA platform");
    dmca.adopt_policy(operator, reason.clone())
        .await
        .expect("changed on purpose");
    let stored = stored_policy().await;
    assert_eq!(*stored.policy, other);
    assert_eq!((stored.revision, stored.by), (2, operator));
    assert_eq!(stored.reason, Some(reason));
    assert!(matches!(
        dmca.adopt_policy(operator, fixtures::text("again")).await,
        Err(EngineError::Policy(PolicyError::Unchanged))
    ));
    approved_right(&dmca).await;
    assert!(
        mismatch(alibaba.jobs().tick().await.map(|_| ())),
        "an engine of the old policy stops ticking"
    );
    assert!(
        mismatch(approved_right_result(&alibaba).await),
        "and, once its tick found the change, deciding commands under the old policy"
    );
    let opened = Engine::open(Arc::clone(&store), notifier, clock)
        .await
        .expect("opened with the stored policy");
    assert_eq!(*opened.read().policy(), other);
    // Back to the policy the other checks use, for a store they share.
    alibaba
        .adopt_policy(operator, fixtures::text("Back to Alibaba IPP"))
        .await
        .expect("changed back");
    assert!(alibaba.jobs().tick().await.is_ok());
    approved_right(&alibaba).await;
}

async fn approved_right_result<S: Store>(engine: &CheckEngine<S>) -> Result<(), EngineError> {
    let tenant = TenantId::new();
    let right = RightId::new();
    let mut package = fixtures::trademark_package();
    package.holder.tenant = tenant;
    let (actor, command) = fixtures::approval_of(right, tenant, package)
        .into_iter()
        .next()
        .expect("a registration");
    let actor = match actor {
        Actor::HolderUser { user, .. } => Actor::HolderUser { tenant, user },
        other => other,
    };
    engine
        .execute(Request::new(tenant, actor, Command::right(right, command)))
        .await
        .map(|_| ())
}
