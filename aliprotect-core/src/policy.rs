//! A marketplace's rules as data.
//!
//! Limits, windows and "who loses by silence" differ between platforms and change over time,
//! so the state machines read them from a [`MarketplacePolicy`] value instead of constants.
//! Two policies ship: [`MarketplacePolicy::alibaba_ipp`] with the figures of `DOMAIN.md`, and
//! [`MarketplacePolicy::dmca_style`], where a silent seller changes nothing and a silent rights
//! holder sees the listing restored.

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
/// counter-notices at or below `max_counter_notice_rate`, overall and per reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrustedFilerRules {
    /// Lowest share of decided complaints that must end in a takedown.
    pub min_takedown_rate: f64,
    /// Highest share of complaints taken up that may meet a counter-notice.
    pub max_counter_notice_rate: f64,
    /// The rolling window, in days.
    pub window_days: u16,
    /// How close to a limit counts as at risk (a warning before falling out).
    pub warning_margin: f64,
}

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
    /// Trusted-filer standards, where the platform has them.
    pub trusted_filer: Option<TrustedFilerRules>,
    /// Removals after which a seller counts as a repeat infringer.
    pub repeat_infringer_removals: u64,
    /// Display names of the outcome codes.
    pub status_names: StatusNames,
    /// The calendar deadlines are counted in.
    pub calendar: BusinessCalendar,
}

impl MarketplacePolicy {
    /// Alibaba's IPP platform, with the figures of `DOMAIN.md`:
    /// 300 listings per filing (10 without an account), up to 3 counter-notices, a seller
    /// silent for 3 working days loses the listing, a holder silent for 15 days after a
    /// counter-notice sees it restored (E-Commerce Law art. 43), reviews in 3 and 7 working
    /// days, counted on China's calendar (UTC+8; add public holidays to `calendar`).
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
            repeat_infringer_removals: 3,
            trusted_filer: Some(TrustedFilerRules {
                min_takedown_rate: 0.90,
                max_counter_notice_rate: 0.05,
                window_days: 90,
                warning_margin: 0.02,
            }),
            status_names: StatusNames::default(),
            calendar: BusinessCalendar::utc_weekdays().with_utc_offset_hours(8),
        }
    }

    /// A US DMCA §512(g)-style policy: takedown first, so a silent seller changes nothing;
    /// after a counter-notice the listing is restored unless the holder answers (reports a
    /// suit) within 14 business days; one counter-notice per complaint.
    pub fn dmca_style() -> Self {
        Self {
            name: "DMCA-style notice and takedown".to_owned(),
            marketplaces: vec![Marketplace::Amazon, Marketplace::Ebay],
            listings_per_filing: 50,
            listings_per_standalone_filing: 50,
            counter_notices_allowed: 1,
            silence: SilenceRules {
                seller_loses_after: None,
                holder_loses_after: Some(Window::WorkingDays(14)),
            },
            right_review: Window::WorkingDays(5),
            complaint_review: Window::WorkingDays(5),
            max_right_submissions: None,
            expiry_reminder_days: 90,
            response_reminder_hours: 48,
            check_backs_before_escalation: 3,
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
