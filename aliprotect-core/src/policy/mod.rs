//! A marketplace's rules as data.
//!
//! Limits, windows and "who loses by silence" differ between platforms and change over time,
//! so the state machines read them from a [`MarketplacePolicy`] value instead of constants.
//! Two policies ship: [`MarketplacePolicy::alibaba_ipp`] and [`MarketplacePolicy::dmca_style`],
//! where a silent seller changes nothing and a silent rights holder sees the listing
//! restored. Each figure of each names its source in the constructor's documentation; a
//! figure that is our choice rather than the platform's says so.
//!
//! The policy is kept with the data: an engine records it in its store on first use and
//! refuses a store that holds another (see
//! [`Engine::adopt_policy`](crate::engine::Engine::adopt_policy)).

mod stored;

pub use stored::{POLICY_STREAM, PolicyChange, PolicyEvent, StoredPolicy};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{BusinessCalendar, Window};
use crate::marketplace::Marketplace;

/// Who loses a listing dispute by staying silent, and after how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceRules {
    /// A seller who neither complies nor counter-notices within this window of the complaint
    /// being accepted loses the listing. `None`: the seller's silence has no effect.
    pub seller_loses_after: Option<Window>,
    /// A rights holder who does not answer a counter-notice within this window sees the
    /// listing restored. `None`: the holder may answer at any time.
    pub holder_loses_after: Option<Window>,
}

/// A platform's standards for trusted filers (Alibaba's Good-faith Takedown Mechanism):
/// kept while, over the window, takedowns stay at or above `min_takedown_rate` and
/// successful counter-notices at or below `max_successful_counter_notice_rate`, overall and
/// per reason code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrustedFilerRules {
    /// Lowest share of decided complaints that must end in a takedown.
    pub min_takedown_rate: f64,
    /// Highest share of decided complaints that may be lost to a counter-notice (the
    /// listing restored because the seller's counter-notice succeeded).
    pub max_successful_counter_notice_rate: f64,
    /// The rolling window, in days.
    pub window_days: u16,
    /// How close to a limit counts as at risk (a warning before falling out).
    pub warning_margin: f64,
}

// Rates are finite numbers from configuration (JSON has no NaN), so equality is an
// equivalence: policies can be compared, and kept in events that must be `Eq`.
impl Eq for TrustedFilerRules {}

/// The names a platform shows for the three complaint outcomes (by default the statuses'
/// own strings; `StatusNames::name` looks one up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusNames {
    /// Shown for [`crate::complaint::PlatformStatus::InProgress`].
    pub in_progress: String,
    /// Shown for [`crate::complaint::PlatformStatus::UnableToProcess`].
    pub unable_to_process: String,
    /// Shown for [`crate::complaint::PlatformStatus::ListingRemoved`].
    pub listing_removed: String,
}

/// How long, and how often, a removed listing is looked at for its return (sellers relist).
/// The platform announces neither a removal nor a return, so both are found by looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalWatch {
    /// The time between two looks.
    pub every: Window,
    /// Calendar days after the removal that the watch lasts.
    pub for_days: u16,
}

/// The rules of one IP-protection platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketplacePolicy {
    /// A name for people ("Alibaba IPP").
    pub name: String,
    /// The marketplaces the platform takes complaints for.
    pub marketplaces: Vec<Marketplace>,
    /// Listings one filing may hold under one right.
    pub listings_per_filing: u32,
    /// Listings one filing may hold when sent without an account (standalone form).
    pub listings_per_standalone_filing: u32,
    /// Counter-notices a seller may file against one complaint.
    pub counter_notices_allowed: u8,
    /// Who loses by silence.
    pub silence: SilenceRules,
    /// How long the platform takes to review a right (when to check back).
    pub right_review: Window,
    /// How long the platform takes to review a complaint (when to check back).
    pub complaint_review: Window,
    /// Submissions of one right before we stop retrying; `None` for no limit.
    pub max_right_submissions: Option<u32>,
    /// Calendar days before a registration expires that its holder is reminded.
    pub expiry_reminder_days: u16,
    /// Hours before a response window closes that the holder is reminded.
    pub response_reminder_hours: u16,
    /// Check-backs finding a listing still up before a person is asked to look.
    pub check_backs_before_escalation: u32,
    /// How a removed listing is watched for its return; `None`: not watched.
    pub removal_watch: Option<RemovalWatch>,
    /// Trusted-filer standards, where the platform has them.
    pub trusted_filer: Option<TrustedFilerRules>,
    /// Removals after which a seller counts as a repeat infringer.
    pub repeat_infringer_removals: u64,
    /// Display names of the outcome codes.
    pub status_names: StatusNames,
    /// The calendar deadlines are counted in.
    pub calendar: BusinessCalendar,
}

