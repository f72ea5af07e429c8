//! The pages: server-rendered with askama (checked when the crate compiles, escaped by
//! default), plain forms, no script.

mod account;
mod campaigns;
mod candidates;
mod complaints;
mod filing;
mod home;
mod notifications;
mod rights;
mod sign_in;
mod today;

pub(crate) use today::timer_label;

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::app::AppState;
use crate::auth::{Person, Scope};
use crate::error::WebError;

/// Every page's route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(sign_in::form).post(sign_in::submit))
        .route("/logout", post(sign_in::sign_out))
        .route("/", get(home::show))
        .route("/account", get(account::show))
        .route("/account/password", post(account::change_password))
        .route("/account/tokens", post(account::issue_token))
        .route("/account/tokens/revoke", post(account::revoke_token))
        .route("/c/{client}", get(today::show))
        .route("/c/{client}/rights", get(rights::list))
        .route("/c/{client}/rights/{id}", get(rights::show))
        .route("/c/{client}/complaints", get(complaints::list))
        .route("/c/{client}/complaints/{id}", get(complaints::show))
        .route(
            "/c/{client}/complaints/{id}/respond",
            post(complaints::respond),
        )
        .route("/c/{client}/file", get(filing::form).post(filing::submit))
        .route("/c/{client}/notifications", get(notifications::list))
        .route(
            "/c/{client}/notifications/revive",
            post(notifications::revive),
        )
        .route(
            "/c/{client}/candidates",
            get(candidates::list).post(candidates::decide),
        )
        .route("/c/{client}/campaigns", get(campaigns::list))
        .route("/c/{client}/campaigns/{id}/report", get(campaigns::report))
}

/// The header every page shows: who is signed in, the client's sections, the form token of
/// the sign-out button.
#[derive(Clone)]
pub(crate) struct Nav {
    pub(crate) person: Option<String>,
    pub(crate) client: Option<String>,
    pub(crate) csrf: String,
    pub(crate) may_act: bool,
    pub(crate) may_administer: bool,
}

impl Nav {
    /// The header of a page outside any client.
    pub(crate) fn of(person: &Person) -> Self {
        Self {
            person: Some(person.account.name.clone()),
            client: None,
            csrf: person.csrf.clone(),
            may_act: false,
            may_administer: false,
        }
    }

    /// The header of a page of the client of `scope`.
    pub(crate) fn in_scope(person: &Person, scope: &Scope) -> Self {
        Self {
            client: Some(scope.client.clone()),
            may_act: scope.role.may_act(),
            may_administer: scope.role.may_administer(),
            ..Self::of(person)
        }
    }

    /// The path of the client's pages: `/c/<client>`.
    pub(crate) fn base(&self) -> String {
        format!("/c/{}", segment(self.client.as_deref().unwrap_or_default()))
    }

    /// The header of a page for nobody signed in.
    pub(crate) fn anonymous() -> Self {
        Self {
            person: None,
            client: None,
            csrf: String::new(),
            may_act: false,
            may_administer: false,
        }
    }
}

/// A posted form, refused with the error page (not the framework's plain text) when a
/// field is missing or malformed.
pub(crate) struct PageForm<T>(pub(crate) T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for PageForm<T> {
    type Rejection = WebError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, WebError> {
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(value)) => Ok(PageForm(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(WebError::TooLarge)
            }
            Err(rejection) => Err(WebError::BadRequest(rejection.body_text())),
        }
    }
}

/// The link to the page after `items` when they fill a page of `size` (keyset paging: the
/// next page starts after the last item), made by `link_after`.
pub(crate) fn next_page<T>(
    items: &[T],
    size: usize,
    link_after: impl FnOnce(&T) -> String,
) -> Option<String> {
    items.last().filter(|_| items.len() == size).map(link_after)
}

/// A rendered page, or the error page.
pub(crate) fn render(page: &impl Template) -> Result<Response, WebError> {
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    nav: Nav,
    message: String,
}

/// The page of a failure, with its status; a request without a session is sent to sign in.
pub(crate) fn error_page(error: &WebError) -> Response {
    if matches!(error, WebError::SignIn) {
        return Redirect::to("/login").into_response();
    }
    let page = ErrorPage {
        title: "Something went wrong",
        nav: Nav::anonymous(),
        message: error.to_string(),
    };
    match page.render() {
        Ok(html) => (error.status(), Html(html)).into_response(),
        Err(_) => (error.status(), error.to_string()).into_response(),
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        error_page(&self)
    }
}

/// Any path no route serves.
pub(crate) async fn not_found() -> Response {
    error_page(&WebError::NotFound("page".to_owned()))
}

/// The one stylesheet.
pub(crate) async fn stylesheet() -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

/// A path segment (a client's name) as it goes into a link.
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::next_page;

    #[test]
    fn only_a_full_page_links_to_the_next_one_after_its_last_item() {
        let link = |last: &u32| format!("?after={last}");
        assert_eq!(next_page(&[1, 2, 3], 3, link), Some("?after=3".to_owned()));
        assert_eq!(next_page(&[1, 2], 3, link), None);
        assert_eq!(next_page(&[] as &[u32], 0, link), None);
    }
}
