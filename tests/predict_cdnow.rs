//! BG/NBD on the data set of its paper (Fader, Hardie & Lee 2005): calibrated on CDNOW's first
//! 39 weeks, the fit must find the paper's parameters and forecast the next 39 weeks' repeat
//! purchases close to what happened, better per customer than each customer's past rate.

#[path = "../examples/common/cdnow.rs"]
mod cdnow;

use rapport::predict::{BgNbd, GammaGamma, History, Spend};

fn fit() -> (Vec<cdnow::Customer>, BgNbd) {
    let customers = cdnow::load();
    let histories: Vec<History> = customers.iter().map(|c| c.calibration).collect();
    let model = BgNbd::fit(&histories).expect("fit");
    (customers, model)
}

/// Each (name, fitted, paper) within `relative` of the paper's value.
fn assert_within(params: &[(&str, f64, f64)], relative: f64) {
    for (name, got, paper) in params {
        assert!(
            (got / paper - 1.0).abs() < relative,
            "{name} = {got}, paper {paper}"
        );
    }
}

#[test]
fn the_fit_on_cdnow_finds_the_papers_parameters() {
    let (customers, m) = fit();
    assert_eq!(customers.len(), 2357);
    assert_eq!(customers.iter().map(|c| c.calibration.x).sum::<u32>(), 2457);
    // Table 1 of the paper: r = 0.243, α = 4.414, a = 0.793, b = 2.426.
    let fitted = [
        ("r", m.r, 0.243),
        ("alpha", m.alpha, 4.414),
        ("a", m.a, 0.793),
        ("b", m.b, 2.426),
    ];
    assert_within(&fitted, 0.005);
}

#[test]
fn the_holdout_forecast_is_close_in_total_and_beats_the_past_rate_per_customer() {
    let (customers, m) = fit();
    let mut predicted_total = 0.0;
    let actual_total: u32 = customers.iter().map(|c| c.holdout).sum();
    let (mut model_abs, mut naive_abs) = (0.0, 0.0);
    for c in &customers {
        let h = c.calibration;
        let predicted = m.expected_purchases(&h, cdnow::HOLDOUT_WEEKS);
        let naive = if h.t > 0.0 {
            f64::from(h.x) / h.t * cdnow::HOLDOUT_WEEKS
        } else {
            0.0
        };
        predicted_total += predicted;
        model_abs += (predicted - f64::from(c.holdout)).abs();
        naive_abs += (naive - f64::from(c.holdout)).abs();
    }
    let ratio = predicted_total / f64::from(actual_total);
    assert!(
        (0.85..1.15).contains(&ratio),
        "predicted {predicted_total:.0}, actual {actual_total}"
    );
    assert!(
        model_abs < naive_abs,
        "MAE model {model_abs} vs past rate {naive_abs}"
    );
}

#[test]
fn the_spend_fit_on_cdnow_finds_the_papers_parameters() {
    let spends: Vec<Spend> = cdnow::load().iter().map(|c| c.spend).collect();
    let g = GammaGamma::fit(&spends).expect("fit");
    // Fader, Hardie & Lee, "RFM and CLV" (2005), on the repeat buyers: p = 6.25, q = 3.74,
    // γ = 15.44.
    assert_within(
        &[
            ("p", g.p, 6.25),
            ("q", g.q, 3.74),
            ("gamma", g.gamma, 15.44),
        ],
        0.01,
    );
}
