//! Metrics as running tallies a store can keep up to date on every commit, so that a
//! dashboard over a million complaints reads a few thousand group rows instead of a million
//! snapshots. The same rows answer the filer's accuracy ([`crate::accuracy`]) and the
//! sellers' records ([`crate::sellers`]).
//!
//! Each complaint is reduced to a [`MetricsFact`]; a commit that changes it carries a
//! [`MetricsChange`] (the fact before and after); a store adds the change to its [`Tallies`]
//! and [`Tallies::breakdown`] turns them into the [`Breakdown`] a caller sees. Tallies are
//! sums, so the tallies of several campaigns merge into the tenant's.
//!
//! ```
//! use aliprotect_core::metrics::Tallies;
//! let tallies = Tallies::of(std::iter::empty());
//! assert!(tallies.is_empty());
//! assert_eq!(tallies.breakdown().overall.filed, 0);
//! ```

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::fact::UNKNOWN_SELLER;
use super::{Breakdown, Metrics, MetricsChange, MetricsFact, Outcome, Week};
use crate::complaint::{Complaint, ComplaintReason};
use crate::ids::RightId;
use crate::marketplace::Marketplace;

/// A group that metrics are broken down by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MetricsGroup {
    /// One right.
    Right(RightId),
    /// One ISO week of filing.
    Week(Week),
    /// One seller account: its marketplace and store id or name (`None`: listings of the
    /// marketplace that show no seller).
    Seller(Marketplace, Option<String>),
    /// The complaints filed on one day (UTC) for one reason that the platform took up (and
    /// that were not retracted): what the filer's accuracy counts over its window.
    TakenUp(NaiveDate, ComplaintReason),
}

/// The running sums of one group. Signed, so that the same type holds a change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupTally {
    /// Complaints filed.
    pub filed: i64,
    /// With the platform.
    pub in_progress: i64,
    /// Removed, relisted since or not.
    pub removed: i64,
    /// "Unable to Process".
    pub unable_to_process: i64,
    /// Met a counter-notice.
    pub counter_noticed: i64,
    /// Left up after a counter-notice.
    pub restored: i64,
    /// Relisted after removal.
    pub relisted: i64,
    /// Counter-notices met (a complaint may meet several).
    pub counter_notices: i64,
    /// How many removals took each number of whole hours.
    pub hours_to_removal: BTreeMap<u32, i64>,
}

impl GroupTally {
    /// How many sums [`GroupTally::sums`] gives.
    pub const SUMS: usize = 8;

    /// The sums in a fixed order (filed, in progress, removed, unable to process,
    /// counter-noticed, restored, relisted, counter-notices): the columns a store keeps them
    /// in.
    pub fn sums(&self) -> [i64; Self::SUMS] {
        let mut copy = Self {
            hours_to_removal: BTreeMap::new(),
            ..*self
        };
        copy.sums_mut().map(|sum| *sum)
    }

    /// The sums, in [`GroupTally::sums`]' order, to change: the one place that lists them.
    fn sums_mut(&mut self) -> [&mut i64; Self::SUMS] {
        [
            &mut self.filed,
            &mut self.in_progress,
            &mut self.removed,
            &mut self.unable_to_process,
            &mut self.counter_noticed,
            &mut self.restored,
            &mut self.relisted,
            &mut self.counter_notices,
        ]
    }

    /// The tally whose [`GroupTally::sums`] are `sums`, with no removal times.
    pub fn from_sums(sums: [i64; Self::SUMS]) -> Self {
        let mut tally = Self::default();
        for (sum, value) in tally.sums_mut().into_iter().zip(sums) {
            *sum = value;
        }
        tally
    }

