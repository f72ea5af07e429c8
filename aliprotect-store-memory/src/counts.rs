//! Dashboard counters kept up to date on every commit, so counting never scans.

use std::hash::Hash;

use aliprotect_core::complaint::{Complaint, ComplaintStatus};
use aliprotect_core::ids::{CampaignId, RightId};
use aliprotect_core::right::RightStatus;
use aliprotect_core::store::{Count, CountBy, GroupKey};
use foldhash::HashMap;

/// Complaints per status, indexed by the status's discriminant.
type PerStatus = [u64; ComplaintStatus::ALL.len()];

/// One tenant's counters.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    all: PerStatus,
    by_right: HashMap<RightId, PerStatus>,
    by_campaign: HashMap<Option<CampaignId>, PerStatus>,
    by_seller: HashMap<Option<String>, PerStatus>,
    rights: [u64; RightStatus::ALL.len()],
}

fn moved(counts: &mut PerStatus, old: Option<ComplaintStatus>, new: ComplaintStatus) {
    if let Some(old) = old {
        counts[old as usize] = counts[old as usize].saturating_sub(1);
    }
    counts[new as usize] += 1;
}

/// Moves a complaint of group `key`; looks up by reference so that only a group's first
/// complaint allocates its key.
fn bump<K: Hash + Eq + Clone>(
    map: &mut HashMap<K, PerStatus>,
    key: &K,
    old: Option<ComplaintStatus>,
    new: ComplaintStatus,
) {
    match map.get_mut(key) {
        Some(counts) => moved(counts, old, new),
        None => {
            let mut counts = PerStatus::default();
            moved(&mut counts, old, new);
            map.insert(key.clone(), counts);
        }
    }
}

impl Counts {
    /// Moves `complaint` from `old` status (none if new) to its current status.
    pub(crate) fn complaint_moved(&mut self, old: Option<ComplaintStatus>, complaint: &Complaint) {
        let new = complaint.status();
        if old == Some(new) {
            return;
        }
        let filed = &complaint.filed;
        moved(&mut self.all, old, new);
        bump(&mut self.by_right, &filed.right, old, new);
        bump(&mut self.by_campaign, &filed.campaign, old, new);
        bump(&mut self.by_seller, &filed.listing.seller_id, old, new);
    }

    /// Moves one right from `old` status (none if new) to `new`.
    pub(crate) fn right_moved(&mut self, old: Option<RightStatus>, new: RightStatus) {
        if old == Some(new) {
            return;
        }
        if let Some(old) = old {
            self.rights[old as usize] = self.rights[old as usize].saturating_sub(1);
        }
        self.rights[new as usize] += 1;
    }

    /// The complaint counts under `by`, sorted by group then status, zeros left out.
    pub(crate) fn complaints(&self, by: CountBy) -> Vec<Count> {
        let groups: Vec<(GroupKey, &PerStatus)> = match by {
            CountBy::Status => vec![(GroupKey::All, &self.all)],
            CountBy::Right => self
                .by_right
                .iter()
                .map(|(k, v)| (GroupKey::Right(*k), v))
                .collect(),
            CountBy::Campaign => self
                .by_campaign
                .iter()
                .map(|(k, v)| (GroupKey::Campaign(*k), v))
                .collect(),
            CountBy::Seller => self
                .by_seller
                .iter()
                .map(|(k, v)| (GroupKey::Seller(k.clone()), v))
                .collect(),
        };
        let mut counts: Vec<Count> = groups
            .into_iter()
            .flat_map(|(group, per_status)| {
                ComplaintStatus::ALL
                    .into_iter()
                    .zip(per_status.iter())
                    .filter(|(_, count)| **count > 0)
                    .map(move |(status, count)| Count {
                        group: group.clone(),
                        status,
                        count: *count,
                    })
            })
            .collect();
        counts.sort();
        counts
    }

    /// The right counts, sorted by status, zeros left out.
    pub(crate) fn rights(&self) -> Vec<(RightStatus, u64)> {
        RightStatus::ALL
            .into_iter()
            .zip(self.rights)
            .filter(|(_, count)| *count > 0)
            .collect()
    }
}
