//! How the domain's values read on a page: names, tones, times, people.

use aliprotect_core::complaint::ComplaintStatus;
use aliprotect_core::party::Actor;
use aliprotect_core::right::{IpRight, Registration, RightStatus};
use chrono::{DateTime, Utc};

/// A right's name: the mark, the work's or the patent's title.
pub(crate) fn right_name(right: &IpRight) -> String {
    match &right.package.registration {
        Registration::Trademark(mark) => mark.mark_name.clone(),
        Registration::Copyright(work) => work.title.clone(),
        Registration::UtilityPatent(patent) | Registration::DesignPatent(patent) => {
            patent.title.clone()
        }
    }
}

/// The CSS class of a complaint's status: good, bad, waiting or plain.
pub(crate) fn complaint_tone(status: ComplaintStatus) -> &'static str {
    match status {
        ComplaintStatus::ListingRemoved => "good",
        ComplaintStatus::UnableToProcess
        | ComplaintStatus::ListingRestored
        | ComplaintStatus::Relisted => "bad",
        ComplaintStatus::CounterNoticed | ComplaintStatus::RemovalExpected => "waiting",
        _ => "plain",
    }
}

/// The CSS class of a right's status.
pub(crate) fn right_tone(status: RightStatus) -> &'static str {
    match status {
        RightStatus::Approved => "good",
        RightStatus::Rejected | RightStatus::Expired => "bad",
        RightStatus::Submitted | RightStatus::UnderReview => "waiting",
        _ => "plain",
    }
}

/// A time as pages show it: to the minute, in UTC.
pub(crate) fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// An optional time, or a dash.
pub(crate) fn maybe_time(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "—".to_owned(), time)
}

/// A rate as a percentage, or a dash before anything was decided.
pub(crate) fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |rate| format!("{:.1}%", rate * 100.0))
}

/// Who did something, by name where the firm knows the person.
pub(crate) fn actor(
    actor: &Actor,
    names: &dyn Fn(aliprotect_core::ids::UserId) -> Option<String>,
) -> String {
    match actor {
        Actor::HolderUser { user, .. } => names(*user).unwrap_or_else(|| format!("user {user}")),
        Actor::Representative { representative, .. } => format!("representative {representative}"),
        Actor::Platform => "the platform".to_owned(),
        Actor::Seller => "the seller".to_owned(),
        Actor::System => "aliprotect".to_owned(),
        Actor::Operator { user } => names(*user).unwrap_or_else(|| format!("operator {user}")),
    }
}
