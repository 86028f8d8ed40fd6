//! The cost of predictions at scale: fits the shop's models and scores every customer for N
//! synthetic order histories (default 1,000,000 customers, ~10 orders each = ~10M orders),
//! timing the pure part (the store's GROUP BY over orders is not included).
//!
//!     cargo run --release --example predict_scale [CUSTOMERS]

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rapport::domain::OrderHistory;
use rapport::predict::{BgNbd, GammaGamma, Model, Spend};
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(1_000_000, |s| s.parse().expect("a count"));
    let now: DateTime<Utc> = "2026-06-01T10:00:00Z".parse().unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    let mut orders = 0u64;
    let shop: Vec<OrderHistory> = (0..n)
        .map(|i| {
            // Whole days, as a shop's histories mostly are: ~10 orders each over up to two years.
            let count = 1 + rng.random_range(0..19u32);
            let first = rng.random_range(30..730i64);
            let last = rng.random_range(0..=first);
            orders += u64::from(count);
            OrderHistory {
                customer_id: format!("c{i}"),
                orders: count,
                first_at: now - Duration::days(first),
                last_at: now - Duration::days(if count == 1 { first } else { last }),
                // Customers differ in what they spend per order (10 to 60), as a shop's do.
                margin: rng.random_range(10.0..60.0) * f64::from(count),
                currency: "EUR".into(),
            }
        })
        .collect();
    // The two fits on their own, on what `Model::fit` gives them (its sample of the shop).
    let step = shop
        .len()
        .div_ceil(rapport::predict::rhythm::FIT_SAMPLE)
        .max(1);
    let sample: Vec<&OrderHistory> = shop.iter().step_by(step).collect();
    let started = Instant::now();
    let histories: Vec<_> = sample
        .iter()
        .map(|h| rapport::predict::rhythm::history(h, now))
        .collect();
    BgNbd::fit(&histories).expect("BG/NBD fit");
    let bgnbd = started.elapsed();
    let spends: Vec<Spend> = sample
        .iter()
        .filter(|h| h.orders > 1)
        .map(|h| Spend {
            n: h.orders,
            mean: h.margin / f64::from(h.orders),
        })
        .collect();
    let started = Instant::now();
    GammaGamma::fit(&spends).expect("Gamma-Gamma fit");
    println!(
        "BG/NBD fit on {} histories {:.2} s; Gamma-Gamma fit on {} repeat buyers {:.2} s",
        histories.len(),
        bgnbd.as_secs_f64(),
        spends.len(),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let model = Model::fit(&shop, now).expect("fit");
    let fitted = started.elapsed();
    let mut value = 0.0;
    for h in &shop {
        value += model
            .rhythm(
                h,
                now,
                rapport::domain::Currency::parse("EUR").expect("a code"),
            )
            .predicted_margin_12_months
            .unwrap_or(0.0);
    }
    let total = started.elapsed();
    println!("{n} customers, {orders} orders");
    println!(
        "fit {:.2} s, fit + score {:.2} s (predicted 12-month margin {value:.0})",
        fitted.as_secs_f64(),
        total.as_secs_f64()
    );
    println!("{model:?}");
}
