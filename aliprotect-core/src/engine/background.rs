//! The engine's background loops: a dispatcher, or a worker that ticks and dispatches,
//! each running steps while there is work, then waiting for its poll interval or a wake-up.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::{Engine, TickReport};
use crate::clock::Clock;
use crate::notify::Notifier;
use crate::store::Store;

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    /// Runs a worker as a background task: it fires due timers, carries out pending work
    /// and delivers the outbox ([`Engine::tick`], then [`Engine::dispatch`]) while either
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
    /// let worker = engine.spawn_worker(std::time::Duration::from_secs(5), None);
    /// // ... serve commands ...
    /// worker.shutdown().await;
    /// # }
    /// ```
    pub fn spawn_worker(&self, idle: StdDuration, wake: Option<Arc<Notify>>) -> Background {
        let engine = self.clone();
        Background::spawn(idle, wake, move || {
            let engine = engine.clone();
            async move {
                let ticked = match engine.tick().await {
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
}

/// A running background loop of an engine.
#[derive(Debug)]
pub struct Background {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Background {
    /// Runs `step` while it reports that it found work; then waits `idle` or for `wake`.
    pub(crate) fn spawn<F, Fut>(idle: StdDuration, wake: Option<Arc<Notify>>, mut step: F) -> Self
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = bool> + Send,
    {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                // Registered before the step, so a wake-up during it is not lost.
                let woken = wake.as_ref().map(|wake| wake.clone().notified_owned());
                let busy = step().await;
                if *stopped.borrow() {
                    return;
                }
                if busy {
                    continue;
                }
                let woken = async {
                    match woken {
                        Some(woken) => woken.await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = stopped.changed() => return,
                    () = tokio::time::sleep(idle) => {}
                    () = woken => {}
                }
            }
        });
        Self { stop, task }
    }

    /// Asks the loop to stop after the step in flight, and waits for it.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "a background task of the engine failed");
        }
    }

    /// Stops the loop at once, even mid-step, as a crash would. Work it had claimed is
    /// taken up again after its lease by another engine.
    pub fn abort(self) {
        self.task.abort();
    }
}
