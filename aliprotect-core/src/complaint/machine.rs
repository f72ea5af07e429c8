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

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::decider::{Decider, Recorded, Refusal};
use crate::ids::{ComplaintId, RightId, TenantId};
use crate::party::Actor;
use crate::policy::MarketplacePolicy;
use crate::right::{IpRight, RightStatus};

use super::{
    Complaint, ComplaintChange, ComplaintCommand, ComplaintEvent, ComplaintFiling, ComplaintRule,
    ComplaintStatus, CounterNotice, CounterNoticeResponse, FollowUpKind, RestorationCause, Stage,
};

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

impl<'a> ComplaintContext<'a> {
    /// The context of a command `actor` issues at `at` under `policy`, on a complaint that
    /// rests on `right`: no complaint it follows, no open complaint known on its listing
    /// (set [`ComplaintContext::previous`] or [`ComplaintContext::open_on_listing`] for
    /// those).
    pub fn new(
        at: DateTime<Utc>,
        actor: Actor,
        policy: &'a MarketplacePolicy,
        right: Option<&'a IpRight>,
    ) -> Self {
        Self {
            at,
            actor,
            policy,
            right,
            previous: None,
            open_on_listing: None,
        }
    }
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
        let refuse =
            |rule| Refusal::new(state.as_ref().map(Complaint::status), command.name(), rule);
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