impl Eq for MarketplacePolicy {}

impl MarketplacePolicy {
    /// Alibaba's IPP platform (formerly AliProtect), with each figure's source:
    ///
    /// - Marketplaces: Alibaba.com, AliExpress, 1688, Taobao, Tmall and Lazada are served by
    ///   the one IPP platform (legal.alibaba.com notice of 2018-12-15; ustels.com IPP guide).
    /// - 300 listings per filing under one right; 10 on the standalone form without an
    ///   account (secagroup.org IPP best practices, 2022; ustels.com IPP guide).
    /// - 3 counter-notices per complaint (zhiyixt.com article 104, on IPP rules since
    ///   2022-01-20).
    /// - A seller silent for 3 working days loses the listing "without further notice"
    ///   (service.alibaba.com FAQ 13845889): the removal is then *expected*, and a check-back
    ///   falls due at once to see it.
    /// - A holder silent for 15 days after a counter-notice sees the measures stop (China
    ///   E-Commerce Law art. 43: the holder must complain to the authorities or sue within 15
    ///   days of the seller's declaration; chinalawtranslate.com).
    /// - Reviews: an IPR document within 3 working days, a complaint within 7 (alifaq.org):
    ///   the check-back intervals.
    /// - Good-faith Takedown Mechanism: standing kept while, over the last 3 months (90
    ///   days), the takedown rate is at least 90% and the successful counter-notice rate at
    ///   most 5%, overall and per reason code (ipp.alibabagroup.com GFTM notice and FAQ,
    ///   per reason since 2022). The 2-point warning margin is ours.
    /// - Repeat infringer at 3 removals: Alibaba.com terminates a seller after 3 serious
    ///   infringements (rule.alibaba.com rule 4154).
    /// - Calendar: working days Monday to Friday in China's time (UTC+8); add the public
    ///   holidays to `calendar` each year.
    /// - Ours, not the platform's: 5 submissions of one right before giving up, reminders 90
    ///   days before a registration expires and 48 hours before a response window closes,
    ///   escalation after 3 check-backs finding a listing up, and a removed listing watched
    ///   weekly (5 working days) for 90 days for its return.
    pub fn alibaba_ipp() -> Self {
        Self {
            name: "Alibaba IPP".to_owned(),
            marketplaces: vec![
                Marketplace::AlibabaCom,
                Marketplace::AliExpress,
                Marketplace::Alibaba1688,
                Marketplace::Taobao,
                Marketplace::Tmall,
                Marketplace::Lazada,
            ],
            listings_per_filing: 300,
            listings_per_standalone_filing: 10,
            counter_notices_allowed: 3,
            silence: SilenceRules {
                seller_loses_after: Some(Window::WorkingDays(3)),
                holder_loses_after: Some(Window::CalendarDays(15)),
            },
            right_review: Window::WorkingDays(3),
            complaint_review: Window::WorkingDays(7),
            max_right_submissions: Some(5),
            expiry_reminder_days: 90,
            response_reminder_hours: 48,
            check_backs_before_escalation: 3,
            removal_watch: Some(RemovalWatch {
                every: Window::WorkingDays(5),
                for_days: 90,
            }),
            repeat_infringer_removals: 3,
            trusted_filer: Some(TrustedFilerRules {
                min_takedown_rate: 0.90,
                max_successful_counter_notice_rate: 0.05,
                window_days: 90,
                warning_margin: 0.02,
            }),
            status_names: StatusNames::default(),
            calendar: BusinessCalendar::utc_weekdays().with_utc_offset_hours(8),
        }
    }

