//! Recognising a relisting: a newly seen listing whose seller already had a listing removed
//! under the same right, or whose title or main image matches a removed one.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::complaint::{Complaint, ComplaintStatus};
use crate::evidence::ContentHash;
use crate::ids::{ComplaintId, RightId};
use crate::listing::{Listing, ListingDetails};
use crate::marketplace::Marketplace;

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

/// What relisting detection compares of a removed listing: a complaint in `ListingRemoved`,
/// reduced to the few fields a store can hand out without the whole complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedListing {
    /// The complaint whose listing was removed.
    pub complaint: ComplaintId,
    /// Where the listing was.
    pub marketplace: Marketplace,
    /// Its seller: store id, or seller name.
    pub seller: Option<String>,
    /// Its title as filed.
    pub title: Option<String>,
    /// Its main image.
    pub image_hash: Option<ContentHash>,
    /// When it was found removed.
    pub removed_at: Option<DateTime<Utc>>,
}

impl RemovedListing {
    /// The removed listing of `complaint`, if its listing is removed.
    pub fn of(complaint: &Complaint) -> Option<Self> {
        if complaint.status() != ComplaintStatus::ListingRemoved {
            return None;
        }
        let filed = &complaint.filed;
        Some(Self {
            complaint: complaint.id(),
            marketplace: filed.listing.marketplace,
            seller: filed.listing.seller(&filed.details).map(str::to_owned),
            title: filed.details.title.clone(),
            image_hash: filed.details.image_hash,
            removed_at: complaint.removed_at,
        })
    }
}

/// When and which: removals are matched earliest first.
type Removal = (Option<DateTime<Utc>>, ComplaintId);

/// What a removed listing can be recognised by.
#[derive(Debug)]
struct Keys {
    removal: Removal,
    image: Option<ContentHash>,
    title: Option<String>,
    seller: Option<(Marketplace, String)>,
}

/// The removed listings under one right, indexed by main image, normalised title and seller,
/// so that checking a new listing takes the same time however many were removed. Each can be
/// taken once ([`RemovedListings::remove`]), as a bulk intake does with those it matched.
///
/// ```
/// use aliprotect_core::relisting::RemovedListings;
/// use aliprotect_core::ids::RightId;
/// let removed = RemovedListings::of(RightId::new(), std::iter::empty());
/// assert!(removed.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct RemovedListings {
    by_image: HashMap<ContentHash, BTreeSet<Removal>>,
    by_title: HashMap<String, BTreeSet<Removal>>,
    by_seller: HashMap<(Marketplace, String), BTreeSet<Removal>>,
    keys: HashMap<ComplaintId, Keys>,
}

impl RemovedListings {
    /// The index of `complaints` whose listing was removed under `right` (others are skipped).
    pub fn of<'a>(right: RightId, complaints: impl IntoIterator<Item = &'a Complaint>) -> Self {
        Self::from_removed(
            complaints
                .into_iter()
                .filter(|c| c.filed.right == right)
                .filter_map(RemovedListing::of),
        )
    }

    /// The index of listings removed under one right, as [`crate::store::ReadModel::removed_listings`]
    /// returns them.
    pub fn from_removed(removed: impl IntoIterator<Item = RemovedListing>) -> Self {
        let mut index = Self::default();
        for listing in removed {
            let keys = Keys {
                removal: (listing.removed_at, listing.complaint),
                image: listing.image_hash,
                title: listing
                    .title
                    .as_deref()
                    .map(normalise_title)
                    .filter(|t| !t.is_empty()),
                seller: listing.seller.map(|s| (listing.marketplace, s)),
            };
            if let Some(image) = keys.image {
                index
                    .by_image
                    .entry(image)
                    .or_default()
                    .insert(keys.removal);
            }
            if let Some(title) = &keys.title {
                index
                    .by_title
                    .entry(title.clone())
                    .or_default()
                    .insert(keys.removal);
            }
            if let Some(seller) = &keys.seller {
                index
                    .by_seller
                    .entry(seller.clone())
                    .or_default()
                    .insert(keys.removal);
            }
            index.keys.insert(listing.complaint, keys);
        }
        index
    }

    /// The removed listing that `listing` most likely repeats: an image match beats a title
    /// match, which beats a seller match (same marketplace); among equals the earliest removal.
    pub fn find(&self, listing: &Listing, details: &ListingDetails) -> Option<RelistingMatch> {
        let first = |set: Option<&BTreeSet<Removal>>| set.and_then(|s| s.first()).map(|r| r.1);
        let by_image = || {
            first(
                details
                    .image_hash
                    .as_ref()
                    .and_then(|i| self.by_image.get(i)),
            )
        };
        let by_title = || {
            let title = details.title.as_deref().map(normalise_title)?;
            first(self.by_title.get(&title))
        };
        let by_seller = || {
            let seller = listing.seller(details)?;
            first(
                self.by_seller
                    .get(&(listing.marketplace, seller.to_owned())),
            )
        };
        by_image()
            .map(|previous| (previous, MatchedBy::ImageHash))
            .or_else(|| by_title().map(|previous| (previous, MatchedBy::Title)))
            .or_else(|| by_seller().map(|previous| (previous, MatchedBy::Seller)))
            .map(|(previous, by)| RelistingMatch { previous, by })
    }

    /// Takes a removed listing out, so no other new listing is matched to it.
    pub fn remove(&mut self, id: ComplaintId) {
        let Some(keys) = self.keys.remove(&id) else {
            return;
        };
        if let Some(image) = &keys.image {
            take(&mut self.by_image, image, keys.removal);
        }
        if let Some(title) = &keys.title {
            take(&mut self.by_title, title, keys.removal);
        }
        if let Some(seller) = &keys.seller {
            take(&mut self.by_seller, seller, keys.removal);
        }
    }

    /// How many removed listings are left to match.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether none is left.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn take<K: Eq + Hash>(index: &mut HashMap<K, BTreeSet<Removal>>, key: &K, removal: Removal) {
    if let Some(set) = index.get_mut(key) {
        set.remove(&removal);
        if set.is_empty() {
            index.remove(key);
        }
    }
}

