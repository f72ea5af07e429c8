//! Property test with the exported strategies: any history committed event by event loads
//! back as its fold, and the counts and metric tallies equal a replay.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aliprotect_core::complaint::ComplaintDecider;
use aliprotect_core::decider::Decider;
use aliprotect_core::ids::TenantId;
use aliprotect_core::metrics::{MetricsChange, Tallies};
use aliprotect_core::store::prelude::*;
use aliprotect_core::store::{
    Commit, CountBy, DomainEvent, Snapshot, StatusChange, StreamId, StreamStatus, UniqueKeyChange,
};
use aliprotect_core::testkit::strategies;
use aliprotect_store_memory::MemoryStore;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn any_history_loads_back_as_its_fold((events, state) in strategies::complaint_history_in(TenantId::from_u128(9), 15)) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let store = MemoryStore::new();
            let tenant = TenantId::from_u128(9);
            let complaint = state.clone().expect("filed");
            let stream = StreamId::Complaint(complaint.id());
            let mut folded = None;
            for (version, event) in events.iter().enumerate() {
                let before = folded.clone();
                folded = ComplaintDecider::evolve(folded, event);
                let after = folded.clone().unwrap();
                let keys = |c: Option<&aliprotect_core::complaint::Complaint>| c.map(|c| c.unique_keys()).unwrap_or_default();
                let unique = UniqueKeyChange::between(&keys(before.as_ref()), &keys(Some(&after)));
                let snapshot = Snapshot::Complaint(std::sync::Arc::new(after.clone()));
                let index = if before.is_none() { snapshot.index_keys() } else { Vec::new() };
                store.commit(Commit {
                    tenant,
                    stream,
                    expected_version: version as u64,
                    events: vec![DomainEvent::Complaint(event.clone())],
                    metrics: MetricsChange::between(before.as_ref(), &after),
                    status: StatusChange {
                        before: before.as_ref().map(|c| StreamStatus::Complaint(c.status())),
                        after: StreamStatus::Complaint(after.status()),
                    },
                    snapshot,
                    outbox: vec![],
                    timers: vec![],
                    receipt: None,
                    work: None,
                    unique,
                    index,
                }).await.unwrap();
            }
            let loaded = store.load(tenant, stream).await.unwrap().unwrap();
            prop_assert_eq!(loaded.version, events.len() as u64);
            prop_assert_eq!(loaded.snapshot, Snapshot::Complaint(std::sync::Arc::new(complaint.clone())));
            let counts = store.complaint_counts(tenant, CountBy::Status).await.unwrap();
            prop_assert_eq!(counts.len(), 1);
            prop_assert_eq!(counts[0].status, complaint.status());
            prop_assert_eq!(counts[0].count, 1);
            prop_assert_eq!(
                store.metric_tallies(tenant, None).await.unwrap(),
                Tallies::of([&complaint])
            );
            Ok(())
        })?;
    }
}
