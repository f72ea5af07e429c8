//! What a complaint is: its filing, its stage and status, and what it records on the way.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::reason::ComplaintReason;
use super::status::PlatformStatus;
use crate::evidence::Evidence;
use crate::ids::{CampaignId, ComplaintId, FilingId, RightId, TenantId};
use crate::listing::{Listing, ListingDetails};
use crate::right::IpKind;
use crate::store::UniqueKey;
use crate::text::Text;

/// How a listing came down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RemovalCause {
    /// The platform showed "Listing Removed".
    PlatformReported,
    /// A check-back found the listing gone (the platform sends no notice).
    FoundByCheckBack {
        /// What the check found (a screenshot, a saved page).
        evidence: Option<Evidence>,
    },
    /// Recorded by versions before 0.2 when the seller let the answer window pass in
    /// silence. That was an expectation, not an observation: it is no longer recorded
    /// (silence now leads to [`Stage::RemovalExpected`]), and only read back from old
    /// histories.
    SellerSilent,
}

impl RemovalCause {
    /// Whether this cause records a removal someone saw: the platform's status, or a
    /// check-back with what it found.
    pub fn is_observed(&self) -> bool {
        match self {
            RemovalCause::PlatformReported => true,
            RemovalCause::FoundByCheckBack { evidence } => evidence.is_some(),
            RemovalCause::SellerSilent => false,
        }
    }
}

/// Why a listing stays (or goes back) up after a counter-notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RestorationCause {
    /// The rights holder accepted the counter-notice.
    AcceptedByComplainant,
    /// The platform accepted the counter-notice.
    AcceptedByPlatform,
    /// The rights holder let the response window pass in silence.
    HolderSilent,
}

/// Why a complaint follows an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FollowUpKind {
    /// The earlier complaint ended "Unable to Process" and is filed again.
    Refiling,
    /// The earlier listing was removed and the seller listed it again.
    Relisting,
}

/// A link from a complaint to the one it follows (the whack-a-mole chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FollowUp {
    /// The earlier complaint.
    pub previous: ComplaintId,
    /// Why this one follows it.
    pub kind: FollowUpKind,
}

/// A complaint's stage, with what each stage needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// Waiting for its right's approval; filed automatically then ("Pending Submissions").
    Staged,
    /// Ready, not yet sent.
    Draft,
    /// Sent to the platform.
    Submitted,
    /// Taken up by the platform.
    InProgress {
        /// When the seller's silence costs the listing, if the policy says so.
        seller_answer_due: Option<DateTime<Utc>>,
    },
    /// The seller disputes it; the holder may respond.
    CounterNoticed {
        /// When the holder's silence restores the listing, if the policy says so.
        response_due: Option<DateTime<Utc>>,
    },
    /// The holder answered the latest counter-notice.
    Responded,
    /// The seller's answer window passed in silence: under the policy the platform should
    /// remove the listing, but it announces no removal, so a check-back must see it gone.
    RemovalExpected {
        /// When the window passed.
        since: DateTime<Utc>,
    },
    /// The listing is down.
    ListingRemoved {
        /// How.
        cause: RemovalCause,
    },
    /// The platform will not act.
    UnableToProcess {
        /// The platform's reason, verbatim.
        reason: Text,
    },
    /// The listing stays up after a counter-notice. Terminal.
    ListingRestored {
        /// Why.
        cause: RestorationCause,
    },
    /// The holder withdrew the complaint. Terminal.
    Retracted,
    /// The removed listing reappeared; a new complaint carries on. Terminal.
    Relisted {
        /// The complaint against the relisting.
        successor: ComplaintId,
    },
    /// Filed again as a new complaint after "Unable to Process". Terminal.
    Refiled {
        /// The new complaint.
        successor: ComplaintId,
    },
}

