//! Delivering the outbox: at least once, with exponential backoff and jitter, a limit of
//! attempts, and dead letters that a person can list and send again.

use std::hash::{BuildHasher, RandomState};

use chrono::Duration;

use super::{Background, Engine, EngineError};
use crate::clock::Clock;
use crate::notify::{MessageId, Notifier, NotifyError};
use crate::store::{Claim, Settlement, Store};

/// What one [`Jobs::dispatch`](crate::engine::Jobs::dispatch) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DispatchReport {
    /// Messages delivered and acknowledged.
    pub delivered: usize,
    /// Messages that failed and were scheduled for a retry.
    pub failed: usize,
    /// Messages that failed for good, or too often, and became dead letters.
    pub dead_lettered: usize,
}

impl DispatchReport {
    /// Whether any message was handled (so more may be waiting).
    pub fn handled_any(&self) -> bool {
        self.delivered + self.failed + self.dead_lettered > 0
    }
}

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    pub(super) async fn dispatch(&self) -> Result<DispatchReport, EngineError> {
        let inner = &self.inner;
        let config = &inner.config;
        let now = inner.clock.now();
        let mut report = DispatchReport::default();
        let claim = Claim {
            now,
            lease: self.lease(now, config.outbox_lease),
            limit: config.dispatch_batch,
        };
        let messages = inner.store.claim_outbox(claim).await?;
        for message in messages {
            let Err(error) = inner
                .notifier
                .send(&message.id, &message.notification)
                .await
            else {
                // A false answer means our lease ran out and another dispatcher took the
                // message over: it will deliver it again, and the receiver drops the repeat.
                inner
                    .store
                    .settle_outbox(
                        &message.id,
                        Settlement::Delivered {
                            owner: inner.worker,
                        },
                    )
                    .await?;
                report.delivered += 1;
                continue;
            };
            let (permanent, hint) = match &error {
                NotifyError::Permanent { .. } => (true, None),
                NotifyError::Temporary { retry_after, .. } => (false, *retry_after),
            };
            if permanent || message.attempts >= config.max_delivery_attempts {
                tracing::warn!(%error, id = %message.id, attempts = message.attempts, "dead letter");
                let settlement = Settlement::DeadLetter {
                    owner: inner.worker,
                    error: error.to_string(),
                };
                inner.store.settle_outbox(&message.id, settlement).await?;
                report.dead_lettered += 1;
            } else {
                let hinted = hint
                    .and_then(|d| Duration::from_std(d).ok())
                    .unwrap_or(Duration::zero());
                let delay = self.retry_delay(&message.id, message.attempts).max(hinted);
                let retry_at = now.checked_add_signed(delay).unwrap_or(now);
                tracing::info!(%error, id = %message.id, %retry_at, "delivery failed; will retry");
                let settlement = Settlement::Retry {
                    owner: inner.worker,
                    at: retry_at,
                };
                inner.store.settle_outbox(&message.id, settlement).await?;
                report.failed += 1;
            }
        }
        Ok(report)
    }

    /// Backoff before attempt `attempts + 1`: base x 2^(attempts-1), capped, then "equal
    /// jitter" (half fixed, half random) so that failures together do not retry together.
    fn retry_delay(&self, id: &MessageId, attempts: u32) -> Duration {
        let config = &self.inner.config;
        let factor = 1i32 << attempts.saturating_sub(1).min(20);
        let full = config
            .retry_base_delay
            .checked_mul(factor)
            .unwrap_or(config.retry_max_delay)
            .min(config.retry_max_delay);
        let half = full / 2;
        let random = RandomState::new().hash_one((id, attempts));
        let millis = half.num_milliseconds().max(1);
        half + Duration::milliseconds((random % millis.unsigned_abs()) as i64)
    }
}

/// A running background dispatcher: see [`Jobs::spawn_dispatcher`](crate::engine::Jobs::spawn_dispatcher).
pub type Dispatcher = Background;
