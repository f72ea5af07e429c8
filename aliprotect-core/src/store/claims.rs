//! Work shared by every engine on a store: timers, outbox messages and pending cross-stream
//! work, each handed out under a lease.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::complaint::FollowUpKind;
use crate::ids::{ComplaintId, RightId, StreamId, TenantId, WorkerId};
use crate::notify::{MessageId, Notification, NotificationBody};

/// What a timer does when it falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TimerKind {
    /// The seller's answer window closes.
    SellerAnswerDeadline,
    /// The holder's response window after a counter-notice closes.
    ResponseDeadline,
    /// Remind the holder that the response window closes soon.
    ResponseDeadlineReminder,
    /// Look at the listing again.
    CheckBack,
    /// Remind the holder that a right expires soon.
    ExpiryReminder,
    /// The right expires.
    Expiry,
    /// A power of attorney's window ends.
    PowerExpiry,
    /// Look whether a removed listing came back.
    ReturnWatch,
}

/// A timer: at `due`, the engine fires a command on `stream`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timer {
    /// The stream's tenant.
    pub tenant: TenantId,
    /// The stream.
    pub stream: StreamId,
    /// What it does.
    pub kind: TimerKind,
    /// When.
    pub due: DateTime<Utc>,
}

/// A worker's request for shared work ([`Schedule::claim_due`](super::Schedule::claim_due),
/// [`Outbox::claim_outbox`](super::Outbox::claim_outbox)): what is available at `now`, at
/// most `limit` items of each part, leased as `lease` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// The time the claim is made at: what is due or free then is handed out.
    pub now: DateTime<Utc>,
    /// Who gets it, and until when no one else does.
    pub lease: Lease,
    /// At most this many items of each part.
    pub limit: usize,
}

/// What [`Schedule::claim_due`](super::Schedule::claim_due) hands one worker, all leased to
/// it: the due timers of the streams it claimed, and pending work.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Due {
    /// Due timers, earliest first.
    pub timers: Vec<Timer>,
    /// Pending work, oldest first.
    pub work: Vec<PendingWork>,
}

impl Due {
    /// Whether nothing was due.
    pub fn is_empty(&self) -> bool {
        self.timers.is_empty() && self.work.is_empty()
    }
}

/// A notification waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Its idempotency key.
    pub id: MessageId,
    /// The notification.
    pub notification: Notification,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Not handed out again before this instant.
    pub available_at: DateTime<Utc>,
}

impl OutboxMessage {
    /// A message never tried yet, to be delivered from `at`: the notification `body` about
    /// the stream and for the tenant of `id`, made at `at`.
    pub fn new(id: MessageId, at: DateTime<Utc>, body: NotificationBody) -> Self {
        Self {
            notification: Notification {
                tenant: id.tenant,
                subject: id.stream,
                at,
                body,
            },
            id,
            attempts: 0,
            available_at: at,
        }
    }
}

/// A message taken out of delivery (refused for good, or failing too often), kept for a
/// person to look at and retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The message as it was last attempted.
    pub message: OutboxMessage,
    /// The last delivery error.
    pub error: String,
}

/// What becomes of an outbox message: how [`Outbox::settle_outbox`](super::Outbox::settle_outbox)
/// ends a delivery attempt, or puts a dead letter back into delivery. Exhaustive on purpose:
/// a new way to settle is a change every backend must handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// Delivered: the message leaves the outbox. Only for the worker holding its claim.
    Delivered {
        /// The worker that claimed the message.
        owner: WorkerId,
    },
    /// The attempt failed and the message is tried again from `at`. Only for the worker
    /// holding its claim.
    Retry {
        /// The worker that claimed the message.
        owner: WorkerId,
        /// When the message is available again.
        at: DateTime<Utc>,
    },
    /// Delivery failed for good: the message becomes a dead letter kept with `error`, never
    /// claimed again unless revived. Only for the worker holding its claim.
    DeadLetter {
        /// The worker that claimed the message.
        owner: WorkerId,
        /// Why, for the person who looks at it.
        error: String,
    },
    /// A person sends a dead letter again: back into delivery at `at`, attempts reset.
    /// Only for a message that is a dead letter of the tenant in its id.
    Revive {
        /// When the message is available again.
        at: DateTime<Utc>,
    },
}

/// A claim on shared work (due timers, outbox messages, pending work): while it lasts, no
/// other worker is handed the same work. Work whose lease ran out is handed out again, so a
/// worker that died mid-way never strands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Lease {
    /// Who holds the claim.
    pub owner: WorkerId,
    /// When the claim lapses.
    pub until: DateTime<Utc>,
}

/// Work a command leaves for other streams, written in the command's own commit and carried
/// out afterwards as ordinary commands by the `System` actor (see [`PendingWork`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FollowUpWork {
    /// A right was approved: submit every complaint staged against it.
    ReleaseStaged {
        /// The right.
        right: RightId,
    },
    /// A right expired: flag its open complaints to a person.
    FlagLapsedComplaints {
        /// The right.
        right: RightId,
    },
    /// The store's policy changed: recompute every stream's timers under the new one.
    RescheduleTimers,
    /// A complaint was filed as a relisting or refiling: mark the complaint it follows.
    MarkPredecessor {
        /// The complaint followed.
        previous: ComplaintId,
        /// The new complaint.
        successor: ComplaintId,
        /// Relisting or refiling.
        kind: FollowUpKind,
    },
}

/// The key of pending work: the commit that caused it (a commit causes at most one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WorkId {
    /// The tenant of the causing stream.
    pub tenant: TenantId,
    /// The causing stream.
    pub stream: StreamId,
    /// The stream's version after the causing commit.
    pub version: u64,
}

impl fmt::Display for WorkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}@{}", self.tenant, self.stream, self.version)
    }
}

/// Cross-stream work waiting to be carried out: committed with the command that causes it,
/// claimed by one worker at a time, removed once done. Doing it twice is harmless (the
/// deciders refuse a second release or mark), so "at least once" is "exactly once in effect".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingWork {
    /// Its key.
    pub id: WorkId,
    /// What to do.
    pub follow_up: FollowUpWork,
    /// Who holds it and until when. A commit writes it already claimed by the committing
    /// worker, which carries it out at once; if that worker dies, the lease runs out and any
    /// other worker's [`Jobs::tick`](crate::engine::Jobs::tick) takes it over.
    pub lease: Lease,
}
