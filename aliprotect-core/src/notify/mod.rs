//! Notifications for every event that needs a person, and the trait that delivers them.
//!
//! The engine writes notifications to the store's outbox in the same commit as the events
//! that caused them, so a crash never loses one; [`crate::engine::Jobs::dispatch`] then
//! hands them to a [`Notifier`]. Delivery is at least once: each message carries a stable
//! [`MessageId`] that receivers use to drop duplicates.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

mod composite;

pub use composite::CompositeNotifier;

use crate::accuracy::{Accuracy, Standing};
use crate::complaint::{ComplaintReason, RemovalCause, RestorationCause};
use crate::filer::AccuracyWarning;
use crate::ids::StreamId;
use crate::ids::{ComplaintId, RightId, TenantId};
use crate::right::Fix;
use crate::text::Text;

/// What a person needs to hear about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum NotificationBody {
    /// The platform approved a right.
    RightApproved,
    /// The platform rejected a right.
    RightRejected {
        /// Its reason, verbatim.
        reason: Text,
        /// What to fix.
        fixes: Vec<Fix>,
    },
    /// A right expires soon.
    RightExpiring {
        /// When.
        expires_on: NaiveDate,
    },
    /// The platform will not act on a complaint.
    ComplaintUnableToProcess {
        /// Its reason, verbatim.
        reason: Text,
    },
    /// A seller disputes a complaint.
    CounterNoticeReceived {
        /// When silence restores the listing, if the policy says so.
        response_due: Option<DateTime<Utc>>,
    },
    /// A listing came down.
    ListingRemoved {
        /// How.
        cause: RemovalCause,
    },
    /// A listing stays up after a counter-notice.
    ListingRestored {
        /// Why.
        cause: RestorationCause,
    },
    /// Time to look at a listing again: removals are not announced.
    CheckBackDue {
        /// 1 for the first check-back.
        number: u32,
    },
    /// The window to answer a counter-notice closes soon; silence restores the listing.
    DeadlineApproaching {
        /// When it closes.
        due: DateTime<Utc>,
    },
    /// Check-backs keep finding the listing up: a person should look at it.
    StillListed {
        /// Check-backs so far.
        checks: u32,
    },
    /// A removed listing was seen up again by a watch for its return: file against it again
    /// (as a relisting) if it still infringes.
    ListingReappeared,
    /// A right expired (protection ended): no new complaint may rest on it.
    RightExpired,
    /// The right this open complaint rests on lapsed: a person should decide whether to
    /// renew the right, retract the complaint or let it run.
    RightLapsed {
        /// The right.
        right: RightId,
    },
    /// A removed listing reappeared; `successor` is the complaint against it.
    RelistingDetected {
        /// The complaint against the relisting.
        successor: ComplaintId,
    },
    /// The filer's own accuracy is close to the platform's trusted-filer standards, or past
    /// them (about [`StreamId::Filer`]); see [`crate::accuracy`].
    FilerAccuracyWarning {
        /// `AtRisk` or `Below`.
        standing: Standing,
        /// Takedown rate over the window, in tenths of a percent.
        takedown_per_mille: Option<u32>,
        /// Successful counter-notice rate (decided complaints lost to a counter-notice)
        /// over the window, in tenths of a percent.
        successful_counter_notice_per_mille: Option<u32>,
        /// The complaint reasons at risk or below on their own.
        reasons: Vec<ComplaintReason>,
    },
}

/// One notification about one stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The tenant it is for.
    pub tenant: TenantId,
    /// The right or complaint it is about.
    pub subject: StreamId,
    /// When the event that caused it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub body: NotificationBody,
}

/// A notification's idempotency key: the event that caused it, so retries and duplicate
/// dispatches carry the same key. The tenant is part of it: two tenants may use the same
/// stream id, and their messages are different messages.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageId {
    /// The tenant of the stream.
    pub tenant: TenantId,
    /// The stream of the event.
    pub stream: StreamId,
    /// The event's version in its stream; for a [`StreamId::Filer`] subject, the day of the
    /// review that raised it (days since 1970-01-01).
    pub version: u64,
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}@{}", self.tenant, self.stream, self.version)
    }
}

