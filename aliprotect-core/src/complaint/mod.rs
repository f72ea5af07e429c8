//! Complaints: reasons, the per-listing state machine, filings and platform status codes.

mod filing;
mod machine;
mod reason;
mod status;

pub use filing::{Filing, FilingError};
pub use machine::{
    Complaint, ComplaintChange, ComplaintCommand, ComplaintContext, ComplaintDecider,
    ComplaintEvent, ComplaintFiling, ComplaintRefusal, ComplaintRule, ComplaintStatus,
    CounterNotice, CounterNoticeResponse, FollowUp, FollowUpKind, RemovalCause, RestorationCause,
    Stage, next_return_watch,
};
pub use reason::ComplaintReason;
pub use status::{FilingStatus, PlatformStatus, UnknownStatus};
