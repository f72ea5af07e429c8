//! Delivering the outbox: at least once, with exponential backoff and jitter, a limit of
//! attempts, and dead letters that a person can list and send again.

use std::hash::{BuildHasher, RandomState};

use chrono::{DateTime, Duration, Utc};
use futures_util::{StreamExt, stream};

use super::{Background, Engine, EngineError};
use crate::clock::Clock;
use crate::notify::{MessageId, Notifier, NotifyError};
use crate::store::{Claim, OutboxMessage, Settlement, Store};

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
    /// Sends the messages claimed now, [`EngineConfig::dispatch_concurrency`] at once, and
    /// settles what was sent in batches as the answers come in (a slow receiver holds back
    /// no other message's settlement for longer than its own send).
    ///
    /// [`EngineConfig::dispatch_concurrency`]: super::EngineConfig::dispatch_concurrency
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
        // A chunk of answers holds at most the claimed batch (`ready_chunks` reserves its
        // whole size for every chunk, however few answers are ready).
        let most = messages.len().max(1);
        let sent = stream::iter(messages)
            .map(|message| async move {
                let result = inner
                    .notifier
                    .send(&message.id, &message.notification)
                    .await;
                (message, result)
            })
            .buffer_unordered(config.dispatch_concurrency.max(1));
        let mut answers = sent.ready_chunks(most);
        while let Some(answers) = answers.next().await {
            let settlements = answers
                .into_iter()
                .map(|(message, result)| {
                    let settlement = self.settlement(now, &message, result, &mut report);
                    (message.id, settlement)
                })
                .collect();
            // A false answer means our lease ran out and another dispatcher took the
            // message over: it will deliver it again, and the receiver drops the repeat.
            inner.store.settle_outbox_batch(settlements).await?;
        }
        Ok(report)
    }

    /// What becomes of `message` after a send that ended in `result`, counted in `report`.
    fn settlement(
        &self,
        now: DateTime<Utc>,
        message: &OutboxMessage,
        result: Result<(), NotifyError>,
        report: &mut DispatchReport,
    ) -> Settlement {
        let config = &self.inner.config;
        let owner = self.inner.worker;
        let Err(error) = result else {
            report.delivered += 1;
            return Settlement::Delivered { owner };
        };
        let (permanent, hint) = match &error {
            NotifyError::Permanent { .. } => (true, None),
            NotifyError::Temporary { retry_after, .. } => (false, *retry_after),
        };
        if permanent || message.attempts >= config.max_delivery_attempts {
            tracing::warn!(%error, id = %message.id, attempts = message.attempts, "dead letter");
            report.dead_lettered += 1;
            return Settlement::DeadLetter {
                owner,
                error: error.to_string(),
            };
        }
        let hinted = hint
            .and_then(|d| Duration::from_std(d).ok())
            .unwrap_or(Duration::zero());
        let delay = self.retry_delay(&message.id, message.attempts).max(hinted);
        let retry_at = now.checked_add_signed(delay).unwrap_or(now);
        tracing::info!(%error, id = %message.id, %retry_at, "delivery failed; will retry");
        report.failed += 1;
        Settlement::Retry {
            owner,
            at: retry_at,
        }
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
