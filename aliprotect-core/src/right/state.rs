//! What a right is: its status with the platform, its package, and the platform's rejections.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::package::SubmissionPackage;
use crate::evidence::EvidenceKind;
use crate::ids::{RightId, TenantId};
use crate::text::Text;

/// Where a right stands with the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RightStatus {
    /// Being prepared; not yet sent.
    Draft,
    /// Sent to the platform (first try or a resubmission).
    Submitted,
    /// The platform is reviewing it.
    UnderReview,
    /// Accepted; complaints may rest on it.
    Approved,
    /// Refused by the platform, with a reason and fixes; may be amended and resubmitted.
    Rejected,
    /// Protection ended. Terminal.
    Expired,
    /// Withdrawn by the holder. Terminal.
    Withdrawn,
    /// Given up after rejection. Terminal.
    Abandoned,
}

impl RightStatus {
    /// Every status.
    pub const ALL: [RightStatus; 8] = [
        RightStatus::Draft,
        RightStatus::Submitted,
        RightStatus::UnderReview,
        RightStatus::Approved,
        RightStatus::Rejected,
        RightStatus::Expired,
        RightStatus::Withdrawn,
        RightStatus::Abandoned,
    ];

    /// Whether no command is accepted any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RightStatus::Expired | RightStatus::Withdrawn | RightStatus::Abandoned
        )
    }

    /// Whether the platform is still to decide on it (complaints may be staged against it).
    pub fn is_pending_review(self) -> bool {
        matches!(self, RightStatus::Submitted | RightStatus::UnderReview)
    }
}

/// The status as people read it: `under review`.
impl fmt::Display for RightStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RightStatus::Draft => "draft",
            RightStatus::Submitted => "submitted",
            RightStatus::UnderReview => "under review",
            RightStatus::Approved => "approved",
            RightStatus::Rejected => "rejected",
            RightStatus::Expired => "expired",
            RightStatus::Withdrawn => "withdrawn",
            RightStatus::Abandoned => "abandoned",
        })
    }
}

/// What a rejection says must be fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FixTarget {
    /// A document of this kind (missing, unreadable, wrong).
    Evidence(EvidenceKind),
    /// The registration details (number, classes, dates, registrant).
    Registration,
    /// A translation of a document.
    Translation,
    /// Anything else the reason names.
    Other,
}

/// One structured item of what to fix after a rejection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// What to fix.
    pub target: FixTarget,
    /// How, in the words of whoever read the rejection.
    pub instruction: Text,
}

/// A rejection as the platform gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionRecord {
    /// The submission attempt it answered.
    pub attempt: u32,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The platform's reason, verbatim.
    pub reason: Text,
    /// What must be fixed.
    pub fixes: Vec<Fix>,
}

/// An IP right and its history with the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpRight {
    /// The right's id.
    pub id: RightId,
    /// Its tenant.
    pub tenant: TenantId,
    /// What is (or will be) submitted.
    pub package: SubmissionPackage,
    /// Where it stands.
    pub status: RightStatus,
    /// Submissions so far (1 after the first submit; never decreases).
    pub attempts: u32,
    /// Every rejection, oldest first.
    pub rejections: Vec<RejectionRecord>,
    /// When it was approved, if it was.
    pub approved_at: Option<DateTime<Utc>>,
    /// The expiry date a reminder was last sent for.
    pub expiry_reminded_for: Option<chrono::NaiveDate>,
    /// Whether the package was amended since the last rejection (a resubmission of an
    /// unchanged package would waste one of the limited attempts). True when unknown.
    #[serde(default = "unknown_counts_as_changed")]
    pub changed_since_rejection: bool,
}

fn unknown_counts_as_changed() -> bool {
    true
}

impl IpRight {
    /// The newest rejection, if any.
    pub fn last_rejection(&self) -> Option<&RejectionRecord> {
        self.rejections.last()
    }
}
