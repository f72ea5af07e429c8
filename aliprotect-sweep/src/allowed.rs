//! A right's authorised sellers: resellers and licensees whose listings a sweep allows
//! without asking anyone. A stream per right, so that when a seller was authorised, by
//! whom and why is on the record.

use std::collections::BTreeMap;

use aliprotect_core::decider::{Decider, Recorded, Refusal};
use aliprotect_core::ids::{RightId, TenantId};
use aliprotect_core::listing::{Listing, ListingDetails};
use aliprotect_core::store::{ExtensionKind, ExtensionStream, IndexKey};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use aliprotect_core::store::decided::{DecidedStream, Stamp};

/// A seller as compared: trimmed and lower-cased, so that "ACME Trading " is "acme trading".
pub fn seller_key(seller: &str) -> String {
    seller.trim().to_lowercase()
}

/// One authorised seller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorisedSeller {
    /// The seller as given: a store id (as in its shop's URL) or the name listings show.
    pub seller: String,
    /// Why (a licence, a distribution contract).
    pub note: Option<String>,
    /// Since when.
    pub since: DateTime<Utc>,
}

/// A right's authorised sellers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorisedSellers {
    /// The tenant.
    pub tenant: TenantId,
    /// The right.
    pub right: RightId,
    /// The sellers, by [`seller_key`].
    pub sellers: BTreeMap<String, AuthorisedSeller>,
}

impl AuthorisedSellers {
    /// The longest seller or note, in characters.
    pub const MAX_CHARS: usize = 500;

    /// The authorised seller of `listing`, if its store id or its seller's name is one.
    pub fn seller_of(&self, listing: &Listing, details: &ListingDetails) -> Option<&str> {
        [listing.seller_id.as_deref(), details.seller_name.as_deref()]
            .into_iter()
            .flatten()
            .find_map(|seller| self.sellers.get(&seller_key(seller)))
            .map(|entry| entry.seller.as_str())
    }
}

/// What can be asked of a right's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthorisedSellersCommand {
    /// Authorises `seller`.
    Authorise {
        /// The tenant.
        tenant: TenantId,
        /// The right.
        right: RightId,
        /// The seller.
        seller: String,
        /// Why.
        note: Option<String>,
    },
    /// Withdraws the authorisation of `seller`.
    Withdraw {
        /// The seller.
        seller: String,
    },
}

impl AuthorisedSellersCommand {
    fn name(&self) -> &'static str {
        match self {
            AuthorisedSellersCommand::Authorise { .. } => "authorise",
            AuthorisedSellersCommand::Withdraw { .. } => "withdraw",
        }
    }
}

/// What changed in a right's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthorisedSellersChange {
    /// `seller` authorised.
    Authorised {
        /// The tenant.
        tenant: TenantId,
        /// The right.
        right: RightId,
        /// The seller.
        seller: String,
        /// Why.
        note: Option<String>,
    },
    /// `seller`'s authorisation withdrawn.
    Withdrawn {
        /// The seller.
        seller: String,
    },
}

/// The rules a command on a right's list can break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorisedSellersRule {
    /// Authorised already.
    #[error("the seller is authorised already")]
    AlreadyAuthorised,
    /// Not on the list.
    #[error("the seller is not authorised")]
    NotAuthorised,
    /// Blank, or longer than [`AuthorisedSellers::MAX_CHARS`].
    #[error(
        "a seller and a note are 1 to {} characters",
        AuthorisedSellers::MAX_CHARS
    )]
    BadText,
}

/// Why a command on a right's list was refused.
pub type AuthorisedSellersRefusal = Refusal<&'static str, AuthorisedSellersRule>;

/// The state machine of a right's list.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthorisedSellersDecider;

/// Whether `text`, trimmed as it is kept, is 1 to [`AuthorisedSellers::MAX_CHARS`] long.
fn fits(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty() && text.chars().count() <= AuthorisedSellers::MAX_CHARS
}

impl Decider for AuthorisedSellersDecider {
    type State = Option<AuthorisedSellers>;
    type Command = AuthorisedSellersCommand;
    type Event = Recorded<AuthorisedSellersChange>;
    type Context<'a> = Stamp;
    type Refusal = AuthorisedSellersRefusal;

    fn initial_state() -> Self::State {
        None
    }

    fn decide(
        state: &Self::State,
        command: &AuthorisedSellersCommand,
        stamp: &Stamp,
    ) -> Result<Vec<Self::Event>, AuthorisedSellersRefusal> {
        let listed = |seller: &str| {
            state
                .as_ref()
                .is_some_and(|list| list.sellers.contains_key(&seller_key(seller)))
        };
        let refuse = |rule| Refusal::new(state.as_ref().map(|_| "kept"), command.name(), rule);
        let change = match command {
            AuthorisedSellersCommand::Authorise {
                tenant,
                right,
                seller,
                note,
            } => {
                if !fits(seller) || note.as_deref().is_some_and(|note| !fits(note)) {
                    return Err(refuse(AuthorisedSellersRule::BadText));
                }
                if listed(seller) {
                    return Err(refuse(AuthorisedSellersRule::AlreadyAuthorised));
                }
                AuthorisedSellersChange::Authorised {
                    tenant: *tenant,
                    right: *right,
                    seller: seller.trim().to_owned(),
                    note: note.as_deref().map(str::trim).map(str::to_owned),
                }
            }
            AuthorisedSellersCommand::Withdraw { seller } => {
                if !listed(seller) {
                    return Err(refuse(AuthorisedSellersRule::NotAuthorised));
                }
                AuthorisedSellersChange::Withdrawn {
                    seller: seller.trim().to_owned(),
                }
            }
        };
        Ok(vec![Recorded {
            at: stamp.at,
            actor: stamp.actor,
            change,
        }])
    }

    fn evolve(state: Self::State, event: &Self::Event) -> Self::State {
        match &event.change {
            AuthorisedSellersChange::Authorised {
                tenant,
                right,
                seller,
                note,
            } => {
                let mut list = state.unwrap_or_else(|| AuthorisedSellers {
                    tenant: *tenant,
                    right: *right,
                    sellers: BTreeMap::new(),
                });
                list.sellers.insert(
                    seller_key(seller),
                    AuthorisedSeller {
                        seller: seller.clone(),
                        note: note.clone(),
                        since: event.at,
                    },
                );
                Some(list)
            }
            AuthorisedSellersChange::Withdrawn { seller } => state.map(|mut list| {
                list.sellers.remove(&seller_key(seller));
                list
            }),
        }
    }
}

/// A right's authorised sellers as a stream of a kind the core does not know: kind code
/// 142, the stream's id being the right's.
#[derive(Debug, Clone, Copy)]
pub struct AuthorisedSellersStream;

impl ExtensionStream for AuthorisedSellersStream {
    const KIND: ExtensionKind = ExtensionKind::new(142);
    type State = AuthorisedSellers;

    fn status(_: &AuthorisedSellers) -> u8 {
        0
    }

    fn index_keys(_: &AuthorisedSellers) -> Vec<IndexKey> {
        Vec::new()
    }
}

impl DecidedStream for AuthorisedSellersStream {
    type Change = AuthorisedSellersChange;
    type Decider = AuthorisedSellersDecider;
}
