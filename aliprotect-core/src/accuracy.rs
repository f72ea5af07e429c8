//! The filer's own accuracy, as a platform judges trusted filers: over a rolling window, the
//! share of decided complaints that ended in a takedown and the share of complaints taken up
//! that met a counter-notice, overall and per reason, held against the policy's standards
//! with a warning margin, so a filer hears it is at risk before it falls out. Computed from
//! the metric tallies' day-and-reason groups: it reads the tenant's tally rows (a few per
//! right, week, seller and day of each campaign), not its complaints.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::complaint::{Complaint, ComplaintReason};
#[cfg(doc)]
use crate::metrics::MetricsGroup;
use crate::metrics::{GroupTally, Tallies};
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
    /// Complaints filed from this instant on are counted: the midnight (UTC) that begins the
    /// window's first day.
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
    /// The counts of a taken-up group's sums (see [`MetricsGroup::TakenUp`]): every
    /// complaint in it was taken up and not retracted.
    fn add(&mut self, sums: &GroupTally) {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let removed = count(sums.removed);
        let restored = count(sums.restored);
        self.taken_up += count(sums.filed);
        self.decided += removed + count(sums.unable_to_process) + restored;
        self.taken_down += removed;
        self.counter_noticed += count(sums.counter_noticed);
        self.lost_to_counter_notice += restored;
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
        Self::from_tallies(&Tallies::of(complaints), now, rules)
    }

    /// The accuracy at `now` under `rules` of the complaints `tallies` count (window: 90
    /// days without rules). The window is whole days in UTC: it starts at the midnight that
    /// begins the day `window_days` before `now`'s.
    pub fn from_tallies(
        tallies: &Tallies,
        now: DateTime<Utc>,
        rules: Option<&TrustedFilerRules>,
    ) -> Self {
        let days = rules.map_or(90, |r| r.window_days);
        let first_day = now
            .date_naive()
            .checked_sub_days(Days::new(u64::from(days)))
            .unwrap_or(NaiveDate::MIN);
        let mut overall = Rates::default();
        let mut by_reason: BTreeMap<ComplaintReason, Rates> = BTreeMap::new();
        for (_, reason, sums) in tallies.taken_up_since(first_day) {
            overall.add(sums);
            by_reason.entry(reason).or_default().add(sums);
        }
        let overall = overall.finish();
        let by_reason: BTreeMap<_, _> = by_reason
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
            since: first_day.and_time(NaiveTime::MIN).and_utc(),
            overall,
            standing,
            by_reason,
            standing_by_reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::complaint::ComplaintCommand;
    use crate::policy::MarketplacePolicy;
    use crate::testkit::fixtures;

    /// A complaint filed at `at` for `reason`, then taken through `commands`.
    fn complaint(
        at: DateTime<Utc>,
        reason: ComplaintReason,
        commands: &[ComplaintCommand],
    ) -> Complaint {
        let mut filing = fixtures::complaint_filing(1, 7);
        filing.reason = reason;
        fixtures::complaint_after(filing, at, commands)
    }

    fn counter_notice() -> ComplaintCommand {
        ComplaintCommand::ReceiveCounterNotice {
            statement: fixtures::text("We are an authorised reseller."),
            evidence: vec![],
        }
    }

    #[test]
    fn only_complaints_taken_up_and_not_retracted_count() {
        use ComplaintCommand::{Accept, RecordRemoval, Retract, Submit};
        let at = fixtures::now();
        let reason = ComplaintReason::TrademarkCounterfeit;
        let respond = ComplaintCommand::Respond {
            statement: fixtures::text("No licence."),
            evidence: vec![],
        };
        let removal = RecordRemoval {
            cause: crate::complaint::RemovalCause::PlatformReported,
        };
        let complaints = [
            // Counter-noticed twice: one complaint that met a counter-notice.
            complaint(
                at,
                reason,
                &[Submit, Accept, counter_notice(), respond, counter_notice()],
            ),
            complaint(at, reason, &[Submit, Accept, removal]),
            // Sent, not taken up; staged; retracted: none of them count.
            complaint(at, reason, &[Submit]),
            complaint(at, reason, &[]),
            complaint(at, reason, &[Retract { reason: None }]),
        ];
        let accuracy = Accuracy::of(&complaints, at, None);
        let rates = &accuracy.overall;
        assert_eq!((rates.taken_up, rates.decided, rates.taken_down), (2, 1, 1));
        assert_eq!(rates.counter_noticed, 1);
        assert_eq!(rates.counter_notice_rate, Some(0.5));
        assert_eq!(rates.takedown_rate, Some(1.0));
        assert_eq!(accuracy.by_reason.get(&reason), Some(rates));
    }

    #[test]
    fn the_window_is_whole_days_in_utc() {
        use ComplaintCommand::{Accept, Submit};
        let now = Utc.with_ymd_and_hms(2026, 3, 31, 15, 0, 0).unwrap();
        let first = Utc.with_ymd_and_hms(2025, 12, 31, 0, 0, 0).unwrap();
        let taken_up = |at| complaint(at, ComplaintReason::TrademarkCounterfeit, &[Submit, Accept]);
        let complaints = [
            taken_up(first),
            taken_up(first - Duration::minutes(1)),
            taken_up(now),
        ];
        // 90 days without rules: from the midnight that begins 2025-12-31.
        let accuracy = Accuracy::of(&complaints, now, None);
        assert_eq!(accuracy.since, first);
        assert_eq!(accuracy.overall.taken_up, 2, "the day before is out");
    }

    #[test]
    fn each_reason_has_its_own_rates_and_standing() {
        use ComplaintCommand::{Accept, ReportUnableToProcess, Submit};
        let at = fixtures::now();
        let refused = ReportUnableToProcess {
            reason: fixtures::text("no proof"),
        };
        let removal = ComplaintCommand::RecordRemoval {
            cause: crate::complaint::RemovalCause::PlatformReported,
        };
        let complaints = [
            complaint(
                at,
                ComplaintReason::TrademarkCounterfeit,
                &[Submit, Accept, removal],
            ),
            complaint(
                at,
                ComplaintReason::TrademarkUnauthorisedUse,
                &[Submit, refused],
            ),
        ];
        let rules = MarketplacePolicy::alibaba_ipp().trusted_filer;
        let accuracy = Accuracy::of(&complaints, at, rules.as_ref());
        let rate = |reason| {
            accuracy
                .by_reason
                .get(&reason)
                .and_then(|r| r.takedown_rate)
        };
        assert_eq!(rate(ComplaintReason::TrademarkCounterfeit), Some(1.0));
        assert_eq!(rate(ComplaintReason::TrademarkUnauthorisedUse), Some(0.0));
        assert_eq!(
            accuracy
                .standing_by_reason
                .get(&ComplaintReason::TrademarkUnauthorisedUse),
            Some(&Standing::Below)
        );
        assert_eq!(
            accuracy.standing,
            Standing::Below,
            "one reason below: below"
        );
        assert_eq!(accuracy.overall.takedown_rate, Some(0.5));
    }
}
