//! Cron schedules evaluated in the customer's timezone.
//!
//! A slot is a local wall-clock time the cron expression names (`0 0 10 * * Sat` = every
//! Saturday 10:00 where the customer lives); it stays due for `window` after it fires, so a
//! planner tick that runs a little late still catches it. Across DST changes the slot keeps
//! its local time (10:00 stays 10:00, its UTC instant moves). A local time skipped by a
//! spring-forward change does not fire that day (the `cron` crate skips it); a time repeated
//! by a fall-back change names one occurrence, because keys use the local wall-clock time.

use crate::config::Duration;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone)]
pub struct ScheduleTrigger {
    pub cron: cron::Schedule,
    /// How long a slot stays due after it fires.
    pub window: Duration,
    /// What one occurrence is: each slot, or the day/week/month it falls in.
    pub period: SlotPeriod,
    /// `send_time = "best"`: sent at the customer's best hour (docs/predictions.md) inside
    /// the window rather than as soon as the slot is due.
    pub best_hour: bool,
}

/// The unit a schedule occurrence is keyed by (`occurrence = "week"` in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotPeriod {
    /// `slot:2026-11-28T10:00` (local time)
    Slot,
    /// `day:2026-11-28`
    Day,
    /// `week:2026-W48` (ISO week)
    Week,
    /// `month:2026-11`
    Month,
}

impl SlotPeriod {
    pub const NAMES: &'static str = "slot, day, week, month";

    pub fn parse(s: &str) -> Option<SlotPeriod> {
        match s {
            "slot" => Some(SlotPeriod::Slot),
            "day" => Some(SlotPeriod::Day),
            "week" => Some(SlotPeriod::Week),
            "month" => Some(SlotPeriod::Month),
            _ => None,
        }
    }
}

/// A slot that is due now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub fired_at: DateTime<Utc>,
    pub local: NaiveDateTime,
    pub occurrence: String,
}

/// Ambiguous local times (a fall-back hour) come back as two instants; never more than a few.
const MAX_STEPS_BACK: usize = 4;

