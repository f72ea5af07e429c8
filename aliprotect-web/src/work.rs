//! The engine's background work beside the server: one process can both serve the firm
//! and fire what falls due, and `/metrics` then shows what each round of work found.

use std::future::Future;
use std::time::Duration;

use aliprotect_core::probe::ListingProbe;

use crate::app::Web;
use crate::telemetry;

/// The shortest pause between two rounds, whatever is asked.
const SHORTEST_PAUSE: Duration = Duration::from_millis(10);

impl Web {
    /// Fires due timers in rounds, the first at once and each next one `every` (at least
    /// 10 ms) after the previous one ended, until `stop` completes; with a `probe`,
    /// check-backs look at their listings and record what they find, as
    /// [`Jobs::tick_with_probe`](aliprotect_core::engine::Jobs::tick_with_probe) does.
    /// Each round's outcomes are counted in `/metrics` (`aliprotect_timers_fired_total`,
    /// `aliprotect_check_backs_total{finding}`, `aliprotect_follow_ups_total`,
    /// `aliprotect_work_rounds_total{outcome}`); a failed round is logged and the next one
    /// runs on time.
    ///
    /// `stop` is only heeded between rounds: a round under way is finished, because one
    /// cut short loses looks. A round fires its check-back timers before it looks at the
    /// listings, so a listing not yet looked at when the future is dropped waits for its
    /// next check-back, a review period later (timers claimed but not fired go back to
    /// any engine once their lease runs out, as after a crash). To bound a shutdown, run
    /// this in a task of its own and abort it after a grace period.
    ///
    /// ```no_run
    /// # async fn shutdown_requested() {}
    /// # async fn run(web: aliprotect_web::Web) {
    /// use std::time::Duration;
    ///
    /// let (stop, stopped) = tokio::sync::watch::channel(false);
    /// let worker = web.clone();
    /// let work = tokio::spawn(async move {
    ///     let mut stopped = stopped;
    ///     let stop = async move { stopped.wait_for(|stop| *stop).await.map(|_| ()).unwrap_or(()) };
    ///     worker.work(Duration::from_secs(60), None, stop).await
    /// });
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await.unwrap();
    /// let app = web.router().into_make_service_with_connect_info::<std::net::SocketAddr>();
    /// let shutdown = async move {
    ///     shutdown_requested().await; // Ctrl-C, SIGTERM...
    ///     let _ = stop.send(true);
    /// };
    /// axum::serve(listener, app).with_graceful_shutdown(shutdown).await.unwrap();
    /// let _ = tokio::time::timeout(Duration::from_secs(60), work).await;
    /// # }
    /// ```
    pub async fn work(
        &self,
        every: Duration,
        probe: Option<&dyn ListingProbe>,
        stop: impl Future<Output = ()>,
    ) {
        let pause = every.max(SHORTEST_PAUSE);
        let mut stop = std::pin::pin!(stop);
        let mut next = tokio::time::Instant::now();
        loop {
            tokio::select! {
                biased;
                () = &mut stop => return,
                () = tokio::time::sleep_until(next) => {}
            }
            self.round(probe).await;
            next = tokio::time::Instant::now() + pause;
        }
    }

    /// One round: what is due, fired (and looked at), counted.
    async fn round(&self, probe: Option<&dyn ListingProbe>) {
        let jobs = self.app.engine.jobs();
        let round = match probe {
            Some(probe) => jobs.tick_with_probe(probe).await,
            None => jobs.tick().await,
        };
        match round {
            Ok(report) => telemetry::work_done(&report),
            Err(error) => {
                tracing::warn!(%error, "background work: the round failed");
                telemetry::work_failed();
            }
        }
    }
}
