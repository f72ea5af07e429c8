//! What a new state and its events imply besides themselves: the stream's timers and the
//! notifications to send. Pure functions, so every backend gets the same answers.

use chrono::{DateTime, NaiveDate, Utc};

use crate::complaint::{ComplaintChange, ComplaintCommand, Stage, next_return_watch};
use crate::filer::FilerChange;
use crate::ids::TenantId;
use crate::notify::{MessageId, NotificationBody};
use crate::policy::MarketplacePolicy;
use crate::power::{PowerCommand, PowerStatus};
use crate::right::{RightChange, RightCommand, RightStatus, reminder_day};
use crate::store::{
    DomainEvent, FollowUpWork, OutboxMessage, Snapshot, StreamId, Timer, TimerKind,
};

use super::Command;

/// The timers a stream in `snapshot` should have: they replace its previous timers.
pub(crate) fn timers_for(
    tenant: TenantId,
    stream: StreamId,
    snapshot: &Snapshot,
    policy: &MarketplacePolicy,
) -> Vec<Timer> {
    let timer = |kind, due| Timer {
        tenant,
        stream,
        kind,
        due,
    };
    let mut timers = Vec::new();
    match snapshot {
        Snapshot::Complaint(complaint) => {
            match complaint.stage {
                Stage::InProgress {
                    seller_answer_due: Some(due),
                } => timers.push(timer(TimerKind::SellerAnswerDeadline, due)),
                Stage::CounterNoticed {
                    response_due: Some(due),
                } => {
                    timers.push(timer(TimerKind::ResponseDeadline, due));
                    if complaint.deadline_reminded != Some(due) {
                        let remind_at = policy.reminder_time(due);
                        timers.push(timer(TimerKind::ResponseDeadlineReminder, remind_at));
                    }
                }
                _ => {}
            }
            // The platform announces no removal: look again one review period after the
            // last thing that happened, for as long as the complaint is with the platform.
            match complaint.stage {
                Stage::Submitted | Stage::InProgress { .. } | Stage::Responded => {
                    let due = policy
                        .calendar
                        .deadline(complaint.updated_at, policy.complaint_review);
                    timers.push(timer(TimerKind::CheckBack, due));
                }
                // A removal is expected but not seen: look at once, then every review period.
                Stage::RemovalExpected { since } => {
                    let due = match complaint.checked_at {
                        Some(checked) if checked >= since => policy
                            .calendar
                            .deadline(complaint.updated_at, policy.complaint_review),
                        _ => since,
                    };
                    timers.push(timer(TimerKind::CheckBack, due));
                }
                Stage::ListingRemoved { .. } => {
                    if let Some(due) = next_return_watch(complaint, policy) {
                        timers.push(timer(TimerKind::ReturnWatch, due));
                    }
                }
                _ => {}
            }
        }
        Snapshot::Right(right) => {
            if right.status == RightStatus::Approved
                && let Some(expires_on) = right.package.registration.expires_on()
            {
                if right.expiry_reminded_for != Some(expires_on) {
                    let day = reminder_day(expires_on, policy);
                    timers.push(timer(TimerKind::ExpiryReminder, midnight_utc(day)));
                }
                timers.push(timer(TimerKind::Expiry, midnight_utc(expires_on)));
            }
        }
        Snapshot::Power(power) => {
            if power.status == PowerStatus::InForce
                && let Some(until) = power.grant.valid_until
            {
                timers.push(timer(TimerKind::PowerExpiry, until));
            }
        }
        // An extension's owner schedules its own work: the engine fires nothing for it.
        Snapshot::Campaign(_)
        | Snapshot::Policy(_)
        | Snapshot::Filer(_)
        | Snapshot::Extension(_) => {}
    }
    timers
}

