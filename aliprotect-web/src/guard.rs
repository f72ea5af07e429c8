//! Refuses requests from other sites that would change something (cross-site request
//! forgery), by what the browser says of the request's origin: `Sec-Fetch-Site` where the
//! browser sends it, else `Origin` against `Host`. Programs sending neither (curl, API
//! clients with a token) are not browsers acting for a signed-in person, and pass; every
//! form also carries its session's token ([`crate::auth::Person::check_form`]).

use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::WebError;
use crate::pages::error_page;

/// Refuses an unsafe method sent from another origin.
pub(crate) async fn refuse_cross_site(request: Request, next: Next) -> Response {
    if is_safe(request.method()) || !from_another_site(&request) {
        return next.run(request).await;
    }
    tracing::warn!(
        path = %request.uri().path(),
        "refused a state-changing request from another site"
    );
    if request.uri().path().starts_with("/api/") {
        crate::api::ApiError(WebError::CrossSite).into_response()
    } else {
        error_page(&WebError::CrossSite)
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn from_another_site(request: &Request) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none`: typed in the address bar or a bookmark; `same-origin`: our own pages.
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|origin| origin.split_once("://"))
        .map(|(_, host)| host.trim_end_matches('/'));
    // `Origin: null` (a sandboxed frame, a redirect across sites) is another site too.
    match (origin_host, host) {
        (Some(origin), Some(host)) => !origin.eq_ignore_ascii_case(host),
        _ => true,
    }
}
