//! Streaming generator of shop-like customers, orders and events for benchmarks.
//!
//! Deterministic from the seed: a customer's own properties (locale, timezone, sign-up
//! time, how much it buys and engages) come from a hash of (seed, index), so each file can be
//! written on its own thread without the others; orders and events come from their own
//! seeded RNG streams. Rows are formatted by hand into one reused buffer and written through
//! a `BufWriter`: 10 million rows take seconds, not minutes.
#![allow(dead_code)] // bench_import uses only the customers

use crate::catalog::{self, PRODUCTS};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    pub fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Spec {
    pub customers: u64,
    pub orders: u64,
    pub events: u64,
    pub seed: u64,
    /// "Now" of the data set, in Unix seconds: nothing happens after it.
    pub anchor: i64,
    /// How far back the oldest customer signed up, in days.
    pub history_days: i64,
    /// Write order lines (`items`); without them the orders file is a third of the size.
    pub items: bool,
}

/// A customer's properties, a pure function of (seed, index).
pub struct Profile {
    pub fa: bool,
    pub timezone: &'static str,
    pub currency: &'static str,
    pub created_at: i64,
    pub subscribed: bool,
    /// Relative share of all orders (0 for customers who never ordered).
    pub order_weight: f64,
    /// Relative share of all events.
    pub event_weight: f64,
    first: usize,
    last: usize,
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A uniform number in [0, 1) from 53 bits of `x`.
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

impl Spec {
    fn hash(&self, i: u64, salt: u64) -> u64 {
        splitmix64(splitmix64(self.seed ^ salt.wrapping_mul(0xD6E8_FEB8_6659_FD93)) ^ i)
    }

    pub fn profile(&self, i: u64) -> Profile {
        let h = self.hash(i, 1);
        let fa = h & 1 == 1;
        let timezone = if fa {
            catalog::FA_TIMEZONES[((h >> 8) % catalog::FA_TIMEZONES.len() as u64) as usize]
        } else {
            catalog::EN_TIMEZONES[((h >> 8) % catalog::EN_TIMEZONES.len() as u64) as usize]
        };
        // More customers signed up recently than long ago (a growing shop).
        let age_days = unit(self.hash(i, 2)).powf(1.5) * self.history_days as f64;
        let created_at = self.anchor - (age_days * 86_400.0) as i64 - 3_600;
        let buys = unit(self.hash(i, 3));
        // 35 % never order; the rest follow a Pareto law with the 80/20 exponent
        // (alpha = log4 5 ≈ 1.16), saturated softly at 100× the smallest buyer so that no
        // single customer owns the data set (and no spike of customers sits at a hard cap).
        let order_weight = if buys < 0.35 {
            0.0
        } else {
            let u = unit(self.hash(i, 4));
            let pareto = (1.0 - u).powf(-1.0 / 1.16);
            100.0 * (1.0 - (-pareto / 100.0).exp())
        };
        // Engagement follows buying, with noise; non-buyers still open newsletters.
        let event_weight = (0.6 + order_weight) * (0.4 + 1.2 * unit(self.hash(i, 5)));
        let (first, last) = if fa {
            (catalog::FA_FIRST.len(), catalog::FA_LAST.len())
        } else {
            (catalog::EN_FIRST.len(), catalog::EN_LAST.len())
        };
        Profile {
            fa,
            timezone,
            currency: catalog::currency_for(timezone),
            created_at,
            subscribed: unit(self.hash(i, 6)) >= 0.02,
            order_weight,
            event_weight,
            first: ((h >> 20) % first as u64) as usize,
            last: ((h >> 36) % last as u64) as usize,
        }
    }