/// The removed listing under `right` that `listing` most likely repeats, if any (see
/// [`RemovedListings::find`]); to check many listings, build a [`RemovedListings`] once.
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
    RemovedListings::of(right, complaints).find(listing, details)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::Duration;

    use super::*;
    use crate::complaint::{RemovalCause, Stage};
    use crate::evidence::ContentHash;
    use crate::testkit::fixtures;

    /// A complaint whose listing (product `n`, sold by `seller`) was removed `days` after now.
    fn removed(n: u64, seller: &str, title: &str, image: Option<u8>, days: i64) -> Complaint {
        let mut filing = fixtures::complaint_filing(u128::from(n), n);
        filing.listing = Listing::parse(&format!(
            "https://{seller}.en.alibaba.com/product-detail/x_{}.html",
            1_600_000_000 + n
        ))
        .unwrap();
        filing.details.title = Some(title.to_owned());
        filing.details.image_hash = image.map(|b| ContentHash::of_bytes(&[b]));
        Complaint {
            right_kind: crate::right::IpKind::Trademark,
            stage: Stage::ListingRemoved {
                cause: RemovalCause::PlatformReported,
            },
            counter_notices: vec![],
            responses: vec![],
            filed_at: fixtures::now(),
            updated_at: fixtures::now(),
            check_backs: 0,
            deadline_reminded: None,
            removed_at: Some(fixtures::now() + Duration::days(days)),
            filed: Arc::new(filing),
        }
    }

    fn new_listing(seller: &str, title: &str, image: Option<u8>) -> (Listing, ListingDetails) {
        let listing = Listing::parse(&format!(
            "https://{seller}.en.alibaba.com/product-detail/y_1700000000.html"
        ))
        .unwrap();
        let details = ListingDetails {
            title: Some(title.to_owned()),
            image_hash: image.map(|b| ContentHash::of_bytes(&[b])),
            ..ListingDetails::default()
        };
        (listing, details)
    }

    #[test]
    fn image_beats_title_beats_seller_and_the_earliest_removal_wins() {
        let right = fixtures::complaint_filing(0, 0).right;
        let complaints = [
            removed(1, "acme", "Earbuds Pro", None, 3),
            removed(2, "other", "TWS earbuds", Some(7), 5),
            removed(3, "third", "tws  Earbuds!", None, 1),
            removed(4, "acme", "Cables", None, 2),
        ];
        let mut index = RemovedListings::of(right, &complaints);
        assert_eq!(index.len(), 4);
        let by = |index: &RemovedListings, seller, title, image| {
            let (listing, details) = new_listing(seller, title, image);
            index.find(&listing, &details).map(|m| (m.previous, m.by))
        };
        let id = |i: usize| complaints[i].id();
        assert_eq!(
            by(&index, "acme", "tws earbuds", Some(7)),
            Some((id(1), MatchedBy::ImageHash))
        );
        assert_eq!(
            by(&index, "acme", "TWS Earbuds", None),
            Some((id(2), MatchedBy::Title)),
            "of two title matches, the earlier removal"
        );
        assert_eq!(
            by(&index, "acme", "Headphones", None),
            Some((id(3), MatchedBy::Seller)),
            "of two seller matches, the earlier removal"
        );
        assert_eq!(by(&index, "nobody", "Headphones", None), None);

        index.remove(id(3));
        assert_eq!(
            by(&index, "acme", "Headphones", None),
            Some((id(0), MatchedBy::Seller)),
            "a taken removal is not matched again"
        );
        assert_eq!(index.len(), 3);
    }

    #[test]
    fn only_removed_listings_of_the_right_are_indexed() {
        let complaint = removed(1, "acme", "Earbuds", Some(1), 1);
        let other_right = RightId::new();
        assert!(RemovedListings::of(other_right, [&complaint]).is_empty());
        let mut relisted = complaint.clone();
        relisted.stage = Stage::Relisted {
            successor: crate::ids::ComplaintId::new(),
        };
        assert!(RemovedListings::of(complaint.filed.right, [&relisted]).is_empty());
    }
}
