//! What an operator watches: `/metrics` in Prometheus' format, `/healthz`, and a tracing
//! span per request.
//!
//! Request and command figures, and what each round of background work found (timers
//! fired, check-backs by finding), are counted as they happen; the state of the work
//! (timers due and their lag, notifications waiting and dead letters, each up to 10,000 a
//! client) is read at a scrape, at most every 10 s, summed over every client an account
//! names, and shown without client names: `/metrics` is read without signing in.

use std::sync::OnceLock;
use std::time::Instant;

use aliprotect_core::clock::Clock;
use aliprotect_core::engine::{TickReport, TimerQuery};
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing::Instrument;

use crate::app::AppState;

/// How often, at most, `/metrics` reads the state of the work.
const GAUGE_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// The process's metrics recorder, installed once however many servers it runs.
#[derive(Clone)]
pub(crate) struct Metrics {
    handle: Option<PrometheusHandle>,
}

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

impl Metrics {
    pub(crate) fn install() -> Self {
        let handle = HANDLE.get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder installed by the embedder wins; ours then renders nothing.
            metrics::set_global_recorder(recorder).ok().map(|()| handle)
        });
        Self {
            handle: handle.clone(),
        }
    }
}

/// Counts and times every request, in a span naming its route.
pub(crate) async fn observe(State(_): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().to_string();
    let span = tracing::info_span!("request", %method, %route);
    let started = Instant::now();
    let response = next.run(request).instrument(span).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("aliprotect_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("aliprotect_http_request_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Counts a command run through the server, by its kind and outcome, and its latency.
pub(crate) fn command_ran(kind: &'static str, outcome: &'static str, started: Instant) {
    metrics::counter!("aliprotect_commands_total", "kind" => kind, "outcome" => outcome)
        .increment(1);
    metrics::histogram!("aliprotect_command_seconds", "kind" => kind)
        .record(started.elapsed().as_secs_f64());
}

/// Counts what a round of background work did.
pub(crate) fn work_done(report: &TickReport) {
    metrics::counter!("aliprotect_timers_fired_total").increment(report.fired as u64);
    metrics::counter!("aliprotect_follow_ups_total").increment(report.follow_ups as u64);
    for (finding, count) in [
        ("removed", report.found_removed),
        ("live", report.found_live),
        ("reappeared", report.reappeared),
        ("unknown", report.unknown),
    ] {
        metrics::counter!("aliprotect_check_backs_total", "finding" => finding)
            .increment(count as u64);
    }
    // Last: a scrape that sees the round counted sees its findings too.
    metrics::counter!("aliprotect_work_rounds_total", "outcome" => "done").increment(1);
}

/// Counts a round of background work that failed.
pub(crate) fn work_failed() {
    metrics::counter!("aliprotect_work_rounds_total", "outcome" => "failed").increment(1);
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(app): State<AppState>) -> Response {
    // One reading at a time, and none within a few seconds of the last: a scrape (or
    // anyone reaching the port) costs the store little however often it comes.
    {
        let mut gauged = app.gauged.lock().await;
        if gauged.is_none_or(|at| at.elapsed() >= GAUGE_EVERY) {
            if let Err(error) = gauge_work(&app).await {
                tracing::warn!(%error, "metrics: reading the state of the work failed");
            }
            *gauged = Some(Instant::now());
        }
    }
    match &app.metrics.handle {
        Some(handle) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4",
            )],
            handle.render(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "another metrics recorder is installed in this process",
        )
            .into_response(),
    }
}

/// Timers due, the lag of the oldest, notifications waiting and dead letters, over every
/// client an account names.
async fn gauge_work(app: &AppState) -> Result<(), crate::error::WebError> {
    let mut clients: Vec<String> = app
        .accounts
        .list()
        .await?
        .into_iter()
        .flat_map(|account| account.grants.into_keys())
        .collect();
    clients.sort();
    clients.dedup();
    let now = app.engine.read().clock().now();
    let (mut due, mut lag, mut dead) = (0usize, 0f64, 0usize);
    let mut pending: Option<usize> = None;
    for client in &clients {
        let tenant = app.tenant_of(client);
        let upcoming = app
            .engine
            .read()
            .upcoming_timers(tenant, &TimerQuery::soonest(1).until(now))
            .await?;
        due += upcoming.total;
        if let Some(oldest) = upcoming.soonest.first() {
            lag = lag.max((now - oldest.due).num_milliseconds() as f64 / 1000.0);
        }
        dead += app.engine.read().dead_letters(tenant, 10_000).await?.len();
        // A store that cannot list its waiting messages leaves the gauge out.
        if let Some(waiting) = app
            .engine
            .read()
            .pending_notifications(tenant, 10_000)
            .await?
        {
            *pending.get_or_insert(0) += waiting.len();
        }
    }
    metrics::gauge!("aliprotect_timers_due").set(due as f64);
    metrics::gauge!("aliprotect_timer_lag_seconds").set(lag);
    metrics::gauge!("aliprotect_dead_letters").set(dead as f64);
    if let Some(pending) = pending {
        metrics::gauge!("aliprotect_outbox_pending").set(pending as f64);
    }
    metrics::gauge!("aliprotect_clients").set(clients.len() as f64);
    Ok(())
}

/// `GET /healthz`: 200 when the store answers, 503 otherwise.
pub(crate) async fn healthz(State(app): State<AppState>) -> Response {
    match app.engine.read().stored_policy().await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(error) => {
            tracing::warn!(%error, "health check: the store did not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the store does not answer\n",
            )
                .into_response()
        }
    }
}
