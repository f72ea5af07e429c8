//! The complaint state machine: one listing, from filing to its ending.
//!
//! ```text
//! Staged --SubmitStaged--+
//! Draft  --Submit--------+--> Submitted --Accept--> InProgress --RecordRemoval / seller silent--> ListingRemoved
//!                              |                    |                                  |  \--MarkRelisted--> Relisted
//!                              +--ReportUnableToProcess--> UnableToProcess --MarkRefiled--> Refiled
//!                                                   |                                  |
//!                                  ReceiveCounterNotice (also from Responded, ListingRemoved; up to the limit)
//!                                                   v
//!                CounterNoticed --Respond--> Responded --RecordRemoval--> ListingRemoved
//!                  |  holder silent / AcceptCounterNotice / PlatformRestores --> ListingRestored
//! Retract: from every open state --> Retracted
//! ```
//!
//! A removal is recorded only when someone saw it: the platform's own status ("Listing
//! Removed"), or a check-back (a probe, or a person) that found the listing gone, with what
//! it saw as evidence. A seller's silence only makes it *expected* (`RemovalExpected`), and a
//! check-back falls due at once.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::reason::ComplaintReason;
use super::status::PlatformStatus;
use crate::decider::{Decider, Recorded, Refusal, StateName};
use crate::evidence::Evidence;
use crate::ids::{CampaignId, ComplaintId, FilingId, RightId, TenantId};
use crate::listing::{Listing, ListingDetails};
use crate::party::Actor;
use crate::policy::MarketplacePolicy;
use crate::right::{IpKind, IpRight, RightStatus};
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

impl fmt::Display for ComplaintStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
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

/// What a complaint is filed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Why a complaint command was refused.
pub type ComplaintRefusal = Refusal<ComplaintStatus, ComplaintRule>;

/// What deciding a complaint command may read.
#[derive(Debug, Clone, Copy)]
pub struct ComplaintContext<'a> {
    /// Now.
    pub at: DateTime<Utc>,
    /// Who issues the command.
    pub actor: Actor,
    /// The platform's rules.
    pub policy: &'a MarketplacePolicy,
    /// The right the complaint rests on (needed by `File`, `Submit` and `SubmitStaged`).
    pub right: Option<&'a IpRight>,
    /// The complaint a new one follows (needed by `File` with a follow-up).
    pub previous: Option<&'a Complaint>,
    /// The tenant's open complaint on the filed listing, when known (`File` is refused
    /// then). The engine learns it from the store, which enforces the rule atomically with
    /// each filing; `None` is "none known", not a promise.
    pub open_on_listing: Option<ComplaintId>,
}

/// The complaint state machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct ComplaintDecider;

impl Decider for ComplaintDecider {
    type State = Option<Complaint>;
    type Command = ComplaintCommand;
    type Event = ComplaintEvent;
    type Context<'a> = ComplaintContext<'a>;
    type Refusal = ComplaintRefusal;

    fn initial_state() -> Self::State {
        None
    }

    fn decide(
        state: &Option<Complaint>,
        command: &ComplaintCommand,
        context: &ComplaintContext<'_>,
    ) -> Result<Vec<ComplaintEvent>, ComplaintRefusal> {
        let refuse = |rule| Refusal {
            state: state
                .as_ref()
                .map_or(StateName::Absent, |c| StateName::In(c.status())),
            command: command.name().to_owned(),
            rule,
        };
        let change = match (state, command) {
            (None, ComplaintCommand::File(filing)) => decide_file(filing, context),
            (None, _) => Err(ComplaintRule::NotFiled),
            (Some(_), ComplaintCommand::File(_)) => Err(ComplaintRule::AlreadyFiled),
            (Some(complaint), command) => decide_existing(complaint, command, context),
        }
        .map_err(refuse)?;
        Ok(vec![Recorded {
            at: context.at,
            actor: context.actor,
            change,
        }])
    }

