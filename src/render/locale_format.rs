//! How numbers, money, dates and level names read in each language. Pure functions; the
//! Handlebars helpers in `helpers.rs` call these.

use crate::domain::Level;
use chrono::{DateTime, Datelike, FixedOffset};
use icu_calendar::{Date, cal::Persian};

/// Persian (Extended Arabic-Indic) digits ۰–۹, with the Arabic decimal and thousands
/// separators. Everything that is not an ASCII digit or a number separator is kept.
pub fn persian_digits(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        match c {
            '0'..='9' => out.push(char::from_u32(0x06F0 + (c as u32 - '0' as u32)).unwrap_or(c)),
            _ => out.push(c),
        }
    }
    out
}

/// Digits in the script of the language (`fa` → Persian, anything else unchanged).
pub fn localize_digits(lang: &str, s: &str) -> String {
    if lang == "fa" {
        persian_digits(s)
    } else {
        s.to_string()
    }
}

/// Currencies with no minor unit in everyday use.
fn decimals(currency: &str) -> usize {
    match currency {
        "IRR" | "IRT" | "JPY" | "KRW" | "CLP" | "ISK" | "VND" => 0,
        _ => 2,
    }
}

/// `1234567.5` → `1,234,567.50` with the given separators.
fn group(amount: f64, decimals: usize, thousands: char, point: char) -> String {
    let fixed = format!("{:.*}", decimals, amount.abs());
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let mut out = String::with_capacity(fixed.len() + int.len() / 3 + 1);
    if amount < 0.0 && fixed.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(thousands);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

/// Money as a reader of `lang` expects it: `€49.90`, `$12.00`, `1,250,000 IRR`;
/// `۴۹٫۹۰ یورو`, `۲٬۴۵۰٬۰۰۰ تومان`. `IRT` is the de-facto code for the toman (10 rials), which
/// Iranian shops price in; both are shown without decimals.
pub fn money(lang: &str, amount: f64, currency: &str) -> String {
    let currency = currency.trim().to_ascii_uppercase();
    let d = decimals(&currency);
    if lang == "fa" {
        let number = persian_digits(&group(amount, d, '٬', '٫'));
        let name = match currency.as_str() {
            "IRR" => "ریال",
            "IRT" => "تومان",
            "EUR" => "یورو",
            "USD" => "دلار",
            "GBP" => "پوند",
            "AED" => "درهم",
            "TRY" => "لیر",
            other => return format!("{number} {other}"),
        };
        return format!("{number} {name}");
    }
    let number = group(amount, d, ',', '.');
    // The sign goes before the symbol: -€5.00.
    let (sign, digits) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number.as_str()),
    };
    match currency.as_str() {
        "EUR" => format!("{sign}€{digits}"),
        "USD" => format!("{sign}${digits}"),
        "GBP" => format!("{sign}£{digits}"),
        "IRT" => format!("{number} toman"),
        other => format!("{number} {other}"),
    }
}

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Solar Hijri month names, Farvardin … Esfand.
const FA_MONTHS: [&str; 12] = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
];

/// A calendar date as a reader of `lang` writes it: `28 November 2026`, or in the Jalali
/// (Solar Hijri) calendar for `fa`: `۷ آذر ۱۴۰۵`.
pub fn date(lang: &str, at: &DateTime<FixedOffset>) -> String {
    let d = at.date_naive();
    if lang == "fa" {
        let month0 = d.month0() as u8;
        let Ok(iso) = Date::try_new_iso(d.year(), month0 + 1, d.day() as u8) else {
            return d.to_string();
        };
        let p = iso.to_calendar(Persian);
        let month = FA_MONTHS[usize::from(p.month().ordinal.saturating_sub(1)).min(11)];
        return persian_digits(&format!(
            "{} {month} {}",
            p.day_of_month().0,
            p.year().extended_year()
        ));
    }
    format!(
        "{} {} {}",
        d.day(),
        EN_MONTHS[d.month0() as usize],
        d.year()
    )
}

/// Kotler's level names as customers of each language read them.
pub fn level_name(lang: &str, level: Level) -> &'static str {
    match (lang, level) {
        ("fa", Level::Basic) => "پایه",
        ("fa", Level::Reactive) => "واکنشی",
        ("fa", Level::Accountable) => "مسئولانه",
        ("fa", Level::Proactive) => "کنش‌گرا",
        ("fa", Level::Partnership) => "مشارکتی",
        (_, Level::Basic) => "Basic",
        (_, Level::Reactive) => "Reactive",
        (_, Level::Accountable) => "Accountable",
        (_, Level::Proactive) => "Proactive",
        (_, Level::Partnership) => "Partnership",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn money_reads_naturally_in_english_and_persian() {
        assert_eq!(money("en", 49.9, "EUR"), "€49.90");
        assert_eq!(money("en", 1234.5, "usd"), "$1,234.50");
        assert_eq!(money("en", 1_250_000.0, "IRR"), "1,250,000 IRR");
        assert_eq!(money("en", 12.0, "CHF"), "12.00 CHF");
        assert_eq!(money("fa", 49.9, "EUR"), "۴۹٫۹۰ یورو");
        assert_eq!(money("fa", 2_450_000.0, "IRT"), "۲٬۴۵۰٬۰۰۰ تومان");
        assert_eq!(money("fa", 12_500_000.0, "IRR"), "۱۲٬۵۰۰٬۰۰۰ ریال");
        assert_eq!(money("en", -5.0, "EUR"), "-€5.00");
    }

    #[test]
    fn dates_are_gregorian_in_english_and_jalali_in_persian() {
        assert_eq!(
            date("en", &at("2026-11-28T10:00:00+03:30")),
            "28 November 2026"
        );
        assert_eq!(date("fa", &at("2026-11-28T10:00:00+03:30")), "۷ آذر ۱۴۰۵");
        // Nowruz: 1 Farvardin 1405 is 21 March 2026.
        assert_eq!(date("fa", &at("2026-03-21T12:00:00Z")), "۱ فروردین ۱۴۰۵");
    }

    #[test]
    fn digits_are_persian_only_for_persian() {
        assert_eq!(localize_digits("fa", "Order 42"), "Order ۴۲");
        assert_eq!(localize_digits("en", "42"), "42");
    }

    #[test]
    fn every_level_has_a_name_in_each_language() {
        for l in Level::ALL {
            assert!(!level_name("fa", l).is_empty());
            assert_eq!(level_name("en", l).to_lowercase(), l.as_str());
        }
    }
}