fn midnight_utc(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// The command a due timer fires.
pub(crate) fn timer_command(timer: &Timer) -> Option<Command> {
    let command = match (timer.stream, timer.kind) {
        (StreamId::Complaint(id), kind) => {
            let command = match kind {
                TimerKind::SellerAnswerDeadline => ComplaintCommand::SellerAnswerWindowElapsed,
                TimerKind::ResponseDeadline => ComplaintCommand::ResponseWindowElapsed,
                TimerKind::CheckBack => ComplaintCommand::CheckBackDue,
                TimerKind::ResponseDeadlineReminder => ComplaintCommand::RemindResponseDeadline,
                TimerKind::ReturnWatch => ComplaintCommand::WatchForReturn,
                TimerKind::ExpiryReminder | TimerKind::Expiry | TimerKind::PowerExpiry => {
                    return None;
                }
            };
            Command::Complaint { id, command }
        }
        (StreamId::Right(id), kind) => {
            let command = match kind {
                TimerKind::ExpiryReminder => RightCommand::RemindExpiry,
                TimerKind::Expiry => RightCommand::Expire,
                TimerKind::SellerAnswerDeadline
                | TimerKind::ResponseDeadline
                | TimerKind::ResponseDeadlineReminder
                | TimerKind::CheckBack
                | TimerKind::ReturnWatch
                | TimerKind::PowerExpiry => return None,
            };
            Command::Right { id, command }
        }
        (StreamId::Power(id), TimerKind::PowerExpiry) => Command::Power {
            id,
            command: PowerCommand::Expire,
        },
        (
            StreamId::Filer(_)
            | StreamId::Power(_)
            | StreamId::Campaign(_)
            | StreamId::Policy
            | StreamId::Extension { .. },
            _,
        ) => {
            return None;
        }
    };
    Some(command)
}

/// The notification an event calls for, if any.
fn notification_body(event: &DomainEvent) -> Option<NotificationBody> {
    let body = match event {
        DomainEvent::Right(event) => match &event.change {
            RightChange::Approved => NotificationBody::RightApproved,
            RightChange::Rejected { reason, fixes } => NotificationBody::RightRejected {
                reason: reason.clone(),
                fixes: fixes.clone(),
            },
            RightChange::ExpiryReminded { expires_on } => NotificationBody::RightExpiring {
                expires_on: *expires_on,
            },
            RightChange::Expired => NotificationBody::RightExpired,
            _ => return None,
        },
        DomainEvent::Complaint(event) => match &event.change {
            ComplaintChange::UnableToProcess { reason } => {
                NotificationBody::ComplaintUnableToProcess {
                    reason: reason.clone(),
                }
            }
            ComplaintChange::CounterNoticeReceived { response_due, .. } => {
                NotificationBody::CounterNoticeReceived {
                    response_due: *response_due,
                }
            }
            ComplaintChange::ListingRemoved { cause } => NotificationBody::ListingRemoved {
                cause: cause.clone(),
            },
            ComplaintChange::ListingRestored { cause } => {
                NotificationBody::ListingRestored { cause: *cause }
            }
            ComplaintChange::CheckBackDue { number } => {
                NotificationBody::CheckBackDue { number: *number }
            }
            ComplaintChange::ResponseDeadlineReminded { due } => {
                NotificationBody::DeadlineApproaching { due: *due }
            }
            ComplaintChange::StillListed {
                checks,
                escalate: true,
            } => NotificationBody::StillListed { checks: *checks },
            ComplaintChange::Relisted { successor } => NotificationBody::RelistingDetected {
                successor: *successor,
            },
            ComplaintChange::Reappeared => NotificationBody::ListingReappeared,
            ComplaintChange::RightLapsed { right } => {
                NotificationBody::RightLapsed { right: *right }
            }
            _ => return None,
        },
        DomainEvent::Filer(event) => match &event.change {
            FilerChange::Warned { warning, .. } => NotificationBody::from(warning),
        },
        DomainEvent::Power(_)
        | DomainEvent::Campaign(_)
        | DomainEvent::Policy(_)
        | DomainEvent::Extension(_) => return None,
    };
    Some(body)
}

/// The work on other streams that `events` cause: an approval releases the right's staged
/// complaints; a relisting or refiling marks the complaint it follows.
pub(crate) fn work_for(stream: StreamId, events: &[DomainEvent]) -> Option<FollowUpWork> {
    events.iter().find_map(|event| match (stream, event) {
        (StreamId::Right(right), DomainEvent::Right(event)) => match event.change {
            RightChange::Approved => Some(FollowUpWork::ReleaseStaged { right }),
            RightChange::Expired => Some(FollowUpWork::FlagLapsedComplaints { right }),
            _ => None,
        },
        (StreamId::Policy, DomainEvent::Policy(event)) => match event.change {
            crate::policy::PolicyChange::Changed { .. } => Some(FollowUpWork::RescheduleTimers),
            crate::policy::PolicyChange::Adopted { .. } => None,
        },
        (
            _,
            DomainEvent::Right(_)
            | DomainEvent::Power(_)
            | DomainEvent::Campaign(_)
            | DomainEvent::Policy(_)
            | DomainEvent::Filer(_)
            | DomainEvent::Extension(_),
        ) => None,
        (_, DomainEvent::Complaint(event)) => match &event.change {
            ComplaintChange::Filed { filing, .. } => {
                filing.follows.map(|follows| FollowUpWork::MarkPredecessor {
                    previous: follows.previous,
                    successor: filing.id,
                    kind: follows.kind,
                })
            }
            _ => None,
        },
    })
}

/// The outbox messages for `events`, appended after `first_version - 1`.
pub(crate) fn outbox_for(
    tenant: TenantId,
    stream: StreamId,
    first_version: u64,
    events: &[DomainEvent],
    at: DateTime<Utc>,
) -> Vec<OutboxMessage> {
    events
        .iter()
        .zip(first_version..)
        .filter_map(|(event, version)| {
            let body = notification_body(event)?;
            let id = MessageId {
                tenant,
                stream,
                version,
            };
            Some(OutboxMessage::new(id, at, body))
        })
        .collect()
}
