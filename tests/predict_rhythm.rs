//! Planted rhythms: in a shop of 3,000 buy-till-you-die customers, 100 who order weekly, 100
//! monthly and 100 who ordered monthly then stopped half a year ago. Fitted on the whole shop,
//! the predicted next order of at least 90 % of the weekly and monthly customers lands within
//! 25 % of their planted interval after their last order, and at least 90 % of the lapsed are
//! given under 30 % chance of still being active while the regulars are given over 80 %.

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rapport::domain::OrderHistory;
use rapport::predict::Model;

fn now() -> DateTime<Utc> {
    "2026-06-01T10:00:00Z".parse().unwrap()
}

fn history(id: String, times: &[f64]) -> OrderHistory {
    let at = |d: f64| now() - Duration::minutes((d * 1440.0) as i64);
    OrderHistory {
        customer_id: id,
        orders: times.len() as u32,
        first_at: at(times[0]),
        last_at: at(*times.last().unwrap()),
        margin: 20.0 * times.len() as f64,
        currency: "EUR".into(),
    }
}

/// Order times in days before now, oldest first: every `interval` (± 10 %) from `start` days
/// ago until `stop` days ago.
fn regular(rng: &mut StdRng, interval: f64, start: f64, stop: f64) -> Vec<f64> {
    let mut t = start;
    let mut out = vec![];
    while t >= stop {
        out.push(t);
        t -= interval * rng.random_range(0.9..1.1);
    }
    out
}

/// A BG/NBD customer: rate ~ Gamma(1, 60 days), drops out after a purchase with chance 0.2.
fn background(rng: &mut StdRng) -> Vec<f64> {
    let rate = -(1.0 - rng.random::<f64>()).ln() / 60.0;
    let mut t = rng.random_range(30.0..700.0);
    let mut out = vec![t];
    loop {
        if rng.random::<f64>() < 0.2 {
            break;
        }
        t -= -(1.0 - rng.random::<f64>()).ln() / rate;
        if t <= 0.0 {
            break;
        }
        out.push(t);
    }
    out
}

#[test]
fn planted_weekly_and_monthly_rhythms_are_found_and_the_lapsed_are_recognised() {
    let mut rng = StdRng::seed_from_u64(23);
    let mut shop: Vec<OrderHistory> = (0..3000)
        .map(|i| history(format!("bg{i}"), &background(&mut rng)))
        .collect();
    let planted = [
        ("weekly", 7.0, 365.0, 0.0),
        ("monthly", 30.0, 365.0, 0.0),
        ("lapsed", 30.0, 365.0, 180.0),
    ];
    for (kind, interval, start, stop) in planted {
        for i in 0..100 {
            let start = start - rng.random_range(0.0..interval);
            shop.push(history(
                format!("{kind}{i}"),
                &regular(&mut rng, interval, start, stop),
            ));
        }
    }
    let model = Model::fit(&shop, now()).expect("fit");
    let share = |kind: &str, ok: &dyn Fn(&OrderHistory) -> bool| {
        let of_kind: Vec<&OrderHistory> = shop
            .iter()
            .filter(|h| h.customer_id.starts_with(kind))
            .collect();
        of_kind.iter().filter(|h| ok(h)).count() as f64 / of_kind.len() as f64
    };
    for (kind, interval) in [("weekly", 7.0), ("monthly", 30.0)] {
        let on_time = share(kind, &|h| {
            let r = model.rhythm(h, now(), rapport::domain::Currency::parse("EUR").unwrap());
            let gap = (r.next_expected_at - h.last_at).num_minutes() as f64 / 1440.0;
            (gap / interval - 1.0).abs() <= 0.25 && r.p_alive > 0.8
        });
        assert!(
            on_time >= 0.9,
            "{kind}: {on_time} within 25 % and active; {model:?}"
        );
    }
    let lapsed = share("lapsed", &|h| {
        model
            .rhythm(h, now(), rapport::domain::Currency::parse("EUR").unwrap())
            .p_alive
            < 0.3
    });
    assert!(lapsed >= 0.9, "lapsed recognised: {lapsed}; {model:?}");
}