    /// Adds `sign` (1 or -1) times `fact`.
    fn count(&mut self, fact: &MetricsFact, sign: i64, keep_times: bool) {
        self.filed += sign;
        match fact.outcome {
            Outcome::NotPending => {}
            Outcome::Submitted | Outcome::InProgress => self.in_progress += sign,
            Outcome::Removed => self.removed += sign,
            Outcome::Relisted => {
                self.removed += sign;
                self.relisted += sign;
            }
            Outcome::UnableToProcess => self.unable_to_process += sign,
            Outcome::Restored => self.restored += sign,
        }
        if fact.counter_noticed {
            self.counter_noticed += sign;
        }
        self.counter_notices += sign * i64::from(fact.counter_notices);
        if keep_times && let Some(hours) = fact.hours_to_removal {
            self.add_removal_times(hours, sign);
        }
    }

    /// Adds `n` removals that took `hours`.
    pub fn add_removal_times(&mut self, hours: u32, n: i64) {
        let entry = self.hours_to_removal.entry(hours).or_default();
        *entry += n;
        if *entry == 0 {
            self.hours_to_removal.remove(&hours);
        }
    }

    /// Adds another tally of the same group (a change, or another campaign's).
    pub fn merge(&mut self, other: &GroupTally) {
        for (sum, add) in self.sums_mut().into_iter().zip(other.sums()) {
            *sum += add;
        }
        for (hours, n) in &other.hours_to_removal {
            self.add_removal_times(*hours, *n);
        }
    }

    /// Whether nothing is counted (a group whose complaints all moved away).
    pub fn is_empty(&self) -> bool {
        *self == GroupTally::default()
    }

    /// The metrics these sums give. A negative sum (a store that lost a commit) counts as 0.
    pub fn metrics(&self) -> Metrics {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let removed = count(self.removed);
        let relisted = count(self.relisted);
        let decided = removed + count(self.unable_to_process) + count(self.restored);
        Metrics {
            filed: count(self.filed),
            in_progress: count(self.in_progress),
            removed,
            unable_to_process: count(self.unable_to_process),
            counter_noticed: count(self.counter_noticed),
            restored: count(self.restored),
            relisted,
            removal_rate: ratio(removed, decided),
            median_hours_to_removal: self.percentile_hours(50),
            p90_hours_to_removal: self.percentile_hours(90),
            relisting_rate: ratio(relisted, removed),
        }
    }

    /// The nearest-rank percentile of the removal times.
    fn percentile_hours(&self, percent: u64) -> Option<u32> {
        let total: u64 = self
            .hours_to_removal
            .values()
            .map(|n| u64::try_from(*n).unwrap_or(0))
            .sum();
        let rank = (percent * total).div_ceil(100).max(1);
        let mut seen = 0;
        self.hours_to_removal.iter().find_map(|(hours, n)| {
            seen += u64::try_from(*n).unwrap_or(0);
            (seen >= rank).then_some(*hours)
        })
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The tallies of a set of complaints (a campaign, a tenant), by group. Groups whose sums
/// are all zero are left out, so two tallies of the same complaints are equal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tallies {
    by_right: BTreeMap<RightId, GroupTally>,
    by_week: BTreeMap<Week, GroupTally>,
    /// Per marketplace, its sellers by id or name: looked up by `&str`, so counting into an
    /// existing seller allocates nothing. A marketplace without sellers has no entry.
    by_seller: BTreeMap<Marketplace, BTreeMap<String, GroupTally>>,
    /// Per marketplace, its listings that show no seller.
    unknown_seller: BTreeMap<Marketplace, GroupTally>,
    taken_up: BTreeMap<(NaiveDate, ComplaintReason), GroupTally>,
}

/// Adds `sign` times `fact` to the group under `key`, dropping the group if it empties.
/// Looks up by a borrowed key, so counting into an existing group allocates nothing.
fn count_into<K, Q>(
    groups: &mut BTreeMap<K, GroupTally>,
    key: &Q,
    fact: &MetricsFact,
    sign: i64,
    keep_times: bool,
) where
    K: Ord + std::borrow::Borrow<Q>,
    Q: Ord + ToOwned<Owned = K> + ?Sized,
{
    match groups.get_mut(key) {
        Some(sums) => {
            sums.count(fact, sign, keep_times);
            if sums.is_empty() {
                groups.remove(key);
            }
        }
        None => {
            let mut sums = GroupTally::default();
            sums.count(fact, sign, keep_times);
            if !sums.is_empty() {
                groups.insert(key.to_owned(), sums);
            }
        }
    }
}

/// Adds `tally` to the group under `key`, dropping the group if it empties.
fn add_into<K: Ord>(groups: &mut BTreeMap<K, GroupTally>, key: K, tally: &GroupTally) {
    match groups.entry(key) {
        Entry::Occupied(mut sums) => {
            sums.get_mut().merge(tally);
            if sums.get().is_empty() {
                sums.remove();
            }
        }
        Entry::Vacant(slot) => {
            if !tally.is_empty() {
                slot.insert(tally.clone());
            }
        }
    }
}

impl Tallies {
    /// The tallies of `complaints`.
    pub fn of<'a>(complaints: impl IntoIterator<Item = &'a Complaint>) -> Self {
        let mut tallies = Self::default();
        for complaint in complaints {
            tallies.count(&MetricsFact::of(complaint), 1);
        }
        tallies
    }

