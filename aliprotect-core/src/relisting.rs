//! Recognising a relisting: a newly seen listing whose seller already had a listing removed
//! under the same right, or whose title or main image matches a removed one.

use serde::{Deserialize, Serialize};

use crate::complaint::{Complaint, ComplaintStatus};
use crate::ids::{ComplaintId, RightId};
use crate::listing::{Listing, ListingDetails};

/// What tied a new listing to a removed one (strongest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MatchedBy {
    /// The same main image (SHA-256).
    ImageHash,
    /// The same title once normalised.
    Title,
    /// The same seller on the same marketplace.
    Seller,
}

/// A removed listing that a new one repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelistingMatch {
    /// The complaint whose listing was removed.
    pub previous: ComplaintId,
    /// What matched.
    pub by: MatchedBy,
}

/// Lower-case words of letters and digits, single-spaced: "TWS  Earbuds-Pro!" and
/// "tws earbuds pro" are the same title.
pub fn normalise_title(title: &str) -> String {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The removed listing under `right` that `listing` most likely repeats, if any: an image
/// match beats a title match, which beats a seller match; among equals the earliest removal.
///
/// ```
/// use aliprotect_core::relisting::{normalise_title, MatchedBy};
/// assert_eq!(normalise_title("TWS  Earbuds-Pro!"), "tws earbuds pro");
/// ```
pub fn find_relisting<'a>(
    listing: &Listing,
    details: &ListingDetails,
    right: RightId,
    complaints: impl IntoIterator<Item = &'a Complaint>,
) -> Option<RelistingMatch> {
    let title = details.title.as_deref().map(normalise_title);
    let seller = listing.seller_id.as_ref().or(details.seller_name.as_ref());
    complaints
        .into_iter()
        .filter(|c| c.filed.right == right && c.status() == ComplaintStatus::ListingRemoved)
        .filter_map(|c| {
            let theirs = &c.filed.details;
            let by = if details.image_hash.is_some() && details.image_hash == theirs.image_hash {
                MatchedBy::ImageHash
            } else if title.as_ref().is_some_and(|t| {
                !t.is_empty() && theirs.title.as_deref().map(normalise_title).as_ref() == Some(t)
            }) {
                MatchedBy::Title
            } else if c.filed.listing.marketplace == listing.marketplace
                && seller.is_some()
                && seller
                    == c.filed
                        .listing
                        .seller_id
                        .as_ref()
                        .or(theirs.seller_name.as_ref())
            {
                MatchedBy::Seller
            } else {
                return None;
            };
            Some((by, c.removed_at, c.id()))
        })
        .min()
        .map(|(by, _, previous)| RelistingMatch { previous, by })
}
