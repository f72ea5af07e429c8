//! Typed identifiers.
//!
//! Every aggregate and party has its own id type so that a complaint id can never be passed
//! where a right id is expected. New ids are UUIDv7: random, but starting with the time they
//! were made, so that stores write new streams next to each other instead of all over their
//! indexes. They serialise as plain strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A string that is not a valid id: "`abc` is not a valid complaint id (expected a UUID)".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a valid {} (expected a UUID)", words(id_type))]
pub struct InvalidId {
    /// The id type that was being parsed.
    pub id_type: &'static str,
    /// The rejected input, truncated to 64 characters.
    pub input: String,
}

/// A type's name as people read it: `PowerOfAttorneyId` -> `power of attorney id`.
fn words(type_name: &str) -> String {
    let mut out = String::with_capacity(type_name.len() + 4);
    for (i, c) in type_name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh id (UUIDv7: time-ordered, random within the millisecond).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The id with this UUID (for ids kept elsewhere, or deterministic tests).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The id with this number as its UUID value: handy for readable fixtures.
            pub const fn from_u128(value: u128) -> Self {
                Self(Uuid::from_u128(value))
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| InvalidId {
                    id_type: stringify!($name),
                    input: s.chars().take(64).collect(),
                })
            }
        }
    };
}

typed_id!(
    /// A tenant: one rights holder's account. Nothing crosses from one tenant to another.
    TenantId
);
typed_id!(
    /// A person or company that owns IP rights.
    RightsHolderId
);
typed_id!(
    /// An agent or law firm acting for rights holders.
    RepresentativeId
);
typed_id!(
    /// A power of attorney granted by a rights holder to a representative.
    PowerOfAttorneyId
);
typed_id!(
    /// A user of a tenant's account (a person at the rights holder).
    UserId
);
typed_id!(
    /// An IP right registered with the platform.
    RightId
);
typed_id!(
    /// A complaint against one listing.
    ComplaintId
);
typed_id!(
    /// A filing (request) grouping complaints under one right.
    FilingId
);
typed_id!(
    /// A campaign: a named enforcement effort grouping complaints.
    CampaignId
);
typed_id!(
    /// One engine among several sharing a store: the owner of the claims (leases) it takes
    /// on timers, outbox messages and pending work. Each [`crate::engine::Engine`] draws a
    /// fresh one unless told otherwise.
    WorkerId
);

/// The stream (aggregate) a command or event belongs to: its kind and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum StreamId {
    /// An IP right.
    Right(RightId),
    /// A complaint.
    Complaint(ComplaintId),
    /// The tenant's record as a filer (see [`crate::filer`]): its id is the tenant's.
    Filer(TenantId),
    /// A power of attorney.
    Power(PowerOfAttorneyId),
    /// A campaign.
    Campaign(CampaignId),
    /// The store's policy (one per store, in [`TenantId::STORE`]).
    Policy,
    /// A stream of a kind defined outside the core (see [`crate::store::ExtensionStream`]).
    Extension {
        /// Its kind.
        kind: crate::store::ExtensionKind,
        /// Its id within its kind.
        id: uuid::Uuid,
    },
}

impl StreamId {
    /// The kind's code and the id, as one number pair.
    #[inline]
    fn parts(&self) -> (u8, u128) {
        match self {
            StreamId::Right(id) => (0, id.as_uuid().as_u128()),
            StreamId::Complaint(id) => (1, id.as_uuid().as_u128()),
            StreamId::Filer(id) => (2, id.as_uuid().as_u128()),
            StreamId::Power(id) => (3, id.as_uuid().as_u128()),
            StreamId::Campaign(id) => (4, id.as_uuid().as_u128()),
            StreamId::Policy => (5, 0),
            StreamId::Extension { kind, id } => (kind.code(), id.as_u128()),
        }
    }
}

// By hand and inlined: a stream id is hashed several times per command, and the derived
// hash of the six-variant enum stopped being inlined.
impl std::hash::Hash for StreamId {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let (kind, id) = self.parts();
        state.write_u8(kind);
        state.write_u128(id);
    }
}

impl TenantId {
    /// Not a customer: the store itself, the tenant of store-wide streams (its policy).
    pub const STORE: TenantId = TenantId::from_u128(0);
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamId::Right(id) => write!(f, "right:{id}"),
            StreamId::Complaint(id) => write!(f, "complaint:{id}"),
            StreamId::Filer(id) => write!(f, "filer:{id}"),
            StreamId::Power(id) => write!(f, "power:{id}"),
            StreamId::Campaign(id) => write!(f, "campaign:{id}"),
            StreamId::Policy => f.write_str("policy"),
            StreamId::Extension { kind, id } => write!(f, "{kind}:{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings_and_json() {
        let id = RightId::new();
        assert_eq!(id.to_string().parse::<RightId>(), Ok(id));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<RightId>(&json).unwrap(), id);
    }

    #[test]
    fn garbage_is_a_typed_error() {
        let err = "not-an-id".parse::<ComplaintId>().unwrap_err();
        assert_eq!(err.id_type, "ComplaintId");
        assert_eq!(err.input, "not-an-id");
        assert_eq!(
            err.to_string(),
            "`not-an-id` is not a valid complaint id (expected a UUID)"
        );
        let err = "x".parse::<PowerOfAttorneyId>().unwrap_err();
        assert!(err.to_string().contains("power of attorney id"), "{err}");
    }
}
