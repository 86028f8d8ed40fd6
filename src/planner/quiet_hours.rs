//! Quiet hours: a send that falls inside the customer's local quiet window is deferred to the
//! end of the window, never dropped.

use crate::config::QuietHours;
use chrono::{DateTime, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// The earliest instant at or after `now` outside the customer's quiet hours.
pub fn defer(now: DateTime<Utc>, tz: Tz, quiet: &QuietHours) -> DateTime<Utc> {
    let mut at = now;
    // One step normally suffices; a second covers a DST change landing back inside the window.
    for _ in 0..3 {
        let local = at.with_timezone(&tz).naive_local();
        if !quiet.contains(local.time()) {
            return at;
        }
        // In a window that wraps midnight (21:00–08:00), an evening time ends tomorrow.
        let wraps = quiet.start > quiet.end;
        let date = if wraps && local.time() >= quiet.start {
            local.date() + TimeDelta::days(1)
        } else {
            local.date()
        };
        at = resolve(tz, date.and_time(quiet.end)).max(at + TimeDelta::seconds(1));
    }
    at
}

/// A local wall-clock time as a UTC instant, even across DST changes: a repeated time (fall
/// back) is its first occurrence; a skipped time (spring forward) is the moment the clocks
/// jump, i.e. the first local time that exists after it.
pub(super) fn resolve(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    // Real gaps last an hour or less; a day covers every zone that ever skipped one.
    const MAX_GAP_MINUTES: i64 = 26 * 60;
    for minutes in 0..=MAX_GAP_MINUTES {
        match tz.from_local_datetime(&(local + TimeDelta::minutes(minutes))) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => continue,
        }
    }
    local.and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet() -> QuietHours {
        QuietHours::parse("21:00-08:00").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn outside_quiet_hours_the_send_is_now() {
        let now = utc("2026-11-25T12:00:00Z"); // 15:30 in Tehran
        assert_eq!(defer(now, chrono_tz::Asia::Tehran, &quiet()), now);
    }

    #[test]
    fn a_late_evening_in_tehran_waits_for_eight_the_next_morning() {
        let now = utc("2026-11-25T19:00:00Z"); // 22:30 +03:30
        let at = defer(now, chrono_tz::Asia::Tehran, &quiet());
        assert_eq!(at, utc("2026-11-26T08:00:00+03:30"));
    }

    #[test]
    fn an_early_morning_in_new_york_waits_for_eight_the_same_day() {
        let now = utc("2026-11-25T10:00:00Z"); // 05:00 EST
        let at = defer(now, chrono_tz::America::New_York, &quiet());
        assert_eq!(at, utc("2026-11-25T08:00:00-05:00"));
    }

    #[test]
    fn the_end_of_quiet_hours_follows_the_dst_change_overnight() {
        // 22:00 EDT on Sat 2026-10-31; clocks go back that night; 08:00 Sunday is EST.
        let now = utc("2026-11-01T02:00:00Z");
        let at = defer(now, chrono_tz::America::New_York, &quiet());
        assert_eq!(at, utc("2026-11-01T08:00:00-05:00"));
    }

    #[test]
    fn a_quiet_end_skipped_by_spring_forward_sends_when_the_clocks_jump() {
        let q = QuietHours::parse("21:00-02:30").unwrap();
        // 2026-03-08 01:00 EST; 02:00–03:00 does not exist that night.
        let now = utc("2026-03-08T06:00:00Z");
        let at = defer(now, chrono_tz::America::New_York, &q);
        assert_eq!(at, utc("2026-03-08T03:00:00-04:00"));
    }

    #[test]
    fn a_quiet_end_repeated_by_fall_back_sends_at_its_first_occurrence() {
        let q = QuietHours::parse("21:00-01:30").unwrap();
        let now = utc("2026-11-01T04:00:00Z"); // 00:00 EDT
        let at = defer(now, chrono_tz::America::New_York, &q);
        assert_eq!(at, utc("2026-11-01T01:30:00-04:00"));
    }

    #[test]
    fn a_daytime_window_that_does_not_wrap_ends_the_same_day() {
        let q = QuietHours::parse("12:00-14:00").unwrap();
        let now = utc("2026-11-25T12:30:00Z");
        assert_eq!(defer(now, chrono_tz::UTC, &q), utc("2026-11-25T14:00:00Z"));
    }

    #[test]
    fn empty_quiet_hours_never_defer() {
        let q = QuietHours::parse("00:00-00:00").unwrap();
        let now = utc("2026-11-25T23:30:00Z");
        assert_eq!(defer(now, chrono_tz::UTC, &q), now);
    }
}
