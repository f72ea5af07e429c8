//! The daily review of the filer's accuracy: a warning, recorded on the tenant's filer record
//! and sent through the outbox, while the filer is at risk of falling below the platform's
//! trusted-filer standards, or below them.

use super::{Command, Engine, EngineError, Request};
use crate::accuracy::Accuracy;
use crate::clock::Clock;
use crate::filer::{AccuracyWarning, FilerCommand};
use crate::ids::TenantId;
use crate::notify::{Notification, NotificationBody, Notifier};
use crate::party::Actor;
use crate::store::{Receipt, Store, StreamId};

/// What a daily review of the filer's accuracy found and did
/// ([`Jobs::review_filer_accuracy`](crate::engine::Jobs::review_filer_accuracy)).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AccuracyReview {
    /// The accuracy at the time of the review.
    pub accuracy: Accuracy,
    /// The warning the filer's standing calls for, if it is at risk or below.
    pub warning: Option<Notification>,
    /// Where the warning was recorded on the filer's record: `None` when there was none to
    /// give, or the filer had been warned earlier the same UTC day (by this engine or
    /// another).
    pub recorded: Option<Receipt>,
}

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    pub(super) async fn review_filer_accuracy(
        &self,
        tenant: TenantId,
    ) -> Result<AccuracyReview, EngineError> {
        let accuracy = self.read().filer_accuracy(tenant).await?;
        let Some(warning) = AccuracyWarning::of(&accuracy) else {
            return Ok(AccuracyReview {
                accuracy,
                warning: None,
                recorded: None,
            });
        };
        let notification = Notification {
            tenant,
            subject: StreamId::Filer(tenant),
            at: self.inner.clock.now(),
            body: NotificationBody::from(&warning),
        };
        let request = Request::new(
            tenant,
            Actor::System,
            Command::Filer {
                command: FilerCommand::Warn { tenant, warning },
            },
        );
        let recorded = match self.execute(request).await {
            Ok(receipt) => Some(receipt),
            Err(EngineError::FilerRefused(_)) => None,
            Err(other) => return Err(other),
        };
        tracing::info!(
            %tenant,
            standing = ?accuracy.standing,
            recorded = recorded.is_some(),
            "filer accuracy warning"
        );
        Ok(AccuracyReview {
            accuracy,
            warning: Some(notification),
            recorded,
        })
    }
}