/// Why a notification was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// Worth retrying later (timeouts, 5xx, 429, connection refused).
    #[error("temporary delivery failure: {reason}")]
    Temporary {
        /// What went wrong.
        reason: String,
        /// The receiver asked not to retry before this long (HTTP `Retry-After`).
        retry_after: Option<std::time::Duration>,
    },
    /// Retrying will not help (the receiver refused the message).
    #[error("permanent delivery failure: {reason}")]
    Permanent {
        /// What went wrong.
        reason: String,
    },
}

impl NotifyError {
    /// A temporary failure without a retry hint.
    pub fn temporary(reason: impl Into<String>) -> Self {
        NotifyError::Temporary {
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// A permanent failure.
    pub fn permanent(reason: impl Into<String>) -> Self {
        NotifyError::Permanent {
            reason: reason.into(),
        }
    }
}

/// Delivers notifications (webhook, email, a queue...).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    /// Delivers one notification. Called at least once per message; `id` is the same on
    /// every call for the same message.
    async fn send(&self, id: &MessageId, notification: &Notification) -> Result<(), NotifyError>;
}

/// A notifier that drops everything: for embedders who read the outbox another way.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiscardNotifier;

#[async_trait]
impl Notifier for DiscardNotifier {
    async fn send(&self, _: &MessageId, _: &Notification) -> Result<(), NotifyError> {
        Ok(())
    }
}

impl NotificationBody {
    /// The warning to send a filer whose `accuracy` is at risk or below: overall figures,
    /// and the reasons at risk or below on their own. `None` while the standing is good.
    pub fn filer_accuracy_warning(accuracy: &Accuracy) -> Option<Self> {
        AccuracyWarning::of(accuracy).as_ref().map(Self::from)
    }

    /// A stable name of the kind of notification, for routing and templates
    /// (`right_approved`, `counter_notice_received`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            NotificationBody::RightApproved => "right_approved",
            NotificationBody::RightRejected { .. } => "right_rejected",
            NotificationBody::RightExpiring { .. } => "right_expiring",
            NotificationBody::ComplaintUnableToProcess { .. } => "complaint_unable_to_process",
            NotificationBody::CounterNoticeReceived { .. } => "counter_notice_received",
            NotificationBody::ListingRemoved { .. } => "listing_removed",
            NotificationBody::ListingRestored { .. } => "listing_restored",
            NotificationBody::CheckBackDue { .. } => "check_back_due",
            NotificationBody::DeadlineApproaching { .. } => "deadline_approaching",
            NotificationBody::StillListed { .. } => "still_listed",
            NotificationBody::ListingReappeared => "listing_reappeared",
            NotificationBody::RightExpired => "right_expired",
            NotificationBody::RightLapsed { .. } => "right_lapsed",
            NotificationBody::RelistingDetected { .. } => "relisting_detected",
            NotificationBody::FilerAccuracyWarning { .. } => "filer_accuracy_warning",
        }
    }
}

#[async_trait]
impl<N: Notifier + ?Sized> Notifier for std::sync::Arc<N> {
    async fn send(&self, id: &MessageId, notification: &Notification) -> Result<(), NotifyError> {
        (**self).send(id, notification).await
    }
}

impl From<&AccuracyWarning> for NotificationBody {
    fn from(warning: &AccuracyWarning) -> Self {
        let AccuracyWarning {
            standing,
            takedown_per_mille,
            successful_counter_notice_per_mille,
            reasons,
        } = warning.clone();
        Self::FilerAccuracyWarning {
            standing,
            takedown_per_mille,
            successful_counter_notice_per_mille,
            reasons,
        }
    }
}
