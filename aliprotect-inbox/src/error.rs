//! What can go wrong reading an inbox.

use aliprotect_core::engine::EngineError;
use aliprotect_core::evidence::EvidenceError;
use aliprotect_core::ids::TenantId;
use aliprotect_core::store::StoreError;
use aliprotect_core::store::decided::DecidedError;

use crate::email::{EmailId, EmailRefusal};
use crate::source::InboxError;

/// Why reading an inbox, or acting on an email, failed. An email the rules cannot place is
/// no error: it is left for a person.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The inbox could not be read.
    #[error(transparent)]
    Inbox(#[from] InboxError),
    /// An email's bytes could not be kept as evidence: nothing of it was recorded.
    #[error("the email could not be kept as evidence: {0}")]
    Evidence(#[from] EvidenceError),
    /// The email machine refused the command.
    #[error(transparent)]
    EmailRefused(#[from] EmailRefusal),
    /// No such email in the tenant.
    #[error("no email {0}")]
    UnknownEmail(EmailId),
    /// The actor does not act for the tenant.
    #[error("the actor does not act for tenant {0}")]
    Forbidden(TenantId),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Others kept committing to the email's record; try again.
    #[error("the email's record kept changing; try again")]
    Contended,
}

impl From<DecidedError<EmailRefusal>> for ReadError {
    fn from(error: DecidedError<EmailRefusal>) -> Self {
        match error {
            DecidedError::Refused(refusal) => ReadError::EmailRefused(refusal),
            DecidedError::Store(error) => ReadError::Store(error),
            DecidedError::Contended => ReadError::Contended,
        }
    }
}
