//! The signed-in person's own account: changing the password (which ends every other
//! session) and the API tokens they issued.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::{Nav, PageForm, render};
use crate::accounts::AccountError;
use crate::app::AppState;
use crate::attempts::Attempts;
use crate::auth::{ClientIp, Person};
use crate::error::WebError;
use crate::views;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    title: &'static str,
    nav: Nav,
    email: String,
    tokens: Vec<TokenView>,
    new_token: Option<String>,
    message: Option<String>,
    error: Option<String>,
}

struct TokenView {
    id: String,
    name: String,
    issued: String,
    revoked: Option<String>,
}

async fn page(
    app: &AppState,
    person: &Person,
    new_token: Option<String>,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let tokens = app
        .tokens
        .of(&person.account)
        .await?
        .into_iter()
        .map(|token| TokenView {
            id: token.id.to_string(),
            name: token.name,
            issued: views::time(token.issued_at),
            revoked: token.revoked_at.map(views::time),
        })
        .collect();
    render(&AccountPage {
        title: "Your account",
        nav: Nav::of(person),
        email: person.account.email.clone(),
        tokens,
        new_token,
        message,
        error,
    })
}

/// `GET /account`.
pub(crate) async fn show(
    State(app): State<AppState>,
    person: Person,
) -> Result<Response, WebError> {
    page(&app, &person, None, None, None).await
}

#[derive(Deserialize)]
pub(crate) struct PasswordChange {
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

/// `POST /account/password`: every session of the account ends, this one included; the
/// person signs in again with the new password.
pub(crate) async fn change_password(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    person: Person,
    PageForm(form): PageForm<PasswordChange>,
) -> Result<Response, WebError> {
    person.check_form(&form.csrf)?;
    // The current password is a sign-in of its own: limited the same way.
    let key = Attempts::key(ip, &person.account.email);
    if app.sign_ins.blocked(&key) {
        return page(
            &app,
            &person,
            None,
            None,
            Some(WebError::TooManyAttempts.to_string()),
        )
        .await;
    }
    if form.new != form.repeat {
        return page(
            &app,
            &person,
            None,
            None,
            Some("the two new passwords differ".to_owned()),
        )
        .await;
    }
    match app
        .accounts
        .change_own_password(&person.account, &form.current, &form.new)
        .await
    {
        Ok(_) => {
            person.sign_out().await?;
            Ok(Redirect::to("/login").into_response())
        }
        Err(error @ (AccountError::WrongCredentials | AccountError::WeakPassword)) => {
            let message = match error {
                AccountError::WrongCredentials => {
                    app.sign_ins.failed(&key);
                    "the current password is wrong".to_owned()
                }
                other => other.to_string(),
            };
            page(&app, &person, None, None, Some(message)).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub(crate) struct NewToken {
    csrf: String,
    name: String,
}

/// `POST /account/tokens`: the token is shown once, here, and never again.
pub(crate) async fn issue_token(
    State(app): State<AppState>,
    person: Person,
    PageForm(form): PageForm<NewToken>,
) -> Result<Response, WebError> {
    person.check_form(&form.csrf)?;
    let (token, _) = app.tokens.issue(&person.account, &form.name).await?;
    page(
        &app,
        &person,
        Some(token),
        Some("Copy the token now: it is not shown again.".to_owned()),
        None,
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct RevokeToken {
    csrf: String,
    id: String,
}

/// `POST /account/tokens/revoke`.
pub(crate) async fn revoke_token(
    State(app): State<AppState>,
    person: Person,
    PageForm(form): PageForm<RevokeToken>,
) -> Result<Response, WebError> {
    person.check_form(&form.csrf)?;
    let id = Uuid::try_parse(form.id.trim())
        .map_err(|_| WebError::BadRequest(format!("not a token id: {:?}", form.id)))?;
    app.tokens
        .revoke(&person.account, id)
        .await
        .map_err(|_| WebError::NotFound("token".to_owned()))?;
    Ok(Redirect::to("/account").into_response())
}