    /// How many of `total` rows each customer gets, in proportion to `weight`: the prefix-sum
    /// rounding gives every customer its share and the counts add up to exactly `total`.
    fn counts(&self, total: u64, weight: impl Fn(&Profile) -> f64) -> Vec<u32> {
        let weights: Vec<f64> = (0..self.customers)
            .map(|i| weight(&self.profile(i)))
            .collect();
        let sum: f64 = weights.iter().sum();
        let mut out = Vec::with_capacity(weights.len());
        let (mut prefix, mut given) = (0.0, 0u64);
        for (i, w) in weights.iter().enumerate() {
            prefix += w;
            let upto = if i + 1 == weights.len() {
                total
            } else if sum > 0.0 {
                ((total as f64 * prefix / sum).floor() as u64).min(total)
            } else {
                0
            };
            out.push((upto - given) as u32);
            given = upto;
        }
        out
    }
}

pub fn customer_id(i: u64) -> String {
    format!("cust-{i:07}")
}

/// Writes `DIR/customers.<ext>`; returns the rows written.
pub fn write_customers(spec: &Spec, path: &Path, format: Format) -> std::io::Result<u64> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut line = String::with_capacity(256);
    if format == Format::Csv {
        w.write_all(b"id,email,name,locale,timezone,subscribed,created_at,attributes\n")?;
    }
    for i in 0..spec.customers {
        let p = spec.profile(i);
        let (name, local) = if p.fa {
            let (f, fl) = catalog::FA_FIRST[p.first];
            let (l, ll) = catalog::FA_LAST[p.last];
            (format!("{f} {l}"), format!("{fl}.{ll}"))
        } else {
            let (f, l) = (catalog::EN_FIRST[p.first], catalog::EN_LAST[p.last]);
            (
                format!("{f} {l}"),
                format!("{}.{}", f.to_lowercase(), l.to_lowercase()),
            )
        };
        let domain = catalog::DOMAINS[(i % 3) as usize];
        let locale = if p.fa { "fa" } else { "en" };
        let h = spec.hash(i, 7);
        // A quarter carry an attribute, as integrators' exports do.
        let attrs = match h % 8 {
            0 => r#"{"source":"instagram"}"#,
            1 => r#"{"source":"friend"}"#,
            _ => "",
        };
        line.clear();
        let id = customer_id(i);
        let email = format!("{local}.{i}@{domain}");
        match format {
            Format::Csv => {
                use std::fmt::Write as _;
                let _ = write!(
                    line,
                    "{id},{email},{name},{locale},{},{},",
                    p.timezone, p.subscribed
                );
                push_ts(&mut line, p.created_at);
                line.push(',');
                push_csv_quoted(&mut line, attrs);
            }
            Format::Jsonl => {
                use std::fmt::Write as _;
                let _ = write!(
                    line,
                    r#"{{"id":"{id}","email":"{email}","name":"{name}","locale":"{locale}","timezone":"{}","subscribed":{},"created_at":""#,
                    p.timezone, p.subscribed
                );
                push_ts(&mut line, p.created_at);
                line.push('"');
                if !attrs.is_empty() {
                    line.push_str(r#","attributes":"#);
                    line.push_str(attrs);
                }
                line.push('}');
            }
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    w.flush()?;
    Ok(spec.customers)
}

/// Writes `DIR/orders.<ext>`: each customer's orders between its sign-up and the anchor.
pub fn write_orders(spec: &Spec, path: &Path, format: Format) -> std::io::Result<u64> {
    let counts = spec.counts(spec.orders, |p| p.order_weight);
    let mut rng = StdRng::seed_from_u64(spec.seed ^ 0x0D0E_5EED);
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    if format == Format::Csv {
        w.write_all(b"id,customer_id,occurred_at,amount,currency,margin,items\n")?;
    }
    let (mut line, mut items) = (String::with_capacity(512), String::with_capacity(512));
    let mut n = 0u64;
    for (i, &count) in counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let p = spec.profile(i as u64);
        let id = customer_id(i as u64);
        for _ in 0..count {
            n += 1;
            let at = rng.random_range(p.created_at..spec.anchor);
            items.clear();
            let mut cents: u64 = 0;
            items.push('[');
            for k in 0..*[1, 1, 1, 2, 2, 3].get(rng.random_range(0..6)).unwrap_or(&1) {
                let prod = &PRODUCTS[rng.random_range(0..PRODUCTS.len())];
                let qty: u64 = if rng.random_bool(0.8) { 1 } else { 2 };
                let price = (prod.price(p.currency) * 100.0).round() as u64;
                cents += price * qty;
                if spec.items {
                    use std::fmt::Write as _;
                    if k > 0 {
                        items.push(',');
                    }
                    let name = if p.fa { prod.name_fa } else { prod.name_en };
                    let _ = write!(
                        items,
                        r#"{{"sku":"{}","name":"{name}","qty":{qty},"price":"#,
                        prod.sku
                    );
                    push_money(&mut items, price, p.currency);
                    items.push('}');
                }
            }
            items.push(']');
            let mut margin = (cents as f64 * rng.random_range(0.25..0.45)).round() as u64;
            if p.currency == "IRR" {
                margin = margin / 100_000 * 100_000; // whole thousands of rials
            }
            line.clear();
            match format {
                Format::Csv => {
                    line.push_str(&format!("o{n},{id},"));
                    push_ts(&mut line, at);
                    line.push(',');
                    push_money(&mut line, cents, p.currency);
                    line.push(',');
                    line.push_str(p.currency);
                    line.push(',');
                    push_money(&mut line, margin, p.currency);
                    line.push(',');
                    if spec.items {
                        push_csv_quoted(&mut line, &items);
                    }
                }
                Format::Jsonl => {
                    line.push_str(&format!(
                        r#"{{"id":"o{n}","customer_id":"{id}","occurred_at":""#
                    ));
                    push_ts(&mut line, at);
                    line.push_str(r#"","amount":"#);
                    push_money(&mut line, cents, p.currency);
                    line.push_str(r#","currency":""#);
                    line.push_str(p.currency);
                    line.push_str(r#"","margin":"#);
                    push_money(&mut line, margin, p.currency);
                    if spec.items {
                        line.push_str(r#","items":"#);
                        line.push_str(&items);
                    }
                    line.push('}');
                }
            }
            line.push('\n');
            w.write_all(line.as_bytes())?;
        }
    }
    w.flush()?;
    Ok(n)
}

/// Event kinds per thousand: opens and clicks dominate; surveys, complaints and referrals
/// are rare, partnership acceptances rarer still.
const KINDS: &[(&str, u32)] = &[
    ("email_open", 640),
    ("email_click", 200),
    ("custom:viewed_product", 70),
    ("survey_response", 25),
    ("support_contact", 20),
    ("reply", 15),
    ("referral", 8),
    ("bounce", 6),
    ("complaint", 5),
    ("unsubscribe", 5),
    ("complaint_resolved", 4),
    ("partnership_accepted", 1),
    ("spam_complaint", 1),
];

/// Writes `DIR/events.<ext>`: each customer's events between its sign-up and the anchor.
pub fn write_events(spec: &Spec, path: &Path, format: Format) -> std::io::Result<u64> {
    let counts = spec.counts(spec.events, |p| p.event_weight);
    let mut rng = StdRng::seed_from_u64(spec.seed ^ 0x00E7_E475);
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    if format == Format::Csv {
        w.write_all(b"id,customer_id,kind,occurred_at,data\n")?;
    }
    let (mut line, mut data) = (String::with_capacity(256), String::with_capacity(128));
    let mut n = 0u64;
    for (i, &count) in counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let p = spec.profile(i as u64);
        let id = customer_id(i as u64);
        for _ in 0..count {
            n += 1;
            let at = rng.random_range(p.created_at..spec.anchor);
            let mut pick = rng.random_range(0..1000);
            let kind = KINDS
                .iter()
                .find(|(_, per_mille)| {
                    let hit = pick < *per_mille;
                    pick = pick.saturating_sub(*per_mille);
                    hit
                })
                .map_or("email_open", |(k, _)| k);
            data.clear();
            match kind {
                "email_click" | "custom:viewed_product" => {
                    let prod = &PRODUCTS[rng.random_range(0..PRODUCTS.len())];
                    data.push_str(r#"{"url":"https://shop.example/p/"#);
                    data.push_str(&prod.sku.to_ascii_lowercase());
                    data.push_str(r#""}"#);
                }
                "survey_response" => {
                    // NPS-like: most answers are 8–10, a tail of detractors.
                    let score = [10, 10, 9, 9, 9, 8, 8, 7, 6, 5, 3, 0][rng.random_range(0..12)];
                    data.push_str(&format!(r#"{{"score":{score}}}"#));
                }
                "bounce" => {
                    let t = if rng.random_bool(0.3) { "hard" } else { "soft" };
                    data.push_str(&format!(r#"{{"type":"{t}"}}"#));
                }
                _ => {}
            }
            line.clear();
            match format {
                Format::Csv => {
                    line.push_str(&format!("e{n},{id},{kind},"));
                    push_ts(&mut line, at);
                    line.push(',');
                    push_csv_quoted(&mut line, &data);
                }
                Format::Jsonl => {
                    line.push_str(&format!(
                        r#"{{"id":"e{n}","customer_id":"{id}","kind":"{kind}","occurred_at":""#
                    ));
                    push_ts(&mut line, at);
                    line.push('"');
                    if !data.is_empty() {
                        line.push_str(r#","data":"#);
                        line.push_str(&data);
                    }
                    line.push('}');
                }
            }
            line.push('\n');
            w.write_all(line.as_bytes())?;
        }
    }
    w.flush()?;
    Ok(n)
}

/// Appends `secs` (Unix time) as RFC 3339 UTC, `2026-11-25T09:00:00Z`, without going through
/// a general-purpose formatter (civil-from-days, H. Hinnant).
pub fn push_ts(out: &mut String, secs: i64) {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    use std::fmt::Write as _;
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
}

/// Rials are whole numbers; other currencies have cents.
fn push_money(out: &mut String, cents: u64, currency: &str) {
    use std::fmt::Write as _;
    let _ = if currency == "IRR" {
        write!(out, "{}", cents / 100)
    } else {
        write!(out, "{}.{:02}", cents / 100, cents % 100)
    };
}

/// A CSV cell holding JSON: quoted, with inner quotes doubled (RFC 4180).
fn push_csv_quoted(out: &mut String, cell: &str) {
    if cell.is_empty() {
        return;
    }
    out.push('"');
    for ch in cell.chars() {
        if ch == '"' {
            out.push('"');
        }
        out.push(ch);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_match_chrono() {
        for secs in [0, 951_782_400, 1_795_597_200, 4_102_444_799, -86_400] {
            let mut s = String::new();
            super::push_ts(&mut s, secs);
            let want = chrono::DateTime::from_timestamp(secs, 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            assert_eq!(s, want);
        }
    }
}
