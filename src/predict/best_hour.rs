//! The local hour a customer's opens and clicks cluster around.

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;

/// A customer needs this many human opens and clicks before their own hour counts; below it
/// the shop's is used.
pub const MIN_EVENTS: usize = 3;

/// The local hour (0–23) with the most events in it and its two neighbours (a three-hour
/// window, wrapping at midnight, so that 18:50 and 19:10 count together), the earliest on a
/// tie; None without `MIN_EVENTS` events in a known timezone.
pub fn best_hour(events: &[(String, DateTime<Utc>)]) -> Option<u8> {
    let mut hours = [0u32; 24];
    let mut n = 0;
    for (tz, at) in events {
        if let Ok(tz) = tz.parse::<Tz>() {
            hours[at.with_timezone(&tz).hour() as usize] += 1;
            n += 1;
        }
    }
    if n < MIN_EVENTS {
        return None;
    }
    let window = |h: usize| hours[(h + 23) % 24] + hours[h] + hours[(h + 1) % 24];
    (0..24u8).max_by_key(|&h| (window(h as usize), hours[h as usize], std::cmp::Reverse(h)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, h, m, 0).unwrap()
    }

    #[test]
    fn the_hour_is_the_customers_local_one() {
        // 16:30 UTC is 20:00 in Tehran (UTC+3:30).
        let ev: Vec<_> = [utc(16, 30), utc(16, 40), utc(16, 50), utc(3, 0)]
            .into_iter()
            .map(|t| ("Asia/Tehran".to_string(), t))
            .collect();
        assert_eq!(best_hour(&ev), Some(20));
    }

    #[test]
    fn too_few_events_have_no_hour() {
        assert_eq!(
            best_hour(&[("UTC".into(), utc(9, 0)), ("UTC".into(), utc(9, 5))]),
            None
        );
        assert_eq!(
            best_hour(&vec![("Nowhere/City".into(), utc(9, 0)); 5]),
            None
        );
    }
}
