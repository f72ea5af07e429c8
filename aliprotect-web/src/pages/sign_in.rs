//! Signing in and out.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::{Nav, PageForm, render};
use crate::accounts::AccountError;
use crate::app::AppState;
use crate::attempts::Attempts;
use crate::auth::{ClientIp, Person};
use crate::error::WebError;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    title: &'static str,
    nav: Nav,
    error: Option<String>,
    email: String,
    next: String,
}

#[derive(Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
}

/// Only a path of this site is followed after signing in (no open redirect).
fn local_path(next: Option<&str>) -> String {
    match next {
        // Not `//host` nor `/\host`, nor one hiding either behind a tab or a newline (which
        // browsers drop from URLs).
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// `GET /login`.
pub(crate) async fn form(Query(next): Query<Next>) -> Result<Response, WebError> {
    render(&LoginPage {
        title: "Sign in",
        nav: Nav::anonymous(),
        error: None,
        email: String::new(),
        next: local_path(next.next.as_deref()),
    })
}

#[derive(Deserialize)]
pub(crate) struct Credentials {
    email: String,
    password: String,
    next: Option<String>,
}

/// `POST /login`: a new session for the right password; the same answer for an unknown
/// address as for a wrong password; a few failures a minute per address and client IP.
pub(crate) async fn submit(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    PageForm(credentials): PageForm<Credentials>,
) -> Result<Response, WebError> {
    let email = credentials.email.trim().to_lowercase();
    let next = local_path(credentials.next.as_deref());
    let refused = |message: String| {
        render(&LoginPage {
            title: "Sign in",
            nav: Nav::anonymous(),
            error: Some(message),
            email: credentials.email.clone(),
            next: next.clone(),
        })
        .map(|page| (axum::http::StatusCode::UNAUTHORIZED, page).into_response())
    };
    let key = Attempts::key(ip, &email);
    if app.sign_ins.blocked(&key) {
        tracing::warn!(?email, "sign-in refused: too many failures");
        let page = refused(WebError::TooManyAttempts.to_string())?;
        return Ok((axum::http::StatusCode::TOO_MANY_REQUESTS, page).into_response());
    }
    match app.accounts.sign_in(&email, &credentials.password).await {
        Ok(account) => {
            app.sign_ins.succeeded(&key);
            Person::sign_in(&session, &account).await?;
            tracing::info!(account = %account.id, "signed in");
            Ok(Redirect::to(&next).into_response())
        }
        Err(AccountError::WrongCredentials) => {
            app.sign_ins.failed(&key);
            tracing::info!(?email, "sign-in failed");
            refused(AccountError::WrongCredentials.to_string())
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub(crate) struct Posted {
    csrf: String,
}

/// `POST /logout`: the session ends in every process.
pub(crate) async fn sign_out(
    person: Person,
    PageForm(form): PageForm<Posted>,
) -> Result<Response, WebError> {
    person.check_form(&form.csrf)?;
    person.sign_out().await?;
    Ok(Redirect::to("/login").into_response())
}
