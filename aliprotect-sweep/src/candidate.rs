//! A listing a sweep found, waiting for a person: confirmed (filed), dismissed with a
//! reason, or allowed because its seller is authorised for the right. One candidate per
//! right and listing, ever: its id follows from them, so a listing found again, by another
//! run or another process, meets the candidate it already is.

use std::fmt;

use aliprotect_core::decider::{Decider, Recorded, Refusal};
use aliprotect_core::ids::{ComplaintId, RightId, TenantId};
use aliprotect_core::listing::{Listing, ListingDetails, ListingKey};
use aliprotect_core::store::{ExtensionKind, ExtensionStream, IndexKey, IndexName};
use aliprotect_core::text::Text;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::sweep::{BY_RIGHT, SweepId};
use aliprotect_core::store::decided::{DecidedStream, Stamp};

/// The namespace of candidates' ids (UUID v5).
const NAMESPACE: Uuid = Uuid::from_u128(0x6b1f_2f0e_7a51_4c1b_9a53_8f47_0c2d_5e11);

/// A candidate's id: the same for the same tenant, right and listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CandidateId(Uuid);

impl CandidateId {
    /// The id of the candidate of `listing` under `right` in `tenant`.
    pub fn of(tenant: TenantId, right: RightId, listing: &ListingKey) -> Self {
        let name = format!("{tenant}/{right}/{}", listing.as_str());
        Self(Uuid::new_v5(&NAMESPACE, name.as_bytes()))
    }

    /// The id `uuid`.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The id as a UUID.
    pub fn as_uuid(self) -> Uuid {
        self.0
    }
}

impl fmt::Display for CandidateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for CandidateId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// Where a candidate stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CandidateStatus {
    /// Waiting for a person.
    ToReview,
    /// Waiting for a person: it repeats a listing removed after `previous`.
    Relisting {
        /// The complaint whose listing was removed.
        previous: ComplaintId,
    },
    /// Being filed as `complaint`: a person confirmed it, the filing is under way (or was
    /// cut short, and confirming again finishes it). No longer dismissed.
    Confirming {
        /// The complaint being filed.
        complaint: ComplaintId,
    },
    /// Filed as `complaint` (submitted, or staged while the right is under review).
    Confirmed {
        /// The complaint.
        complaint: ComplaintId,
    },
    /// Not an infringement, says a person.
    Dismissed {
        /// Why, verbatim.
        reason: Text,
    },
    /// Its seller is authorised for the right: never shown to a person.
    Allowed {
        /// The seller as the listing shows it.
        seller: String,
    },
}

impl CandidateStatus {
    /// The status's code, as the read model counts and finds it.
    pub fn code(&self) -> u8 {
        match self {
            CandidateStatus::ToReview => 0,
            CandidateStatus::Relisting { .. } => 1,
            CandidateStatus::Confirmed { .. } => 2,
            CandidateStatus::Dismissed { .. } => 3,
            CandidateStatus::Allowed { .. } => 4,
            CandidateStatus::Confirming { .. } => 5,
        }
    }

    /// Its name, as shown and as [`CandidateStatus::code_of`] reads it.
    pub fn name(&self) -> &'static str {
        match self {
            CandidateStatus::ToReview => "to-review",
            CandidateStatus::Relisting { .. } => "relisting",
            CandidateStatus::Confirmed { .. } => "confirmed",
            CandidateStatus::Dismissed { .. } => "dismissed",
            CandidateStatus::Allowed { .. } => "allowed",
            CandidateStatus::Confirming { .. } => "confirming",
        }
    }

    /// Every status's name, by code.
    pub const NAMES: [&'static str; 6] = [
        "to-review",
        "relisting",
        "confirmed",
        "dismissed",
        "allowed",
        "confirming",
    ];

    /// The code of the status named `name`.
    pub fn code_of(name: &str) -> Option<u8> {
        Self::NAMES
            .iter()
            .position(|known| *known == name)
            .and_then(|i| u8::try_from(i).ok())
    }

    /// Whether a person still has to decide.
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            CandidateStatus::ToReview | CandidateStatus::Relisting { .. }
        )
    }
}

