//! The start page: the clients the person works for.

use askama::Template;
use axum::response::Response;

use super::{Nav, render, segment};
use crate::auth::Person;
use crate::error::WebError;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    title: &'static str,
    nav: Nav,
    clients: Vec<ClientLink>,
}

struct ClientLink {
    name: String,
    path: String,
    role: &'static str,
}

/// `GET /`.
pub(crate) async fn show(person: Person) -> Result<Response, WebError> {
    let clients = person
        .account
        .grants
        .iter()
        .map(|(name, role)| ClientLink {
            name: name.clone(),
            path: format!("/c/{}", segment(name)),
            role: role.name(),
        })
        .collect();
    render(&HomePage {
        title: "Clients",
        nav: Nav::of(&person),
        clients,
    })
}
