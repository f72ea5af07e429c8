//! A client's complaints: filtered, searched by listing URL and paged by id; one complaint's
//! timeline with its evidence, and the form answering a counter-notice.

use std::time::Instant;

use aliprotect_core::complaint::{Complaint, ComplaintCommand, ComplaintStatus, TimelineEntry};
use aliprotect_core::engine::{Command, ComplaintQuery, Request};
use aliprotect_core::ids::ComplaintId;
use aliprotect_core::listing::Listing;
use aliprotect_core::party::Actor;
use aliprotect_core::store::{DomainEvent, StreamId};
use aliprotect_core::text::Text;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Nav, PageForm, next_page, render, segment};
use crate::app::{App, AppState};
use crate::auth::{Person, Scope};
use crate::error::WebError;
use crate::input::{ComplaintFilterAsked, parse_id};
use crate::{telemetry, views};

/// Complaints per page.
const PAGE: usize = 50;

#[derive(Template)]
#[template(path = "complaints.html")]
struct ComplaintsPage {
    title: &'static str,
    nav: Nav,
    filter: Filter,
    statuses: Vec<(String, bool)>,
    complaints: Vec<ComplaintRow>,
    next: Option<String>,
    searched: bool,
}

pub(crate) struct ComplaintRow {
    pub(crate) link: String,
    pub(crate) url: String,
    pub(crate) seller: String,
    pub(crate) status: String,
    pub(crate) tone: &'static str,
    pub(crate) platform_shows: String,
    pub(crate) filed: String,
}

/// The list's filters, as the query string carries them.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Filter {
    #[serde(default)]
    status: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    right: String,
    #[serde(default)]
    seller: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    after: String,
}

impl Filter {
    fn query(&self) -> Result<ComplaintQuery, WebError> {
        ComplaintFilterAsked {
            status: &self.status,
            campaign: &self.campaign,
            right: &self.right,
            seller: &self.seller,
            after: &self.after,
        }
        .query(PAGE)
    }

    /// The query string of the page after `last`.
    fn next_after(&self, last: ComplaintId) -> String {
        let pairs = [
            ("status", self.status.as_str()),
            ("campaign", self.campaign.trim()),
            ("right", self.right.trim()),
            ("seller", self.seller.trim()),
        ];
        let mut query: Vec<String> = pairs
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| format!("{name}={}", segment(value)))
            .collect();
        query.push(format!("after={last}"));
        query.join("&")
    }
}

pub(crate) fn row(app: &App, base: &str, complaint: &Complaint) -> ComplaintRow {
    let status = complaint.status();
    let policy = app.engine.read().policy();
    ComplaintRow {
        link: format!("{base}/complaints/{}", complaint.id()),
        url: complaint.filed.listing.url.to_string(),
        seller: complaint
            .filed
            .details
            .seller_name
            .clone()
            .unwrap_or_default(),
        status: status.to_string(),
        tone: views::complaint_tone(status),
        platform_shows: status
            .platform_status()
            .map(|s| policy.status_names.name(s).to_owned())
            .unwrap_or_default(),
        filed: views::time(complaint.filed_at),
    }
}

/// `GET /c/{client}/complaints`.
pub(crate) async fn list(
    State(app): State<AppState>,
    person: Person,
    Path(client): Path<String>,
    Query(filter): Query<Filter>,
) -> Result<Response, WebError> {
    let scope = Scope::of(&app, &person.account, &client)?;
    let nav = Nav::in_scope(&person, &scope);
    let base = nav.base();
    let read = app.engine.read();
    let (complaints, next, searched) = if filter.url.trim().is_empty() {
        let query = filter.query()?;
        let page = read.complaints(scope.tenant, &query).await?;
        let next = next_page(&page, PAGE, |c| {
            format!("{base}/complaints?{}", filter.next_after(c.id()))
        });
        let rows = page.iter().map(|c| row(&app, &base, c)).collect();
        (rows, next, false)
    } else {
        let listing = Listing::parse(filter.url.trim())
            .map_err(|e| WebError::BadRequest(format!("not a listing URL: {e}")))?;
        let mut rows = Vec::new();
        for found in read
            .complaints_on_listing(scope.tenant, &listing.key)
            .await?
        {
            if let Some(complaint) = read.complaint(scope.tenant, found.id).await? {
                rows.push(row(&app, &base, &complaint));
            }
        }
        (rows, None, true)
    };
    let statuses = ComplaintStatus::ALL
        .iter()
        .map(|status| (status.to_string(), status.to_string() == filter.status))
        .collect();
    render(&ComplaintsPage {
        title: "Complaints",
        nav,
        filter,
        statuses,
        complaints,
        next,
        searched,
    })
}

