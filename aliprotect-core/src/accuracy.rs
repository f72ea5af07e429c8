//! The filer's own accuracy, as a platform judges trusted filers: over a rolling window, the
//! share of decided complaints that ended in a takedown and the share of complaints taken up
//! that met a counter-notice, overall and per reason, held against the policy's standards
//! with a warning margin, so a filer hears it is at risk before it falls out.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::complaint::{Complaint, ComplaintReason, ComplaintStatus};
use crate::policy::TrustedFilerRules;

/// Counts and rates of one group of complaints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// Complaints the platform has taken up.
    pub taken_up: u64,
    /// Of those, decided: removed, unable to process, or restored.
    pub decided: u64,
    /// Decided with a takedown.
    pub taken_down: u64,
    /// Taken up and met at least one counter-notice.
    pub counter_noticed: u64,
    /// Listings left up after a counter-notice.
    pub lost_to_counter_notice: u64,
    /// Taken down / decided.
    pub takedown_rate: Option<f64>,
    /// Counter-noticed / taken up.
    pub counter_notice_rate: Option<f64>,
    /// Lost to a counter-notice / decided: the successful counter-notice rate the
    /// trusted-filer standard limits.
    pub counter_notice_loss_rate: Option<f64>,
}

/// Where a filer stands against the standards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Standing {
    /// No standards to meet, or nothing decided yet.
    NotApplicable,
    /// Within the standards with room to spare.
    Good,
    /// Within the standards but inside the warning margin.
    AtRisk,
    /// Outside the standards.
    Below,
}

/// The standing as people read it: `at risk`.
impl std::fmt::Display for Standing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Standing::NotApplicable => "not applicable",
            Standing::Good => "good",
            Standing::AtRisk => "at risk",
            Standing::Below => "below",
        })
    }
}

/// A filer's accuracy over the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    /// Complaints filed from this instant on are counted.
    pub since: DateTime<Utc>,
    /// All reasons.
    pub overall: Rates,
    /// Standing overall.
    pub standing: Standing,
    /// Per reason.
    pub by_reason: BTreeMap<ComplaintReason, Rates>,
    /// Standing per reason.
    pub standing_by_reason: BTreeMap<ComplaintReason, Standing>,
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Rates {
    fn add(&mut self, complaint: &Complaint) {
        let status = complaint.status();
        if !status.is_taken_up() || status == ComplaintStatus::Retracted {
            return;
        }
        self.taken_up += 1;
        if !complaint.counter_notices.is_empty() {
            self.counter_noticed += 1;
        }
        match status {
            ComplaintStatus::ListingRemoved | ComplaintStatus::Relisted => {
                self.decided += 1;
                self.taken_down += 1;
            }
            ComplaintStatus::UnableToProcess | ComplaintStatus::Refiled => self.decided += 1,
            ComplaintStatus::ListingRestored => {
                self.decided += 1;
                self.lost_to_counter_notice += 1;
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Self {
        self.takedown_rate = ratio(self.taken_down, self.decided);
        self.counter_notice_rate = ratio(self.counter_noticed, self.taken_up);
        self.counter_notice_loss_rate = ratio(self.lost_to_counter_notice, self.decided);
        self
    }

    /// This group's standing against `rules`: its takedown rate and its successful
    /// counter-notice rate (lost to a counter-notice / decided) against their limits.
    pub fn standing(&self, rules: Option<&TrustedFilerRules>) -> Standing {
        let (Some(rules), Some(takedown), Some(lost)) =
            (rules, self.takedown_rate, self.counter_notice_loss_rate)
        else {
            return Standing::NotApplicable;
        };
        let max_lost = rules.max_successful_counter_notice_rate;
        if takedown < rules.min_takedown_rate || lost > max_lost {
            Standing::Below
        } else if takedown < rules.min_takedown_rate + rules.warning_margin
            || lost > max_lost - rules.warning_margin
        {
            Standing::AtRisk
        } else {
            Standing::Good
        }
    }
}

impl Accuracy {
    /// The accuracy of `complaints` at `now` under `rules` (window: 90 days without rules).
    pub fn of<'a>(
        complaints: impl IntoIterator<Item = &'a Complaint>,
        now: DateTime<Utc>,
        rules: Option<&TrustedFilerRules>,
    ) -> Self {
        let mut window = Window::new(now, rules);
        for complaint in complaints {
            window.add(complaint);
        }
        window.finish()
    }
}

/// [`Accuracy::of`] one complaint at a time, for a caller that reads them a page at a time.
pub(crate) struct Window<'r> {
    since: DateTime<Utc>,
    rules: Option<&'r TrustedFilerRules>,
    overall: Rates,
    by_reason: BTreeMap<ComplaintReason, Rates>,
}

impl<'r> Window<'r> {
    /// The window ending at `now` under `rules` (90 days without rules).
    pub(crate) fn new(now: DateTime<Utc>, rules: Option<&'r TrustedFilerRules>) -> Self {
        let days = rules.map_or(90, |r| r.window_days);
        let since = now
            .checked_sub_signed(Duration::days(i64::from(days)))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        Self {
            since,
            rules,
            overall: Rates::default(),
            by_reason: BTreeMap::new(),
        }
    }

    /// Counts `complaint` if it was filed within the window.
    pub(crate) fn add(&mut self, complaint: &Complaint) {
        if complaint.filed_at < self.since {
            return;
        }
        self.overall.add(complaint);
        self.by_reason
            .entry(complaint.filed.reason)
            .or_default()
            .add(complaint);
    }

    /// The accuracy of the complaints counted.
    pub(crate) fn finish(self) -> Accuracy {
        let rules = self.rules;
        let overall = self.overall.finish();
        let by_reason: BTreeMap<_, _> = self
            .by_reason
            .into_iter()
            .map(|(reason, rates)| (reason, rates.finish()))
            .collect();
        let standing_by_reason: BTreeMap<_, _> = by_reason
            .iter()
            .map(|(reason, rates)| (*reason, rates.standing(rules)))
            .collect();
        // A reason below the standard puts the filer at risk even when the total is fine.
        let standing = standing_by_reason
            .values()
            .copied()
            .chain([overall.standing(rules)])
            .max()
            .unwrap_or(Standing::NotApplicable);
        Accuracy {
            since: self.since,
            overall,
            standing,
            by_reason,
            standing_by_reason,
        }
    }
}
