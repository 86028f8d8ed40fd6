//! Numbers and spans written the way a marketer reads them in `rapport explain`:
//! `1,240.00`, `8,412`, `12 d`, `1 d 12 h`, `45 min`.

use chrono::TimeDelta;

/// A span rounded down to what matters at its size; negative spans read as `0 min`.
pub(crate) fn span(d: TimeDelta) -> String {
    let mins = d.num_minutes().max(0);
    let (days, hours, minutes) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    match (days, hours, minutes) {
        (d, 0, _) if d > 0 => format!("{d} d"),
        (d, _, _) if d >= 10 => format!("{d} d"),
        (d, h, _) if d > 0 => format!("{d} d {h} h"),
        (_, h, 0) if h > 0 => format!("{h} h"),
        (_, h, m) if h > 0 => format!("{h} h {m} min"),
        (_, _, m) => format!("{m} min"),
    }
}

/// A span from configuration (`std::time::Duration`).
pub(crate) fn std_span(d: std::time::Duration) -> String {
    span(TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX))
}

/// `8412` → `8,412`.
pub(crate) fn count(n: u64) -> String {
    group_thousands(&n.to_string())
}

/// `1240.0` → `1,240.00`.
pub(crate) fn money(x: f64) -> String {
    let s = format!("{:.2}", x.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let sign = if x < 0.0 && s != "0.00" { "-" } else { "" };
    format!("{sign}{}.{frac}", group_thousands(int))
}

/// `0.1` → `10 %`.
pub(crate) fn percent(share: f64) -> String {
    let p = share * 100.0;
    if (p - p.round()).abs() < 1e-6 {
        format!("{} %", p.round())
    } else {
        format!("{p:.1} %")
    }
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_the_unit_that_matters() {
        assert_eq!(span(TimeDelta::days(12)), "12 d");
        assert_eq!(span(TimeDelta::hours(36)), "1 d 12 h");
        assert_eq!(span(TimeDelta::hours(12 * 24 + 5)), "12 d");
        assert_eq!(span(TimeDelta::hours(5)), "5 h");
        assert_eq!(span(TimeDelta::minutes(90)), "1 h 30 min");
        assert_eq!(span(TimeDelta::minutes(45)), "45 min");
        assert_eq!(span(TimeDelta::minutes(-5)), "0 min");
    }

    #[test]
    fn numbers_have_thousands_separators() {
        assert_eq!(count(8_412), "8,412");
        assert_eq!(count(1_000_000), "1,000,000");
        assert_eq!(count(12), "12");
        assert_eq!(money(1_240.0), "1,240.00");
        assert_eq!(money(-3.5), "-3.50");
        assert_eq!(money(0.0), "0.00");
        assert_eq!(percent(0.1), "10 %");
        assert_eq!(percent(0.125), "12.5 %");
    }
}
