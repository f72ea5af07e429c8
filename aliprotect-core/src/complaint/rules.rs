//! The rules a refused complaint command broke.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::reason::ComplaintReason;
use crate::ids::{ComplaintId, RightId};
use crate::right::{IpKind, RightStatus};

use super::FollowUpKind;

/// The rule a refused complaint command broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ComplaintRule {
    /// The complaint does not exist yet.
    #[error("the complaint is not filed")]
    NotFiled,
    /// `File` on an existing complaint.
    #[error("the complaint is already filed")]
    AlreadyFiled,
    /// The command is not allowed in the current state.
    #[error("not allowed in this state")]
    NotAllowedInState,
    /// The right the complaint rests on was not given in the context, or is another right.
    #[error("right {0} is not known")]
    UnknownRight(RightId),
    /// The right belongs to another tenant.
    #[error("right {0} belongs to another tenant")]
    RightOfOtherTenant(RightId),
    /// The right is neither approved nor (for staging) pending review.
    #[error("right {right} is {status}, not approved")]
    RightNotApproved {
        /// The right.
        right: RightId,
        /// Its status.
        status: RightStatus,
    },
    /// The reason does not fit the kind of right.
    #[error("reason {reason} does not fit a {kind} right")]
    ReasonDoesNotFitRight {
        /// The reason given.
        reason: ComplaintReason,
        /// The right's kind.
        kind: IpKind,
    },
    /// The policy's platform does not take complaints for the listing's marketplace.
    #[error("the policy does not cover marketplace {0}")]
    MarketplaceNotCovered(crate::marketplace::Marketplace),
    /// The complaint it follows was not given, belongs to another tenant, or is not in the
    /// state the follow-up needs (Unable to Process for a refiling, Listing Removed for a
    /// relisting).
    #[error("complaint {previous} cannot be followed up by a {}", match .kind { FollowUpKind::Refiling => "refiling", FollowUpKind::Relisting => "relisting" })]
    FollowUpDoesNotFit {
        /// The earlier complaint.
        previous: ComplaintId,
        /// The follow-up kind.
        kind: FollowUpKind,
    },
    /// The seller used up the policy's counter-notices.
    #[error("all {limit} counter-notices allowed are used")]
    CounterNoticeLimitReached {
        /// The policy's limit.
        limit: u8,
    },
    /// A response after the holder's window closed.
    #[error("the response window closed at {due}")]
    ResponseWindowClosed {
        /// When it closed.
        due: DateTime<Utc>,
    },
    /// A timer fired before its deadline, or for a deadline the policy does not set.
    #[error("no deadline has passed (due: {})", due_or_none(.due))]
    DeadlineNotPassed {
        /// The deadline, if any.
        due: Option<DateTime<Utc>>,
    },
    /// A removal recorded without an observation: the seller's silence, or a check-back
    /// without what it saw.
    #[error(
        "a removal is recorded only when seen: the platform's status, or a check-back with its evidence"
    )]
    RemovalNotObserved,
    /// The listing already has an open complaint in the tenant: the platform refuses
    /// repeats, and they count against the filer's accuracy.
    #[error("the listing already has an open complaint: {open}")]
    ListingHasOpenComplaint {
        /// The open complaint.
        open: ComplaintId,
    },
    /// The complaint was already flagged for its right's lapse.
    #[error("the complaint was already flagged for its right's lapse")]
    AlreadyFlagged,
    /// A complaint cannot follow itself.
    #[error("a complaint cannot be its own successor")]
    SelfSuccessor,
    /// A reminder outside its window: before the policy's lead, or after the deadline.
    #[error("no reminder is due now for the deadline {}", due_or_none(.due))]
    NoReminderDue {
        /// The deadline, if any.
        due: Option<DateTime<Utc>>,
    },
    /// A second reminder for the same deadline.
    #[error("the holder was already reminded of the deadline {due}")]
    AlreadyReminded {
        /// The deadline.
        due: DateTime<Utc>,
    },
}

fn due_or_none(due: &Option<DateTime<Utc>>) -> String {
    due.map_or_else(|| "none set".to_owned(), |due| due.to_rfc3339())
}
