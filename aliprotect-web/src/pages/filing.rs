//! Filing from a pasted list of listing URLs (one per line, or a CSV with a `url` column):
//! each becomes a complaint on the chosen right, for the chosen reason; duplicates of
//! complaints already open and lines that are not listings are reported, not filed.

use aliprotect_core::complaint::ComplaintReason;
use aliprotect_core::engine::{IntakeReport, Page};
use aliprotect_core::intake::IntakeRequest;
use aliprotect_core::right::RightStatus;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;

use super::{Nav, PageForm, render};
use crate::app::{App, AppState};
use crate::auth::{Person, Scope};
use crate::error::WebError;
use crate::input::{FilingAsked, intake_request};
use crate::views;

/// The most listings one pasted list may hold; a bigger import is the CLI's or the API's.
const MAX_LISTINGS: usize = 5_000;

#[derive(Template)]
#[template(path = "file.html")]
struct FilePage {
    title: &'static str,
    nav: Nav,
    rights: Vec<(String, String)>,
    reasons: Vec<(String, String)>,
    campaigns: Vec<(String, String)>,
    report: Option<ReportView>,
    error: Option<String>,
    /// Whether the page is sent as the filing goes (with the progress marker).
    progress: bool,
    /// What the form held when it was refused: shown again, so that nothing typed or
    /// pasted is lost.
    kept: Kept,
}

/// The form's values, kept across a refusal.
#[derive(Clone, Default)]
struct Kept {
    right: String,
    reason: String,
    campaign: String,
    explanation: String,
    listings: String,
}

struct ReportView {
    filed: usize,
    duplicates: Vec<String>,
    rejected: Vec<String>,
    refused: Vec<String>,
    list_link: String,
}

async fn choices(
    app: &App,
    scope: &Scope,
) -> Result<(Vec<(String, String)>, Vec<(String, String)>), WebError> {
    let read = app.engine.read();
    let rights = read
        .rights(scope.tenant, Page::all())
        .await?
        .into_iter()
        .filter(|right| {
            !matches!(
                right.status,
                RightStatus::Withdrawn | RightStatus::Abandoned
            )
        })
        .map(|right| {
            (
                right.id.to_string(),
                format!(
                    "{} ({}, {})",
                    views::right_name(&right),
                    right.package.kind(),
                    right.status
                ),
            )
        })
        .collect();
    let campaigns = read
        .campaigns(scope.tenant, Page::all())
        .await?
        .into_iter()
        .filter(|campaign| !campaign.archived)
        .map(|campaign| (campaign.id.to_string(), campaign.name.as_str().to_owned()))
        .collect();
    Ok((rights, campaigns))
}

fn reasons() -> Vec<(String, String)> {
    ComplaintReason::ALL
        .iter()
        .map(|reason| (reason.to_string(), reason.to_string()))
        .collect()
}

/// `GET /c/{client}/file`.
pub(crate) async fn form(
    State(app): State<AppState>,
    person: Person,
    Path(client): Path<String>,
) -> Result<Response, WebError> {
    let scope = Scope::of(&app, &person.account, &client)?;
    scope.must_act()?;
    let (rights, campaigns) = choices(&app, &scope).await?;
    render(&FilePage {
        title: "File complaints",
        nav: Nav::in_scope(&person, &scope),
        rights,
        reasons: reasons(),
        campaigns,
        report: None,
        error: None,
        progress: false,
        kept: Kept::default(),
    })
}

#[derive(Deserialize)]
pub(crate) struct Filing {
    csrf: String,
    right: String,
    reason: String,
    explanation: String,
    #[serde(default)]
    campaign: String,
    listings: String,
    #[serde(default)]
    submit: Option<String>,
}

/// Where the progress lines go in the page: the page is sent in two halves around them.
const PROGRESS: &str = "<!-- progress -->";

