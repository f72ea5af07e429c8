//! The IP right state machine: register, submit, review, the rejection-retry loop, and the end
//! of a right's life.
//!
//! ```text
//! Draft --Submit--> Submitted --BeginReview--> UnderReview --Approve--> Approved --Expire--> Expired
//!   ^                   ^                          |                      | \--Withdraw--> Withdrawn
//!   Amend               +------Submit (attempt+1)--Rejected --Abandon--> Abandoned
//!                        (only once amended since) ^ Amend              Renew (new expiry)
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::package::{PackageProblem, SubmissionPackage};
use crate::decider::{Decider, Recorded, Refusal};
use crate::evidence::{Evidence, EvidenceKind};
use crate::ids::{RightId, TenantId};
use crate::party::Actor;
use crate::policy::MarketplacePolicy;
use crate::text::Text;

use super::{Fix, IpRight, RejectionRecord, RightStatus};

/// What may be asked of a right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RightCommand {
    /// Create the right as a draft.
    Register {
        /// The new right's id.
        id: RightId,
        /// Its tenant.
        tenant: TenantId,
        /// What will be submitted.
        package: Box<SubmissionPackage>,
    },
    /// Replace the package (in draft, or after a rejection).
    Amend {
        /// The new package.
        package: Box<SubmissionPackage>,
    },
    /// Send to the platform (first try or resubmission); the package must pass its check.
    Submit,
    /// The platform starts reviewing.
    BeginReview,
    /// The platform accepts the right.
    Approve,
    /// The platform refuses the right.
    Reject {
        /// The platform's reason, verbatim.
        reason: Text,
        /// What must be fixed.
        fixes: Vec<Fix>,
    },
    /// Timer: the registration expires soon (within the policy's reminder lead).
    RemindExpiry,
    /// Protection has ended (at or after the registration's expiry date).
    Expire,
    /// The holder renewed the registration with its office: a new expiry date, and the
    /// renewal certificate (or new registration certificate) proving it.
    Renew {
        /// The new expiry date.
        expires_on: chrono::NaiveDate,
        /// The renewal document.
        document: Evidence,
    },
    /// The holder withdraws an approved right.
    Withdraw {
        /// Why, if given.
        reason: Option<Text>,
    },
    /// The holder gives up on a rejected right.
    Abandon {
        /// Why, if given.
        reason: Option<Text>,
    },
}

impl RightCommand {
    /// The command's name, as refusals report it.
    pub fn name(&self) -> &'static str {
        match self {
            RightCommand::Register { .. } => "Register",
            RightCommand::Amend { .. } => "Amend",
            RightCommand::Submit => "Submit",
            RightCommand::BeginReview => "BeginReview",
            RightCommand::Approve => "Approve",
            RightCommand::Reject { .. } => "Reject",
            RightCommand::RemindExpiry => "RemindExpiry",
            RightCommand::Expire => "Expire",
            RightCommand::Renew { .. } => "Renew",
            RightCommand::Withdraw { .. } => "Withdraw",
            RightCommand::Abandon { .. } => "Abandon",
        }
    }
}

/// What happened to a right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RightChange {
    /// Created as a draft.
    Registered {
        /// Its id.
        id: RightId,
        /// Its tenant.
        tenant: TenantId,
        /// The package.
        package: Box<SubmissionPackage>,
    },
    /// The package was replaced.
    Amended {
        /// The new package.
        package: Box<SubmissionPackage>,
    },
    /// Sent to the platform.
    Submitted {
        /// Which try this is (1 for the first).
        attempt: u32,
    },
    /// The platform started reviewing.
    ReviewStarted,
    /// Accepted.
    Approved,
    /// Refused.
    Rejected {
        /// The platform's reason, verbatim.
        reason: Text,
        /// What must be fixed.
        fixes: Vec<Fix>,
    },
    /// A reminder of the coming expiry was due.
    ExpiryReminded {
        /// The expiry date reminded of.
        expires_on: chrono::NaiveDate,
    },
    /// Protection ended.
    Expired,
    /// The registration was renewed.
    Renewed {
        /// The new expiry date.
        expires_on: chrono::NaiveDate,
        /// The renewal document.
        document: Evidence,
    },
    /// Withdrawn by the holder.
    Withdrawn {
        /// Why, if given.
        reason: Option<Text>,
    },
    /// Given up.
    Abandoned {
        /// Why, if given.
        reason: Option<Text>,
    },
}

/// A stored event of a right.
pub type RightEvent = Recorded<RightChange>;

