//! Complaints: reasons, the per-listing state machine, filings and platform status codes.

mod commands;
mod filing;
mod machine;
mod reason;
mod rules;
mod state;
mod status;

pub use commands::{ComplaintChange, ComplaintCommand, ComplaintEvent};
pub use filing::{Filing, FilingError};
pub use machine::{ComplaintContext, ComplaintDecider, ComplaintRefusal, next_return_watch};
pub use reason::ComplaintReason;
pub use rules::ComplaintRule;
pub use state::{
    Complaint, ComplaintFiling, ComplaintStatus, CounterNotice, CounterNoticeResponse, FollowUp,
    FollowUpKind, RemovalCause, RestorationCause, Stage, UnknownComplaintStatus,
};
pub use status::{FilingStatus, PlatformStatus, UnknownStatus};
