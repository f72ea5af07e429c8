//! What is coming: the soonest of a tenant's pending deadlines, reminders and check-backs,
//! read from the store's timers in due order when it keeps them so
//! ([`Schedule::pending_timers`](crate::store::Schedule::pending_timers)), else computed from the streams' snapshots.

use std::collections::BinaryHeap;

use chrono::{DateTime, Utc};

use super::{EngineError, Reader, effects};
use crate::clock::Clock;
use crate::ids::TenantId;
use crate::notify::Notifier;
use crate::store::{Store, StreamId, StreamKind, Timer, TimerKind, TimerPage};

/// Streams read per page.
const PAGE: usize = 4096;

/// Which of a tenant's pending timers [`Reader::upcoming_timers`] looks for: the soonest
/// `limit`, of some kinds only or all, due by an instant or whenever.
///
/// ```
/// use aliprotect_core::engine::TimerQuery;
/// use aliprotect_core::store::TimerKind;
/// let due_looks = TimerQuery::soonest(0).of_kinds([TimerKind::CheckBack]);
/// assert_eq!(due_looks.limit, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimerQuery {
    /// How many timers to return, soonest first (0: only count them).
    pub limit: usize,
    /// Only timers due at or before this, when given.
    pub until: Option<DateTime<Utc>>,
    /// Only timers of these kinds, when given.
    pub kinds: Option<Vec<TimerKind>>,
    /// Whether [`Upcoming::total`] counts every timer the query keeps (the default). Off,
    /// the walk stops as soon as the soonest `limit` are known, however many follow: what a
    /// page showing the next few deadlines needs, at the cost of a few pages whatever the
    /// tenant holds.
    pub count: bool,
}

impl TimerQuery {
    /// The soonest `limit` timers of every kind, due whenever.
    pub fn soonest(limit: usize) -> Self {
        Self {
            limit,
            until: None,
            kinds: None,
            count: true,
        }
    }

    /// The same query, not counting what follows the soonest: [`Upcoming::total`] is then
    /// a lower bound, and [`Upcoming::counted`] says whether it is the whole count.
    pub fn uncounted(mut self) -> Self {
        self.count = false;
        self
    }

    /// Only timers due at or before `until`.
    pub fn until(mut self, until: DateTime<Utc>) -> Self {
        self.until = Some(until);
        self
    }

    /// Only timers of `kinds`.
    pub fn of_kinds(mut self, kinds: impl IntoIterator<Item = TimerKind>) -> Self {
        self.kinds = Some(kinds.into_iter().collect());
        self
    }

    /// Whether `timer` is one the query looks for.
    pub fn keeps(&self, timer: &Timer) -> bool {
        self.until.is_none_or(|until| timer.due <= until)
            && self
                .kinds
                .as_ref()
                .is_none_or(|kinds| kinds.contains(&timer.kind))
    }
}

/// The soonest of a tenant's pending timers: [`Reader::upcoming_timers`]' answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Upcoming {
    /// The soonest timers asked for, soonest first (by due time, then stream, then kind).
    pub soonest: Vec<Timer>,
    /// How many timers matched in all, the soonest included; for an
    /// [`uncounted`](TimerQuery::uncounted) query, how many matched among those read.
    pub total: usize,
    /// Whether `total` counts every timer the query keeps: false only when an uncounted
    /// query stopped before the end.
    pub counted: bool,
}

/// The soonest `limit` timers seen so far, and how many were seen.
struct Soonest {
    limit: usize,
    /// Latest on top: a sooner one pushes it out.
    heap: BinaryHeap<(DateTime<Utc>, StreamId, TimerKind)>,
    total: usize,
}

impl Soonest {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            heap: BinaryHeap::new(),
            total: 0,
        }
    }

    fn add(&mut self, timer: &Timer) {
        self.total += 1;
        let entry = (timer.due, timer.stream, timer.kind);
        // Most timers of a long walk come after the soonest `limit`: compared with the
        // latest kept, they never touch the heap.
        if self.heap.len() == self.limit && self.heap.peek().is_none_or(|latest| entry >= *latest) {
            return;
        }
        self.heap.push(entry);
        if self.heap.len() > self.limit {
            self.heap.pop();
        }
    }

    /// Whether no timer of a stream after `stream` (due first at `due`, in the order of
    /// [`Schedule::pending_timers`](crate::store::Schedule::pending_timers)' pages) can be
    /// among the soonest kept: all `limit` are kept, and the latest of them comes no later.
    fn settled_before(&self, due: DateTime<Utc>, stream: StreamId) -> bool {
        self.heap.len() == self.limit
            && self
                .heap
                .peek()
                .is_none_or(|&(latest, of, _)| (latest, of) <= (due, stream))
    }

    fn finish(self, tenant: TenantId) -> Upcoming {
        let soonest = self
            .heap
            .into_sorted_vec()
            .into_iter()
            .map(|(due, stream, kind)| Timer {
                tenant,
                stream,
                kind,
                due,
            })
            .collect();
        Upcoming {
            soonest,
            total: self.total,
            counted: true,
        }
    }
}