impl fmt::Display for CandidateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a listing found first stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Finding {
    /// For a person to review.
    ToReview,
    /// For a person to review, as a relisting of what `previous` had removed.
    Relisting {
        /// The complaint whose listing was removed.
        previous: ComplaintId,
    },
    /// Allowed: `seller` is authorised for the right.
    Allowed {
        /// The seller as the listing shows it.
        seller: String,
    },
}

/// A listing found by a sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Its id.
    pub id: CandidateId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The sweep that found it.
    pub sweep: SweepId,
    /// The right it would be filed under.
    pub right: RightId,
    /// The keyword it was found by.
    pub keyword: String,
    /// The listing.
    pub listing: Listing,
    /// What the results page showed of it.
    pub details: ListingDetails,
    /// When it was found.
    pub found_at: DateTime<Utc>,
    /// Where it stands.
    pub status: CandidateStatus,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Candidate {
    /// The id of the complaint confirming this candidate files: the same every time, so
    /// that a confirmation repeated after a crash meets the complaint filed the first time.
    pub fn complaint_id(&self) -> ComplaintId {
        ComplaintId::from_uuid(Uuid::new_v5(&COMPLAINTS, self.id.as_uuid().as_bytes()))
    }
}

/// The namespace of the complaints confirmed candidates file (UUID v5).
const COMPLAINTS: Uuid = Uuid::from_u128(0x9e4b_7c1d_0f2a_4d5e_a6b8_31c2_7d40_e915);

/// What can be asked of a candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CandidateCommand {
    /// Records a listing found.
    Find(Box<Found>),
    /// Records that a person confirmed it and that it is being filed as `complaint`: from
    /// then on it is not dismissed, whoever tries.
    BeginConfirming {
        /// The complaint to be filed.
        complaint: ComplaintId,
    },
    /// Records that it was filed as `complaint`.
    Confirm {
        /// The complaint.
        complaint: ComplaintId,
    },
    /// Records that a person dismissed it.
    Dismiss {
        /// Why, verbatim.
        reason: Text,
    },
}

impl CandidateCommand {
    fn name(&self) -> &'static str {
        match self {
            CandidateCommand::Find(_) => "find",
            CandidateCommand::BeginConfirming { .. } => "begin-confirming",
            CandidateCommand::Confirm { .. } => "confirm",
            CandidateCommand::Dismiss { .. } => "dismiss",
        }
    }
}

/// A listing found, as first recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// The tenant.
    pub tenant: TenantId,
    /// The sweep that found it.
    pub sweep: SweepId,
    /// The right it would be filed under.
    pub right: RightId,
    /// The keyword it was found by.
    pub keyword: String,
    /// The listing.
    pub listing: Listing,
    /// What the results page showed of it.
    pub details: ListingDetails,
    /// How it stands.
    pub finding: Finding,
}

/// What changed in a candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CandidateChange {
    /// Found.
    Found(Box<Found>),
    /// Being filed.
    ConfirmingBegun {
        /// The complaint to be filed.
        complaint: ComplaintId,
    },
    /// Filed.
    Confirmed {
        /// The complaint.
        complaint: ComplaintId,
    },
    /// Dismissed.
    Dismissed {
        /// Why, verbatim.
        reason: Text,
    },
}

/// A candidate's event.
pub type CandidateEvent = Recorded<CandidateChange>;

/// The rules a candidate command can break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum CandidateRule {
    /// The listing is a candidate already.
    #[error("the listing is a candidate already")]
    AlreadyFound,
    /// No such candidate.
    #[error("no such candidate")]
    Unknown,
    /// Decided already (confirmed, dismissed or allowed).
    #[error("the candidate is decided already")]
    Decided,
}

/// Why a candidate command was refused.
pub type CandidateRefusal = Refusal<&'static str, CandidateRule>;

/// The candidate state machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct CandidateDecider;

impl Decider for CandidateDecider {
    type State = Option<Candidate>;
    type Command = CandidateCommand;
    type Event = CandidateEvent;
    type Context<'a> = Stamp;
    type Refusal = CandidateRefusal;

    fn initial_state() -> Self::State {
        None
    }

