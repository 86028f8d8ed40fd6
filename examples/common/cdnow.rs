//! The CDNOW sample of Fader, Hardie & Lee (2005) (tests/fixtures/cdnow/README.md) split as in
//! the paper: 39 weeks of calibration, 39 weeks of hold-out. Times in weeks. Shared by
//! `examples/predict_cdnow.rs` and `tests/predict_cdnow.rs` through `#[path]`.

use chrono::NaiveDate;
use rapport::predict::{History, Spend};
use std::collections::BTreeMap;

/// One customer of the sample.
pub struct Customer {
    pub calibration: History,
    /// Average value of the calibration repeat purchases (the first left out, as in the
    /// paper's spend model), for Gamma-Gamma; n = 0 for a single purchase.
    pub spend: Spend,
    /// Purchases (distinct days) in the 39 weeks after calibration.
    pub holdout: u32,
}

pub const HOLDOUT_WEEKS: f64 = 39.0;

pub fn load() -> Vec<Customer> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cdnow/CDNOW_sample.txt"
    );
    let text = std::fs::read_to_string(path).expect("tests/fixtures/cdnow/CDNOW_sample.txt");
    let end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    // Per customer: value per day, so purchases on the same day count once.
    let mut days: BTreeMap<u32, BTreeMap<NaiveDate, f64>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let id: u32 = cols[1].parse().unwrap();
        let date = NaiveDate::parse_from_str(cols[2], "%Y%m%d").unwrap();
        let value: f64 = cols[4].parse().unwrap();
        *days.entry(id).or_default().entry(date).or_default() += value;
    }
    let weeks = |from: NaiveDate, to: NaiveDate| (to - from).num_days() as f64 / 7.0;
    days.values()
        .map(|purchases| {
            let first = *purchases.keys().next().unwrap();
            let calibration: Vec<(&NaiveDate, &f64)> =
                purchases.iter().filter(|(d, _)| **d <= end).collect();
            let last = *calibration.last().unwrap().0;
            let n = calibration.len() as u32;
            Customer {
                calibration: History {
                    x: n - 1,
                    t_x: weeks(first, last),
                    t: weeks(first, end),
                },
                spend: Spend {
                    n: n - 1,
                    mean: calibration[1..].iter().map(|(_, v)| **v).sum::<f64>()
                        / f64::from((n - 1).max(1)),
                },
                holdout: purchases.keys().filter(|d| **d > end).count() as u32,
            }
        })
        .collect()
}
