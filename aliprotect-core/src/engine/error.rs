//! What can go wrong when the engine runs a command.

use crate::authority::Issuer;
use crate::campaign::CampaignRefusal;
use crate::complaint::ComplaintRefusal;
use crate::filer::FilerRefusal;
use crate::ids::RightsHolderId;
use crate::party::Actor;
use crate::power::PowerRefusal;
use crate::right::RightRefusal;
use crate::store::{IdempotencyKey, StoreError, StreamId};

/// Why an actor may not issue a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Forbidden {
    /// The command belongs to another side of the process (a holder recording an approval).
    #[error("only {allowed:?} may issue this command")]
    WrongSide {
        /// The sides that may.
        allowed: &'static [Issuer],
    },
    /// The actor acts in another tenant.
    #[error("the actor belongs to another tenant")]
    OtherTenant,
    /// A representative without a power of attorney in force for this holder and right.
    #[error("no power of attorney in force from holder {holder}")]
    NoPowerOfAttorney {
        /// The holder whose power is missing.
        holder: RightsHolderId,
    },
    /// Only the holder's own users may grant or revoke powers of attorney.
    #[error("only the holder's own users may grant or revoke powers of attorney")]
    HolderUsersOnly,
}

/// Why an engine will not work on a store: the rules it was given are not the rules the
/// store's data follows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The store records no policy yet (it holds no data of an engine): open it with a
    /// policy ([`Engine::new`](super::Engine::new)), which records it on first use.
    #[error(
        "the store records no policy yet: give the engine one, and it is recorded on first use"
    )]
    NotRecorded,
    /// The store's data follows another policy than the engine's.
    #[error(
        "the store's data follows the policy `{stored}` (revision {revision}), not `{configured}`: \
         open it with that policy, or change it on purpose with Engine::adopt_policy"
    )]
    Mismatch {
        /// The name of the stored policy.
        stored: String,
        /// How many times the store's policy was set.
        revision: u32,
        /// The name of the engine's policy (the same name may carry other figures).
        configured: String,
    },
    /// The engine's policy is already the store's: there is nothing to change.
    #[error("the store already follows this policy")]
    Unchanged,
    /// The store's policy could not be read.
    #[error("the store's policy could not be checked: {detail}")]
    Unreadable {
        /// What went wrong.
        detail: String,
    },
}

/// Why a command was not carried out. In every case nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The right machine refused the command.
    #[error(transparent)]
    RightRefused(#[from] RightRefusal),
    /// The complaint machine refused the command.
    #[error(transparent)]
    ComplaintRefused(#[from] ComplaintRefusal),
    /// The power-of-attorney machine refused the command.
    #[error(transparent)]
    PowerRefused(#[from] PowerRefusal),
    /// The campaign machine refused the command.
    #[error(transparent)]
    CampaignRefused(#[from] CampaignRefusal),
    /// The filer record's machine refused the command (a second warning the same day).
    #[error(transparent)]
    FilerRefused(#[from] FilerRefusal),
    /// No such stream in this tenant (it may exist in another; that is not revealed).
    #[error("{0} not found")]
    NotFound(StreamId),
    /// The actor may not issue this command.
    #[error("{actor:?} may not issue `{command}`: {reason}")]
    Forbidden {
        /// Who tried.
        actor: Actor,
        /// The command's name.
        command: &'static str,
        /// Why not.
        reason: Forbidden,
    },
    /// The command is inconsistent with the request (a creation command whose id or tenant
    /// differs from the request's).
    #[error("invalid command: {0}")]
    InvalidCommand(&'static str),
    /// No campaign with this id in the tenant.
    #[error("campaign {0} not found")]
    UnknownCampaign(crate::ids::CampaignId),
    /// The campaign is archived: it takes no more complaints.
    #[error("campaign {0} is archived")]
    ArchivedCampaign(crate::ids::CampaignId),
    /// A right that cannot carry a campaign's complaints: unknown in the tenant, not
    /// approved, or not one of the campaign's rights.
    #[error("right {right} cannot be used here: {why}")]
    UnusableRight {
        /// The right.
        right: crate::ids::RightId,
        /// Why not.
        why: &'static str,
    },
    /// Other commands kept winning the race for this stream.
    #[error("gave up on {stream} after {attempts} version conflicts")]
    Conflict {
        /// The stream.
        stream: StreamId,
        /// Attempts made.
        attempts: u32,
    },
    /// The idempotency key was already used with another request: the first request's
    /// receipt is not this one's answer.
    #[error("idempotency key `{key}` was already used with a different request")]
    IdempotencyKeyReused {
        /// The key.
        key: IdempotencyKey,
    },
    /// The engine's policy is not the store's.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl EngineError {
    /// Whether a state machine refused the command (the rules said no).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            EngineError::RightRefused(_)
                | EngineError::ComplaintRefused(_)
                | EngineError::PowerRefused(_)
                | EngineError::CampaignRefused(_)
                | EngineError::FilerRefused(_)
        )
    }
}
