//! The daily review of the filer's accuracy: a warning through the outbox while the filer
//! is at risk of falling below the platform's trusted-filer standards, or below them.

use super::{Engine, EngineError};
use crate::accuracy::Accuracy;
use crate::clock::Clock;
use crate::ids::TenantId;
use crate::notify::{MessageId, Notification, NotificationBody, Notifier};
use crate::store::{OutboxMessage, Store, StreamId};

/// What a daily review of the filer's accuracy found and did
/// ([`Jobs::review_filer_accuracy`](crate::engine::Jobs::review_filer_accuracy)).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AccuracyReview {
    /// The accuracy at the time of the review.
    pub accuracy: Accuracy,
    /// The warning queued, if the filer was at risk or below.
    pub warning: Option<Notification>,
}

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    pub(super) async fn review_filer_accuracy(
        &self,
        tenant: TenantId,
    ) -> Result<AccuracyReview, EngineError> {
        let accuracy = self.read().filer_accuracy(tenant).await?;
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
