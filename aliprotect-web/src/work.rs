//! The engine's background work beside the server: one process can both serve the firm
//! and fire what falls due, and `/metrics` then shows what each round of work found.

use std::convert::Infallible;
use std::time::Duration;

use aliprotect_core::probe::ListingProbe;
use tokio::time::MissedTickBehavior;

use crate::app::Web;
use crate::telemetry;

impl Web {
    /// Fires due timers every `every` (the first round at once), for as long as the future
    /// is polled; with a `probe`, check-backs look at their listings and record what they
    /// find, as [`Jobs::tick_with_probe`](aliprotect_core::engine::Jobs::tick_with_probe)
    /// does. Each round's outcomes are counted in `/metrics`
    /// (`aliprotect_timers_fired_total`, `aliprotect_check_backs_total{finding}`,
    /// `aliprotect_work_rounds_total{outcome}`); a failed round is logged and the next one
    /// runs on time.
    ///
    /// Dropping the future mid-round is safe: claimed timers go back to any engine's next
    /// round once their lease runs out, as after a crash.
    ///
    /// ```no_run
    /// # async fn run(web: aliprotect_web::Web) {
    /// use std::time::Duration;
    ///
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await.unwrap();
    /// let app = web.router().into_make_service_with_connect_info::<std::net::SocketAddr>();
    /// tokio::select! {
    ///     served = axum::serve(listener, app) => served.unwrap(),
    ///     never = web.work(Duration::from_secs(60), None) => match never {},
    /// }
    /// # }
    /// ```
    pub async fn work(&self, every: Duration, probe: Option<&dyn ListingProbe>) -> Infallible {
        let mut rounds = tokio::time::interval(every.max(Duration::from_millis(10)));
        // A round that overran is followed by a pause, not by a burst of catching up.
        rounds.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            rounds.tick().await;
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
}