impl ScheduleTrigger {
    /// The latest slot at or before `now`, in the customer's timezone.
    pub fn latest_slot(&self, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Tz>> {
        // `after(x).next_back()` yields slots strictly before `x`, compared at whole seconds.
        let whole = now.with_nanosecond(0).unwrap_or(now);
        let start = (whole + TimeDelta::seconds(1)).with_timezone(&tz);
        self.cron
            .after(&start)
            .rev()
            .take(MAX_STEPS_BACK)
            .find(|slot| slot.with_timezone(&Utc) <= now)
    }

    /// The slot that is due at `now`: the latest one, while `now` is within its window.
    pub fn due_slot(&self, tz: Tz, now: DateTime<Utc>) -> Option<Slot> {
        let slot = self.latest_slot(tz, now)?;
        let fired_at = slot.with_timezone(&Utc);
        (now < fired_at + self.window.chrono()).then(|| Slot {
            fired_at,
            local: slot.naive_local(),
            occurrence: self.occurrence(slot.naive_local()),
        })
    }

    /// The next slot after `now`, for "not due" reasons.
    pub fn next_slot(&self, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Tz>> {
        self.cron.after(&now.with_timezone(&tz)).next()
    }

    pub fn occurrence(&self, local: NaiveDateTime) -> String {
        match self.period {
            SlotPeriod::Slot if local.second() != 0 => {
                format!("slot:{}", local.format("%Y-%m-%dT%H:%M:%S"))
            }
            SlotPeriod::Slot => format!("slot:{}", local.format("%Y-%m-%dT%H:%M")),
            SlotPeriod::Day => format!("day:{}", local.format("%Y-%m-%d")),
            SlotPeriod::Week => format!("week:{}", local.format("%G-W%V")),
            SlotPeriod::Month => format!("month:{}", local.format("%Y-%m")),
        }
    }
}

/// Parses a cron expression, explaining the two mistakes marketers make: a 5-field crontab
/// line (the `cron` crate wants seconds first) and anything else it rejects.
pub(super) fn parse_cron(expr: &str) -> Result<cron::Schedule, String> {
    let fields = expr.split_whitespace().count();
    if fields == 5 {
        return Err(format!(
            "`{expr}` has 5 fields; add a seconds field first: `0 {}`",
            expr.trim()
        ));
    }
    expr.trim().parse::<cron::Schedule>().map_err(|e| {
        // The crate's message repeats the expression with a caret; its last line says what is wrong.
        let e = e.to_string();
        let e = e
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("invalid");
        let e = e.trim().trim_end_matches('.');
        format!(
            "`{expr}` is not a cron schedule ({e}); write 6 or 7 fields, seconds first: \
             sec min hour day-of-month month day-of-week [year], e.g. `0 0 10 * * Sat`"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn weekly(period: SlotPeriod) -> ScheduleTrigger {
        ScheduleTrigger {
            cron: parse_cron("0 0 10 * * Sat").unwrap(),
            window: Duration::from_secs(12 * 3600),
            period,
            best_hour: false,
        }
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn saturday_ten_in_tehran_is_due_for_twelve_hours() {
        let s = weekly(SlotPeriod::Week);
        let tz = chrono_tz::Asia::Tehran;
        // 2026-11-28 10:00 +03:30 = 06:30 UTC
        assert_eq!(s.due_slot(tz, utc(2026, 11, 28, 6, 29)), None);
        let due = s.due_slot(tz, utc(2026, 11, 28, 6, 30)).unwrap();
        assert_eq!(due.fired_at, utc(2026, 11, 28, 6, 30));
        assert_eq!(due.occurrence, "week:2026-W48");
        assert!(s.due_slot(tz, utc(2026, 11, 28, 18, 29)).is_some());
        assert_eq!(s.due_slot(tz, utc(2026, 11, 28, 18, 30)), None);
    }

    #[test]
    fn a_slot_keeps_its_local_time_across_the_new_york_dst_change() {
        let s = weekly(SlotPeriod::Slot);
        let tz = chrono_tz::America::New_York;
        // Sat 2026-10-31 10:00 EDT = 14:00 UTC; DST ends Sun 2026-11-01;
        // Sat 2026-11-07 10:00 EST = 15:00 UTC.
        assert!(s.due_slot(tz, utc(2026, 10, 31, 14, 0)).is_some());
        assert_eq!(s.due_slot(tz, utc(2026, 11, 7, 14, 30)), None);
        let due = s.due_slot(tz, utc(2026, 11, 7, 15, 0)).unwrap();
        assert_eq!(due.occurrence, "slot:2026-11-07T10:00");
    }

    #[test]
    fn a_repeated_fall_back_hour_is_one_occurrence() {
        let s = ScheduleTrigger {
            cron: parse_cron("0 30 1 * * *").unwrap(),
            window: Duration::from_secs(3 * 3600),
            period: SlotPeriod::Slot,
            best_hour: false,
        };
        let tz = chrono_tz::America::New_York;
        // 01:30 EDT = 05:30 UTC and 01:30 EST = 06:30 UTC on 2026-11-01.
        let first = s.due_slot(tz, utc(2026, 11, 1, 5, 45)).unwrap();
        let second = s.due_slot(tz, utc(2026, 11, 1, 6, 45)).unwrap();
        assert_eq!(first.fired_at, utc(2026, 11, 1, 5, 30));
        assert_eq!(second.fired_at, utc(2026, 11, 1, 6, 30));
        assert_eq!(first.occurrence, second.occurrence);
    }

    #[test]
    fn the_next_slot_is_named_in_local_time() {
        let s = weekly(SlotPeriod::Week);
        let next = s
            .next_slot(chrono_tz::Asia::Tehran, utc(2026, 11, 25, 12, 0))
            .unwrap();
        assert_eq!(next.naive_local().to_string(), "2026-11-28 10:00:00");
    }

    #[test]
    fn a_five_field_crontab_line_asks_for_seconds() {
        let e = parse_cron("0 10 * * 6").unwrap_err();
        assert!(e.contains("add a seconds field"), "{e}");
        assert!(e.contains("`0 0 10 * * 6`"), "{e}");
        let e = parse_cron("0 0 25 * * Sat").unwrap_err();
        assert!(e.contains("not a cron schedule"), "{e}");
    }

    #[test]
    fn occurrence_keys_follow_the_period() {
        let local = NaiveDateTime::parse_from_str("2026-11-28 10:00", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(weekly(SlotPeriod::Day).occurrence(local), "day:2026-11-28");
        assert_eq!(weekly(SlotPeriod::Month).occurrence(local), "month:2026-11");
        assert_eq!(
            weekly(SlotPeriod::Slot).occurrence(local),
            "slot:2026-11-28T10:00"
        );
    }
}
