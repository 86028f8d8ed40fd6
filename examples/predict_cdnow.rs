//! BG/NBD + Gamma-Gamma on CDNOW (tests/fixtures/cdnow): fits on the first 39 weeks, forecasts
//! each customer's repeat purchases in the next 39, and prints the parameters beside the
//! paper's, the hold-out totals, and the per-customer error against the naive forecast (each
//! customer's past rate carried forward).
//!
//!     cargo run --release --example predict_cdnow

#[path = "common/cdnow.rs"]
mod cdnow;

use rapport::predict::{BgNbd, GammaGamma, History, Spend};
use std::time::Instant;

fn main() {
    let customers = cdnow::load();
    let histories: Vec<History> = customers.iter().map(|c| c.calibration).collect();
    let spends: Vec<Spend> = customers.iter().map(|c| c.spend).collect();
    let started = Instant::now();
    let m = BgNbd::fit(&histories).expect("BG/NBD fit");
    let g = GammaGamma::fit(&spends).expect("Gamma-Gamma fit");
    let fitted_in = started.elapsed();

    println!(
        "CDNOW sample: {} customers, calibration 39 weeks, hold-out 39 weeks",
        customers.len()
    );
    println!(
        "fit (both models) in {:.0} ms\n",
        fitted_in.as_secs_f64() * 1e3
    );
    println!("BG/NBD         rapport    paper");
    for (name, got, paper) in [
        ("r", m.r, 0.243),
        ("alpha", m.alpha, 4.414),
        ("a", m.a, 0.793),
        ("b", m.b, 2.426),
    ] {
        println!("  {name:<10} {got:>9.3} {paper:>8.3}");
    }
    println!("Gamma-Gamma");
    for (name, got, paper) in [
        ("p", g.p, 6.25),
        ("q", g.q, 3.74),
        ("gamma", g.gamma, 15.44),
    ] {
        println!("  {name:<10} {got:>9.3} {paper:>8.3}");
    }

    let mut totals = [0.0; 3]; // actual, model, naive
    let mut abs = [0.0; 2];
    let mut sq = [0.0; 2];
    for c in &customers {
        let h = c.calibration;
        let actual = f64::from(c.holdout);
        let model = m.expected_purchases(&h, cdnow::HOLDOUT_WEEKS);
        let naive = if h.t > 0.0 {
            f64::from(h.x) / h.t * cdnow::HOLDOUT_WEEKS
        } else {
            0.0
        };
        totals[0] += actual;
        totals[1] += model;
        totals[2] += naive;
        for (i, f) in [model, naive].into_iter().enumerate() {
            abs[i] += (f - actual).abs();
            sq[i] += (f - actual).powi(2);
        }
    }
    let n = customers.len() as f64;
    println!("\nrepeat purchases in the 39-week hold-out");
    println!("  actual                {:>7.0}", totals[0]);
    println!(
        "  BG/NBD forecast       {:>7.0}  ({:+.1} %)",
        totals[1],
        (totals[1] / totals[0] - 1.0) * 100.0
    );
    println!(
        "  past rate (naive)     {:>7.0}  ({:+.1} %)",
        totals[2],
        (totals[2] / totals[0] - 1.0) * 100.0
    );
    println!("\nper customer            MAE     RMSE");
    for (i, name) in ["BG/NBD", "past rate (naive)"].into_iter().enumerate() {
        println!(
            "  {name:<18} {:>7.3} {:>8.3}",
            abs[i] / n,
            (sq[i] / n).sqrt()
        );
    }
}
