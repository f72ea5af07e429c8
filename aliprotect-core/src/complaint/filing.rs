//! Filings: one request to the platform grouping listings under one right.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::ComplaintStatus;
use super::status::FilingStatus;
use crate::ids::{FilingId, RightId, TenantId};
use crate::listing::{Listing, ListingKey};
use crate::marketplace::Marketplace;
use crate::policy::MarketplacePolicy;

/// Why a set of listings cannot be one filing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilingError {
    /// No listing.
    #[error("a filing needs at least one listing")]
    Empty,
    /// More listings than the policy allows in one filing.
    #[error("{count} listings, more than the {limit} one filing may hold")]
    TooManyListings {
        /// Listings given.
        count: usize,
        /// The policy's limit.
        limit: u32,
    },
    /// The same listing twice.
    #[error("listing {0} appears more than once")]
    DuplicateListing(ListingKey),
    /// Listings of several marketplaces (one filing goes to one marketplace).
    #[error("listings of {first} and {other} cannot share a filing")]
    MixedMarketplaces {
        /// The first listing's marketplace.
        first: Marketplace,
        /// Another one found.
        other: Marketplace,
    },
}

/// A request to the platform: listings complained about under one right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filing {
    /// The filing's id.
    pub id: FilingId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The right all its complaints rest on.
    pub right: RightId,
    /// The listings, one complaint each.
    pub listings: Vec<Listing>,
}

impl Filing {
    /// Groups `listings` into one filing, within the policy's per-filing limit.
    pub fn new(
        id: FilingId,
        tenant: TenantId,
        right: RightId,
        listings: Vec<Listing>,
        policy: &MarketplacePolicy,
    ) -> Result<Filing, FilingError> {
        let first = listings.first().ok_or(FilingError::Empty)?.marketplace;
        let limit = policy.listings_per_filing;
        if listings.len() > limit as usize {
            return Err(FilingError::TooManyListings {
                count: listings.len(),
                limit,
            });
        }
        let mut seen = HashSet::with_capacity(listings.len());
        for listing in &listings {
            if listing.marketplace != first {
                return Err(FilingError::MixedMarketplaces {
                    first,
                    other: listing.marketplace,
                });
            }
            if !seen.insert(&listing.key) {
                return Err(FilingError::DuplicateListing(listing.key.clone()));
            }
        }
        Ok(Filing {
            id,
            tenant,
            right,
            listings,
        })
    }

    /// The filing's status from its complaints' statuses: "Received" until the platform takes
    /// one up, "Processed" once none is open, "In Process" in between.
    pub fn status(statuses: impl IntoIterator<Item = ComplaintStatus>) -> FilingStatus {
        let mut taken_up = false;
        let mut open = false;
        for status in statuses {
            taken_up |= status.is_taken_up();
            open |= status.is_open();
        }
        match (taken_up, open) {
            (false, _) => FilingStatus::Received,
            (true, true) => FilingStatus::InProcess,
            (true, false) => FilingStatus::Processed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listings(n: usize) -> Vec<Listing> {
        (0..n)
            .map(|i| {
                Listing::parse(&format!(
                    "https://www.alibaba.com/product-detail/x_{}.html",
                    1000 + i
                ))
                .unwrap()
            })
            .collect()
    }

    fn filing(listings: Vec<Listing>) -> Result<Filing, FilingError> {
        Filing::new(
            FilingId::new(),
            TenantId::new(),
            RightId::new(),
            listings,
            &MarketplacePolicy::alibaba_ipp(),
        )
    }

    #[test]
    fn a_filing_holds_up_to_the_policy_limit() {
        assert_eq!(filing(listings(300)).unwrap().listings.len(), 300);
        assert_eq!(
            filing(listings(301)),
            Err(FilingError::TooManyListings {
                count: 301,
                limit: 300
            })
        );
        assert_eq!(filing(vec![]), Err(FilingError::Empty));
    }

    #[test]
    fn duplicates_and_mixed_marketplaces_are_refused() {
        let mut twice = listings(2);
        twice.push(
            Listing::parse("https://m.alibaba.com/product-detail/other-title_1000.html?spm=1")
                .unwrap(),
        );
        assert!(matches!(
            filing(twice),
            Err(FilingError::DuplicateListing(key)) if key.as_str() == "alibaba.com/product/1000"
        ));
        let mut mixed = listings(1);
        mixed.push(Listing::parse("https://www.aliexpress.com/item/5.html").unwrap());
        assert_eq!(
            filing(mixed),
            Err(FilingError::MixedMarketplaces {
                first: Marketplace::AlibabaCom,
                other: Marketplace::AliExpress
            })
        );
    }

    #[test]
    fn filing_status_follows_its_complaints() {
        use ComplaintStatus as S;
        assert_eq!(
            Filing::status([S::Submitted, S::Draft]),
            FilingStatus::Received
        );
        assert_eq!(
            Filing::status([S::Submitted, S::InProgress]),
            FilingStatus::InProcess
        );
        assert_eq!(
            Filing::status([S::ListingRemoved, S::UnableToProcess, S::ListingRestored]),
            FilingStatus::Processed
        );
        assert_eq!(
            Filing::status([S::ListingRemoved, S::CounterNoticed]),
            FilingStatus::InProcess
        );
    }
}
