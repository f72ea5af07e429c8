//! A client's day: what is due or overdue, check-backs, counts by status, and the trusted
//! filer standing with its margin.

use aliprotect_core::accuracy::{Rates, Standing};
use aliprotect_core::clock::Clock;
use aliprotect_core::engine::TimerQuery;
use aliprotect_core::store::{CountBy, StreamId, TimerKind};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::{Nav, render};
use crate::app::AppState;
use crate::auth::{Person, Scope};
use crate::error::WebError;
use crate::views;

/// Deadlines shown: the soonest this many, overdue ones first.
const SHOWN: usize = 50;

#[derive(Template)]
#[template(path = "today.html")]
struct TodayPage {
    title: &'static str,
    nav: Nav,
    due: Vec<DueRow>,
    /// How many are pending, at least (`more` says whether there may be more).
    due_total: usize,
    more: bool,
    overdue: usize,
    check_backs: usize,
    counts: Vec<(String, u64, &'static str)>,
    standing: StandingView,
    by_reason: Vec<(String, StandingView)>,
    figures_at: String,
}

struct DueRow {
    what: &'static str,
    link: Option<String>,
    subject: String,
    due: String,
    overdue: bool,
}

struct StandingView {
    standing: String,
    tone: &'static str,
    takedown: String,
    counter_notice_losses: String,
    decided: u64,
    margin: String,
}

pub(crate) fn timer_label(kind: TimerKind) -> &'static str {
    match kind {
        TimerKind::SellerAnswerDeadline => "seller's answer window ends",
        TimerKind::ResponseDeadline => "deadline to answer a counter-notice",
        TimerKind::ResponseDeadlineReminder => "reminder: counter-notice deadline",
        TimerKind::CheckBack => "check-back: is the listing gone?",
        TimerKind::ExpiryReminder => "right expires soon",
        TimerKind::Expiry => "right expires",
        TimerKind::PowerExpiry => "power of attorney expires",
        TimerKind::ReturnWatch => "watch for the listing's return",
        _ => "timer",
    }
}

fn standing_view(rates: &Rates, standing: Standing, min_takedown: Option<f64>) -> StandingView {
    let tone = match standing {
        Standing::Good => "good",
        Standing::AtRisk => "waiting",
        Standing::Below => "bad",
        _ => "muted",
    };
    let margin = match (rates.takedown_rate, min_takedown) {
        (Some(rate), Some(min)) => format!("{:+.1} points", (rate - min) * 100.0),
        _ => "—".to_owned(),
    };
    StandingView {
        standing: standing.to_string(),
        tone,
        takedown: views::percent(rates.takedown_rate),
        counter_notice_losses: views::percent(rates.counter_notice_loss_rate),
        decided: rates.decided,
        margin,
    }
}

/// `GET /c/{client}`.
pub(crate) async fn show(
    State(app): State<AppState>,
    person: Person,
    Path(client): Path<String>,
) -> Result<Response, WebError> {
    let scope = Scope::of(&app, &person.account, &client)?;
    let read = app.engine.read();
    let now = read.clock().now();
    // The soonest only: counting every pending timer of a big client costs more than the
    // whole page may.
    let upcoming = read
        .upcoming_timers(scope.tenant, &TimerQuery::soonest(SHOWN).uncounted())
        .await?;
    let nav = Nav::in_scope(&person, &scope);
    let base = nav.base();
    let due: Vec<DueRow> = upcoming
        .soonest
        .iter()
        .map(|timer| {
            let link = match timer.stream {
                StreamId::Complaint(id) => Some(format!("{base}/complaints/{id}")),
                StreamId::Right(id) => Some(format!("{base}/rights/{id}")),
                _ => None,
            };
            DueRow {
                what: timer_label(timer.kind),
                link,
                subject: timer.stream.to_string(),
                due: views::time(timer.due),
                overdue: timer.due <= now,
            }
        })
        .collect();
    let overdue = due.iter().filter(|row| row.overdue).count();
    let check_backs = upcoming
        .soonest
        .iter()
        .filter(|timer| timer.kind == TimerKind::CheckBack)
        .count();
    let counts = read
        .complaint_counts(scope.tenant, CountBy::Status)
        .await?
        .into_iter()
        .map(|count| {
            (
                count.status.to_string(),
                count.count,
                views::complaint_tone(count.status),
            )
        })
        .collect();
    let figures = app.figures.accuracy(&app.engine, scope.tenant).await?;
    let (accuracy, figures_at) = (&figures.0, figures.1);
    let min = read
        .policy()
        .trusted_filer
        .as_ref()
        .map(|rules| rules.min_takedown_rate);
    let by_reason = accuracy
        .by_reason
        .iter()
        .map(|(reason, rates)| {
            let standing = accuracy
                .standing_by_reason
                .get(reason)
                .copied()
                .unwrap_or(Standing::NotApplicable);
            (reason.to_string(), standing_view(rates, standing, min))
        })
        .collect();
    render(&TodayPage {
        title: "Today",
        nav,
        due_total: upcoming.total,
        more: !upcoming.counted,
        overdue,
        check_backs,
        due,
        counts,
        standing: standing_view(&accuracy.overall, accuracy.standing, min),
        by_reason,
        figures_at: views::time(figures_at),
    })
}