/// A complaint's stage without its data: for counting, indexing and refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ComplaintStatus {
    /// See [`Stage::Staged`].
    Staged,
    /// See [`Stage::Draft`].
    Draft,
    /// See [`Stage::Submitted`].
    Submitted,
    /// See [`Stage::InProgress`].
    InProgress,
    /// See [`Stage::CounterNoticed`].
    CounterNoticed,
    /// See [`Stage::Responded`].
    Responded,
    /// See [`Stage::ListingRemoved`].
    ListingRemoved,
    /// See [`Stage::UnableToProcess`].
    UnableToProcess,
    /// See [`Stage::ListingRestored`].
    ListingRestored,
    /// See [`Stage::Retracted`].
    Retracted,
    /// See [`Stage::Relisted`].
    Relisted,
    /// See [`Stage::Refiled`].
    Refiled,
    /// See [`Stage::RemovalExpected`]. Last, so that the stored codes of the others stay.
    RemovalExpected,
}

impl ComplaintStatus {
    /// Every status.
    pub const ALL: [ComplaintStatus; 13] = [
        ComplaintStatus::Staged,
        ComplaintStatus::Draft,
        ComplaintStatus::Submitted,
        ComplaintStatus::InProgress,
        ComplaintStatus::CounterNoticed,
        ComplaintStatus::Responded,
        ComplaintStatus::ListingRemoved,
        ComplaintStatus::UnableToProcess,
        ComplaintStatus::ListingRestored,
        ComplaintStatus::Retracted,
        ComplaintStatus::Relisted,
        ComplaintStatus::Refiled,
        ComplaintStatus::RemovalExpected,
    ];

    /// Whether no command is accepted any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ComplaintStatus::ListingRestored
                | ComplaintStatus::Retracted
                | ComplaintStatus::Relisted
                | ComplaintStatus::Refiled
        )
    }

    /// Whether the complaint is still being fought (the holder may retract it).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ComplaintStatus::Staged
                | ComplaintStatus::Draft
                | ComplaintStatus::Submitted
                | ComplaintStatus::InProgress
                | ComplaintStatus::CounterNoticed
                | ComplaintStatus::Responded
                | ComplaintStatus::RemovalExpected
        )
    }

    /// Whether the platform has taken the complaint up (past "Received").
    pub fn is_taken_up(self) -> bool {
        !matches!(
            self,
            ComplaintStatus::Staged | ComplaintStatus::Draft | ComplaintStatus::Submitted
        )
    }

    /// The outcome code the platform shows, where it shows one.
    pub fn platform_status(self) -> Option<PlatformStatus> {
        match self {
            ComplaintStatus::Submitted
            | ComplaintStatus::InProgress
            | ComplaintStatus::CounterNoticed
            | ComplaintStatus::Responded
            // Nothing seen yet: the platform may show either, and we claim no more than we saw.
            | ComplaintStatus::RemovalExpected => Some(PlatformStatus::InProgress),
            ComplaintStatus::UnableToProcess | ComplaintStatus::Refiled => {
                Some(PlatformStatus::UnableToProcess)
            }
            ComplaintStatus::ListingRemoved | ComplaintStatus::Relisted => {
                Some(PlatformStatus::ListingRemoved)
            }
            ComplaintStatus::Staged
            | ComplaintStatus::Draft
            | ComplaintStatus::ListingRestored
            | ComplaintStatus::Retracted => None,
        }
    }
}

/// The status as people read it: `listing removed`.
impl fmt::Display for ComplaintStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ComplaintStatus::Staged => "staged",
            ComplaintStatus::Draft => "draft",
            ComplaintStatus::Submitted => "submitted",
            ComplaintStatus::InProgress => "in progress",
            ComplaintStatus::CounterNoticed => "counter-noticed",
            ComplaintStatus::Responded => "responded",
            ComplaintStatus::ListingRemoved => "listing removed",
            ComplaintStatus::UnableToProcess => "unable to process",
            ComplaintStatus::ListingRestored => "listing restored",
            ComplaintStatus::Retracted => "retracted",
            ComplaintStatus::Relisted => "relisted",
            ComplaintStatus::Refiled => "refiled",
            ComplaintStatus::RemovalExpected => "removal expected",
        })
    }
}

