//! The people and organisations in the process, and who issues each command.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{PowerOfAttorneyId, RepresentativeId, RightId, RightsHolderId, TenantId, UserId};

/// A tenant: the account of one rights holder (or of a firm acting for several). Every right,
/// complaint and read-model row belongs to exactly one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// The tenant's id.
    pub id: TenantId,
    /// A display name.
    pub name: String,
}

/// Whether a rights holder is a natural person or a legal entity: it decides which ownership
/// proof the platform asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HolderKind {
    /// A natural person: proves identity with an identity document.
    Individual,
    /// A company: proves existence with articles of incorporation or formation.
    Company,
}

impl std::fmt::Display for HolderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HolderKind::Individual => "individual",
            HolderKind::Company => "company",
        })
    }
}

/// The owner of IP rights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsHolder {
    /// The holder's id.
    pub id: RightsHolderId,
    /// The tenant the holder belongs to.
    pub tenant: TenantId,
    /// The name exactly as on the registration certificates.
    pub name: String,
    /// Person or company.
    pub kind: HolderKind,
}

/// What sort of representative files for a holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RepresentativeKind {
    /// An individual agent.
    Agent,
    /// A law firm.
    LawFirm,
}

/// An agent or law firm acting for rights holders under a power of attorney.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Representative {
    /// The representative's id.
    pub id: RepresentativeId,
    /// Display name.
    pub name: String,
    /// Agent or law firm.
    pub kind: RepresentativeKind,
}

/// Which rights a power of attorney covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PowerScope {
    /// Every right of the holder, present and future.
    AllRights,
    /// Only these rights.
    Rights(Vec<RightId>),
}

/// A holder's authorisation of a representative, limited in scope and time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PowerOfAttorney {
    /// The power's id.
    pub id: PowerOfAttorneyId,
    /// Who grants it.
    pub holder: RightsHolderId,
    /// Who receives it.
    pub representative: RepresentativeId,
    /// The rights it covers.
    pub scope: PowerScope,
    /// First instant it is in force.
    pub valid_from: DateTime<Utc>,
    /// First instant it is no longer in force; `None` for open-ended powers.
    pub valid_until: Option<DateTime<Utc>>,
}

impl PowerOfAttorney {
    /// Whether the power is in force at `at` (from inclusive, until exclusive).
    pub fn in_force_at(&self, at: DateTime<Utc>) -> bool {
        at >= self.valid_from && self.valid_until.is_none_or(|until| at < until)
    }

    /// Whether the power covers `right` (always true for [`PowerScope::AllRights`]).
    pub fn covers(&self, right: RightId) -> bool {
        match &self.scope {
            PowerScope::AllRights => true,
            PowerScope::Rights(rights) => rights.contains(&right),
        }
    }

    /// Whether `representative` may act for `holder` on `right` at `at` under this power.
    pub fn authorises(
        &self,
        representative: RepresentativeId,
        holder: RightsHolderId,
        right: RightId,
        at: DateTime<Utc>,
    ) -> bool {
        self.representative == representative
            && self.holder == holder
            && self.covers(right)
            && self.in_force_at(at)
    }
}

/// Who issues a command; recorded on every event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Actor {
    /// A person working for the rights holder in its own tenant.
    HolderUser {
        /// The tenant.
        tenant: TenantId,
        /// The user.
        user: UserId,
    },
    /// A representative acting in a tenant under a power of attorney.
    Representative {
        /// The tenant acted in.
        tenant: TenantId,
        /// The representative.
        representative: RepresentativeId,
    },
    /// The marketplace's IP-protection platform (decisions read off its dashboard or emails).
    Platform,
    /// The seller of a listing (counter-notices).
    Seller,
    /// The engine itself: timers, automatic follow-ups.
    System,
    /// A person operating the deployment, acting for no tenant: changes store-wide settings
    /// such as the policy the data follows.
    Operator {
        /// The person.
        user: UserId,
    },
}

impl Actor {
    /// The tenant a holder-side actor acts in; `None` for platform, seller and system.
    pub fn tenant(&self) -> Option<TenantId> {
        match self {
            Actor::HolderUser { tenant, .. } | Actor::Representative { tenant, .. } => {
                Some(*tenant)
            }
            Actor::Platform | Actor::Seller | Actor::System | Actor::Operator { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 0, 0, 0).unwrap()
    }

    #[test]
    fn a_power_is_in_force_only_inside_its_window_and_scope() {
        let right = RightId::from_u128(1);
        let other = RightId::from_u128(2);
        let poa = PowerOfAttorney {
            id: PowerOfAttorneyId::from_u128(1),
            holder: RightsHolderId::from_u128(1),
            representative: RepresentativeId::from_u128(1),
            scope: PowerScope::Rights(vec![right]),
            valid_from: at(2),
            valid_until: Some(at(10)),
        };
        let (rep, holder) = (poa.representative, poa.holder);
        assert!(poa.authorises(rep, holder, right, at(2)));
        assert!(!poa.authorises(rep, holder, right, at(1)), "before start");
        assert!(
            !poa.authorises(rep, holder, right, at(10)),
            "until is exclusive"
        );
        assert!(!poa.authorises(rep, holder, other, at(5)), "out of scope");
        assert!(!poa.authorises(RepresentativeId::from_u128(9), holder, right, at(5)));
        assert!(!poa.authorises(rep, RightsHolderId::from_u128(9), right, at(5)));
    }
}
