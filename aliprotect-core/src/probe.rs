//! Looking at a listing: the platform does not announce removals, so check-backs ask a
//! [`ListingProbe`] whether the listing is still there.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::evidence::Evidence;
use crate::listing::Listing;

/// What a look at a listing found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProbeFinding {
    /// The listing is up.
    Live,
    /// The listing is gone, with what showed it (a saved page, a screenshot).
    Removed {
        /// The evidence.
        evidence: Option<Evidence>,
    },
    /// Could not tell (timeout, server error, blocked): try again at the next check-back.
    Unknown {
        /// Why.
        reason: String,
    },
}

/// Looks at listings (over HTTP, with a browser, through a marketplace API...).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ListingProbe: Send + Sync + 'static {
    /// Whether `listing` is still up. Never fails: a failure to look is
    /// [`ProbeFinding::Unknown`].
    async fn probe(&self, listing: &Listing) -> ProbeFinding;
}
