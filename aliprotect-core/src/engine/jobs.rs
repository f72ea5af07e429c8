//! The engine's jobs, on the handle [`Engine::jobs`] returns: what runs beside the commands
//! (timers and cross-stream work, the outbox, the filer's review), once or in the background.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::sync::Notify;

use super::{
    AccuracyReview, Background, DispatchReport, Dispatcher, Engine, EngineError, TickReport,
};
use crate::clock::Clock;
use crate::ids::TenantId;
use crate::notify::{MessageId, Notifier};
use crate::probe::ListingProbe;
use crate::store::{Settlement, Store};

/// The engine's jobs, borrowed from it by [`Engine::jobs`]. Several engines may run them on
/// one store at once: each claims what it works on for
/// [`EngineConfig::claim_lease`](super::EngineConfig::claim_lease), so nothing is done twice
/// in effect.
///
/// ```
/// # use aliprotect_core::{engine::Engine, clock::SystemClock, notify::DiscardNotifier};
/// # use aliprotect_core::policy::MarketplacePolicy;
/// # async fn demo<S: aliprotect_core::store::Store>(store: S) -> Result<(), aliprotect_core::engine::EngineError> {
/// let engine = Engine::new(store, DiscardNotifier, SystemClock, MarketplacePolicy::alibaba_ipp());
/// let fired = engine.jobs().tick().await?;
/// let delivered = engine.jobs().dispatch().await?;
/// # Ok(()) }
/// ```
pub struct Jobs<'a, S, N, C> {
    engine: &'a Engine<S, N, C>,
}

// By hand: derived impls would ask the store, notifier and clock to be `Copy` too.
impl<S, N, C> Clone for Jobs<'_, S, N, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S, N, C> Copy for Jobs<'_, S, N, C> {}

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    /// The engine's jobs: timers, pending work, the outbox.
    pub fn jobs(&self) -> Jobs<'_, S, N, C> {
        Jobs { engine: self }
    }
}

impl<S: Store, N: Notifier, C: Clock> Jobs<'_, S, N, C> {
    /// Fires every timer due now, each through the normal command path: a timer is removed
    /// by the same commit that carries out its command, so a crash in between fires it again
    /// and never twice in effect. Then carries out cross-stream work that another engine
    /// left unfinished.
    pub async fn tick(self) -> Result<TickReport, EngineError> {
        self.engine.tick_probing(None).await
    }

    /// [`Jobs::tick`], and for every check-back that falls due, ask `probe` whether the
    /// listing is still up: a removal is recorded (with the probe's evidence) and notified,
    /// a listing found up again and again is escalated to a person.
    pub async fn tick_with_probe(
        self,
        probe: &dyn ListingProbe,
    ) -> Result<TickReport, EngineError> {
        self.engine.tick_probing(Some(probe)).await
    }

    /// Delivers the outbox messages available now, one step of the dispatcher: each is
    /// acknowledged on success; on failure it is retried later with exponential backoff and
    /// jitter (never sooner than the receiver's `Retry-After`), or becomes a dead letter when
    /// the receiver refused it for good or the attempts are used up. Delivery is at least
    /// once; every attempt of a message carries the same [`MessageId`].
    pub async fn dispatch(self) -> Result<DispatchReport, EngineError> {
        self.engine.dispatch().await
    }

    /// Sends a dead letter of `tenant` again from now, its attempts reset; returns whether
    /// it was found (another tenant's message is not).
    pub async fn retry_dead_letter(
        self,
        tenant: TenantId,
        id: &MessageId,
    ) -> Result<bool, EngineError> {
        if id.tenant != tenant {
            return Ok(false);
        }
        let inner = &self.engine.inner;
        let at = inner.clock.now();
        Ok(inner
            .store
            .settle_outbox(id, Settlement::Revive { at })
            .await?)
    }

    /// Reviews the tenant's accuracy as a filer and, when it is at risk of falling below the
    /// policy's trusted-filer standards or already below them, queues a warning to the holder
    /// in the outbox ([`crate::notify::NotificationBody::FilerAccuracyWarning`] about
    /// [`StreamId::Filer`](crate::store::StreamId::Filer)), delivered by [`Jobs::dispatch`]
    /// like every other notification.
    ///
    /// Run it once a day beside [`Jobs::tick`]. The warning's id is the tenant and the day,
    /// so however many engines review the same day, the warning is queued once.
    pub async fn review_filer_accuracy(
        self,
        tenant: TenantId,
    ) -> Result<AccuracyReview, EngineError> {
        self.engine.review_filer_accuracy(tenant).await
    }

    /// Runs a worker as a background task: it fires due timers, carries out pending work
    /// and delivers the outbox ([`Jobs::tick`], then [`Jobs::dispatch`]) while either
    /// finds something, then waits `idle`, or less if `wake` is notified: a store that
    /// learns of other engines' commits hands it out (the PostgreSQL store's `wake_ups`),
    /// so that an idle worker takes new work up at once. Errors are logged and retried
    /// after `idle`. Stop it with [`Background::shutdown`].
    ///
    /// ```
    /// # use aliprotect_core::{engine::Engine, clock::SystemClock, notify::DiscardNotifier};
    /// # use aliprotect_core::policy::MarketplacePolicy;
    /// # async fn demo<S: aliprotect_core::store::Store>(store: S) {
    /// let engine = Engine::new(store, DiscardNotifier, SystemClock, MarketplacePolicy::alibaba_ipp());
    /// let worker = engine.jobs().spawn_worker(std::time::Duration::from_secs(5), None);
    /// // ... serve commands ...
    /// worker.shutdown().await;
    /// # }
    /// ```
    pub fn spawn_worker(self, idle: StdDuration, wake: Option<Arc<Notify>>) -> Background {
        let engine = self.engine.clone();
        Background::spawn(idle, wake, move || {
            let engine = engine.clone();
            async move {
                let ticked = match engine.tick_probing(None).await {
                    Ok(report) => report != TickReport::default(),
                    Err(error) => {
                        tracing::error!(%error, "tick failed");
                        false
                    }
                };
                let dispatched = match engine.dispatch().await {
                    Ok(report) => report.handled_any(),
                    Err(error) => {
                        tracing::error!(%error, "dispatch failed");
                        false
                    }
                };
                ticked || dispatched
            }
        })
    }

    /// Runs the dispatcher as a background task: it delivers while messages are waiting,
    /// then sleeps `idle` between looks. Stop it with [`Background::shutdown`]; a delivery
    /// in flight is finished first. Errors are logged and retried after `idle`.
    pub fn spawn_dispatcher(self, idle: StdDuration) -> Dispatcher {
        let engine = self.engine.clone();
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
