//! `send_time = "best"` for scheduled campaigns: the email goes at the customer's best hour
//! (their local hour of opens and clicks, else the shop's: docs/predictions.md) inside the
//! slot's window, not as soon as the slot is due. Quiet hours still hold.

use super::quiet_hours;
use crate::campaigns::{Campaign, Trigger};
use crate::config::QuietHours;
use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;

/// Whether the campaign sends at the customer's best hour.
pub fn wants_best_hour(campaign: &Campaign) -> bool {
    matches!(&campaign.trigger, Trigger::Schedule(s) if s.best_hour)
}

/// When a pick of `campaign` at `now` goes, given the customer's best hour (local, 0–23):
/// the next start of that hour from `now` (now itself while inside it) when it falls before
/// the slot's window ends, else now; then deferred out of quiet hours. None when the
/// campaign does not send at the best hour (or no slot is due: nothing to place in it).
pub fn best_send_at(
    campaign: &Campaign,
    tz: Tz,
    hour: Option<u8>,
    now: DateTime<Utc>,
    quiet: &QuietHours,
) -> Option<DateTime<Utc>> {
    let Trigger::Schedule(schedule) = &campaign.trigger else {
        return None;
    };
    if !schedule.best_hour {
        return None;
    }
    let slot = schedule.due_slot(tz, now)?;
    let ends = slot.fired_at + schedule.window.chrono();
    let at = hour
        .and_then(|h| NaiveTime::from_hms_opt(u32::from(h), 0, 0))
        .map(|h| next_local(tz, h, now))
        .filter(|at| *at < ends)
        .unwrap_or(now);
    Some(quiet_hours::defer(at, tz, quiet))
}

/// The next instant the local clock reads `hour` (now, while within that hour).
fn next_local(tz: Tz, hour: NaiveTime, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = now.with_timezone(&tz).date_naive();
    for date in [
        today - TimeDelta::days(1),
        today,
        today + TimeDelta::days(1),
    ] {
        let start = quiet_hours::resolve(tz, date.and_time(hour));
        if now < start + TimeDelta::hours(1) {
            return start.max(now);
        }
    }
    now
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaigns::parse;
    use chrono::TimeZone;
    use std::path::Path;

    fn saturday(extra: &str) -> Campaign {
        let text = format!(
            "name = \"offer\"\npriority = 10\ntemplate = \"offer\"\n[subject]\nen = \"Hi\"\n\
             [audience]\nlevels = [\"basic\"]\n[trigger]\non = \"schedule\"\n\
             schedule = \"0 0 10 * * Sat\"\nwindow = \"12h\"\n{extra}\n"
        );
        parse(Path::new("offer.toml"), &text, &|_| true).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap()
    }

    fn quiet() -> QuietHours {
        QuietHours::parse("21:00-08:00").unwrap()
    }

    #[test]
    fn the_best_hour_inside_the_window_is_when_it_goes() {
        let c = saturday("send_time = \"best\"");
        // Saturday 10:00 UTC the slot fires; best hour 19:00 → 19:00.
        let at = best_send_at(&c, chrono_tz::UTC, Some(19), utc(28, 10, 5), &quiet());
        assert_eq!(at, Some(utc(28, 19, 0)));
        // In Tehran (UTC+3:30) the slot fires 06:30 UTC; 19:00 local is 15:30 UTC.
        let tehran = chrono_tz::Asia::Tehran;
        let at = best_send_at(&c, tehran, Some(19), utc(28, 6, 40), &quiet());
        assert_eq!(at, Some(utc(28, 15, 30)));
    }

    #[test]
    fn within_the_best_hour_it_goes_now() {
        let c = saturday("send_time = \"best\"");
        let now = utc(28, 19, 40);
        assert_eq!(
            best_send_at(&c, chrono_tz::UTC, Some(19), now, &quiet()),
            Some(now)
        );
    }

    #[test]
    fn a_best_hour_outside_the_window_or_unknown_sends_now() {
        let c = saturday("send_time = \"best\"");
        let now = utc(28, 10, 5);
        // 07:00 has passed today and tomorrow's is after the window (ends 22:00).
        assert_eq!(
            best_send_at(&c, chrono_tz::UTC, Some(7), now, &quiet()),
            Some(now)
        );
        assert_eq!(
            best_send_at(&c, chrono_tz::UTC, None, now, &quiet()),
            Some(now)
        );
    }

    #[test]
    fn quiet_hours_still_hold() {
        // Window 10:00–22:00, quiet from 20:00: a best hour of 21:00 waits until 08:00.
        let c = saturday("send_time = \"best\"");
        let quiet = QuietHours::parse("20:00-08:00").unwrap();
        let at = best_send_at(&c, chrono_tz::UTC, Some(21), utc(28, 10, 5), &quiet);
        assert_eq!(at, Some(utc(29, 8, 0)));
    }

    #[test]
    fn without_send_time_best_nothing_changes() {
        let c = saturday("");
        assert!(!wants_best_hour(&c));
        let now = utc(28, 10, 5);
        assert_eq!(
            best_send_at(&c, chrono_tz::UTC, Some(19), now, &quiet()),
            None
        );
        assert!(wants_best_hour(&saturday("send_time = \"best\"")));
    }

    #[test]
    fn an_unknown_send_time_is_refused() {
        let text = "name = \"offer\"\npriority = 10\ntemplate = \"offer\"\n[subject]\nen = \"Hi\"\n\
             [audience]\nlevels = [\"basic\"]\n[trigger]\non = \"order\"\nmax_age = \"3d\"\nsend_time = \"best\"\n";
        let e = parse(Path::new("offer.toml"), text, &|_| true).unwrap_err();
        assert!(
            format!("{e:?}").contains("`send_time` has no meaning for `on = \\\"order\\\"`"),
            "{e:?}"
        );
        let text = text
            .replace(
                "on = \"order\"\nmax_age = \"3d\"",
                "on = \"schedule\"\nschedule = \"0 0 10 * * Sat\"",
            )
            .replace("\"best\"", "\"soon\"");
        let e = parse(Path::new("offer.toml"), &text, &|_| true).unwrap_err();
        assert!(
            format!("{e:?}").contains("unknown send_time `soon`"),
            "{e:?}"
        );
    }
}
