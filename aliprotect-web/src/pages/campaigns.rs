//! A client's campaigns, and each campaign's report: filed against removed week by week
//! (an SVG chart, no script), time to removal, relisting rate; printable, for the client.

use aliprotect_core::clock::Clock;
use aliprotect_core::engine::Page;
use aliprotect_core::ids::CampaignId;
use aliprotect_core::metrics::Metrics;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::{Nav, render};
use crate::app::AppState;
use crate::auth::{Person, Scope};
use crate::error::WebError;
use crate::input::parse_id;
use crate::views;

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    title: &'static str,
    nav: Nav,
    campaigns: Vec<(String, String, bool, String)>,
}

/// `GET /c/{client}/campaigns`.
pub(crate) async fn list(
    State(app): State<AppState>,
    person: Person,
    Path(client): Path<String>,
) -> Result<Response, WebError> {
    let scope = Scope::of(&app, &person.account, &client)?;
    let nav = Nav::in_scope(&person, &scope);
    let campaigns = app
        .engine
        .read()
        .campaigns(scope.tenant, Page::all())
        .await?
        .into_iter()
        .map(|campaign| {
            (
                format!("{}/campaigns/{}/report", nav.base(), campaign.id),
                campaign.name.as_str().to_owned(),
                campaign.archived,
                views::time(campaign.created_at),
            )
        })
        .collect();
    render(&CampaignsPage {
        title: "Campaigns",
        nav,
        campaigns,
    })
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    title: &'static str,
    nav: Nav,
    client: String,
    campaign: String,
    month: String,
    overall: FiguresView,
    weeks: Vec<(String, FiguresView)>,
    chart: Chart,
    figures_at: String,
}

struct FiguresView {
    filed: u64,
    removed: u64,
    unable: u64,
    counter_noticed: u64,
    relisted: u64,
    removal_rate: String,
    median_hours: String,
    p90_hours: String,
    relisting_rate: String,
}

impl From<&Metrics> for FiguresView {
    fn from(m: &Metrics) -> Self {
        let hours = |h: Option<u32>| h.map_or_else(|| "—".to_owned(), |h| format!("{h} h"));
        Self {
            filed: m.filed,
            removed: m.removed,
            unable: m.unable_to_process,
            counter_noticed: m.counter_noticed,
            relisted: m.relisted,
            removal_rate: views::percent(m.removal_rate),
            median_hours: hours(m.median_hours_to_removal),
            p90_hours: hours(m.p90_hours_to_removal),
            relisting_rate: views::percent(m.relisting_rate),
        }
    }
}

/// A bar chart of filed and removed per week, drawn on the server.
struct Chart {
    width: u32,
    height: u32,
    bars: Vec<Bar>,
}

struct Bar {
    label: String,
    label_x: u32,
    filed_x: u32,
    filed_y: u32,
    filed_h: u32,
    removed_x: u32,
    removed_y: u32,
    removed_h: u32,
    title: String,
}

const PLOT_HEIGHT: u32 = 160;

fn chart(weeks: &[(String, &Metrics)]) -> Chart {
    let max = weeks
        .iter()
        .map(|(_, m)| m.filed.max(m.removed))
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = |n: u64| u32::try_from(n * u64::from(PLOT_HEIGHT) / max).unwrap_or(PLOT_HEIGHT);
    let bars = weeks
        .iter()
        .enumerate()
        .map(|(i, (week, m))| {
            let x = 30 + u32::try_from(i).unwrap_or(0) * 48;
            let (filed_h, removed_h) = (scale(m.filed), scale(m.removed));
            Bar {
                label: week.clone(),
                label_x: x,
                filed_x: x,
                filed_y: 10 + PLOT_HEIGHT - filed_h,
                filed_h,
                removed_x: x + 18,
                removed_y: 10 + PLOT_HEIGHT - removed_h,
                removed_h,
                title: format!("{week}: {} filed, {} removed", m.filed, m.removed),
            }
        })
        .collect::<Vec<_>>();
    Chart {
        width: 60 + u32::try_from(bars.len()).unwrap_or(0) * 48,
        height: PLOT_HEIGHT + 40,
        bars,
    }
}

#[derive(Deserialize)]
pub(crate) struct Month {
    month: Option<String>,
}

/// The ISO weeks (`2026-W49`) with a day in `month`.
fn weeks_of(month: NaiveDate) -> Vec<String> {
    let mut weeks = Vec::new();
    for day in month.iter_days().take_while(|d| d.month() == month.month()) {
        let week = day.iso_week();
        let name = format!("{}-W{:02}", week.year(), week.week());
        if weeks.last() != Some(&name) {
            weeks.push(name);
        }
    }
    weeks
}

/// `GET /c/{client}/campaigns/{id}/report?month=YYYY-MM`.
pub(crate) async fn report(
    State(app): State<AppState>,
    person: Person,
    Path((client, id)): Path<(String, String)>,
    Query(month): Query<Month>,
) -> Result<Response, WebError> {
    let scope = Scope::of(&app, &person.account, &client)?;
    let id: CampaignId = parse_id(&id, "campaign id")?;
    let read = app.engine.read();
    let campaign = read
        .campaign(scope.tenant, id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("campaign {id}")))?;
    let first_day = match month.month.as_deref().filter(|m| !m.is_empty()) {
        Some(month) => NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
            .map_err(|_| WebError::BadRequest(format!("not a month (YYYY-MM): {month:?}")))?,
        None => {
            let today = read.clock().now().date_naive();
            today.with_day(1).unwrap_or(today)
        }
    };
    let figures = app
        .figures
        .metrics(&app.engine, scope.tenant, Some(id))
        .await?;
    let (breakdown, figures_at) = (&figures.0, figures.1);
    let in_month = weeks_of(first_day);
    let weeks: Vec<(String, &Metrics)> = breakdown
        .by_week
        .iter()
        .filter(|(week, _)| in_month.contains(week))
        .map(|(week, metrics)| (week.clone(), metrics))
        .collect();
    render(&ReportPage {
        title: "Campaign report",
        nav: Nav::in_scope(&person, &scope),
        client: scope.client.clone(),
        campaign: campaign.name.as_str().to_owned(),
        month: first_day.format("%B %Y").to_string(),
        overall: FiguresView::from(&breakdown.overall),
        chart: chart(&weeks),
        figures_at: views::time(figures_at),
        weeks: weeks
            .iter()
            .map(|(week, metrics)| (week.clone(), FiguresView::from(*metrics)))
            .collect(),
    })
}