    /// Applies a commit's change.
    pub fn record(&mut self, change: &MetricsChange) {
        if let Some(before) = &change.before {
            self.count(before, -1);
        }
        self.count(&change.after, 1);
    }

    /// Adds `sign` (1 or -1) times `fact` to each of its groups; removal times are kept for
    /// rights and weeks, not sellers (see [`Breakdown::by_seller`]) nor days.
    fn count(&mut self, fact: &MetricsFact, sign: i64) {
        count_into(&mut self.by_right, &fact.right(), fact, sign, true);
        count_into(&mut self.by_week, &fact.week, fact, sign, true);
        let marketplace = fact.marketplace();
        match fact.known_seller() {
            Some(seller) => {
                let sellers = self.by_seller.entry(marketplace).or_default();
                count_into(sellers, seller, fact, sign, false);
                if sellers.is_empty() {
                    self.by_seller.remove(&marketplace);
                }
            }
            None => count_into(&mut self.unknown_seller, &marketplace, fact, sign, false),
        }
        if fact.outcome.is_taken_up() {
            let day = (fact.filed_on, fact.reason());
            count_into(&mut self.taken_up, &day, fact, sign, false);
        }
    }

    /// Adds `tally` to `group` (a stored row, another campaign's group).
    pub fn add(&mut self, group: MetricsGroup, tally: &GroupTally) {
        match group {
            MetricsGroup::Right(right) => add_into(&mut self.by_right, right, tally),
            MetricsGroup::Week(week) => add_into(&mut self.by_week, week, tally),
            MetricsGroup::Seller(marketplace, Some(seller)) => {
                let sellers = self.by_seller.entry(marketplace).or_default();
                add_into(sellers, seller, tally);
                if sellers.is_empty() {
                    self.by_seller.remove(&marketplace);
                }
            }
            MetricsGroup::Seller(marketplace, None) => {
                add_into(&mut self.unknown_seller, marketplace, tally);
            }
            MetricsGroup::TakenUp(day, reason) => {
                add_into(&mut self.taken_up, (day, reason), tally);
            }
        }
    }

    /// Adds every group of `other`.
    pub fn merge(&mut self, other: &Tallies) {
        for (group, tally) in other.groups() {
            self.add(group, tally);
        }
    }

