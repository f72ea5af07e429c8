//! The review queue of what keyword sweeps found: listings to confirm (filed at once, under
//! the sweep's right and reason) or dismiss (with why), many at a time.

use aliprotect_core::text::Text;
use aliprotect_sweep::{CandidateId, CandidateQuery, CandidateStatus, SweepError, Sweeps};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Nav, next_page, render};
use crate::app::{App, AppState};
use crate::auth::{Person, Scope};
use crate::error::WebError;
use crate::input::parse_id;
use crate::views;

/// Candidates per page.
const PAGE: usize = 100;

#[derive(Template)]
#[template(path = "candidates.html")]
struct CandidatesPage {
    title: &'static str,
    nav: Nav,
    candidates: Vec<CandidateRow>,
    next: Option<String>,
    outcomes: Vec<String>,
}

struct CandidateRow {
    id: String,
    url: String,
    title: String,
    seller: String,
    keyword: String,
    status: &'static str,
    found: String,
}

#[derive(Deserialize)]
pub(crate) struct After {
    after: Option<String>,
}

async fn page(
    app: &App,
    person: &Person,
    scope: &Scope,
    after: Option<CandidateId>,
    outcomes: Vec<String>,
) -> Result<Response, WebError> {
    let sweeps = Sweeps::new(&app.engine);
    let mut query = CandidateQuery::all();
    query.limit = PAGE;
    if let Some(after) = after {
        query = query.after(after);
    }
    // Open candidates of both kinds: new listings and relistings, in id order.
    let mut found = Vec::new();
    let relisting = CandidateStatus::code_of("relisting").unwrap_or(1);
    for status in [CandidateStatus::ToReview.code(), relisting] {
        found.extend(
            sweeps
                .candidates(scope.tenant, &query.clone().in_status(status))
                .await
                .map_err(sweep_error)?,
        );
    }
    found.sort_by_key(|candidate| candidate.id);
    found.truncate(PAGE);
    let nav = Nav::in_scope(person, scope);
    let next = next_page(&found, PAGE, |c| {
        format!("{}/candidates?after={}", nav.base(), c.id)
    });
    let candidates = found
        .iter()
        .map(|candidate| CandidateRow {
            id: candidate.id.to_string(),
            url: candidate.listing.url.to_string(),
            title: candidate.details.title.clone().unwrap_or_default(),
            seller: candidate.details.seller_name.clone().unwrap_or_default(),
            keyword: candidate.keyword.clone(),
            status: candidate.status.name(),
            found: views::time(candidate.found_at),
        })
        .collect();
    render(&CandidatesPage {
        title: "Candidates",
        nav,
        candidates,
        next,
        outcomes,
    })
}

fn sweep_error(error: SweepError) -> WebError {
    match error {
        SweepError::Engine(error) => error.into(),
        SweepError::Store(error) => error.into(),
        SweepError::UnknownCandidate(id) => WebError::NotFound(format!("candidate {id}")),
        other => WebError::Refused(other.to_string()),
    }
}

/// `GET /c/{client}/candidates`.
pub(crate) async fn list(
    State(app): State<AppState>,
    person: Person,
    Path(client): Path<String>,
    Query(after): Query<After>,
) -> Result<Response, WebError> {
    let scope = Scope::of(&app, &person.account, &client)?;
    let after = match after.after.as_deref().filter(|a| !a.is_empty()) {
        Some(after) => Some(parse_id::<CandidateId>(after, "candidate id")?),
        None => None,
    };
    page(&app, &person, &scope, after, Vec::new()).await
}

/// `POST /c/{client}/candidates`: `action=confirm` or `action=dismiss` (with `reason`) for
/// every checked `id`; each one's outcome is shown.
pub(crate) async fn decide(
    State(app): State<AppState>,
    person: Person,
    Path(client): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    // Repeated `id` fields: read by hand, since a plain form struct keeps one of them.
    let (mut csrf, mut action, mut reason, mut ids) =
        (String::new(), String::new(), String::new(), Vec::new());
    for (name, value) in url::form_urlencoded::parse(&body) {
        match name.as_ref() {
            "csrf" => csrf = value.into_owned(),
            "action" => action = value.into_owned(),
            "reason" => reason = value.into_owned(),
            "id" => ids.push(parse_id::<CandidateId>(&value, "candidate id")?),
            _ => {}
        }
    }
    person.check_form(&csrf)?;
    let scope = Scope::of(&app, &person.account, &client)?;
    scope.must_act()?;
    if ids.is_empty() {
        return Err(WebError::BadRequest(
            "tick at least one candidate".to_owned(),
        ));
    }
    let sweeps = Sweeps::new(&app.engine);
    let outcomes: Vec<String> = match action.as_str() {
        "confirm" => sweeps
            .confirm(scope.tenant, scope.actor, &ids)
            .await
            .map_err(sweep_error)?
            .into_iter()
            .map(|(id, result)| match result {
                Ok(complaint) => format!("{id}: filed as complaint {complaint}"),
                Err(error) => format!("{id}: not filed: {error}"),
            })
            .collect(),
        "dismiss" => {
            let reason = Text::new(&reason)
                .map_err(|e| WebError::BadRequest(format!("a dismissal needs a reason: {e}")))?;
            sweeps
                .dismiss(scope.tenant, scope.actor, &ids, &reason)
                .await
                .map_err(sweep_error)?
                .into_iter()
                .map(|(id, result)| match result {
                    Ok(()) => format!("{id}: dismissed"),
                    Err(error) => format!("{id}: not dismissed: {error}"),
                })
                .collect()
        }
        other => return Err(WebError::BadRequest(format!("no action {other:?}"))),
    };
    page(&app, &person, &scope, None, outcomes).await
}