/// The rule a refused right command broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RightRule {
    /// The right does not exist yet.
    #[error("the right is not registered")]
    NotRegistered,
    /// `Register` on an existing right.
    #[error("the right is already registered")]
    AlreadyRegistered,
    /// The command is not allowed in the current state.
    #[error("not allowed in this state")]
    NotAllowedInState,
    /// An amendment that changes the kind of right (a new kind is a new right).
    #[error("an amendment cannot change the kind of right")]
    KindChanged,
    /// The package has problems; every one is listed.
    #[error("the package is incomplete: {}", list(.0))]
    PackageIncomplete(Vec<PackageProblem>),
    /// The policy's limit of submissions is used up.
    #[error("all {limit} submissions allowed are used")]
    AttemptLimitReached {
        /// The policy's limit.
        limit: u32,
    },
    /// `RemindExpiry` before the reminder lead, or on a right without an expiry date.
    #[error("the registration does not expire soon (expires on {})", day_or_never(.expires_on))]
    NotExpiringSoon {
        /// The expiry date, if the registration has one.
        expires_on: Option<chrono::NaiveDate>,
    },
    /// `RemindExpiry` twice for the same expiry date.
    #[error("a reminder for the expiry on {expires_on} was already sent")]
    AlreadyReminded {
        /// The expiry date.
        expires_on: chrono::NaiveDate,
    },
    /// A resubmission after a rejection without any amendment since: the platform would
    /// reject it again, and it would use up one of the limited attempts.
    #[error("nothing changed since the rejection ({}); amend the package first", fix_list(.reason, .fixes))]
    UnchangedSinceRejection {
        /// The rejection's reason, verbatim.
        reason: Text,
        /// What it asked to fix.
        fixes: Vec<Fix>,
    },
    /// An amendment that changes nothing.
    #[error("the amended package is the same as the current one")]
    NoChange,
    /// A renewal whose expiry date is not after the current one.
    #[error("the renewal's expiry date {renewed} is not after the current one ({})", day_or_never(.current))]
    RenewalNotLater {
        /// The date given.
        renewed: chrono::NaiveDate,
        /// The current expiry date, if any.
        current: Option<chrono::NaiveDate>,
    },
    /// A renewal document that is neither a renewal nor a registration certificate.
    #[error("a renewal needs a renewal-document or a registration certificate, not a {0}")]
    NotARenewalDocument(EvidenceKind),
    /// `Expire` before the registration's expiry date, or on a right with none.
    #[error("the registration has not expired (expires on {})", day_or_never(.expires_on))]
    NotExpired {
        /// The expiry date, if the registration has one.
        expires_on: Option<chrono::NaiveDate>,
    },
}

/// Why a right command was refused.
pub type RightRefusal = Refusal<RightStatus, RightRule>;

/// What deciding a right command may read.
#[derive(Debug, Clone, Copy)]
pub struct RightContext<'a> {
    /// Now.
    pub at: DateTime<Utc>,
    /// Who issues the command.
    pub actor: Actor,
    /// The platform's rules.
    pub policy: &'a MarketplacePolicy,
}

/// The IP right state machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct RightDecider;

impl Decider for RightDecider {
    type State = Option<IpRight>;
    type Command = RightCommand;
    type Event = RightEvent;
    type Context<'a> = RightContext<'a>;
    type Refusal = RightRefusal;

    fn initial_state() -> Self::State {
        None
    }

    fn decide(
        state: &Option<IpRight>,
        command: &RightCommand,
        context: &RightContext<'_>,
    ) -> Result<Vec<RightEvent>, RightRefusal> {
        let refuse = |rule| Refusal::new(state.as_ref().map(|r| r.status), command.name(), rule);
        let change = match state {
            None => match command {
                RightCommand::Register {
                    id,
                    tenant,
                    package,
                } => RightChange::Registered {
                    id: *id,
                    tenant: *tenant,
                    package: package.clone(),
                },
                _ => return Err(refuse(RightRule::NotRegistered)),
            },
            Some(right) => decide_existing(right, command, context).map_err(refuse)?,
        };
        Ok(vec![Recorded {
            at: context.at,
            actor: context.actor,
            change,
        }])
    }

    fn evolve(state: Option<IpRight>, event: &RightEvent) -> Option<IpRight> {
        let Some(mut right) = state else {
            return match &event.change {
                RightChange::Registered {
                    id,
                    tenant,
                    package,
                } => Some(IpRight {
                    id: *id,
                    tenant: *tenant,
                    package: SubmissionPackage::clone(package),
                    status: RightStatus::Draft,
                    attempts: 0,
                    rejections: Vec::new(),
                    approved_at: None,
                    expiry_reminded_for: None,
                    changed_since_rejection: true,
                }),
                other => {
                    tracing::warn!(?other, "right event before registration ignored");
                    None
                }
            };
        };
        match &event.change {
            RightChange::Registered { .. } => {
                tracing::warn!(right = %right.id, "second registration event ignored");
            }
            RightChange::Amended { package } => {
                right.package = SubmissionPackage::clone(package);
                right.changed_since_rejection = true;
            }
            RightChange::Submitted { attempt } => {
                right.status = RightStatus::Submitted;
                right.attempts = right.attempts.max(*attempt);
            }
            RightChange::ReviewStarted => right.status = RightStatus::UnderReview,
            RightChange::Approved => {
                right.status = RightStatus::Approved;
                right.approved_at = Some(event.at);
            }
            RightChange::Rejected { reason, fixes } => {
                right.status = RightStatus::Rejected;
                right.changed_since_rejection = false;
                right.rejections.push(RejectionRecord {
                    attempt: right.attempts,
                    at: event.at,
                    reason: reason.clone(),
                    fixes: fixes.clone(),
                });
            }
            RightChange::ExpiryReminded { expires_on } => {
                right.expiry_reminded_for = Some(*expires_on);
            }
            RightChange::Expired => right.status = RightStatus::Expired,
            RightChange::Renewed {
                expires_on,
                document,
            } => {
                right.package.registration.set_expires_on(*expires_on);
                right.package.evidence.push(document.clone());
            }
            RightChange::Withdrawn { .. } => right.status = RightStatus::Withdrawn,
            RightChange::Abandoned { .. } => right.status = RightStatus::Abandoned,
        }
        Some(right)
    }
}

