//! The daily review of the filer's accuracy: a warning through the outbox while the filer
//! is at risk of falling below the platform's trusted-filer standards, or below them.

use super::{Engine, EngineError};
use crate::accuracy::Accuracy;
use crate::clock::Clock;
use crate::ids::TenantId;
use crate::notify::{MessageId, Notification, NotificationBody, Notifier};
use crate::store::{OutboxMessage, Store, StreamId};

/// What a daily review of the filer's accuracy found and did
/// ([`Engine::review_filer_accuracy`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AccuracyReview {
    /// The accuracy at the time of the review.
    pub accuracy: Accuracy,
    /// The warning queued, if the filer was at risk or below.
    pub warning: Option<Notification>,
}

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    /// Reviews the tenant's accuracy as a filer and, when it is at risk of falling below the
    /// policy's trusted-filer standards or already below them, queues a warning to the holder
    /// in the outbox ([`crate::notify::NotificationBody::FilerAccuracyWarning`] about
    /// [`StreamId::Filer`]), delivered by [`Engine::dispatch`] like every other notification.
    ///
    /// Run it once a day beside [`Engine::tick`]. The warning's id is the tenant and the
    /// day, so however many engines review the same day, the warning is queued once.
    pub async fn review_filer_accuracy(
        &self,
        tenant: TenantId,
    ) -> Result<AccuracyReview, EngineError> {
        let accuracy = self.filer_accuracy(tenant).await?;
        let Some(body) = NotificationBody::filer_accuracy_warning(&accuracy) else {
            return Ok(AccuracyReview {
                accuracy,
                warning: None,
            });
        };
        let now = self.inner.clock.now();
        let subject = StreamId::Filer(tenant);
        let day = now.timestamp().div_euclid(86_400);
        let id = MessageId {
            tenant,
            stream: subject,
            version: u64::try_from(day).unwrap_or(0),
        };
        let warning = Notification {
            tenant,
            subject,
            at: now,
            body,
        };
        let queued = self
            .inner
            .store
            .enqueue_outbox(OutboxMessage {
                id,
                notification: warning.clone(),
                attempts: 0,
                available_at: now,
            })
            .await?;
        tracing::info!(%tenant, standing = ?accuracy.standing, queued, "filer accuracy warning");
        Ok(AccuracyReview {
            accuracy,
            warning: Some(warning),
        })
    }
}