    /// A US DMCA 17 U.S.C. § 512-style notice and takedown, with each figure's source:
    ///
    /// - Takedown first (§ 512(c)(1)(C): the provider "responds expeditiously to remove"):
    ///   a silent seller changes nothing.
    /// - One counter-notice per complaint (§ 512(g)(3)).
    /// - After a counter-notice the provider restores the material "not less than 10, nor
    ///   more than 14, business days following receipt" unless the complainant reports
    ///   having sued (§ 512(g)(2)(C)): restoration may come on business day 10, so the
    ///   holder's deadline is 10 business days, not 14.
    /// - Marketplaces Amazon and eBay, 50 listings per report (Amazon Report Infringement
    ///   takes up to 50; DOMAIN.md). Business days Monday to Friday in US Eastern standard
    ///   time (UTC-5); add federal holidays to `calendar`.
    /// - Status names "Pending", "Rejected", "Removed", as such programmes show them.
    /// - Ours, not the statute's: reviews checked back after 5 business days, reminders 90
    ///   days before expiry and 48 hours before the response deadline, escalation after 3
    ///   check-backs, a repeat infringer at 3 removals, a removed listing watched weekly for
    ///   90 days, and no trusted-filer programme.
    pub fn dmca_style() -> Self {
        Self {
            name: "DMCA-style notice and takedown".to_owned(),
            marketplaces: vec![Marketplace::Amazon, Marketplace::Ebay],
            listings_per_filing: 50,
            listings_per_standalone_filing: 50,
            counter_notices_allowed: 1,
            silence: SilenceRules {
                seller_loses_after: None,
                holder_loses_after: Some(Window::WorkingDays(10)),
            },
            right_review: Window::WorkingDays(5),
            complaint_review: Window::WorkingDays(5),
            max_right_submissions: None,
            expiry_reminder_days: 90,
            response_reminder_hours: 48,
            check_backs_before_escalation: 3,
            removal_watch: Some(RemovalWatch {
                every: Window::WorkingDays(5),
                for_days: 90,
            }),
            trusted_filer: None,
            repeat_infringer_removals: 3,
            status_names: StatusNames {
                in_progress: "Pending".to_owned(),
                unable_to_process: "Rejected".to_owned(),
                listing_removed: "Removed".to_owned(),
            },
            calendar: BusinessCalendar::utc_weekdays().with_utc_offset_hours(-5),
        }
    }

    /// When the holder is reminded of a response deadline `due`.
    pub fn reminder_time(&self, due: DateTime<Utc>) -> DateTime<Utc> {
        due.checked_sub_signed(Duration::hours(i64::from(self.response_reminder_hours)))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// Whether this platform takes complaints for `marketplace`.
    pub fn covers(&self, marketplace: Marketplace) -> bool {
        self.marketplaces.contains(&marketplace)
    }
}

impl Default for MarketplacePolicy {
    fn default() -> Self {
        Self::alibaba_ipp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::complaint::PlatformStatus;

    #[test]
    fn policies_are_data_that_round_trips() {
        for policy in [
            MarketplacePolicy::alibaba_ipp(),
            MarketplacePolicy::dmca_style(),
        ] {
            let json = serde_json::to_string(&policy).unwrap();
            assert_eq!(
                serde_json::from_str::<MarketplacePolicy>(&json).unwrap(),
                policy
            );
        }
    }

    #[test]
    fn the_dmca_holder_deadline_is_the_earliest_restoration_day() {
        // 17 U.S.C. 512(g)(2)(C): restored "not less than 10, nor more than 14, business
        // days" after the counter-notice; a holder answering on day 11 may be too late.
        assert_eq!(
            MarketplacePolicy::dmca_style().silence.holder_loses_after,
            Some(Window::WorkingDays(10))
        );
    }

    #[test]
    fn display_names_come_from_the_policy() {
        let alibaba = MarketplacePolicy::alibaba_ipp();
        let dmca = MarketplacePolicy::dmca_style();
        assert_eq!(
            alibaba.status_names.name(PlatformStatus::ListingRemoved),
            "Listing Removed"
        );
        assert_eq!(
            dmca.status_names.name(PlatformStatus::ListingRemoved),
            "Removed"
        );
    }
}
