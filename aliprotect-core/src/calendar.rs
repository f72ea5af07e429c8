//! Working-day deadlines.
//!
//! Platforms count their windows in working days of their own country ("within 3 working
//! days"), so a calendar is data: weekend days, public holidays and the platform's UTC offset.
//! Existing business-day crates ship fixed national calendars; a marketplace policy needs one
//! built from configuration, which is this small type.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, Offset, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// A length of time as a platform states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Window {
    /// Working days of the platform's calendar.
    WorkingDays(u16),
    /// Calendar days.
    CalendarDays(u16),
}

/// Weekends, holidays and the local time in which a platform counts days.
///
/// A deadline of N days from an instant ends at local midnight after the N-th counted day
/// following the day of that instant.
///
/// ```
/// use aliprotect_core::calendar::{BusinessCalendar, Window};
/// use chrono::{NaiveDate, TimeZone, Utc};
///
/// let calendar = BusinessCalendar::utc_weekdays()
///     .with_holiday(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap());
/// // Thursday 24 December: 3 working days are Mon 28, Tue 29 and Wed 30.
/// let from = Utc.with_ymd_and_hms(2026, 12, 24, 15, 0, 0).unwrap();
/// let due = calendar.deadline(from, Window::WorkingDays(3));
/// assert_eq!(due, Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessCalendar {
    /// Offset of the platform's local time from UTC, in seconds (China: +8 h = 28,800).
    pub utc_offset_seconds: i32,
    /// Days of the week that are not working days.
    pub weekend: Vec<Weekday>,
    /// Public holidays (local dates) that are not working days.
    pub holidays: BTreeSet<NaiveDate>,
}

impl BusinessCalendar {
    /// Monday to Friday, no holidays, in UTC.
    pub fn utc_weekdays() -> Self {
        Self {
            utc_offset_seconds: 0,
            weekend: vec![Weekday::Sat, Weekday::Sun],
            holidays: BTreeSet::new(),
        }
    }

    /// This calendar with one more holiday.
    pub fn with_holiday(mut self, day: NaiveDate) -> Self {
        self.holidays.insert(day);
        self
    }

    /// This calendar counted in a local time `hours` east of UTC (clamped to ±23 h).
    pub fn with_utc_offset_hours(mut self, hours: i32) -> Self {
        self.utc_offset_seconds = hours.clamp(-23, 23) * 3600;
        self
    }

    /// Whether `day` is a working day.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        !self.weekend.contains(&day.weekday()) && !self.holidays.contains(&day)
    }

    /// The instant a window opened at `from` closes. Saturates at the end of chrono's range
    /// instead of panicking on absurd inputs.
    pub fn deadline(&self, from: DateTime<Utc>, window: Window) -> DateTime<Utc> {
        let offset = self.offset();
        let start = from.with_timezone(&offset).date_naive();
        let last_day = match window {
            Window::CalendarDays(n) => start.checked_add_days(Days::new(u64::from(n))),
            Window::WorkingDays(n) => self.add_working_days(start, n),
        };
        last_day
            .and_then(|day| day.succ_opt())
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .and_then(|midnight| offset.from_local_datetime(&midnight).single())
            .map_or(DateTime::<Utc>::MAX_UTC, |local| local.with_timezone(&Utc))
    }

    fn add_working_days(&self, start: NaiveDate, n: u16) -> Option<NaiveDate> {
        // A calendar with every weekday as weekend would never advance: give up after a
        // generous bound instead of looping forever.
        let mut day = start;
        let mut counted = 0;
        let mut steps = 0u32;
        while counted < n {
            day = day.succ_opt()?;
            steps += 1;
            if steps > u32::from(n) * 7 + 3660 {
                return None;
            }
            if self.is_working_day(day) {
                counted += 1;
            }
        }
        Some(day)
    }

    fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_seconds).unwrap_or(Utc.fix())
    }
}

impl Default for BusinessCalendar {
    fn default() -> Self {
        Self::utc_weekdays()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // Friday 27 Nov 2026; Monday 30 is a holiday.
        let cal = BusinessCalendar::utc_weekdays()
            .with_holiday(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        let due = cal.deadline(utc(27, 9), Window::WorkingDays(3));
        // Tue 1, Wed 2, Thu 3 Dec -> closes at midnight starting Fri 4 Dec.
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 12, 4, 0, 0, 0).unwrap());
    }

    #[test]
    fn calendar_days_ignore_the_weekend() {
        let cal = BusinessCalendar::utc_weekdays();
        let due = cal.deadline(utc(27, 9), Window::CalendarDays(15));
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 12, 13, 0, 0, 0).unwrap());
    }

    #[test]
    fn days_are_counted_in_the_platform_local_time() {
        // 20:00 UTC on Wed 25 Nov is already Thu 26 Nov in China.
        let cal = BusinessCalendar::utc_weekdays().with_utc_offset_hours(8);
        let due = cal.deadline(utc(25, 20), Window::WorkingDays(1));
        // One working day after Thu 26 is Fri 27; closes at Sat 28 00:00 +08 = Fri 16:00 UTC.
        assert_eq!(due, utc(27, 16));
    }

    #[test]
    fn a_calendar_without_working_days_saturates_instead_of_hanging() {
        let mut cal = BusinessCalendar::utc_weekdays();
        cal.weekend = vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        assert_eq!(
            cal.deadline(utc(2, 0), Window::WorkingDays(2)),
            DateTime::<Utc>::MAX_UTC
        );
    }
}