fn decide_existing(
    right: &IpRight,
    command: &RightCommand,
    context: &RightContext<'_>,
) -> Result<RightChange, RightRule> {
    use RightStatus as S;
    match (right.status, command) {
        (_, RightCommand::Register { .. }) => Err(RightRule::AlreadyRegistered),
        (S::Draft | S::Rejected, RightCommand::Amend { package }) => {
            if package.kind() != right.package.kind() {
                return Err(RightRule::KindChanged);
            }
            if **package == right.package {
                return Err(RightRule::NoChange);
            }
            Ok(RightChange::Amended {
                package: package.clone(),
            })
        }
        (S::Draft | S::Rejected, RightCommand::Submit) => {
            if let Some(limit) = context.policy.max_right_submissions
                && right.attempts >= limit
            {
                return Err(RightRule::AttemptLimitReached { limit });
            }
            let problems = right.package.check(right.id, context.at);
            if !problems.is_empty() {
                return Err(RightRule::PackageIncomplete(problems));
            }
            if let (S::Rejected, Some(rejection)) = (right.status, right.last_rejection())
                && !right.changed_since_rejection
            {
                return Err(RightRule::UnchangedSinceRejection {
                    reason: rejection.reason.clone(),
                    fixes: rejection.fixes.clone(),
                });
            }
            Ok(RightChange::Submitted {
                attempt: right.attempts + 1,
            })
        }
        (S::Submitted, RightCommand::BeginReview) => Ok(RightChange::ReviewStarted),
        (S::UnderReview, RightCommand::Approve) => Ok(RightChange::Approved),
        (S::UnderReview, RightCommand::Reject { reason, fixes }) => Ok(RightChange::Rejected {
            reason: reason.clone(),
            fixes: fixes.clone(),
        }),
        (S::Approved, RightCommand::RemindExpiry) => {
            let expires_on = right.package.registration.expires_on();
            match expires_on {
                Some(day) if right.expiry_reminded_for == Some(day) => {
                    Err(RightRule::AlreadyReminded { expires_on: day })
                }
                Some(day) if context.at.date_naive() >= reminder_day(day, context.policy) => {
                    Ok(RightChange::ExpiryReminded { expires_on: day })
                }
                _ => Err(RightRule::NotExpiringSoon { expires_on }),
            }
        }
        (S::Approved, RightCommand::Expire) => {
            let expires_on = right.package.registration.expires_on();
            match expires_on {
                Some(day) if day <= context.at.date_naive() => Ok(RightChange::Expired),
                _ => Err(RightRule::NotExpired { expires_on }),
            }
        }
        (
            S::Approved,
            RightCommand::Renew {
                expires_on,
                document,
            },
        ) => {
            if !(document.kind.is_certificate() || document.kind == EvidenceKind::RenewalDocument) {
                return Err(RightRule::NotARenewalDocument(document.kind));
            }
            let current = right.package.registration.expires_on();
            if current.is_some_and(|current| *expires_on <= current) {
                return Err(RightRule::RenewalNotLater {
                    renewed: *expires_on,
                    current,
                });
            }
            Ok(RightChange::Renewed {
                expires_on: *expires_on,
                document: document.clone(),
            })
        }
        (S::Approved, RightCommand::Withdraw { reason }) => Ok(RightChange::Withdrawn {
            reason: reason.clone(),
        }),
        (S::Rejected, RightCommand::Abandon { reason }) => Ok(RightChange::Abandoned {
            reason: reason.clone(),
        }),
        _ => Err(RightRule::NotAllowedInState),
    }
}

/// The first day an expiry reminder is due for a registration expiring on `expires_on`.
pub fn reminder_day(
    expires_on: chrono::NaiveDate,
    policy: &MarketplacePolicy,
) -> chrono::NaiveDate {
    expires_on
        .checked_sub_days(chrono::Days::new(u64::from(policy.expiry_reminder_days)))
        .unwrap_or(chrono::NaiveDate::MIN)
}

fn day_or_never(day: &Option<chrono::NaiveDate>) -> String {
    day.map_or_else(|| "never".to_owned(), |day| day.to_string())
}

fn fix_list(reason: &Text, fixes: &[Fix]) -> String {
    let mut said = format!("the platform said: {}", reason.as_str());
    for fix in fixes {
        said.push_str("; fix: ");
        said.push_str(fix.instruction.as_str());
    }
    said
}

fn list(problems: &[PackageProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
