//! Complaints: reasons, the per-listing state machine, filings and platform status codes.

mod commands;
mod filing;
mod machine;
mod reason;
mod rules;
mod state;
mod status;
mod timeline;

pub use commands::{ComplaintChange, ComplaintCommand, ComplaintEvent};
pub use filing::{Filing, FilingError};
pub use machine::{ComplaintContext, ComplaintDecider, ComplaintRefusal, next_return_watch};
pub use reason::{ComplaintReason, UnknownComplaintReason};
pub use rules::ComplaintRule;
pub use state::{
    Complaint, ComplaintFiling, ComplaintStatus, CounterNotice, CounterNoticeResponse, FollowUp,
    FollowUpKind, RemovalCause, RestorationCause, Stage, UnknownComplaintStatus,
};
pub use status::{FilingStatus, PlatformStatus, UnknownStatus};
pub use timeline::TimelineEntry;

/// The one of `all` whose words `typed` spells, however typed: with spaces
/// (`listing removed`), hyphens (`in-progress`) or as one word in any case (`ListingRemoved`).
fn by_words<T: Copy + std::fmt::Display>(all: &[T], typed: &str) -> Option<T> {
    let letters = |text: &str| -> String {
        text.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let wanted = letters(typed);
    all.iter()
        .copied()
        .find(|item| letters(&item.to_string()) == wanted)
}