    /// The groups and their sums: rights, then weeks, then sellers (those of listings that
    /// show none first), then days taken up.
    pub fn groups(&self) -> impl Iterator<Item = (MetricsGroup, &GroupTally)> {
        let rights = self
            .by_right
            .iter()
            .map(|(right, sums)| (MetricsGroup::Right(*right), sums));
        let weeks = self
            .by_week
            .iter()
            .map(|(week, sums)| (MetricsGroup::Week(*week), sums));
        let unknown = self
            .unknown_seller
            .iter()
            .map(|(marketplace, sums)| (MetricsGroup::Seller(*marketplace, None), sums));
        let sellers = self.sellers().map(|(marketplace, seller, sums)| {
            (
                MetricsGroup::Seller(marketplace, Some(seller.to_owned())),
                sums,
            )
        });
        let days = self
            .taken_up
            .iter()
            .map(|((day, reason), sums)| (MetricsGroup::TakenUp(*day, *reason), sums));
        rights
            .chain(weeks)
            .chain(unknown)
            .chain(sellers)
            .chain(days)
    }

    /// Whether no complaint is counted.
    pub fn is_empty(&self) -> bool {
        self.by_right.is_empty()
            && self.by_week.is_empty()
            && self.by_seller.is_empty()
            && self.unknown_seller.is_empty()
            && self.taken_up.is_empty()
    }

    /// The sums of every seller account whose listings show one: its marketplace, its store
    /// id or name, and its sums.
    pub fn sellers(&self) -> impl Iterator<Item = (Marketplace, &str, &GroupTally)> {
        self.by_seller.iter().flat_map(|(marketplace, sellers)| {
            sellers
                .iter()
                .map(|(seller, sums)| (*marketplace, seller.as_str(), sums))
        })
    }

    /// The sums of the complaints taken up (and not retracted) that were filed on `since` or
    /// later, per day and reason, oldest day first.
    pub fn taken_up_since(
        &self,
        since: NaiveDate,
    ) -> impl Iterator<Item = (NaiveDate, ComplaintReason, &GroupTally)> {
        // Ordered by day first.
        self.taken_up
            .iter()
            .skip_while(move |((day, _), _)| *day < since)
            .map(|((day, reason), sums)| (*day, *reason, sums))
    }

    /// The metrics overall and per group. Every complaint has exactly one right, so the
    /// overall figures are the sum of the rights'.
    pub fn breakdown(&self) -> Breakdown {
        let mut overall = GroupTally::default();
        for sums in self.by_right.values() {
            overall.merge(sums);
        }
        Breakdown {
            overall: overall.metrics(),
            by_right: self
                .by_right
                .iter()
                .map(|(right, sums)| (*right, sums.metrics()))
                .collect(),
            by_seller: self
                .by_seller_name()
                .iter()
                .map(|(seller, sums)| (seller.to_string(), sums.metrics()))
                .collect(),
            by_week: self
                .by_week
                .iter()
                .map(|(week, sums)| (week.to_string(), sums.metrics()))
                .collect(),
        }
    }
}

impl Tallies {
    /// The sellers' sums by name alone: accounts of the same name on two marketplaces in
    /// one group, listings that show no seller in `unknown`.
    fn by_seller_name(&self) -> BTreeMap<&str, GroupTally> {
        let mut named: BTreeMap<&str, GroupTally> = BTreeMap::new();
        for (_, seller, sums) in self.sellers() {
            named.entry(seller).or_default().merge(sums);
        }
        for sums in self.unknown_seller.values() {
            named.entry(UNKNOWN_SELLER).or_default().merge(sums);
        }
        named
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally_of_times(hours: &[u32]) -> GroupTally {
        let mut tally = GroupTally::default();
        for h in hours {
            tally.add_removal_times(*h, 1);
        }
        tally
    }

    #[test]
    fn nearest_rank_percentiles() {
        let tally = tally_of_times(&[10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
        assert_eq!(tally.percentile_hours(50), Some(50));
        assert_eq!(tally.percentile_hours(90), Some(90));
        assert_eq!(tally_of_times(&[7]).percentile_hours(90), Some(7));
        assert_eq!(tally_of_times(&[]).percentile_hours(50), None);
    }

    #[test]
    fn removal_times_that_cancel_out_leave_no_entry() {
        let mut tally = tally_of_times(&[5]);
        tally.add_removal_times(5, -1);
        assert!(tally.is_empty());
    }
}
