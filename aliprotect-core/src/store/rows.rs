//! The read model: complaints as dashboards list and count them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{StatusCount, StoreError, columns};
use crate::complaint::{Complaint, ComplaintStatus};
use crate::ids::{CampaignId, ComplaintId, FilingId, RightId};
use crate::listing::ListingKey;
use crate::marketplace::Marketplace;

/// A complaint as dashboards list and count it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintRow {
    /// The complaint.
    pub id: ComplaintId,
    /// Its right.
    pub right: RightId,
    /// Its filing.
    pub filing: FilingId,
    /// Its campaign.
    pub campaign: Option<CampaignId>,
    /// Its status.
    pub status: ComplaintStatus,
    /// Where the listing is.
    pub marketplace: Marketplace,
    /// The listing's stable key.
    pub listing: ListingKey,
    /// The seller's store id, where known.
    pub seller: Option<String>,
    /// When the complaint was filed.
    pub filed_at: DateTime<Utc>,
}

impl ComplaintRow {
    /// The row of a complaint.
    pub fn of(complaint: &Complaint) -> Self {
        let filed = &complaint.filed;
        Self {
            id: filed.id,
            right: filed.right,
            filing: filed.filing,
            campaign: filed.campaign,
            status: complaint.status(),
            marketplace: filed.listing.marketplace,
            listing: filed.listing.key.clone(),
            seller: filed.listing.seller_id.clone(),
            filed_at: complaint.filed_at,
        }
    }
}

/// How complaint counts are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CountBy {
    /// By status only.
    Status,
    /// By right and status.
    Right,
    /// By campaign and status.
    Campaign,
    /// By seller and status.
    Seller,
}

/// The group a count is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GroupKey {
    /// All complaints of the tenant ([`CountBy::Status`]).
    All,
    /// One right.
    Right(RightId),
    /// One campaign, or none.
    Campaign(Option<CampaignId>),
    /// One seller (store id), or unknown.
    Seller(Option<String>),
}

impl GroupKey {
    /// The group of `row` under `by`.
    pub fn of(row: &ComplaintRow, by: CountBy) -> Self {
        match by {
            CountBy::Status => GroupKey::All,
            CountBy::Right => GroupKey::Right(row.right),
            CountBy::Campaign => GroupKey::Campaign(row.campaign),
            CountBy::Seller => GroupKey::Seller(row.seller.clone()),
        }
    }
}

/// Complaints of one group in one status.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Count {
    /// The group.
    pub group: GroupKey,
    /// The status.
    pub status: ComplaintStatus,
    /// How many (never 0: empty groups are left out).
    pub count: u64,
}

/// The complaint counts grouped `by`, from the read model's counts of every complaint (`all`)
/// and of the complaints with a key of the grouping index (`grouped`): complaints without one
/// (no campaign, an unknown seller) are the difference.
pub(super) fn counts_by(
    by: CountBy,
    all: &[StatusCount],
    grouped: &[StatusCount],
) -> Result<Vec<Count>, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        location: "complaint counts".to_owned(),
        detail,
    };
    let mut counts: BTreeMap<(GroupKey, ComplaintStatus), u64> = BTreeMap::new();
    let mut without: BTreeMap<ComplaintStatus, u64> = BTreeMap::new();
    for count in all {
        let status = columns::complaint_status(count.status.into())?;
        match by {
            CountBy::Status => {
                *counts.entry((GroupKey::All, status)).or_default() += count.count;
            }
            _ => *without.entry(status).or_default() += count.count,
        }
    }
    for count in grouped {
        let status = columns::complaint_status(count.status.into())?;
        let value = count.group.clone().unwrap_or_default();
        let group = match by {
            CountBy::Status => continue,
            CountBy::Right => GroupKey::Right(value.parse().map_err(|e| corrupt(format!("{e}")))?),
            CountBy::Campaign => {
                GroupKey::Campaign(Some(value.parse().map_err(|e| corrupt(format!("{e}")))?))
            }
            CountBy::Seller => GroupKey::Seller(Some(value)),
        };
        *counts.entry((group, status)).or_default() += count.count;
        let left = without.entry(status).or_default();
        *left = left.saturating_sub(count.count);
    }
    let none = match by {
        CountBy::Campaign => Some(GroupKey::Campaign(None)),
        CountBy::Seller => Some(GroupKey::Seller(None)),
        CountBy::Status | CountBy::Right => None,
    };
    if let Some(none) = none {
        for (status, count) in without {
            if count > 0 {
                counts.insert((none.clone(), status), count);
            }
        }
    }
    Ok(counts
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|((group, status), count)| Count {
            group,
            status,
            count,
        })
        .collect())
}
