//! `aliprotect due`: what needs a person soon, soonest first.

use aliprotect::calendar::BusinessCalendar;
use aliprotect::clock::Clock;
use aliprotect::engine::TimerQuery;
use aliprotect::store::{StreamId, TimerKind};
use chrono::{DateTime, Duration, FixedOffset, Offset, Utc};
use clap::Args;

use crate::error::CliError;
use crate::output::{Cell, Output, Table, Tone};
use crate::session::Session;

/// `due`.
#[derive(Debug, Args)]
pub(crate) struct DueArgs {
    /// Only what falls due within this many days (default: everything pending).
    #[arg(long, value_name = "DAYS")]
    pub(crate) within: Option<u32>,
    /// At most this many rows, soonest first.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub(crate) limit: usize,
}

pub(crate) async fn run(session: &Session, out: &Output, args: DueArgs) -> Result<(), CliError> {
    let engine = &session.engine;
    session.require_client().await?;
    let now = engine.read().clock().now();
    let until = args
        .within
        .map(|days| now + Duration::days(i64::from(days)));
    let calendar = &engine.read().policy().calendar;
    let zone = FixedOffset::east_opt(calendar.utc_offset_seconds).unwrap_or(Utc.fix());
    let mut query = TimerQuery::soonest(args.limit);
    if let Some(until) = until {
        query = query.until(until);
    }
    let upcoming = engine
        .read()
        .upcoming_timers(session.tenant, &query)
        .await?;
    let mut table = Table::new(&[
        "stream",
        "what",
        "due",
        "due_local",
        "working_days_left",
        "action",
    ]);
    for timer in &upcoming.soonest {
        let (what, action) = describe(timer.kind, timer.stream);
        let left = working_days_left(calendar, zone, now, timer.due);
        let overdue = timer.due <= now;
        table.push(vec![
            Cell::text(timer.stream),
            Cell::text(what),
            match overdue {
                true => Cell::toned(timer.due.format("%Y-%m-%d %H:%M UTC"), Tone::Bad),
                false => Cell::Time(timer.due),
            },
            Cell::text(timer.due.with_timezone(&zone).format("%Y-%m-%d %H:%M %:z")),
            if overdue {
                Cell::toned("due now", Tone::Bad)
            } else {
                Cell::Count(left)
            },
            Cell::text(action),
        ]);
    }
    out.table(&table)?;
    let total = upcoming.total;
    if total > args.limit {
        out.note(format!(
            "{} more; show them with --limit {total}, or narrow with --within DAYS.",
            total - args.limit
        ));
    }
    if upcoming.soonest.first().is_some_and(|t| t.due <= now) {
        out.note("Some are due now: `aliprotect tick` fires them.");
    }
    Ok(())
}

/// Whole working days between today and the day `due` falls in (a deadline at local
/// midnight ends with the day before), in the platform's calendar and zone.
fn working_days_left(
    calendar: &BusinessCalendar,
    zone: FixedOffset,
    now: DateTime<Utc>,
    due: DateTime<Utc>,
) -> u64 {
    let today = now.with_timezone(&zone).date_naive();
    let due_local = due.with_timezone(&zone);
    let mut last = due_local.date_naive();
    if due_local.time() == chrono::NaiveTime::MIN {
        last = last.pred_opt().unwrap_or(last);
    }
    // Bounded: ten years of days at most, whatever the dates.
    today
        .iter_days()
        .skip(1)
        .take(3660)
        .take_while(|day| *day <= last)
        .filter(|day| calendar.is_working_day(*day))
        .count() as u64
}

/// What the timer is, and what a person may want to do before it fires.
fn describe(kind: TimerKind, stream: StreamId) -> (&'static str, String) {
    match kind {
        TimerKind::SellerAnswerDeadline => (
            "seller's answer window ends",
            "none: the removal becomes expected, and a check-back falls due".to_owned(),
        ),
        TimerKind::ResponseDeadline => (
            "deadline to answer a counter-notice",
            format!(
                "aliprotect complaint respond {} --statement ...",
                id_of(stream)
            ),
        ),
        TimerKind::ResponseDeadlineReminder => (
            "reminder of a counter-notice deadline",
            format!(
                "aliprotect complaint respond {} --statement ...",
                id_of(stream)
            ),
        ),
        TimerKind::CheckBack => (
            "check-back: is the listing still up?",
            "aliprotect tick --probe, or look and `complaint record removed|still-listed`"
                .to_owned(),
        ),
        TimerKind::ExpiryReminder => ("registration expires soon", renew(stream)),
        TimerKind::Expiry => ("registration expires", renew(stream)),
        TimerKind::ReturnWatch => (
            "watch: is the removed listing back?",
            "aliprotect tick --probe, or look and `complaint record still-listed` if it is"
                .to_owned(),
        ),
        TimerKind::PowerExpiry => ("power of attorney expires", "renew the power".to_owned()),
        _ => ("timer", String::new()),
    }
}

/// What to do about a registration that expires: renew it, then record the renewal.
fn renew(stream: StreamId) -> String {
    format!(
        "renew it, then: aliprotect right renew {} --expires-on DATE --document \
         renewal-document=FILE",
        id_of(stream)
    )
}

fn id_of(stream: StreamId) -> String {
    match stream {
        StreamId::Complaint(id) => id.to_string(),
        StreamId::Right(id) => id.to_string(),
        other => other.to_string(),
    }
}
