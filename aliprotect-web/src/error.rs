//! What a request can fail with, and how each failure answers: a page for people, JSON for
//! programs. Nothing about the store's internals reaches either; the details go to the log.

use aliprotect_core::engine::EngineError;
use aliprotect_core::store::StoreError;
use axum::http::StatusCode;

use crate::accounts::AccountError;
use crate::tokens::TokenError;

/// Why a request was not served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebError {
    /// Nobody is signed in (or the session ended).
    #[error("sign in first")]
    SignIn,
    /// No API token, or one that is unknown, revoked, tampered with, or older than the
    /// account's last password change.
    #[error("missing or invalid API token")]
    BadToken,
    /// A form without this session's token: opened before signing in again, or made by
    /// another site.
    #[error("this form has expired: reload the page and try again")]
    StaleForm,
    /// The caller may not do this for this client (a client viewer acting, say).
    #[error("your role for this client does not allow this")]
    Forbidden,
    /// The engine refused the command from this side (a holder recording what only the
    /// platform decides, say).
    #[error("{0}")]
    ForbiddenCommand(String),
    /// No such thing for this caller: an unknown id, or another client's (which is not
    /// told apart, so that ids of other clients cannot be probed).
    #[error("{0} not found")]
    NotFound(String),
    /// The request is malformed: a bad id, URL, or field.
    #[error("{0}")]
    BadRequest(String),
    /// The request's body is larger than the server takes.
    #[error("the request is too large")]
    TooLarge,
    /// The engine refused the command: the rule it broke.
    #[error("{0}")]
    Refused(String),
    /// The request raced another: try again.
    #[error("{0}")]
    Conflict(String),
    /// Too many sign-in attempts: wait a minute.
    #[error("too many attempts; wait a minute")]
    TooManyAttempts,
    /// Another site's request to change something.
    #[error("a request from another site is refused")]
    CrossSite,
    /// The server is busy (checking passwords); try again shortly.
    #[error("{0}")]
    Unavailable(String),
    /// The server failed; the log says why.
    #[error("the server failed; the log has the details")]
    Internal(String),
}

impl WebError {
    /// The HTTP status the failure answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::SignIn | WebError::BadToken => StatusCode::UNAUTHORIZED,
            WebError::StaleForm => StatusCode::FORBIDDEN,
            WebError::Forbidden | WebError::CrossSite | WebError::ForbiddenCommand(_) => {
                StatusCode::FORBIDDEN
            }
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short machine-readable name of the failure, for the API's `error` field.
    pub fn code(&self) -> &'static str {
        match self {
            WebError::SignIn | WebError::BadToken => "unauthenticated",
            WebError::StaleForm => "stale_form",
            WebError::Forbidden | WebError::ForbiddenCommand(_) => "forbidden",
            WebError::CrossSite => "cross_site",
            WebError::NotFound(_) => "not_found",
            WebError::BadRequest(_) => "bad_request",
            WebError::TooLarge => "too_large",
            WebError::Refused(_) => "refused",
            WebError::Conflict(_) => "conflict",
            WebError::TooManyAttempts => "too_many_attempts",
            WebError::Unavailable(_) => "unavailable",
            WebError::Internal(_) => "internal",
        }
    }

    pub(crate) fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "request failed");
        WebError::Internal(error.to_string())
    }
}

impl From<EngineError> for WebError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::NotFound(stream) => WebError::NotFound(stream.to_string()),
            EngineError::Conflict { .. } => WebError::Conflict(error.to_string()),
            EngineError::Store(StoreError::Conflict { .. }) => {
                WebError::Conflict(error.to_string())
            }
            EngineError::Store(_) => WebError::internal(error),
            EngineError::Policy(_) => WebError::internal(error),
            // Said without the actor's inner ids: the command and why.
            EngineError::Forbidden {
                command, reason, ..
            } => WebError::ForbiddenCommand(format!("`{command}` is not yours to issue: {reason}")),
            other => WebError::Refused(other.to_string()),
        }
    }
}

impl From<StoreError> for WebError {
    fn from(error: StoreError) -> Self {
        WebError::internal(error)
    }
}

impl From<AccountError> for WebError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Refused(refusal) => WebError::Refused(refusal.to_string()),
            AccountError::WeakPassword => WebError::BadRequest(error.to_string()),
            AccountError::WrongCredentials => WebError::BadRequest(error.to_string()),
            AccountError::Contended => WebError::Conflict(error.to_string()),
            AccountError::Busy => WebError::Unavailable(error.to_string()),
            other => WebError::internal(other),
        }
    }
}

impl From<TokenError> for WebError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Refused(refusal) => WebError::Refused(refusal.to_string()),
            TokenError::Invalid => WebError::BadToken,
            TokenError::Contended => WebError::Conflict(error.to_string()),
            other => WebError::internal(other),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(error: askama::Error) -> Self {
        WebError::internal(error)
    }
}
