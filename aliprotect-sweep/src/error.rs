//! What can go wrong with sweeps and candidates.

use aliprotect_core::engine::EngineError;
use aliprotect_core::ids::{RightId, TenantId};
use aliprotect_core::store::StoreError;
use aliprotect_core::store::decided::DecidedError;

use crate::allowed::AuthorisedSellersRefusal;
use crate::candidate::{CandidateId, CandidateRefusal};
use crate::sweep::{SweepId, SweepRefusal};

/// Why a sweep, candidate or authorised-seller operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// The sweep machine refused the command.
    #[error(transparent)]
    SweepRefused(#[from] SweepRefusal),
    /// The candidate machine refused the command.
    #[error(transparent)]
    CandidateRefused(#[from] CandidateRefusal),
    /// The authorised-seller list refused the command.
    #[error(transparent)]
    SellersRefused(#[from] AuthorisedSellersRefusal),
    /// No such sweep in the tenant.
    #[error("no sweep {0}")]
    UnknownSweep(SweepId),
    /// No such candidate in the tenant.
    #[error("no candidate {0}")]
    UnknownCandidate(CandidateId),
    /// The candidate was given twice in one call; the first is acted on.
    #[error("candidate {0} given twice")]
    Repeated(CandidateId),
    /// The confirmed listing was not filed: the engine refused the whole request (an
    /// archived campaign, a right that is not usable), as it said.
    #[error("not filed: {0}")]
    NotFiled(String),
    /// No such right in the tenant.
    #[error("no right {0}")]
    UnknownRight(RightId),
    /// The sweep's reason does not fit the kind of its right.
    #[error("the reason `{reason}` does not fit a right of kind {kind}")]
    ReasonDoesNotFit {
        /// The reason.
        reason: String,
        /// The right's kind.
        kind: String,
    },
    /// The actor does not act in the tenant.
    #[error("the actor does not act for tenant {0}")]
    Forbidden(TenantId),
    /// Others kept committing to the same stream; nothing was written.
    #[error("the stream kept changing under the command; try again")]
    Contended,
    /// The engine failed (filing a confirmed candidate).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<R: Into<SweepError>> From<DecidedError<R>> for SweepError {
    fn from(error: DecidedError<R>) -> Self {
        match error {
            DecidedError::Refused(refusal) => refusal.into(),
            DecidedError::Store(error) => SweepError::Store(error),
            DecidedError::Contended => SweepError::Contended,
        }
    }
}
