//! What may be asked of a complaint, and what may happen to it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::decider::Recorded;
use crate::evidence::Evidence;
use crate::ids::{ComplaintId, RightId};
use crate::right::IpKind;
use crate::text::Text;

use super::{
    ComplaintFiling, CounterNotice, CounterNoticeResponse, RemovalCause, RestorationCause,
};

/// What may be asked of a complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ComplaintCommand {
    /// Create the complaint: as a draft on an approved right, staged on one still in review.
    File(Box<ComplaintFiling>),
    /// Send a draft to the platform.
    Submit,
    /// Send a staged complaint now that its right is approved.
    SubmitStaged,
    /// The platform takes the complaint up.
    Accept,
    /// The platform will not act.
    ReportUnableToProcess {
        /// Its reason, verbatim.
        reason: Text,
    },
    /// The listing is down.
    RecordRemoval {
        /// How we know.
        cause: RemovalCause,
    },
    /// Timer: the seller's answer window has passed.
    SellerAnswerWindowElapsed,
    /// The seller files a counter-notice.
    ReceiveCounterNotice {
        /// Its statement.
        statement: Text,
        /// Its attachments.
        evidence: Vec<Evidence>,
    },
    /// The holder answers the latest counter-notice.
    Respond {
        /// The answer.
        statement: Text,
        /// Attached proof.
        evidence: Vec<Evidence>,
    },
    /// The holder accepts the counter-notice; the listing stays up.
    AcceptCounterNotice,
    /// The platform accepts the counter-notice; the listing stays up.
    PlatformRestores,
    /// Timer: the holder's response window has passed.
    ResponseWindowElapsed,
    /// Timer: time to look at the listing again (removals are not announced).
    CheckBackDue,
    /// Timer: the response window closes within the policy's reminder lead.
    RemindResponseDeadline,
    /// A check-back found the listing up: still up, or (for a removed listing) back.
    ReportStillListed,
    /// Timer: time to look whether a removed listing came back.
    WatchForReturn,
    /// The right the complaint rests on expired while the complaint was open: tell a person.
    FlagRightLapsed,
    /// The holder withdraws the complaint.
    Retract {
        /// Why, if given.
        reason: Option<Text>,
    },
    /// The removed listing reappeared; `successor` is the complaint against it.
    MarkRelisted {
        /// The new complaint.
        successor: ComplaintId,
    },
    /// Filed again after "Unable to Process" as `successor`.
    MarkRefiled {
        /// The new complaint.
        successor: ComplaintId,
    },
}

impl ComplaintCommand {
    /// The command's name, as refusals report it.
    pub fn name(&self) -> &'static str {
        match self {
            ComplaintCommand::File(_) => "File",
            ComplaintCommand::Submit => "Submit",
            ComplaintCommand::SubmitStaged => "SubmitStaged",
            ComplaintCommand::Accept => "Accept",
            ComplaintCommand::ReportUnableToProcess { .. } => "ReportUnableToProcess",
            ComplaintCommand::RecordRemoval { .. } => "RecordRemoval",
            ComplaintCommand::SellerAnswerWindowElapsed => "SellerAnswerWindowElapsed",
            ComplaintCommand::ReceiveCounterNotice { .. } => "ReceiveCounterNotice",
            ComplaintCommand::Respond { .. } => "Respond",
            ComplaintCommand::AcceptCounterNotice => "AcceptCounterNotice",
            ComplaintCommand::PlatformRestores => "PlatformRestores",
            ComplaintCommand::ResponseWindowElapsed => "ResponseWindowElapsed",
            ComplaintCommand::CheckBackDue => "CheckBackDue",
            ComplaintCommand::RemindResponseDeadline => "RemindResponseDeadline",
            ComplaintCommand::ReportStillListed => "ReportStillListed",
            ComplaintCommand::WatchForReturn => "WatchForReturn",
            ComplaintCommand::FlagRightLapsed => "FlagRightLapsed",
            ComplaintCommand::Retract { .. } => "Retract",
            ComplaintCommand::MarkRelisted { .. } => "MarkRelisted",
            ComplaintCommand::MarkRefiled { .. } => "MarkRefiled",
        }
    }
}

/// What happened to a complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ComplaintChange {
    /// Created.
    Filed {
        /// What it was filed with.
        filing: Arc<ComplaintFiling>,
        /// The kind of its right.
        right_kind: IpKind,
        /// Whether it waits for the right's approval.
        staged: bool,
    },
    /// Sent to the platform.
    Submitted,
    /// Taken up by the platform.
    Accepted {
        /// When the seller's silence costs the listing.
        seller_answer_due: Option<DateTime<Utc>>,
    },
    /// The platform will not act.
    UnableToProcess {
        /// Its reason, verbatim.
        reason: Text,
    },
    /// The listing is down.
    ListingRemoved {
        /// How.
        cause: RemovalCause,
    },
    /// The seller's answer window passed in silence: a removal is expected, not seen.
    RemovalExpected,
    /// A counter-notice arrived.
    CounterNoticeReceived {
        /// The notice.
        notice: CounterNotice,
        /// When the holder's silence restores the listing.
        response_due: Option<DateTime<Utc>>,
    },
    /// The holder answered.
    Responded {
        /// The answer.
        response: CounterNoticeResponse,
    },
    /// The listing stays up.
    ListingRestored {
        /// Why.
        cause: RestorationCause,
    },
    /// A check-back fell due; someone (or a probe) should look at the listing.
    CheckBackDue {
        /// 1 for the first check-back.
        number: u32,
    },
    /// A check-back found the listing still up.
    StillListed {
        /// Check-backs so far.
        checks: u32,
        /// Whether a person should look: the policy's number of check-backs is reached.
        escalate: bool,
    },
    /// A watch for a removed listing's return fell due (a probe, or a person, looks).
    ReturnWatched {
        /// 1 for the first watch.
        number: u32,
    },
    /// A removed listing was seen up again.
    Reappeared,
    /// The right lapsed while the complaint was open; a person was told.
    RightLapsed {
        /// The right.
        right: RightId,
    },
    /// The holder is reminded that the response window closes soon.
    ResponseDeadlineReminded {
        /// When it closes.
        due: DateTime<Utc>,
    },
    /// The holder withdrew the complaint.
    Retracted {
        /// Why, if given.
        reason: Option<Text>,
    },
    /// The listing reappeared.
    Relisted {
        /// The complaint against the relisting.
        successor: ComplaintId,
    },
    /// Filed again.
    Refiled {
        /// The new complaint.
        successor: ComplaintId,
    },
}

/// A stored event of a complaint.
pub type ComplaintEvent = Recorded<ComplaintChange>;