/// A status not among [`ComplaintStatus::ALL`]: what `FromStr` answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a complaint status (one of {known})", known = ComplaintStatus::ALL.map(|s| s.to_string()).join(", "))]
pub struct UnknownComplaintStatus(pub String);

/// A status as people type it: its words (`listing removed`), with hyphens (`in-progress`),
/// or as one word in any case (`ListingRemoved`).
impl std::str::FromStr for ComplaintStatus {
    type Err = UnknownComplaintStatus;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        super::by_words(&ComplaintStatus::ALL, value)
            .ok_or_else(|| UnknownComplaintStatus(value.chars().take(64).collect()))
    }
}

/// The cause as people read it: `found by check-back`.
impl fmt::Display for RemovalCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RemovalCause::PlatformReported => "reported by the platform",
            RemovalCause::FoundByCheckBack { .. } => "found by check-back",
            RemovalCause::SellerSilent => "the seller did not answer",
        })
    }
}

/// The cause as people read it: `accepted by the platform`.
impl fmt::Display for RestorationCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RestorationCause::AcceptedByComplainant => "accepted by the complainant",
            RestorationCause::AcceptedByPlatform => "accepted by the platform",
            RestorationCause::HolderSilent => "the holder did not respond",
        })
    }
}

/// The kind as people read it: `relisting`.
impl fmt::Display for FollowUpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FollowUpKind::Refiling => "refiling",
            FollowUpKind::Relisting => "relisting",
        })
    }
}

impl Stage {
    /// The stage without its data.
    pub fn status(&self) -> ComplaintStatus {
        match self {
            Stage::Staged => ComplaintStatus::Staged,
            Stage::Draft => ComplaintStatus::Draft,
            Stage::Submitted => ComplaintStatus::Submitted,
            Stage::InProgress { .. } => ComplaintStatus::InProgress,
            Stage::CounterNoticed { .. } => ComplaintStatus::CounterNoticed,
            Stage::Responded => ComplaintStatus::Responded,
            Stage::RemovalExpected { .. } => ComplaintStatus::RemovalExpected,
            Stage::ListingRemoved { .. } => ComplaintStatus::ListingRemoved,
            Stage::UnableToProcess { .. } => ComplaintStatus::UnableToProcess,
            Stage::ListingRestored { .. } => ComplaintStatus::ListingRestored,
            Stage::Retracted => ComplaintStatus::Retracted,
            Stage::Relisted { .. } => ComplaintStatus::Relisted,
            Stage::Refiled { .. } => ComplaintStatus::Refiled,
        }
    }
}

/// A seller's counter-notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterNotice {
    /// 1 for the first.
    pub number: u8,
    /// When it was received.
    pub at: DateTime<Utc>,
    /// The seller's statement, verbatim.
    pub statement: Text,
    /// What the seller attached (invoices, authorisation letters).
    pub evidence: Vec<Evidence>,
}

/// The holder's answer to a counter-notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterNoticeResponse {
    /// The counter-notice answered.
    pub to_number: u8,
    /// When.
    pub at: DateTime<Utc>,
    /// The answer.
    pub statement: Text,
    /// Attached proof.
    pub evidence: Vec<Evidence>,
}

/// What a complaint is filed with. Built with [`ComplaintFiling::new`], then the public
/// fields of what it has besides (evidence, campaign, listing details, the complaint it
/// follows); new fields may be added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ComplaintFiling {
    /// The complaint's id.
    pub id: ComplaintId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The filing (request) it belongs to.
    pub filing: FilingId,
    /// The right it rests on.
    pub right: RightId,
    /// The listing complained about.
    pub listing: Listing,
    /// Why the listing infringes.
    pub reason: ComplaintReason,
    /// The required free-text explanation.
    pub explanation: Text,
    /// Screenshots, test buys.
    pub evidence: Vec<Evidence>,
    /// The complaint this one follows, if any.
    pub follows: Option<FollowUp>,
    /// The campaign it belongs to, if any.
    pub campaign: Option<CampaignId>,
    /// What the listing showed when it was found.
    #[serde(default)]
    pub details: ListingDetails,
}

