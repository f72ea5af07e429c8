//! Delivering the outbox: at least once, with exponential backoff and jitter, a limit of
//! attempts, and dead letters that a person can list and send again.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration as StdDuration;

use chrono::Duration;

use super::{Background, Engine, EngineError};
use crate::clock::Clock;
use crate::ids::TenantId;
use crate::notify::{MessageId, Notifier, NotifyError};
use crate::store::{DeadLetter, Settlement, Store};

/// What one [`Engine::dispatch`] did.
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
    /// Delivers the outbox messages available now, one step of the dispatcher: each is
    /// acknowledged on success; on failure it is retried later with exponential backoff and
    /// jitter (never sooner than the receiver's `Retry-After`), or becomes a dead letter when
    /// the receiver refused it for good or the attempts are used up. Delivery is at least
    /// once; every attempt of a message carries the same [`MessageId`].
    pub async fn dispatch(&self) -> Result<DispatchReport, EngineError> {
        let inner = &self.inner;
        let config = &inner.config;
        let now = inner.clock.now();
        let mut report = DispatchReport::default();
        let lease = self.lease(now, config.outbox_lease);
        let messages = inner
            .store
            .claim_outbox(now, lease, config.dispatch_batch)
            .await?;
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

    /// Up to `limit` of the tenant's dead letters, oldest first.
    pub async fn dead_letters(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, EngineError> {
        Ok(self.inner.store.dead_letters(tenant, limit).await?)
    }

    /// Sends a dead letter of `tenant` again from now, its attempts reset; returns whether
    /// it was found (another tenant's message is not).
    pub async fn retry_dead_letter(
        &self,
        tenant: TenantId,
        id: &MessageId,
    ) -> Result<bool, EngineError> {
        if id.tenant != tenant {
            return Ok(false);
        }
        let at = self.inner.clock.now();
        Ok(self
            .inner
            .store
            .settle_outbox(id, Settlement::Revive { at })
            .await?)
    }

    /// Runs the dispatcher as a background task: it delivers while messages are waiting,
    /// then sleeps `idle` between looks. Stop it with [`Background::shutdown`]; a delivery
    /// in flight is finished first. Errors are logged and retried after `idle`.
    pub fn spawn_dispatcher(&self, idle: StdDuration) -> Dispatcher {
        let engine = self.clone();
        Background::spawn(idle, None, move || {
            let engine = engine.clone();
            async move {
                match engine.dispatch().await {
                    Ok(report) => report.handled_any(),
                    Err(error) => {
                        tracing::error!(%error, "dispatch failed");
                        false
                    }
                }
            }
        })
    }
}

/// A running background dispatcher: see [`Engine::spawn_dispatcher`].
pub type Dispatcher = Background;
