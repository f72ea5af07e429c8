//! The filer's accuracy and the sellers' records, computed from the metric tallies, equal what
//! the per-complaint rules they replaced compute (kept here as the reference model), for any
//! mix of complaint histories, sellers and filing times.

use std::collections::BTreeMap;
use std::sync::Arc;

use aliprotect_core::accuracy::Accuracy;
use aliprotect_core::complaint::{Complaint, ComplaintReason, ComplaintStatus};
use aliprotect_core::sellers::{SellerKey, SellerRecord, seller_of, seller_records};
use aliprotect_core::testkit::{fixtures, strategies};
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

/// What the reference counts of one group: taken up, decided, taken down, counter-noticed,
/// lost to a counter-notice.
type Counts = [u64; 5];

/// The accuracy rule per complaint before the tallies: complaints filed from `since` on,
/// taken up by the platform and not retracted.
fn reference_accuracy(
    complaints: &[Complaint],
    since: DateTime<Utc>,
) -> (Counts, BTreeMap<ComplaintReason, Counts>) {
    let mut overall = Counts::default();
    let mut by_reason: BTreeMap<ComplaintReason, Counts> = BTreeMap::new();
    for complaint in complaints.iter().filter(|c| c.filed_at >= since) {
        let status = complaint.status();
        if !status.is_taken_up() || status == ComplaintStatus::Retracted {
            continue;
        }
        let (decided, taken_down, lost) = match status {
            ComplaintStatus::ListingRemoved | ComplaintStatus::Relisted => (1, 1, 0),
            ComplaintStatus::UnableToProcess | ComplaintStatus::Refiled => (1, 0, 0),
            ComplaintStatus::ListingRestored => (1, 0, 1),
            _ => (0, 0, 0),
        };
        let noticed = u64::from(!complaint.counter_notices.is_empty());
        let add = [1, decided, taken_down, noticed, lost];
        for counts in [
            &mut overall,
            by_reason.entry(complaint.filed.reason).or_default(),
        ] {
            for (count, n) in counts.iter_mut().zip(add) {
                *count += n;
            }
        }
    }
    (overall, by_reason)
}

/// The seller rule per complaint before the tallies.
fn reference_sellers(
    complaints: &[Complaint],
    threshold: u64,
) -> BTreeMap<SellerKey, SellerRecord> {
    let mut records: BTreeMap<SellerKey, SellerRecord> = BTreeMap::new();
    for complaint in complaints {
        let Some(seller) = seller_of(complaint) else {
            continue;
        };
        let record = records.entry(seller).or_default();
        record.complaints += 1;
        record.counter_notices += complaint.counter_notices.len() as u64;
        match complaint.status() {
            ComplaintStatus::ListingRemoved => record.removals += 1,
            ComplaintStatus::Relisted => {
                record.removals += 1;
                record.relistings += 1;
            }
            _ => {}
        }
    }
    for record in records.values_mut() {
        record.repeat_infringer = record.removals >= threshold;
    }
    records
}

fn counts_of(rates: &aliprotect_core::accuracy::Rates) -> Counts {
    [
        rates.taken_up,
        rates.decided,
        rates.taken_down,
        rates.counter_noticed,
        rates.lost_to_counter_notice,
    ]
}

/// A complaint reached by a random history, filed up to 200 days before the fixtures' now,
/// against one of four named sellers or none.
fn complaint() -> impl Strategy<Value = Complaint> {
    (
        strategies::complaint_state(),
        0..200 * 24 * 60_i64,
        proptest::option::of(0..4_u8),
    )
        .prop_map(|(mut complaint, minutes_before, seller)| {
            complaint.filed_at = fixtures::now() - Duration::minutes(minutes_before);
            let filing = Arc::make_mut(&mut complaint.filed);
            filing.details.seller_name = seller.map(|n| format!("seller {n}"));
            complaint
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn accuracy_from_the_tallies_equals_the_per_complaint_rule(
        complaints in proptest::collection::vec(complaint(), 0..40),
        days_after in 0..120_i64,
        window_days in 1..120_u16,
    ) {
        let now = fixtures::now() + Duration::days(days_after);
        let mut rules = aliprotect_core::policy::MarketplacePolicy::alibaba_ipp()
            .trusted_filer
            .expect("the IPP policy has trusted-filer rules");
        rules.window_days = window_days;
        let accuracy = Accuracy::of(&complaints, now, Some(&rules));
        let (overall, by_reason) = reference_accuracy(&complaints, accuracy.since);
        prop_assert_eq!(counts_of(&accuracy.overall), overall);
        let reasons: BTreeMap<ComplaintReason, Counts> = accuracy
            .by_reason
            .iter()
            .map(|(reason, rates)| (*reason, counts_of(rates)))
            .collect();
        prop_assert_eq!(reasons, by_reason);
        // The window is whole days: it starts at a midnight, `window_days` days before today.
        prop_assert_eq!(accuracy.since.date_naive(), now.date_naive() - Duration::days(window_days.into()));
        prop_assert_eq!(accuracy.since.time(), chrono::NaiveTime::MIN);
    }

    #[test]
    fn seller_records_from_the_tallies_equal_the_per_complaint_rule(
        complaints in proptest::collection::vec(complaint(), 0..40),
        threshold in 1..4_u64,
    ) {
        prop_assert_eq!(
            seller_records(&complaints, threshold),
            reference_sellers(&complaints, threshold)
        );
    }
}
