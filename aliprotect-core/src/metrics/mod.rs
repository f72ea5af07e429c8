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

mod fact;
mod tally;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

pub use fact::{InvalidWeek, MetricsChange, MetricsFact, Outcome, Week};
pub use tally::{GroupTally, MetricsGroup, Tallies};

use crate::complaint::Complaint;
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
    /// Median time from filing to removal, in whole hours (rounded down).
    pub median_hours_to_removal: Option<u32>,
    /// 90th percentile of the time from filing to removal, in whole hours (rounded down).
    pub p90_hours_to_removal: Option<u32>,
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
    /// By seller (store id, or seller name, or "unknown"). Without times to removal: they
    /// measure the platform, not the seller, and keeping them per seller would make stores
    /// hold a histogram for each of thousands of sellers.
    pub by_seller: BTreeMap<String, Metrics>,
    /// By ISO week of filing (`2026-W10`).
    pub by_week: BTreeMap<String, Metrics>,
}

impl Breakdown {
    /// The metrics of `complaints`, counted from scratch; stores keep the same figures up
    /// to date as [`Tallies`] instead.
    pub fn of<'a>(complaints: impl IntoIterator<Item = &'a Complaint>) -> Self {
        Tallies::of(complaints).breakdown()
    }

    /// One CSV row per group (`overall`, `right`, `seller`, `week`) with every measure.
    pub fn to_csv(&self) -> String {
        let mut csv = String::from(
            "group,key,filed,in_progress,removed,unable_to_process,counter_noticed,restored,\
             relisted,removal_rate,median_hours_to_removal,p90_hours_to_removal,relisting_rate\n",
        );
        let mut row = |group: &str, key: &str, m: &Metrics| {
            let opt_f = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
            let opt_i = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
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
                opt_i(m.median_hours_to_removal),
                opt_i(m.p90_hours_to_removal),
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
