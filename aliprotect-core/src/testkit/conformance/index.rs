//! The read model's two generic queries: [`ReadModel::find`] (by kind, index key and status,
//! in pages) and [`ReadModel::count`] (per status, grouped by an index).
//!
//! [`ReadModel::find`]: crate::store::ReadModel::find
//! [`ReadModel::count`]: crate::store::ReadModel::count

use crate::store::CountQuery;
use std::collections::BTreeMap;

use super::{Builder, assert_nothing, ungrouped_counts};
use crate::complaint::ComplaintCommand;
use crate::ids::{ComplaintId, RightId, StreamId, TenantId};
use crate::right::RightStatus;
use crate::store::{
    Find, IndexKey, IndexName, StatusCount, Store, StreamKind, StreamStatus, columns,
};
use crate::testkit::fixtures;

/// Files complaints in two tenants (six on one right, one of them submitted; two on rights
/// of their own) and checks what `find` and `count` answer: every page in stream order,
/// each stream once; only the key's streams, of the kind asked, in the status asked; another
/// tenant's streams absent; counts per status and per right equal to what was filed.
pub async fn find_and_count(store: &dyn Store) {
    let tenant = TenantId::new();
    let stranger = TenantId::new();
    let mut shared = fixtures::right_in(RightStatus::Approved);
    shared.id = RightId::new();
    shared.tenant = tenant;
    let mut filed: Vec<Builder> = Vec::new();
    for index in 0..8 {
        let mut builder = Builder::new(tenant);
        if index < 6 {
            builder.right = shared.clone();
        }
        let filing = builder.filing();
        builder
            .run(store, ComplaintCommand::File(Box::new(filing)))
            .await;
        filed.push(builder);
    }
    filed[0].run(store, ComplaintCommand::Submit).await;
    Builder::file(store, stranger).await;

    let mut expected: Vec<ComplaintId> = filed.iter().map(|b| b.id).collect();
    expected.sort();
    let (mut seen, mut after) = (Vec::new(), None);
    loop {
        let mut page = Find::all(StreamKind::Complaint).limit(3);
        if let Some(after) = after {
            page = page.after(after);
        }
        let found = store.find(tenant, &page).await.expect("find");
        assert!(found.len() <= 3, "a page holds at most its limit");
        assert!(
            found.len() == 3 || seen.len() + found.len() == expected.len(),
            "a page short of its limit is the last one"
        );
        let Some((last, _)) = found.last() else {
            break;
        };
        after = Some(*last);
        for (stream, snapshot) in found {
            let StreamId::Complaint(id) = stream else {
                panic!("a complaint query found {stream}");
            };
            assert!(
                snapshot.belongs_to(tenant, stream),
                "{stream}: its own snapshot"
            );
            seen.push(id);
        }
    }
    assert_eq!(
        seen, expected,
        "pages walk every complaint once, in stream order"
    );

    let by_shared = IndexKey::new(IndexName::RIGHT, shared.id.to_string());
    let on_shared = store
        .find(
            tenant,
            &Find::all(StreamKind::Complaint).with_key(by_shared.clone()),
        )
        .await
        .expect("find by key");
    let mut shared_ids: Vec<ComplaintId> = filed[..6].iter().map(|b| b.id).collect();
    shared_ids.sort();
    assert_eq!(
        on_shared.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        shared_ids
            .iter()
            .map(|id| StreamId::Complaint(*id))
            .collect::<Vec<_>>(),
        "a key finds its streams only"
    );
    let submitted = StreamStatus::Complaint(filed[0].state.as_ref().expect("filed").status());
    let in_status = store
        .find(
            tenant,
            &Find::all(StreamKind::Complaint)
                .with_key(by_shared.clone())
                .in_status(submitted),
        )
        .await
        .expect("find by key and status");
    assert_eq!(
        in_status.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![filed[0].stream()],
        "a status narrows it to the streams in it"
    );
    let second_page = store
        .find(
            tenant,
            &Find::all(StreamKind::Complaint)
                .with_key(by_shared)
                .after(StreamId::Complaint(shared_ids[3]))
                .limit(10),
        )
        .await
        .expect("a page by key");
    assert_eq!(second_page.len(), 2, "a keyed query pages too");
    assert_nothing(
        store.find(tenant, &Find::all(StreamKind::Power)).await,
        "only streams of the kind asked",
    );
    let after_earlier_kind = Find::all(StreamKind::Complaint).after(StreamId::Right(shared.id));
    assert_eq!(
        store
            .find(tenant, &after_earlier_kind)
            .await
            .expect("find")
            .len(),
        8,
        "after a stream of an earlier kind: from the first of this kind"
    );
    let after_later_kind =
        Find::all(StreamKind::Complaint).after(StreamId::Campaign(crate::ids::CampaignId::new()));
    assert_nothing(
        store.find(tenant, &after_later_kind).await,
        "after a stream of a later kind: nothing",
    );
    assert_eq!(
        store
            .find(stranger, &Find::all(StreamKind::Complaint))
            .await
            .expect("find")
            .len(),
        1,
        "another tenant's streams are absent"
    );

    let status_of = |builder: &Builder| {
        columns::status_code(StreamStatus::Complaint(
            builder.state.as_ref().expect("filed").status(),
        ))
    };
    let mut by_status: BTreeMap<i16, u64> = BTreeMap::new();
    let mut by_right: BTreeMap<(String, i16), u64> = BTreeMap::new();
    for builder in &filed {
        *by_status.entry(status_of(builder)).or_default() += 1;
        *by_right
            .entry((builder.right.id.to_string(), status_of(builder)))
            .or_default() += 1;
    }
    let counts = store
        .count(tenant, &CountQuery::of(StreamKind::Complaint))
        .await
        .expect("count");
    assert_eq!(counts, ungrouped_counts(by_status), "counts per status");
    let grouped = store
        .count(
            tenant,
            &CountQuery::of(StreamKind::Complaint).by(IndexName::RIGHT),
        )
        .await
        .expect("count by right");
    let expected: Vec<StatusCount> = by_right
        .into_iter()
        .map(|((right, status), count)| StatusCount {
            group: Some(right),
            status,
            count,
        })
        .collect();
    assert_eq!(
        grouped, expected,
        "counts per right and status, in group order"
    );
    assert!(
        store
            .count(
                tenant,
                &CountQuery::of(StreamKind::Complaint).by(IndexName::REPRESENTATIVE)
            )
            .await
            .expect("count")
            .is_empty(),
        "streams without a key of the index are left out"
    );
}
