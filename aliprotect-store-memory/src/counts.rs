//! Dashboard counters kept up to date on every commit, so counting never scans.

use std::collections::HashMap;

use aliprotect_core::complaint::ComplaintStatus;
use aliprotect_core::right::RightStatus;
use aliprotect_core::store::{ComplaintRow, Count, CountBy, GroupKey};

const DIMENSIONS: [CountBy; 4] = [
    CountBy::Status,
    CountBy::Right,
    CountBy::Campaign,
    CountBy::Seller,
];

/// One tenant's counters.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    complaints: HashMap<(CountBy, GroupKey, ComplaintStatus), u64>,
    rights: HashMap<RightStatus, u64>,
}

impl Counts {
    /// Moves one complaint from `old` status (none if new) to `row.status`.
    pub(crate) fn complaint_moved(&mut self, old: Option<ComplaintStatus>, row: &ComplaintRow) {
        if old == Some(row.status) {
            return;
        }
        for by in DIMENSIONS {
            let group = GroupKey::of(row, by);
            if let Some(old) = old {
                decrement(&mut self.complaints, (by, group.clone(), old));
            }
            *self.complaints.entry((by, group, row.status)).or_default() += 1;
        }
    }

    /// Moves one right from `old` status (none if new) to `new`.
    pub(crate) fn right_moved(&mut self, old: Option<RightStatus>, new: RightStatus) {
        if old == Some(new) {
            return;
        }
        if let Some(old) = old {
            decrement(&mut self.rights, old);
        }
        *self.rights.entry(new).or_default() += 1;
    }

    /// The complaint counts under `by`, sorted by group then status.
    pub(crate) fn complaints(&self, by: CountBy) -> Vec<Count> {
        let mut counts: Vec<Count> = self
            .complaints
            .iter()
            .filter(|((dimension, _, _), _)| *dimension == by)
            .map(|((_, group, status), count)| Count {
                group: group.clone(),
                status: *status,
                count: *count,
            })
            .collect();
        counts.sort();
        counts
    }

    /// The right counts, sorted by status.
    pub(crate) fn rights(&self) -> Vec<(RightStatus, u64)> {
        let mut counts: Vec<_> = self.rights.iter().map(|(s, c)| (*s, *c)).collect();
        counts.sort();
        counts
    }
}

fn decrement<K: std::hash::Hash + Eq>(map: &mut HashMap<K, u64>, key: K) {
    if let Some(count) = map.get_mut(&key) {
        *count = count.saturating_sub(1);
        if *count == 0 {
            map.remove(&key);
        }
    }
}