#[derive(Template)]
#[template(path = "complaint.html")]
struct ComplaintPage {
    title: &'static str,
    nav: Nav,
    id: String,
    url: String,
    title_shown: String,
    seller: String,
    right_link: String,
    reason: String,
    explanation: String,
    status: String,
    tone: &'static str,
    platform_shows: String,
    filed: String,
    timeline: Vec<TimelineView>,
    may_respond: bool,
    respond_path: String,
}

struct TimelineView {
    at: String,
    actor: String,
    change: String,
    reason: Option<String>,
    statement: Option<String>,
    evidence: Vec<String>,
}

/// `GET /c/{client}/complaints/{id}`.
pub(crate) async fn show(
    State(app): State<AppState>,
    person: Person,
    Path((client, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let scope = Scope::of(&app, &person.account, &client)?;
    let id: ComplaintId = parse_id(&id, "complaint id")?;
    let read = app.engine.read();
    let complaint = read
        .complaint(scope.tenant, id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("complaint {id}")))?;
    let history = read.history(scope.tenant, StreamId::Complaint(id)).await?;
    // The names of the people the history names: their accounts only, each read once.
    let mut people = std::collections::BTreeMap::new();
    for stored in &history {
        if let DomainEvent::Complaint(event) = &stored.event
            && let Actor::HolderUser { user, .. } | Actor::Operator { user } = event.actor
            && !people.contains_key(&user)
        {
            let name = app.accounts.get(user).await?.map(|account| account.name);
            people.insert(user, name);
        }
    }
    let names = |user| people.get(&user).cloned().flatten();
    let timeline = history
        .iter()
        .filter_map(|stored| match &stored.event {
            DomainEvent::Complaint(event) => Some(event),
            _ => None,
        })
        .map(|event| {
            let entry = TimelineEntry::of(&event.change);
            TimelineView {
                at: views::time(event.at),
                actor: views::actor(&event.actor, &names),
                change: entry.change,
                reason: entry.reason,
                statement: entry.statement,
                evidence: entry
                    .evidence
                    .iter()
                    .map(|e| format!("{} sha256:{}", e.kind, e.sha256))
                    .collect(),
            }
        })
        .collect();
    let nav = Nav::in_scope(&person, &scope);
    let summary = row(&app, &nav.base(), &complaint);
    let status = complaint.status();
    render(&ComplaintPage {
        title: "Complaint",
        id: id.to_string(),
        url: summary.url,
        title_shown: complaint.filed.details.title.clone().unwrap_or_default(),
        seller: summary.seller,
        right_link: format!("{}/rights/{}", nav.base(), complaint.filed.right),
        reason: complaint.filed.reason.to_string(),
        explanation: complaint.filed.explanation.as_str().to_owned(),
        status: summary.status,
        tone: summary.tone,
        platform_shows: summary.platform_shows,
        filed: summary.filed,
        timeline,
        may_respond: scope.role.may_act() && status == ComplaintStatus::CounterNoticed,
        respond_path: format!("{}/complaints/{id}/respond", nav.base()),
        nav,
    })
}

#[derive(Deserialize)]
pub(crate) struct Answer {
    csrf: String,
    statement: String,
}

/// `POST /c/{client}/complaints/{id}/respond`: the holder's answer to the latest
/// counter-notice, by the signed-in person.
pub(crate) async fn respond(
    State(app): State<AppState>,
    person: Person,
    Path((client, id)): Path<(String, String)>,
    PageForm(form): PageForm<Answer>,
) -> Result<Response, WebError> {
    person.check_form(&form.csrf)?;
    let scope = Scope::of(&app, &person.account, &client)?;
    scope.must_act()?;
    let id: ComplaintId = parse_id(&id, "complaint id")?;
    let statement =
        Text::new(&form.statement).map_err(|e| WebError::BadRequest(format!("statement: {e}")))?;
    let command = Command::complaint(
        id,
        ComplaintCommand::Respond {
            statement,
            evidence: Vec::new(),
        },
    );
    let started = Instant::now();
    let result = app
        .engine
        .execute(Request::new(scope.tenant, scope.actor, command))
        .await;
    telemetry::command_ran(
        "complaint.respond",
        if result.is_ok() { "ok" } else { "refused" },
        started,
    );
    result?;
    let nav = Nav::in_scope(&person, &scope);
    Ok(Redirect::to(&format!("{}/complaints/{id}", nav.base())).into_response())
}