    fn decide(
        state: &Self::State,
        command: &CandidateCommand,
        stamp: &Stamp,
    ) -> Result<Vec<CandidateEvent>, CandidateRefusal> {
        let refuse = |rule| {
            Refusal::new(
                state.as_ref().map(|c| c.status.name()),
                command.name(),
                rule,
            )
        };
        let change = match (state, command) {
            (None, CandidateCommand::Find(found)) => CandidateChange::Found(found.clone()),
            (Some(_), CandidateCommand::Find(_)) => {
                return Err(refuse(CandidateRule::AlreadyFound));
            }
            (None, _) => return Err(refuse(CandidateRule::Unknown)),
            // A filing under way is finished by confirming it, and by nothing else: with its
            // own complaint, or the one the filing met on the listing (filed meanwhile by
            // another import).
            (
                Some(Candidate {
                    status: CandidateStatus::Confirming { .. },
                    ..
                }),
                CandidateCommand::Confirm { complaint },
            ) => CandidateChange::Confirmed {
                complaint: *complaint,
            },
            (Some(candidate), _) if !candidate.status.is_open() => {
                return Err(refuse(CandidateRule::Decided));
            }
            (Some(_), CandidateCommand::BeginConfirming { complaint }) => {
                CandidateChange::ConfirmingBegun {
                    complaint: *complaint,
                }
            }
            (Some(_), CandidateCommand::Confirm { complaint }) => CandidateChange::Confirmed {
                complaint: *complaint,
            },
            (Some(_), CandidateCommand::Dismiss { reason }) => CandidateChange::Dismissed {
                reason: reason.clone(),
            },
        };
        Ok(vec![Recorded {
            at: stamp.at,
            actor: stamp.actor,
            change,
        }])
    }

    fn evolve(state: Self::State, event: &CandidateEvent) -> Self::State {
        match (state, &event.change) {
            (None, CandidateChange::Found(found)) => Some(Candidate {
                id: CandidateId::of(found.tenant, found.right, &found.listing.key),
                tenant: found.tenant,
                sweep: found.sweep,
                right: found.right,
                keyword: found.keyword.clone(),
                listing: found.listing.clone(),
                details: found.details.clone(),
                found_at: event.at,
                status: match &found.finding {
                    Finding::ToReview => CandidateStatus::ToReview,
                    Finding::Relisting { previous } => CandidateStatus::Relisting {
                        previous: *previous,
                    },
                    Finding::Allowed { seller } => CandidateStatus::Allowed {
                        seller: seller.clone(),
                    },
                },
                updated_at: event.at,
            }),
            (Some(mut candidate), CandidateChange::ConfirmingBegun { complaint })
                if candidate.status.is_open() =>
            {
                candidate.status = CandidateStatus::Confirming {
                    complaint: *complaint,
                };
                candidate.updated_at = event.at;
                Some(candidate)
            }
            (Some(mut candidate), CandidateChange::Confirmed { complaint })
                if candidate.status.is_open()
                    || matches!(candidate.status, CandidateStatus::Confirming { .. }) =>
            {
                candidate.status = CandidateStatus::Confirmed {
                    complaint: *complaint,
                };
                candidate.updated_at = event.at;
                Some(candidate)
            }
            (Some(mut candidate), CandidateChange::Dismissed { reason })
                if candidate.status.is_open() =>
            {
                candidate.status = CandidateStatus::Dismissed {
                    reason: reason.clone(),
                };
                candidate.updated_at = event.at;
                Some(candidate)
            }
            (state, _) => {
                tracing::warn!("a candidate event that does not fit its state ignored");
                state
            }
        }
    }
}

/// The candidate as a stream of a kind the core does not know: kind code 141.
#[derive(Debug, Clone, Copy)]
pub struct CandidateStream;

/// The index candidates are found by their sweep under.
pub const BY_SWEEP: IndexName = IndexName::new("sweep");

impl ExtensionStream for CandidateStream {
    const KIND: ExtensionKind = ExtensionKind::new(141);
    type State = Candidate;

    fn status(state: &Candidate) -> u8 {
        state.status.code()
    }

    fn index_keys(state: &Candidate) -> Vec<IndexKey> {
        vec![
            IndexKey::new(BY_SWEEP, state.sweep.to_string()),
            IndexKey::new(BY_RIGHT, state.right.to_string()),
        ]
    }
}

impl DecidedStream for CandidateStream {
    type Change = CandidateChange;
    type Decider = CandidateDecider;
}
