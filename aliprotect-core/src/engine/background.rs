//! The engine's background loops: a dispatcher, or a worker that ticks and dispatches,
//! each running steps while there is work, then waiting for its poll interval or a wake-up.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

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
