//! Enforcement metrics of a set of complaints (a campaign, a tenant): how many were filed,
//! removed, refused, disputed and restored, the removal rate, how long removals took and how
//! often removed listings came back; overall and by right, by seller and by week of filing.
//!
//! ```
//! use aliprotect_core::metrics::Breakdown;
//! let breakdown = Breakdown::of(std::iter::empty());
//! assert_eq!(breakdown.overall.filed, 0);
//! assert_eq!(breakdown.overall.removal_rate, None);
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Datelike, Duration};
use serde::{Deserialize, Serialize};

use crate::complaint::{Complaint, ComplaintStatus};
use crate::ids::RightId;

/// Counts and rates of one group of complaints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Complaints filed.
    pub filed: u64,
    /// Still with the platform (submitted, in progress, disputed).
    pub in_progress: u64,
    /// Listing removed (including those relisted since).
    pub removed: u64,
    /// "Unable to Process" (including those refiled since).
    pub unable_to_process: u64,
    /// Complaints that met at least one counter-notice.
    pub counter_noticed: u64,
    /// Listings left up after a counter-notice.
    pub restored: u64,
    /// Removed listings that came back.
    pub relisted: u64,
    /// Removed / (removed + unable to process + restored); `None` before any outcome.
    pub removal_rate: Option<f64>,
    /// Median time from filing to removal, in whole seconds.
    pub median_seconds_to_removal: Option<i64>,
    /// 90th percentile of the time from filing to removal, in whole seconds.
    pub p90_seconds_to_removal: Option<i64>,
    /// Relisted / removed; `None` before any removal.
    pub relisting_rate: Option<f64>,
}

/// Metrics overall and by right, seller and ISO week of filing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// All complaints.
    pub overall: Metrics,
    /// By the right complained under.
    pub by_right: BTreeMap<RightId, Metrics>,
    /// By seller (store id, or seller name, or "unknown").
    pub by_seller: BTreeMap<String, Metrics>,
    /// By ISO week of filing (`2026-W10`).
    pub by_week: BTreeMap<String, Metrics>,
}

/// Running totals of one group, turned into [`Metrics`] at the end.
#[derive(Default)]
struct Tally {
    metrics: Metrics,
    to_removal: Vec<Duration>,
}

impl Tally {
    fn add(&mut self, complaint: &Complaint) {
        let m = &mut self.metrics;
        m.filed += 1;
        match complaint.status() {
            ComplaintStatus::Submitted
            | ComplaintStatus::InProgress
            | ComplaintStatus::CounterNoticed
            | ComplaintStatus::Responded => m.in_progress += 1,
            ComplaintStatus::ListingRemoved => m.removed += 1,
            ComplaintStatus::Relisted => {
                m.removed += 1;
                m.relisted += 1;
            }
            ComplaintStatus::UnableToProcess | ComplaintStatus::Refiled => m.unable_to_process += 1,
            ComplaintStatus::ListingRestored => m.restored += 1,
            ComplaintStatus::Staged | ComplaintStatus::Draft | ComplaintStatus::Retracted => {}
        }
        if !complaint.counter_notices.is_empty() {
            m.counter_noticed += 1;
        }
        if matches!(
            complaint.status(),
            ComplaintStatus::ListingRemoved | ComplaintStatus::Relisted
        ) && let Some(removed_at) = complaint.removed_at
        {
            self.to_removal.push(removed_at - complaint.filed_at);
        }
    }

    fn finish(mut self) -> Metrics {
        let mut m = self.metrics;
        let decided = m.removed + m.unable_to_process + m.restored;
        m.removal_rate = ratio(m.removed, decided);
        m.relisting_rate = ratio(m.relisted, m.removed);
        self.to_removal.sort();
        m.median_seconds_to_removal = percentile(&self.to_removal, 50);
        m.p90_seconds_to_removal = percentile(&self.to_removal, 90);
        m
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The nearest-rank percentile of sorted durations, in seconds.
fn percentile(sorted: &[Duration], percent: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).map(Duration::num_seconds)
}

/// Turns every group's running totals into metrics.
fn finish<K: Ord>(groups: BTreeMap<K, Tally>) -> BTreeMap<K, Metrics> {
    groups
        .into_iter()
        .map(|(key, tally)| (key, tally.finish()))
        .collect()
}

fn seller_of(complaint: &Complaint) -> String {
    let filed = &complaint.filed;
    filed
        .listing
        .seller_id
        .clone()
        .or_else(|| filed.details.seller_name.clone())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn week_of(complaint: &Complaint) -> String {
    let week = complaint.filed_at.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

impl Breakdown {
    /// The metrics of `complaints`.
    pub fn of<'a>(complaints: impl IntoIterator<Item = &'a Complaint>) -> Self {
        let mut overall = Tally::default();
        let mut by_right: BTreeMap<RightId, Tally> = BTreeMap::new();
        let mut by_seller: BTreeMap<String, Tally> = BTreeMap::new();
        let mut by_week: BTreeMap<String, Tally> = BTreeMap::new();
        for complaint in complaints {
            overall.add(complaint);
            by_right
                .entry(complaint.filed.right)
                .or_default()
                .add(complaint);
            by_seller
                .entry(seller_of(complaint))
                .or_default()
                .add(complaint);
            by_week
                .entry(week_of(complaint))
                .or_default()
                .add(complaint);
        }
        Self {
            overall: overall.finish(),
            by_right: finish(by_right),
            by_seller: finish(by_seller),
            by_week: finish(by_week),
        }
    }

    /// One CSV row per group (`overall`, `right`, `seller`, `week`) with every measure.
    pub fn to_csv(&self) -> String {
        let mut csv = String::from(
            "group,key,filed,in_progress,removed,unable_to_process,counter_noticed,restored,\
             relisted,removal_rate,median_seconds_to_removal,p90_seconds_to_removal,relisting_rate\n",
        );
        let mut row = |group: &str, key: &str, m: &Metrics| {
            let opt_f = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
            let opt_i = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
            // Keys are ids, store ids or week labels; quote them anyway for the odd comma.
            let key = key.replace('"', "\"\"");
            let _ = writeln!(
                csv,
                "{group},\"{key}\",{},{},{},{},{},{},{},{},{},{},{}",
                m.filed,
                m.in_progress,
                m.removed,
                m.unable_to_process,
                m.counter_noticed,
                m.restored,
                m.relisted,
                opt_f(m.removal_rate),
                opt_i(m.median_seconds_to_removal),
                opt_i(m.p90_seconds_to_removal),
                opt_f(m.relisting_rate),
            );
        };
        row("overall", "", &self.overall);
        for (key, m) in &self.by_right {
            row("right", &key.to_string(), m);
        }
        for (key, m) in &self.by_seller {
            row("seller", key, m);
        }
        for (key, m) in &self.by_week {
            row("week", key, m);
        }
        csv
    }

    /// The breakdown as JSON.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn durations(seconds: &[i64]) -> Vec<Duration> {
        seconds.iter().map(|s| Duration::seconds(*s)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let sorted = durations(&[10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
        assert_eq!(percentile(&sorted, 50), Some(50));
        assert_eq!(percentile(&sorted, 90), Some(90));
        assert_eq!(percentile(&durations(&[7]), 90), Some(7));
        assert_eq!(percentile(&[], 50), None);
    }
}
