//! A client's rights, and one right with each review attempt and the platform's reasons
//! verbatim.

use aliprotect_core::engine::Page;
use aliprotect_core::ids::RightId;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Nav, next_page, render};
use crate::app::AppState;
use crate::auth::{Person, Scope};
use crate::error::WebError;
use crate::input::parse_id;
use crate::views;

/// Rights per page.
const PAGE: usize = 100;

#[derive(Template)]
#[template(path = "rights.html")]
struct RightsPage {
    title: &'static str,
    nav: Nav,
    rights: Vec<RightRow>,
    next: Option<String>,
}

struct RightRow {
    link: String,
    name: String,
    kind: String,
    number: String,
    status: String,
    tone: &'static str,
    attempts: u32,
    expires: String,
}

#[derive(Deserialize)]
pub(crate) struct After {
    after: Option<String>,
}

/// `GET /c/{client}/rights`.
pub(crate) async fn list(
    State(app): State<AppState>,
    person: Person,
    Path(client): Path<String>,
    Query(after): Query<After>,
) -> Result<Response, WebError> {
    let scope = Scope::of(&app, &person.account, &client)?;
    let nav = Nav::in_scope(&person, &scope);
    let mut page = Page::first(PAGE);
    if let Some(after) = after.after.as_deref().filter(|a| !a.is_empty()) {
        page = page.after(parse_id::<RightId>(after, "right id")?);
    }
    let rights = app.engine.read().rights(scope.tenant, page).await?;
    let next = next_page(&rights, PAGE, |r| {
        format!("{}/rights?after={}", nav.base(), r.id)
    });
    let rows = rights
        .iter()
        .map(|right| RightRow {
            link: format!("{}/rights/{}", nav.base(), right.id),
            name: views::right_name(right),
            kind: right.package.kind().to_string(),
            number: right.package.registration.number().to_string(),
            status: right.status.to_string(),
            tone: views::right_tone(right.status),
            attempts: right.attempts,
            expires: right
                .package
                .registration
                .expires_on()
                .map_or_else(|| "—".to_owned(), |date| date.to_string()),
        })
        .collect();
    render(&RightsPage {
        title: "Rights",
        nav,
        rights: rows,
        next,
    })
}

#[derive(Template)]
#[template(path = "right.html")]
struct RightPage {
    title: &'static str,
    nav: Nav,
    name: String,
    id: String,
    kind: String,
    number: String,
    holder: String,
    status: String,
    tone: &'static str,
    attempts: u32,
    expires: String,
    approved: String,
    evidence: Vec<String>,
    rejections: Vec<RejectionView>,
    complaints_link: String,
}

struct RejectionView {
    attempt: u32,
    at: String,
    reason: String,
    fixes: Vec<String>,
}

/// `GET /c/{client}/rights/{id}`.
pub(crate) async fn show(
    State(app): State<AppState>,
    person: Person,
    Path((client, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let scope = Scope::of(&app, &person.account, &client)?;
    let id: RightId = parse_id(&id, "right id")?;
    let right = app
        .engine
        .read()
        .right(scope.tenant, id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("right {id}")))?;
    let nav = Nav::in_scope(&person, &scope);
    render(&RightPage {
        title: "Right",
        complaints_link: format!("{}/complaints?right={id}", nav.base()),
        nav,
        name: views::right_name(&right),
        id: right.id.to_string(),
        kind: right.package.kind().to_string(),
        number: right.package.registration.number().to_string(),
        holder: right.package.holder.name.clone(),
        status: right.status.to_string(),
        tone: views::right_tone(right.status),
        attempts: right.attempts,
        expires: right
            .package
            .registration
            .expires_on()
            .map_or_else(|| "—".to_owned(), |date| date.to_string()),
        approved: views::maybe_time(right.approved_at),
        evidence: right
            .package
            .evidence
            .iter()
            .map(|e| format!("{} sha256:{}", e.kind, e.sha256))
            .collect(),
        rejections: right
            .rejections
            .iter()
            .map(|r| RejectionView {
                attempt: r.attempt,
                at: views::time(r.at),
                reason: r.reason.as_str().to_owned(),
                fixes: r
                    .fixes
                    .iter()
                    .map(|f| f.instruction.as_str().to_owned())
                    .collect(),
            })
            .collect(),
    })
}
