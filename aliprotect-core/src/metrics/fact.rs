//! What the metrics know of one complaint ([`MetricsFact`]), and how a commit moves it
//! ([`MetricsChange`]): the unit a store's [`Tallies`](super::Tallies) add up.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::complaint::{Complaint, ComplaintFiling, ComplaintReason, ComplaintStatus};
use crate::ids::{CampaignId, RightId};
use crate::marketplace::Marketplace;

/// Where a complaint stands, as metrics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// Staged, draft or retracted: counted as filed, nothing more.
    NotPending,
    /// Sent, and not yet taken up by the platform: in progress to the metrics, not yet
    /// counted by the filer's accuracy.
    Submitted,
    /// Taken up by the platform: in progress, counter-noticed, responded, or a removal
    /// expected but not yet seen.
    InProgress,
    /// "Listing Removed".
    Removed,
    /// Removed, then back.
    Relisted,
    /// "Unable to Process", refiled or not.
    UnableToProcess,
    /// Left up after a counter-notice.
    Restored,
}

impl Outcome {
    pub(super) fn of(status: ComplaintStatus) -> Self {
        match status {
            ComplaintStatus::Submitted => Outcome::Submitted,
            ComplaintStatus::InProgress
            | ComplaintStatus::CounterNoticed
            | ComplaintStatus::Responded
            // Expected, not seen: not a removal until a check-back sees it.
            | ComplaintStatus::RemovalExpected => Outcome::InProgress,
            ComplaintStatus::ListingRemoved => Outcome::Removed,
            ComplaintStatus::Relisted => Outcome::Relisted,
            ComplaintStatus::UnableToProcess | ComplaintStatus::Refiled => Outcome::UnableToProcess,
            ComplaintStatus::ListingRestored => Outcome::Restored,
            ComplaintStatus::Staged | ComplaintStatus::Draft | ComplaintStatus::Retracted => {
                Outcome::NotPending
            }
        }
    }

    pub(super) fn is_removal(self) -> bool {
        matches!(self, Outcome::Removed | Outcome::Relisted)
    }

    /// Whether the platform has taken the complaint up (and it was not retracted): what the
    /// filer's accuracy counts.
    pub(super) fn is_taken_up(self) -> bool {
        !matches!(self, Outcome::NotPending | Outcome::Submitted)
    }
}

/// An ISO week, as metrics group complaints by their filing date: `2026-W10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Week {
    /// The ISO week-numbering year.
    pub year: i32,
    /// The week, 1 to 53.
    pub week: u32,
}

impl Week {
    /// The week of `at`.
    pub fn of(at: DateTime<Utc>) -> Self {
        let week = at.iso_week();
        Self {
            year: week.year(),
            week: week.week(),
        }
    }
}

impl fmt::Display for Week {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

/// A week label that is not `YYYY-Www`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO week like 2026-W10")]
pub struct InvalidWeek(String);

impl FromStr for Week {
    type Err = InvalidWeek;

    fn from_str(label: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidWeek(label.to_owned());
        let (year, week) = label.split_once("-W").ok_or_else(invalid)?;
        let year = year.parse().map_err(|_| invalid())?;
        let week = week.parse().map_err(|_| invalid())?;
        if !(1..=53).contains(&week) {
            return Err(invalid());
        }
        Ok(Self { year, week })
    }
}

/// Everything the metrics need to know of one complaint. Cheap to make on every command: the
/// filing is shared, not copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsFact {
    /// What the complaint was filed with: its campaign, right and seller.
    pub filing: Arc<ComplaintFiling>,
    /// ISO week of filing.
    pub week: Week,
    /// Day of filing, in UTC.
    pub filed_on: NaiveDate,
    /// Where it stands.
    pub outcome: Outcome,
    /// Whether it met at least one counter-notice.
    pub counter_noticed: bool,
    /// How many counter-notices it met.
    pub counter_notices: u32,
    /// Whole hours from filing to removal, for removed listings.
    pub hours_to_removal: Option<u32>,
}

impl MetricsFact {
    /// The fact of `complaint`.
    pub fn of(complaint: &Complaint) -> Self {
        let outcome = Outcome::of(complaint.status());
        let hours_to_removal =
            complaint
                .removed_at
                .filter(|_| outcome.is_removal())
                .map(|removed_at| {
                    let hours = (removed_at - complaint.filed_at).num_hours().max(0);
                    u32::try_from(hours).unwrap_or(u32::MAX)
                });
        Self {
            filing: Arc::clone(&complaint.filed),
            week: Week::of(complaint.filed_at),
            filed_on: complaint.filed_at.date_naive(),
            outcome,
            counter_noticed: !complaint.counter_notices.is_empty(),
            counter_notices: u32::try_from(complaint.counter_notices.len()).unwrap_or(u32::MAX),
            hours_to_removal,
        }
    }

    /// Its campaign, if any.
    pub fn campaign(&self) -> Option<CampaignId> {
        self.filing.campaign
    }

    /// The right complained under.
    pub fn right(&self) -> RightId {
        self.filing.right
    }

    /// The seller: store id, or seller name, or `unknown`.
    pub fn seller(&self) -> &str {
        self.known_seller().unwrap_or(UNKNOWN_SELLER)
    }

    /// The seller's store id, or its name, when the listing shows either.
    pub(super) fn known_seller(&self) -> Option<&str> {
        let filing = &self.filing;
        filing.listing.seller(&filing.details)
    }

    /// The marketplace of the listing.
    pub fn marketplace(&self) -> Marketplace {
        self.filing.listing.marketplace
    }

    /// The reason complained for.
    pub fn reason(&self) -> ComplaintReason {
        self.filing.reason
    }
}

/// How [`Breakdown::by_seller`](super::Breakdown::by_seller) names the group of listings that show no seller.
pub(super) const UNKNOWN_SELLER: &str = "unknown";

/// How one commit changes the metrics: the complaint's fact before and after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsChange {
    /// The fact before the commit; `None` for a new complaint.
    pub before: Option<MetricsFact>,
    /// The fact after it.
    pub after: MetricsFact,
}

impl MetricsChange {
    /// The change from `before` to `after`, or `None` when the metrics do not move (most
    /// commits: reminders, check-backs that found the listing live, timers).
    pub fn between(before: Option<&Complaint>, after: &Complaint) -> Option<Self> {
        Self::new(before.map(MetricsFact::of), MetricsFact::of(after))
    }

    /// The change between two facts, or `None` when they are the same.
    pub fn new(before: Option<MetricsFact>, after: MetricsFact) -> Option<Self> {
        (before.as_ref() != Some(&after)).then_some(Self { before, after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_read_back_as_written_and_bad_labels_are_typed_errors() {
        let week = Week {
            year: 2026,
            week: 3,
        };
        assert_eq!(week.to_string(), "2026-W03");
        assert_eq!("2026-W03".parse::<Week>(), Ok(week));
        for bad in ["2026-W00", "2026-W54", "2026W03", "W03", "2026-Wx", ""] {
            assert!(bad.parse::<Week>().is_err(), "{bad}");
        }
    }
}
