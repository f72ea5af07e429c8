//! A tenant's pending timers in the order they fall due, for people to see what is coming:
//! what [`Schedule::pending_timers`](super::Schedule::pending_timers) pages through.

use chrono::{DateTime, Utc};

use super::{StreamId, Timer};

/// A page of a tenant's pending timers: the timers of up to `limit` streams whose soonest
/// timer is due at or before `until` (any, when `None`), after `after`, in the order of each
/// stream's soonest due time, then stream (keyset paging: pass the last stream of a page,
/// with its soonest due time, to [`TimerPage::after`] for the next).
///
/// ```
/// use aliprotect_core::store::TimerPage;
/// let page = TimerPage::first(100);
/// assert_eq!((page.limit, page.until, page.after), (100, None, None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimerPage {
    /// Only streams whose soonest timer is due at or before this, when given.
    pub until: Option<DateTime<Utc>>,
    /// Only streams after this one: the soonest due time and id of the previous page's last
    /// stream.
    pub after: Option<(DateTime<Utc>, StreamId)>,
    /// At most this many streams.
    pub limit: usize,
}

impl TimerPage {
    /// The first page: at most `limit` streams, from the soonest.
    pub fn first(limit: usize) -> Self {
        Self {
            until: None,
            after: None,
            limit,
        }
    }

    /// Only the streams whose soonest timer is due at or before `until`.
    pub fn until(mut self, until: DateTime<Utc>) -> Self {
        self.until = Some(until);
        self
    }

    /// Only the streams after `stream`, whose soonest timer is due at `soonest` (the last of
    /// the previous page).
    pub fn after(mut self, soonest: DateTime<Utc>, stream: StreamId) -> Self {
        self.after = Some((soonest, stream));
        self
    }

    /// Whether a stream whose soonest timer is due at `soonest` is on this page's side of
    /// its bounds (what a backend without an ordered index of its own checks).
    pub fn admits(&self, soonest: DateTime<Utc>, stream: StreamId) -> bool {
        self.until.is_none_or(|until| soonest <= until)
            && self.after.is_none_or(|after| (soonest, stream) > after)
    }
}

/// Puts one stream's timers in the order a page lists them: soonest first, then by kind.
pub fn order_stream_timers(timers: &mut [Timer]) {
    timers.sort_by_key(|timer| (timer.due, timer.kind));
}
