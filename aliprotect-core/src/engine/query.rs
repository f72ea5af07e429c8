//! Which items a list shows, a page at a time: [`Reader::complaints`]'s question, and the
//! [`Page`] of the other lists.
//!
//! [`Reader::complaints`]: super::Reader::complaints

use crate::complaint::{Complaint, ComplaintStatus};
use crate::ids::{CampaignId, ComplaintId, RightId};

/// A page of a tenant's complaints: at most `limit`, in id order, after `after`, those of one
/// right, one campaign, one seller and one status where given. Paging with the last id of a page as the
/// next page's `after` visits every complaint that existed throughout the walk once.
///
/// ```
/// use aliprotect_core::complaint::ComplaintStatus;
/// use aliprotect_core::engine::ComplaintQuery;
///
/// let removed = ComplaintQuery::first(50).in_status(ComplaintStatus::ListingRemoved);
/// assert_eq!(removed.limit, 50);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComplaintQuery {
    /// At most this many complaints.
    pub limit: usize,
    /// Only those after this one (in id order).
    pub after: Option<ComplaintId>,
    /// Only those resting on this right.
    pub right: Option<RightId>,
    /// Only those of this campaign.
    pub campaign: Option<CampaignId>,
    /// Only those in this status.
    pub status: Option<ComplaintStatus>,
    /// Only those against listings of this seller (its store id, as in its shop's URL).
    pub seller: Option<String>,
}

impl ComplaintQuery {
    /// The first `limit` complaints of every right, campaign and status.
    pub fn first(limit: usize) -> Self {
        Self {
            limit,
            after: None,
            right: None,
            campaign: None,
            status: None,
            seller: None,
        }
    }

    /// The same page, starting after `complaint`.
    pub fn after(mut self, complaint: ComplaintId) -> Self {
        self.after = Some(complaint);
        self
    }

    /// Only complaints resting on `right`.
    pub fn of_right(mut self, right: RightId) -> Self {
        self.right = Some(right);
        self
    }

    /// Only complaints of `campaign`.
    pub fn of_campaign(mut self, campaign: CampaignId) -> Self {
        self.campaign = Some(campaign);
        self
    }

    /// Only complaints against listings of the seller whose store id is `seller`.
    pub fn of_seller(mut self, seller: impl Into<String>) -> Self {
        self.seller = Some(seller.into());
        self
    }

    /// Only complaints in `status`.
    pub fn in_status(mut self, status: ComplaintStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Whether `complaint` is one the query asks for, paging aside.
    pub fn keeps(&self, complaint: &Complaint) -> bool {
        self.right
            .is_none_or(|right| complaint.filed.right == right)
            && self
                .campaign
                .is_none_or(|campaign| complaint.filed.campaign == Some(campaign))
            && self
                .status
                .is_none_or(|status| complaint.status() == status)
            && self
                .seller
                .as_ref()
                .is_none_or(|seller| complaint.filed.listing.seller_id.as_ref() == Some(seller))
    }
}

/// A page of a list in id order: at most `limit` items, after `after` when given. Paging with
/// the last id of a page as the next page's `after` visits every item that existed
/// throughout the walk once.
///
/// ```
/// use aliprotect_core::engine::Page;
/// use aliprotect_core::ids::RightId;
///
/// let last_seen = RightId::new();
/// let next: Page<RightId> = Page::first(20).after(last_seen);
/// assert_eq!((next.limit, next.after), (20, Some(last_seen)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page<Id> {
    /// At most this many items.
    pub limit: usize,
    /// Only those after this one (in id order).
    pub after: Option<Id>,
}

impl<Id> Page<Id> {
    /// The first `limit` items.
    pub fn first(limit: usize) -> Self {
        Self { limit, after: None }
    }

    /// Every item, in one answer: for lists known to be short.
    pub fn all() -> Self {
        Self::first(usize::MAX)
    }

    /// The same page, starting after `id`.
    pub fn after(mut self, id: Id) -> Self {
        self.after = Some(id);
        self
    }
}