/// `POST /c/{client}/file`: the page is sent as the filing goes, a line per batch filed,
/// then the report: a long list shows its progress without any script.
pub(crate) async fn submit(
    State(app): State<AppState>,
    person: Person,
    Path(client): Path<String>,
    PageForm(filing): PageForm<Filing>,
) -> Result<Response, WebError> {
    person.check_form(&filing.csrf)?;
    let scope = Scope::of(&app, &person.account, &client)?;
    scope.must_act()?;
    let nav = Nav::in_scope(&person, &scope);
    let (rights, campaigns) = choices(&app, &scope).await?;
    let list_link = format!("{}/complaints", nav.base());
    // Owned, for the half of the page sent once the filing is done.
    let page = move |report, error, progress, kept| FilePage {
        title: "File complaints",
        nav: nav.clone(),
        rights: rights.clone(),
        reasons: reasons(),
        campaigns: campaigns.clone(),
        report,
        error,
        progress,
        kept,
    };
    let request = match request_of(&app, &scope, &filing) {
        Ok(request) => request,
        Err(WebError::BadRequest(message) | WebError::Refused(message)) => {
            let kept = Kept {
                right: filing.right.clone(),
                reason: filing.reason.clone(),
                campaign: filing.campaign.clone(),
                explanation: filing.explanation.clone(),
                listings: filing.listings.clone(),
            };
            let page = render(&page(None, Some(message), false, kept))?;
            return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(other) => return Err(other),
    };
    let head = page(None, None, true, Kept::default()).render()?;
    let head = head.split(PROGRESS).next().unwrap_or_default().to_owned();
    let (lines, mut progress) = tokio::sync::mpsc::unbounded_channel::<String>();
    let listings = filing.listings;
    let engine = app.engine.clone();
    // Filed to the end even if the browser goes away: nothing is left half done.
    let filed = tokio::spawn(async move {
        crate::input::intake(&engine, &request, &listings, |p| {
            let line = format!(
                "<p class=\"progress\">{} of {} filed; {} not new, {} failed</p>\n",
                p.filed, p.to_file, p.duplicates, p.failed
            );
            let _ = lines.send(line);
        })
        .await
    });
    let tail = async move {
        let (report, error) = match filed.await {
            Ok(Ok(report)) => (Some(report_view(&report, list_link)), None),
            Ok(Err(error)) => (None, Some(error.to_string())),
            Err(error) => (None, Some(WebError::internal(error).to_string())),
        };
        match page(report, error, true, Kept::default()).render() {
            Ok(html) => html.split(PROGRESS).nth(1).unwrap_or_default().to_owned(),
            Err(error) => WebError::internal(error).to_string(),
        }
    };
    let body = futures_util::stream::once(async move { head })
        .chain(futures_util::stream::poll_fn(move |cx| {
            progress.poll_recv(cx)
        }))
        .chain(futures_util::stream::once(tail))
        .map(Ok::<_, std::convert::Infallible>);
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

fn report_view(report: &IntakeReport, list_link: String) -> ReportView {
    ReportView {
        filed: report.filed.len(),
        duplicates: report
            .duplicates
            .iter()
            .map(|d| {
                format!(
                    "line {}: {} is already complained about",
                    d.line,
                    d.listing.as_str()
                )
            })
            .collect(),
        rejected: report
            .rejected
            .iter()
            .map(|r| format!("line {}: {}", r.line, r.problem))
            .collect(),
        refused: report
            .refused
            .iter()
            .map(|(line, error)| format!("line {line}: {error}"))
            .collect(),
        list_link,
    }
}

/// The intake `filing` asks for, checked; a list longer than this page takes is refused.
fn request_of(app: &App, scope: &Scope, filing: &Filing) -> Result<IntakeRequest, WebError> {
    let lines = filing
        .listings
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    if lines == 0 {
        return Err(WebError::BadRequest(
            "paste at least one listing URL".to_owned(),
        ));
    }
    if lines > MAX_LISTINGS {
        return Err(WebError::BadRequest(format!(
            "{lines} lines: at most {MAX_LISTINGS} at once here (the API and `aliprotect complaint import` take more)"
        )));
    }
    let asked = FilingAsked {
        right: &filing.right,
        reason: &filing.reason,
        explanation: &filing.explanation,
        campaign: &filing.campaign,
        submit: filing.submit.is_some(),
    };
    intake_request(app, scope, &asked)
}