    fn evolve(state: Option<Complaint>, event: &ComplaintEvent) -> Option<Complaint> {
        let Some(mut complaint) = state else {
            return match &event.change {
                ComplaintChange::Filed {
                    filing,
                    right_kind,
                    staged,
                } => Some(Complaint {
                    filed: Arc::clone(filing),
                    right_kind: *right_kind,
                    stage: if *staged { Stage::Staged } else { Stage::Draft },
                    counter_notices: Vec::new(),
                    responses: Vec::new(),
                    filed_at: event.at,
                    updated_at: event.at,
                    check_backs: 0,
                    deadline_reminded: None,
                    removed_at: None,
                    checked_at: None,
                    reappeared_at: None,
                    right_lapsed: false,
                }),
                other => {
                    tracing::warn!(?other, "complaint event before filing ignored");
                    None
                }
            };
        };
        complaint.updated_at = event.at;
        complaint.stage = match &event.change {
            ComplaintChange::Filed { .. } => {
                tracing::warn!(complaint = %complaint.id(), "second filing event ignored");
                complaint.stage
            }
            ComplaintChange::Submitted => Stage::Submitted,
            ComplaintChange::Accepted { seller_answer_due } => Stage::InProgress {
                seller_answer_due: *seller_answer_due,
            },
            ComplaintChange::UnableToProcess { reason } => Stage::UnableToProcess {
                reason: reason.clone(),
            },
            ComplaintChange::ListingRemoved { cause } => {
                complaint.removed_at.get_or_insert(event.at);
                Stage::ListingRemoved {
                    cause: cause.clone(),
                }
            }
            ComplaintChange::CounterNoticeReceived {
                notice,
                response_due,
            } => {
                complaint.counter_notices.push(notice.clone());
                Stage::CounterNoticed {
                    response_due: *response_due,
                }
            }
            ComplaintChange::Responded { response } => {
                complaint.responses.push(response.clone());
                Stage::Responded
            }
            ComplaintChange::ListingRestored { cause } => Stage::ListingRestored { cause: *cause },
            ComplaintChange::RemovalExpected => Stage::RemovalExpected { since: event.at },
            ComplaintChange::CheckBackDue { number } => {
                complaint.check_backs = *number;
                complaint.checked_at = Some(event.at);
                complaint.stage
            }
            ComplaintChange::ReturnWatched { .. } => {
                complaint.checked_at = Some(event.at);
                complaint.stage
            }
            ComplaintChange::Reappeared => {
                complaint.reappeared_at.get_or_insert(event.at);
                complaint.stage
            }
            ComplaintChange::RightLapsed { .. } => {
                complaint.right_lapsed = true;
                complaint.stage
            }
            ComplaintChange::ResponseDeadlineReminded { due } => {
                complaint.deadline_reminded = Some(*due);
                complaint.stage
            }
            ComplaintChange::StillListed { .. } => complaint.stage,
            ComplaintChange::Retracted { .. } => Stage::Retracted,
            ComplaintChange::Relisted { successor } => Stage::Relisted {
                successor: *successor,
            },
            ComplaintChange::Refiled { successor } => Stage::Refiled {
                successor: *successor,
            },
        };
        Some(complaint)
    }
}

/// The right a command depends on, checked to be the complaint's and in this tenant.
fn right_in_context<'a>(
    context: &ComplaintContext<'a>,
    right: RightId,
    tenant: TenantId,
) -> Result<&'a IpRight, ComplaintRule> {
    let found = context
        .right
        .filter(|r| r.id == right)
        .ok_or(ComplaintRule::UnknownRight(right))?;
    if found.tenant != tenant {
        return Err(ComplaintRule::RightOfOtherTenant(right));
    }
    Ok(found)
}

fn require_approved(right: &IpRight) -> Result<(), ComplaintRule> {
    if right.status == RightStatus::Approved {
        Ok(())
    } else {
        Err(ComplaintRule::RightNotApproved {
            right: right.id,
            status: right.status,
        })
    }
}

