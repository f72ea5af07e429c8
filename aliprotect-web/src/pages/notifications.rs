//! A client's notifications that could not be delivered (dead letters), and reviving them:
//! sent again from now, their attempts reset.

use aliprotect_core::notify::MessageId;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Nav, PageForm, render};
use crate::app::AppState;
use crate::auth::{Person, Scope};
use crate::error::WebError;
use crate::views;

/// Dead letters shown.
const SHOWN: usize = 200;

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    title: &'static str,
    nav: Nav,
    dead: Vec<DeadView>,
    /// Still to be sent; `None` when the store cannot list them.
    pending: Option<Vec<PendingView>>,
}

struct PendingView {
    subject: String,
    made: String,
    state: &'static str,
    attempts: u32,
    next_try: String,
}

struct DeadView {
    message: String,
    subject: String,
    made: String,
    attempts: u32,
    error: String,
}

/// `GET /c/{client}/notifications`.
pub(crate) async fn list(
    State(app): State<AppState>,
    person: Person,
    Path(client): Path<String>,
) -> Result<Response, WebError> {
    let scope = Scope::of(&app, &person.account, &client)?;
    scope.must_administer()?;
    let dead = app
        .engine
        .read()
        .dead_letters(scope.tenant, SHOWN)
        .await?
        .into_iter()
        .map(|letter| DeadView {
            message: serde_json::to_string(&letter.message.id).unwrap_or_default(),
            subject: letter.message.notification.subject.to_string(),
            made: views::time(letter.message.notification.at),
            attempts: letter.message.attempts,
            error: letter.error,
        })
        .collect();
    let pending = app
        .engine
        .read()
        .pending_notifications(scope.tenant, SHOWN)
        .await?
        .map(|messages| {
            messages
                .into_iter()
                .map(|message| PendingView {
                    subject: message.notification.subject.to_string(),
                    made: views::time(message.notification.at),
                    state: if message.attempts == 0 {
                        "queued"
                    } else {
                        "retrying"
                    },
                    attempts: message.attempts,
                    next_try: views::time(message.available_at),
                })
                .collect()
        });
    render(&NotificationsPage {
        title: "Notifications",
        nav: Nav::in_scope(&person, &scope),
        dead,
        pending,
    })
}

#[derive(Deserialize)]
pub(crate) struct Revive {
    csrf: String,
    message: String,
}

/// `POST /c/{client}/notifications/revive`.
pub(crate) async fn revive(
    State(app): State<AppState>,
    person: Person,
    Path(client): Path<String>,
    PageForm(form): PageForm<Revive>,
) -> Result<Response, WebError> {
    person.check_form(&form.csrf)?;
    let scope = Scope::of(&app, &person.account, &client)?;
    scope.must_administer()?;
    let id: MessageId = serde_json::from_str(&form.message)
        .map_err(|e| WebError::BadRequest(format!("not a message id: {e}")))?;
    // Another client's message is not found: the engine checks the tenant.
    if !app
        .engine
        .jobs()
        .retry_dead_letter(scope.tenant, &id)
        .await?
    {
        return Err(WebError::NotFound("dead letter".to_owned()));
    }
    let nav = Nav::in_scope(&person, &scope);
    Ok(Redirect::to(&format!("{}/notifications", nav.base())).into_response())
}