/// A complaint against one listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    /// What it was filed with.
    pub filed: Arc<ComplaintFiling>,
    /// The kind of the right it rests on (fixed at filing).
    pub right_kind: IpKind,
    /// Where it stands.
    pub stage: Stage,
    /// Counter-notices, oldest first.
    pub counter_notices: Vec<CounterNotice>,
    /// The holder's answers, oldest first.
    pub responses: Vec<CounterNoticeResponse>,
    /// When it was filed.
    pub filed_at: DateTime<Utc>,
    /// When its last event happened.
    pub updated_at: DateTime<Utc>,
    /// Check-backs done since filing (the platform does not announce removals).
    pub check_backs: u32,
    /// The response deadline the holder was last reminded of.
    pub deadline_reminded: Option<DateTime<Utc>>,
    /// When the listing was first found removed.
    #[serde(default)]
    pub removed_at: Option<DateTime<Utc>>,
    /// When the last check-back (or watch for a removed listing's return) fell due.
    // Left out of snapshots while unset, as are the two below: most complaints never set
    // them, and a stored row's size decides how many fit a database page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<DateTime<Utc>>,
    /// When a removed listing was seen up again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reappeared_at: Option<DateTime<Utc>>,
    /// Whether a person was told that the right this complaint rests on lapsed while the
    /// complaint was open.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub right_lapsed: bool,
}

impl ComplaintFiling {
    /// A complaint in a filing of its own, without evidence, campaign or listing details;
    /// set the public fields for those.
    ///
    /// ```
    /// use aliprotect_core::complaint::{ComplaintFiling, ComplaintReason};
    /// use aliprotect_core::ids::{ComplaintId, RightId, TenantId};
    /// use aliprotect_core::listing::Listing;
    /// use aliprotect_core::text::Text;
    ///
    /// let listing = Listing::parse("https://www.alibaba.com/product-detail/Earbuds_1600123456789.html")?;
    /// let explanation = Text::new("Counterfeit earbuds bearing our registered mark")?;
    /// let reason = ComplaintReason::TrademarkCounterfeit;
    /// let filing = ComplaintFiling::new(ComplaintId::new(), TenantId::new(), RightId::new(), listing, reason, explanation);
    /// assert!(filing.evidence.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        id: ComplaintId,
        tenant: TenantId,
        right: RightId,
        listing: Listing,
        reason: ComplaintReason,
        explanation: Text,
    ) -> Self {
        Self {
            id,
            tenant,
            filing: FilingId::new(),
            right,
            listing,
            reason,
            explanation,
            evidence: Vec::new(),
            follows: None,
            campaign: None,
            details: ListingDetails::default(),
        }
    }
}

impl Complaint {
    /// The complaint's id.
    pub fn id(&self) -> ComplaintId {
        self.filed.id
    }

    /// Its tenant.
    pub fn tenant(&self) -> TenantId {
        self.filed.tenant
    }

    /// Its status.
    pub fn status(&self) -> ComplaintStatus {
        self.stage.status()
    }

    /// The unique keys it holds: its listing's while it is open, from filing until its
    /// first ending, so that a listing has one open complaint per tenant. A complaint
    /// opened again by a counter-notice after a removal does not take it back: the listing
    /// may have a newer complaint by then, and a seller's counter-notice is a fact to record
    /// whatever else is open.
    pub fn unique_keys(&self) -> Vec<UniqueKey> {
        match self.holds_unique_keys() {
            true => self.own_unique_keys(),
            false => Vec::new(),
        }
    }

    /// Whether it holds its unique keys in this state (see [`Complaint::unique_keys`]).
    pub fn holds_unique_keys(&self) -> bool {
        self.status().is_open() && self.removed_at.is_none()
    }

    /// The keys it holds whenever it holds any: they follow from its listing, which a
    /// complaint never changes.
    pub fn own_unique_keys(&self) -> Vec<UniqueKey> {
        vec![UniqueKey::open_complaint_on(&self.filed.listing.key)]
    }
}