fn decide_file(
    filing: &ComplaintFiling,
    context: &ComplaintContext<'_>,
) -> Result<ComplaintChange, ComplaintRule> {
    let right = right_in_context(context, filing.right, filing.tenant)?;
    let staged = match right.status {
        RightStatus::Approved => false,
        status if status.is_pending_review() => true,
        status => {
            return Err(ComplaintRule::RightNotApproved {
                right: right.id,
                status,
            });
        }
    };
    let kind = right.package.kind();
    if !filing.reason.fits(kind) {
        return Err(ComplaintRule::ReasonDoesNotFitRight {
            reason: filing.reason,
            kind,
        });
    }
    if let Some(open) = context.open_on_listing.filter(|open| *open != filing.id) {
        return Err(ComplaintRule::ListingHasOpenComplaint { open });
    }
    if !context.policy.covers(filing.listing.marketplace) {
        return Err(ComplaintRule::MarketplaceNotCovered(
            filing.listing.marketplace,
        ));
    }
    if let Some(follow_up) = filing.follows {
        let needed = match follow_up.kind {
            FollowUpKind::Refiling => ComplaintStatus::UnableToProcess,
            FollowUpKind::Relisting => ComplaintStatus::ListingRemoved,
        };
        let fits = context.previous.is_some_and(|previous| {
            previous.id() == follow_up.previous
                && previous.id() != filing.id
                && previous.tenant() == filing.tenant
                && previous.status() == needed
        });
        if !fits {
            return Err(ComplaintRule::FollowUpDoesNotFit {
                previous: follow_up.previous,
                kind: follow_up.kind,
            });
        }
    }
    Ok(ComplaintChange::Filed {
        filing: Arc::new(filing.clone()),
        right_kind: kind,
        staged,
    })
}

/// When a removed listing is next looked at for its return, under the policy's watch: one
/// interval after the last look (or the removal), while the watch lasts; `None` once it has
/// come back, the watch is over, or the policy keeps none.
pub fn next_return_watch(
    complaint: &Complaint,
    policy: &MarketplacePolicy,
) -> Option<DateTime<Utc>> {
    let watch = policy.removal_watch.as_ref()?;
    let removed_at = complaint.removed_at?;
    if complaint.status() != ComplaintStatus::ListingRemoved || complaint.reappeared_at.is_some() {
        return None;
    }
    let last = complaint
        .checked_at
        .map_or(removed_at, |at| at.max(removed_at));
    let due = policy.calendar.deadline(last, watch.every);
    let until = removed_at.checked_add_signed(chrono::Duration::days(i64::from(watch.for_days)))?;
    (due <= until).then_some(due)
}

