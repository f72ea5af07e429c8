//! Outcomes in bulk from the platform's own complaint list: each row brings its complaint to
//! what the platform shows when our record allows it; what cannot be taken, or names
//! nothing, is reported, never guessed; applying the list again changes nothing.

mod common;

use aliprotect::complaint::{ComplaintStatus, PlatformStatus, Stage};
use common::Harness;

#[tokio::test]
async fn the_platforms_list_brings_each_complaint_to_what_it_shows() {
    let h = Harness::new();
    let right = h.approved_right().await;
    // Filed and submitted: 501..505; 503 and 505 accepted, 504 restored after a dispute.
    let ids: Vec<_> = futures_for(&h, right, 501..=505).await;
    for i in [2, 3, 4] {
        h.accept(ids[i]).await;
    }
    h.counter_notice(ids[3]).await;
    h.accept_counter_notice(ids[3]).await;
    let list = format!(
        "Complaint No.,Product URL,Status,Reason\n\
         ,https://m.alibaba.com/product/501/Earbuds.html,Listing Removed,\n\
         {},,Unable to Process,The trademark certificate is not legible\n\
         ,https://www.alibaba.com/product-detail/X_503.html,In Progress,\n\
         {},,Listing Removed,\n\
         ,https://www.alibaba.com/product-detail/X_999.html,Listing Removed,\n\
         ,https://www.alibaba.com/product-detail/X_505.html,Removed,\n\
         {},,Unable to Process,\n",
        ids[1], ids[3], ids[4]
    );
    let report = h
        .engine
        .apply_platform_statuses(h.tenant, list.as_bytes())
        .await
        .unwrap();
    let changed: Vec<_> = report
        .changed
        .iter()
        .map(|c| (c.line, c.complaint, c.from, c.to))
        .collect();
    assert_eq!(
        changed,
        vec![
            (
                2,
                ids[0],
                ComplaintStatus::Submitted,
                ComplaintStatus::ListingRemoved
            ),
            (
                3,
                ids[1],
                ComplaintStatus::Submitted,
                ComplaintStatus::UnableToProcess
            ),
            (
                8,
                ids[4],
                ComplaintStatus::InProgress,
                ComplaintStatus::UnableToProcess
            ),
        ]
    );
    assert_eq!(report.unchanged, vec![(4, ids[2])], "already in progress");
    assert_eq!(report.conflicted.len(), 1, "{:?}", report.conflicted);
    assert_eq!(
        (
            report.conflicted[0].line,
            report.conflicted[0].ours,
            report.conflicted[0].platform
        ),
        (
            5,
            ComplaintStatus::ListingRestored,
            PlatformStatus::ListingRemoved
        ),
        "restored here, removed there: a person looks"
    );
    assert_eq!(report.unknown.len(), 1);
    assert_eq!(report.unknown[0].0, 6);
    assert_eq!(report.rejected.len(), 1, "an unknown status word");
    assert_eq!(report.rejected[0].line, 7);

    // The platform's reason verbatim, or a note that the list gave none.
    let Stage::UnableToProcess { reason } = h.complaint(ids[1]).await.stage else {
        panic!("unable to process");
    };
    assert_eq!(reason.as_str(), "The trademark certificate is not legible");
    let Stage::UnableToProcess { reason } = h.complaint(ids[4]).await.stage else {
        panic!("unable to process");
    };
    assert!(reason.as_str().contains("gives no reason"), "{reason}");
    assert_eq!(
        h.complaint(ids[2]).await.status(),
        ComplaintStatus::InProgress
    );

    // Applied again: nothing moves.
    let again = h
        .engine
        .apply_platform_statuses(h.tenant, list.as_bytes())
        .await
        .unwrap();
    assert!(again.changed.is_empty(), "{:?}", again.changed);
    assert_eq!(
        again
            .unchanged
            .iter()
            .map(|(line, _)| *line)
            .collect::<Vec<_>>(),
        vec![2, 3, 4, 8]
    );
    assert_eq!(again.conflicted.len(), 1);
}

async fn futures_for(
    h: &Harness,
    right: aliprotect::ids::RightId,
    products: std::ops::RangeInclusive<u64>,
) -> Vec<aliprotect::ids::ComplaintId> {
    let mut ids = Vec::new();
    for product in products {
        ids.push(h.filed(right, product).await);
    }
    ids
}
