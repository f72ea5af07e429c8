//! Recognising a relisting: a newly seen listing that repeats one removed under the same
//! right. Only strong evidence links them: the same product id (the listing itself is back),
//! or the same seller with the same main image or a near-identical title. A seller alone
//! proves nothing: sellers sell many products, and linking a new product to another's
//! complaint would put a false fact in the record.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::complaint::{Complaint, ComplaintStatus};
use crate::evidence::ContentHash;
use crate::ids::{ComplaintId, RightId};
use crate::listing::{Listing, ListingDetails, ListingKey};
use crate::marketplace::Marketplace;

/// What tied a new listing to a removed one (strongest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MatchedBy {
    /// The same product id: the removed listing itself is back.
    SameProduct,
    /// The same seller showing the same main image (SHA-256).
    SellerAndImage,
    /// The same seller with a near-identical title (see [`near_identical_titles`]).
    SellerAndTitle,
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

/// Whether two titles are near-identical: the same once normalised, or (with at least three
/// words each) sharing at least 80% of their distinct words, as when a seller adds "NEW" or
/// a year to the title of a relisted product.
///
/// ```
/// use aliprotect_core::relisting::near_identical_titles;
/// assert!(near_identical_titles("TWS Earbuds Pro 5.3", "tws earbuds-pro 5.3"));
/// assert!(near_identical_titles("TWS Earbuds Pro Bluetooth 5.3", "NEW TWS Earbuds Pro Bluetooth 5.3"));
/// assert!(!near_identical_titles("TWS Earbuds Pro", "USB-C Charging Cable"));
/// ```
pub fn near_identical_titles(a: &str, b: &str) -> bool {
    let (a, b) = (normalise_title(a), normalise_title(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let words = |t: &str| t.split(' ').map(str::to_owned).collect::<HashSet<String>>();
    let (a, b) = (words(&a), words(&b));
    if a.len() < 3 || b.len() < 3 {
        return false;
    }
    let shared = a.intersection(&b).count();
    let all = a.union(&b).count();
    shared * 5 >= all * 4
}

/// What relisting detection compares of a removed listing: a complaint in `ListingRemoved`,
/// reduced to the few fields a store can hand out without the whole complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedListing {
    /// The complaint whose listing was removed.
    pub complaint: ComplaintId,
    /// Where the listing was.
    pub marketplace: Marketplace,
    /// The listing's stable key (its product id).
    pub listing: ListingKey,
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
            listing: filed.listing.key.clone(),
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
    listing: ListingKey,
    image: Option<ContentHash>,
    title: Option<String>,
    seller: Option<(Marketplace, String)>,
}

/// The removed listings under one right, indexed by listing key and by seller, so that
/// checking a new listing takes the same time however many were removed (a seller's own
/// removals are compared one by one). Each can be taken once ([`RemovedListings::remove`]),
/// as a bulk intake does with those it matched.
///
/// ```
/// use aliprotect_core::relisting::RemovedListings;
/// use aliprotect_core::ids::RightId;
/// let removed = RemovedListings::of(RightId::new(), std::iter::empty());
/// assert!(removed.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct RemovedListings {
    by_listing: HashMap<ListingKey, BTreeSet<Removal>>,
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

    /// The index of listings removed under one right, as [`crate::store::ReadModelExt::removed_listings`]
    /// returns them.
    pub fn from_removed(removed: impl IntoIterator<Item = RemovedListing>) -> Self {
        let mut index = Self::default();
        for listing in removed {
            let keys = Keys {
                removal: (listing.removed_at, listing.complaint),
                listing: listing.listing,
                image: listing.image_hash,
                title: listing.title.filter(|t| !normalise_title(t).is_empty()),
                seller: listing.seller.map(|s| (listing.marketplace, s)),
            };
            index
                .by_listing
                .entry(keys.listing.clone())
                .or_default()
                .insert(keys.removal);
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

    /// The removed listing that `listing` repeats, if the evidence is strong: the same
    /// product first; else, of the same seller's removed listings (same marketplace), one with
    /// the same main image, else one with a near-identical title; among equals the earliest
    /// removal. A seller match alone links nothing.
    pub fn find(&self, listing: &Listing, details: &ListingDetails) -> Option<RelistingMatch> {
        if let Some(removal) = self.by_listing.get(&listing.key).and_then(|s| s.first()) {
            return Some(RelistingMatch {
                previous: removal.1,
                by: MatchedBy::SameProduct,
            });
        }
        let seller = listing.seller(details)?;
        let of_seller = self
            .by_seller
            .get(&(listing.marketplace, seller.to_owned()))?;
        let removed = || of_seller.iter().filter_map(|r| self.keys.get(&r.1));
        let by_image = details.image_hash.and_then(|image| {
            removed()
                .find(|keys| keys.image == Some(image))
                .map(|keys| (keys.removal.1, MatchedBy::SellerAndImage))
        });
        let by_title = || {
            let title = details.title.as_deref()?;
            removed()
                .find(|keys| {
                    keys.title
                        .as_deref()
                        .is_some_and(|t| near_identical_titles(t, title))
                })
                .map(|keys| (keys.removal.1, MatchedBy::SellerAndTitle))
        };
        by_image
            .or_else(by_title)
            .map(|(previous, by)| RelistingMatch { previous, by })
    }

    /// Takes a removed listing out, so no other new listing is matched to it.
    pub fn remove(&mut self, id: ComplaintId) {
        let Some(keys) = self.keys.remove(&id) else {
            return;
        };
        take(&mut self.by_listing, &keys.listing, keys.removal);
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

fn take<K: Eq + std::hash::Hash>(
    index: &mut HashMap<K, BTreeSet<Removal>>,
    key: &K,
    removal: Removal,
) {
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
            checked_at: None,
            reappeared_at: None,
            right_lapsed: false,
            filed: Arc::new(filing),
        }
    }

    fn new_listing(seller: &str, title: &str, image: Option<u8>) -> (Listing, ListingDetails) {
        listing_of(seller, 1_700_000_000, title, image)
    }

    fn listing_of(
        seller: &str,
        product: u64,
        title: &str,
        image: Option<u8>,
    ) -> (Listing, ListingDetails) {
        let listing = Listing::parse(&format!(
            "https://{seller}.en.alibaba.com/product-detail/y_{product}.html"
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
    fn only_strong_evidence_links_a_relisting_and_the_earliest_removal_wins() {
        let right = fixtures::complaint_filing(0, 0).right;
        let complaints = [
            removed(1, "acme", "Earbuds Pro", None, 3),
            removed(2, "acme", "TWS earbuds bluetooth headset", Some(7), 5),
            removed(3, "acme", "tws  Earbuds bluetooth HEADSET!", None, 1),
            removed(4, "other", "Cables", Some(9), 2),
        ];
        let mut index = RemovedListings::of(right, &complaints);
        assert_eq!(index.len(), 4);
        let by = |index: &RemovedListings, (listing, details): (Listing, ListingDetails)| {
            index.find(&listing, &details).map(|m| (m.previous, m.by))
        };
        let id = |i: usize| complaints[i].id();
        // The removed product itself, under another seller name and title.
        assert_eq!(
            by(&index, listing_of("someone", 1_600_000_004, "x", None)),
            Some((id(3), MatchedBy::SameProduct))
        );
        assert_eq!(
            by(&index, new_listing("acme", "Headphones", Some(7))),
            Some((id(1), MatchedBy::SellerAndImage))
        );
        assert_eq!(
            by(
                &index,
                new_listing("acme", "NEW TWS Earbuds Bluetooth Headset", None)
            ),
            Some((id(2), MatchedBy::SellerAndTitle)),
            "of two near-identical titles, the earlier removal"
        );
        assert_eq!(
            by(&index, new_listing("acme", "Headphones", None)),
            None,
            "the same seller alone links nothing"
        );
        assert_eq!(
            by(&index, new_listing("nobody", "Cables", Some(9))),
            None,
            "the same image from another seller links nothing"
        );

        index.remove(id(2));
        assert_eq!(
            by(
                &index,
                new_listing("acme", "TWS Earbuds Bluetooth Headset", None)
            ),
            Some((id(1), MatchedBy::SellerAndTitle)),
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