fn decide_existing(
    complaint: &Complaint,
    command: &ComplaintCommand,
    context: &ComplaintContext<'_>,
) -> Result<ComplaintChange, ComplaintRule> {
    use ComplaintCommand as C;
    let policy = context.policy;
    let deadline = |window| policy.calendar.deadline(context.at, window);
    match (&complaint.stage, command) {
        (Stage::Draft, C::Submit) | (Stage::Staged, C::SubmitStaged) => {
            let right = right_in_context(context, complaint.filed.right, complaint.tenant())?;
            require_approved(right)?;
            Ok(ComplaintChange::Submitted)
        }
        (Stage::Submitted, C::Accept) => Ok(ComplaintChange::Accepted {
            seller_answer_due: policy.silence.seller_loses_after.map(deadline),
        }),
        (
            Stage::Submitted | Stage::InProgress { .. } | Stage::RemovalExpected { .. },
            C::ReportUnableToProcess { reason },
        ) => Ok(ComplaintChange::UnableToProcess {
            reason: reason.clone(),
        }),
        (
            Stage::Submitted
            | Stage::InProgress { .. }
            | Stage::Responded
            | Stage::RemovalExpected { .. },
            C::RecordRemoval { cause },
        ) => {
            if !cause.is_observed() {
                return Err(ComplaintRule::RemovalNotObserved);
            }
            Ok(ComplaintChange::ListingRemoved {
                cause: cause.clone(),
            })
        }
        (Stage::InProgress { seller_answer_due }, C::SellerAnswerWindowElapsed) => {
            match seller_answer_due {
                Some(due) if context.at >= *due => Ok(ComplaintChange::RemovalExpected),
                due => Err(ComplaintRule::DeadlineNotPassed { due: *due }),
            }
        }
        (
            Stage::InProgress { .. }
            | Stage::Responded
            | Stage::ListingRemoved { .. }
            | Stage::RemovalExpected { .. },
            C::ReceiveCounterNotice {
                statement,
                evidence,
            },
        ) => {
            let limit = policy.counter_notices_allowed;
            let received = complaint.counter_notices.len();
            if received >= usize::from(limit) {
                return Err(ComplaintRule::CounterNoticeLimitReached { limit });
            }
            Ok(ComplaintChange::CounterNoticeReceived {
                notice: CounterNotice {
                    number: u8::try_from(received + 1).unwrap_or(u8::MAX),
                    at: context.at,
                    statement: statement.clone(),
                    evidence: evidence.clone(),
                },
                response_due: policy.silence.holder_loses_after.map(deadline),
            })
        }
        (
            Stage::CounterNoticed { response_due },
            C::Respond {
                statement,
                evidence,
            },
        ) => {
            if let Some(due) = response_due
                && context.at >= *due
            {
                return Err(ComplaintRule::ResponseWindowClosed { due: *due });
            }
            Ok(ComplaintChange::Responded {
                response: CounterNoticeResponse {
                    to_number: complaint.counter_notices.last().map_or(0, |n| n.number),
                    at: context.at,
                    statement: statement.clone(),
                    evidence: evidence.clone(),
                },
            })
        }
        (Stage::CounterNoticed { .. } | Stage::Responded, C::AcceptCounterNotice) => {
            Ok(ComplaintChange::ListingRestored {
                cause: RestorationCause::AcceptedByComplainant,
            })
        }
        (Stage::CounterNoticed { .. } | Stage::Responded, C::PlatformRestores) => {
            Ok(ComplaintChange::ListingRestored {
                cause: RestorationCause::AcceptedByPlatform,
            })
        }
        (Stage::CounterNoticed { response_due }, C::ResponseWindowElapsed) => match response_due {
            Some(due) if context.at >= *due => Ok(ComplaintChange::ListingRestored {
                cause: RestorationCause::HolderSilent,
            }),
            due => Err(ComplaintRule::DeadlineNotPassed { due: *due }),
        },
        (Stage::CounterNoticed { response_due }, C::RemindResponseDeadline) => match response_due {
            Some(due) if complaint.deadline_reminded == Some(*due) => {
                Err(ComplaintRule::AlreadyReminded { due: *due })
            }
            Some(due) if context.at >= policy.reminder_time(*due) && context.at < *due => {
                Ok(ComplaintChange::ResponseDeadlineReminded { due: *due })
            }
            due => Err(ComplaintRule::NoReminderDue { due: *due }),
        },
        (Stage::Submitted | Stage::InProgress { .. } | Stage::Responded, C::ReportStillListed) => {
            let checks = complaint.check_backs;
            Ok(ComplaintChange::StillListed {
                checks,
                escalate: checks >= policy.check_backs_before_escalation,
            })
        }
        // The platform's rule says the listing should be gone: seen up, a person must look.
        (Stage::RemovalExpected { .. }, C::ReportStillListed) => Ok(ComplaintChange::StillListed {
            checks: complaint.check_backs,
            escalate: true,
        }),
        (Stage::ListingRemoved { .. }, C::ReportStillListed) => match complaint.reappeared_at {
            Some(_) => Err(ComplaintRule::NotAllowedInState),
            None => Ok(ComplaintChange::Reappeared),
        },
        (
            Stage::Submitted
            | Stage::InProgress { .. }
            | Stage::Responded
            | Stage::RemovalExpected { .. },
            C::CheckBackDue,
        ) => Ok(ComplaintChange::CheckBackDue {
            number: complaint.check_backs.saturating_add(1),
        }),
        (Stage::ListingRemoved { .. }, C::WatchForReturn) => {
            match next_return_watch(complaint, policy) {
                Some(due) if context.at >= due => Ok(ComplaintChange::ReturnWatched {
                    number: complaint.check_backs.saturating_add(1),
                }),
                due => Err(ComplaintRule::DeadlineNotPassed { due }),
            }
        }
        (stage, C::FlagRightLapsed) if stage.status().is_open() => match complaint.right_lapsed {
            true => Err(ComplaintRule::AlreadyFlagged),
            false => Ok(ComplaintChange::RightLapsed {
                right: complaint.filed.right,
            }),
        },
        (stage, C::Retract { reason }) if stage.status().is_open() => {
            Ok(ComplaintChange::Retracted {
                reason: reason.clone(),
            })
        }
        (Stage::ListingRemoved { .. }, C::MarkRelisted { successor })
        | (Stage::UnableToProcess { .. }, C::MarkRefiled { successor })
            if *successor == complaint.id() =>
        {
            Err(ComplaintRule::SelfSuccessor)
        }
        (Stage::ListingRemoved { .. }, C::MarkRelisted { successor }) => {
            Ok(ComplaintChange::Relisted {
                successor: *successor,
            })
        }
        (Stage::UnableToProcess { .. }, C::MarkRefiled { successor }) => {
            Ok(ComplaintChange::Refiled {
                successor: *successor,
            })
        }
        _ => Err(ComplaintRule::NotAllowedInState),
    }
}