impl<S: Store, N: Notifier, C: Clock> Reader<'_, S, N, C> {
    /// The soonest `query.limit` of the tenant's pending deadlines, reminders, check-backs
    /// and expiries that `query` keeps, soonest first, and how many it keeps in all: what a
    /// person should know is coming. Each is a timer the store holds and a tick will fire
    /// (or, for a backend that keeps no timer order, what the stream's current state
    /// schedules under this engine's policy: the same). Reads the store's timers in due
    /// order, only as far as `query.until`, a page at a time: memory stays flat however many
    /// there are. A query that keeps every timer reads only as far as its soonest `limit`
    /// when the store counts the rest ([`Schedule::count_pending_timers`]).
    ///
    /// [`Schedule::count_pending_timers`]: crate::store::Schedule::count_pending_timers
    pub async fn upcoming_timers(
        self,
        tenant: TenantId,
        query: &TimerQuery,
    ) -> Result<Upcoming, EngineError> {
        let mut soonest = Soonest::new(query.limit);
        // An uncounted query starts with a page about the size of what it returns.
        let first = match query.count {
            true => PAGE,
            false => query.limit.saturating_mul(2).clamp(64, PAGE),
        };
        let mut page = TimerPage::first(first);
        if let Some(until) = query.until {
            page = page.until(until);
        }
        // Whether the store may be asked to count what the query keeps (every timer), until
        // it says it cannot.
        let mut countable = query.until.is_none() && query.kinds.is_none();
        loop {
            let store = &self.engine().inner.store;
            let Some(timers) = store.pending_timers(tenant, &page).await? else {
                return self.computed_timers(tenant, query).await;
            };
            // Each stream's timers come together, soonest first: the first of the last
            // stream's is where the next page starts.
            let mut streams = 0;
            let mut last = None;
            for timer in &timers {
                if last.is_none_or(|(_, stream)| stream != timer.stream) {
                    streams += 1;
                    last = Some((timer.due, timer.stream));
                }
                if query.keeps(timer) {
                    soonest.add(timer);
                }
            }
            let Some((due, stream)) = last.filter(|_| streams >= page.limit) else {
                return Ok(soonest.finish(tenant));
            };
            if !query.count && soonest.settled_before(due, stream) {
                let mut upcoming = soonest.finish(tenant);
                upcoming.counted = false;
                return Ok(upcoming);
            }
            // The soonest are known: when every timer counts and the store can count
            // them, the rest need not be read (count and pages are read apart, so a commit
            // in between may show in one and not the other, as between two pages).
            if countable && soonest.settled_before(due, stream) {
                match store.count_pending_timers(tenant).await? {
                    Some(total) => {
                        let mut upcoming = soonest.finish(tenant);
                        upcoming.total = usize::try_from(total).unwrap_or(usize::MAX);
                        return Ok(upcoming);
                    }
                    None => countable = false,
                }
            }
            page = page.after(due, stream);
            page.limit = PAGE;
        }
    }

    /// [`Reader::upcoming_timers`] for a store that keeps no timer order: the timers the
    /// current state of each of the tenant's rights, complaints and powers schedules.
    async fn computed_timers(
        self,
        tenant: TenantId,
        query: &TimerQuery,
    ) -> Result<Upcoming, EngineError> {
        let policy = &self.engine().inner.policy;
        let mut soonest = Soonest::new(query.limit);
        for kind in [StreamKind::Right, StreamKind::Complaint, StreamKind::Power] {
            self.each_stream(tenant, kind, |stream, snapshot| {
                for timer in effects::timers_for(tenant, stream, snapshot, policy) {
                    if query.keeps(&timer) {
                        soonest.add(&timer);
                    }
                }
                Ok(())
            })
            .await?;
        }
        Ok(soonest.finish(tenant))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::ids::ComplaintId;

    #[test]
    fn the_soonest_are_settled_once_all_are_kept_and_none_comes_after_the_page() {
        let tenant = TenantId::new();
        let at = |hours: i64| {
            Utc.timestamp_opt(hours * 3600, 0)
                .single()
                .unwrap_or_default()
        };
        let streams: Vec<StreamId> = {
            let mut ids: Vec<StreamId> = (0..3)
                .map(|_| StreamId::Complaint(ComplaintId::new()))
                .collect();
            ids.sort();
            ids
        };
        let timer = |stream, hours| Timer {
            tenant,
            stream,
            kind: TimerKind::CheckBack,
            due: at(hours),
        };
        let mut soonest = Soonest::new(2);
        soonest.add(&timer(streams[0], 1));
        assert!(
            !soonest.settled_before(at(9), streams[2]),
            "one of two kept"
        );
        soonest.add(&timer(streams[1], 5));
        assert!(
            soonest.settled_before(at(5), streams[1]),
            "the page ended at the latest kept"
        );
        assert!(soonest.settled_before(at(6), streams[0]));
        assert!(
            !soonest.settled_before(at(4), streams[2]),
            "a later page may hold a stream due at 4 h"
        );
        assert!(
            !soonest.settled_before(at(5), streams[0]),
            "or a stream due at 5 h that comes before the latest kept"
        );
        assert!(
            Soonest::new(0).settled_before(at(0), streams[0]),
            "none asked for"
        );
    }

    proptest! {
        /// Whatever order timers come in (a backend without a due-time order hands them
        /// over as its streams come), the soonest `limit` are kept and all are counted.
        #[test]
        fn soonest_keeps_the_first_of_any_order_and_counts_all(
            dues in prop::collection::vec(0i64..50, 0..60),
            limit in 0usize..8,
        ) {
            let tenant = TenantId::new();
            let timers: Vec<Timer> = dues
                .iter()
                .map(|&hours| Timer {
                    tenant,
                    stream: StreamId::Complaint(ComplaintId::new()),
                    kind: TimerKind::CheckBack,
                    due: Utc.timestamp_opt(hours * 3600, 0).single().unwrap_or_default(),
                })
                .collect();
            let mut soonest = Soonest::new(limit);
            for timer in &timers {
                soonest.add(timer);
            }
            let upcoming = soonest.finish(tenant);
            let mut expected = timers.clone();
            expected.sort_by_key(|t| (t.due, t.stream, t.kind));
            expected.truncate(limit);
            prop_assert_eq!(upcoming.soonest, expected);
            prop_assert_eq!(upcoming.total, timers.len());
        }
    }
}
