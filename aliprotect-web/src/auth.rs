//! Who is asking, and what they may do for which client.
//!
//! A page's caller is the [`Person`] of the session cookie; an API caller presents a token
//! ([`Caller::from_token`]). Either way each request reads the account afresh, so a role
//! withdrawn or a password changed takes effect on the next request, in every process.

use aliprotect_core::ids::{TenantId, UserId};
use aliprotect_core::party::Actor;
use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore;
use tower_sessions::Session;

use crate::accounts::{Account, Role};
use crate::app::{App, AppState};
use crate::error::WebError;

/// Session keys.
const ACCOUNT: &str = "account";
const EPOCH: &str = "password_epoch";
const CSRF: &str = "csrf";

/// The signed-in person of a page request, with the session's form token.
pub(crate) struct Person {
    pub(crate) account: Account,
    pub(crate) csrf: String,
    pub(crate) session: Session,
}

impl Person {
    /// Starts a session for `account`: a new session id (no fixation), a new form token.
    pub(crate) async fn sign_in(session: &Session, account: &Account) -> Result<(), WebError> {
        session.cycle_id().await.map_err(WebError::internal)?;
        let mut token = [0u8; 32];
        rand::rng().fill_bytes(&mut token);
        session
            .insert(ACCOUNT, account.id)
            .await
            .map_err(WebError::internal)?;
        session
            .insert(EPOCH, account.password_epoch)
            .await
            .map_err(WebError::internal)?;
        session
            .insert(CSRF, hex::encode(token))
            .await
            .map_err(WebError::internal)
    }

    /// Ends the session, here and in every process.
    pub(crate) async fn sign_out(self) -> Result<(), WebError> {
        self.session.flush().await.map_err(WebError::internal)
    }

    /// Refuses a form that does not carry this session's token.
    pub(crate) fn check_form(&self, token: &str) -> Result<(), WebError> {
        use subtle_compare::equal;
        if equal(token.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            tracing::warn!(account = %self.account.id, "a form without this session's token");
            Err(WebError::StaleForm)
        }
    }
}

/// Constant-time comparison, so that a form token cannot be guessed byte by byte.
mod subtle_compare {
    pub(super) fn equal(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl FromRequestParts<AppState> for Person {
    /// The error page; without a session, the sign-in page, which leads back to the page
    /// asked for (a link followed after the session ended lands where it pointed).
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        Self::of_session(parts, app).await.map_err(|error| {
            match (&error, &parts.method, parts.uri.path_and_query()) {
                (WebError::SignIn, &Method::GET, Some(wanted)) if wanted.as_str() != "/" => {
                    let next: String =
                        url::form_urlencoded::byte_serialize(wanted.as_str().as_bytes()).collect();
                    Redirect::to(&format!("/login?next={next}")).into_response()
                }
                _ => error.into_response(),
            }
        })
    }
}

impl Person {
    async fn of_session(parts: &mut Parts, app: &AppState) -> Result<Self, WebError> {
        let session = Session::from_request_parts(parts, app)
            .await
            .map_err(|(_, why)| WebError::internal(why))?;
        let read = async {
            let account: Option<UserId> = session.get(ACCOUNT).await?;
            let epoch: Option<u32> = session.get(EPOCH).await?;
            let csrf: Option<String> = session.get(CSRF).await?;
            Ok::<_, tower_sessions::session::Error>((account, epoch, csrf))
        };
        let (Some(id), Some(epoch), Some(csrf)) = read.await.map_err(WebError::internal)? else {
            return Err(WebError::SignIn);
        };
        match app.accounts.get(id).await? {
            Some(account) if account.password_epoch == epoch => Ok(Person {
                account,
                csrf,
                session,
            }),
            // The password changed since (or the account is gone): the session is over.
            _ => {
                session.flush().await.map_err(WebError::internal)?;
                Err(WebError::SignIn)
            }
        }
    }
}

/// What a caller may do for one client.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub(crate) client: String,
    pub(crate) tenant: TenantId,
    pub(crate) role: Role,
    pub(crate) actor: Actor,
}

impl Scope {
    /// The caller's scope in `client`; another client's is "not found", as if it did not
    /// exist.
    pub(crate) fn of(app: &App, account: &Account, client: &str) -> Result<Self, WebError> {
        let role = account
            .role_for(client)
            .ok_or_else(|| WebError::NotFound(format!("client {client}")))?;
        let tenant = app.tenant_of(client);
        Ok(Scope {
            client: client.to_owned(),
            tenant,
            role,
            actor: account.actor_in(tenant),
        })
    }

    /// Refuses a caller who may only read.
    pub(crate) fn must_act(&self) -> Result<(), WebError> {
        if self.role.may_act() {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }

    /// Refuses a caller who does not run the client's deployment.
    pub(crate) fn must_administer(&self) -> Result<(), WebError> {
        if self.role.may_administer() {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }
}

/// The account an API token acts as.
pub(crate) struct Caller {
    pub(crate) account: Account,
}

impl Caller {
    async fn from_token(app: &App, token: &str) -> Result<Self, WebError> {
        let token = app.tokens.authenticate(token).await?;
        match app.accounts.get(token.account).await? {
            Some(account) if account.password_epoch == token.password_epoch => {
                Ok(Caller { account })
            }
            // Issued before the password last changed: over, like the sessions of then.
            _ => Err(WebError::BadToken),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = crate::api::ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, crate::api::ApiError> {
        // The scheme's name is case-insensitive (RFC 9110).
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token)
            .ok_or(WebError::BadToken)?;
        Ok(Caller::from_token(app, token.trim()).await?)
    }
}

/// The client's IP address, when the server was started with
/// `into_make_service_with_connect_info::<SocketAddr>()` (as `aliprotect serve` is).
pub(crate) struct ClientIp(pub(crate) Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}
