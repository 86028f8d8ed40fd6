//! The experiment outcomes find what was planted (issue 20), on SQLite and PostgreSQL: a
//! data set whose arms convert and climb at chosen rates (`support::experiments::planted`)
//! comes back from `arm_outcomes` with rates within sampling error of the planted ones, and a
//! data set with no planted effect comes back with arms that agree with each other. (The
//! statistical test on top — that the report calls the first significant and the second
//! not — uses the same data sets.)

mod support;

use chrono::TimeDelta;
use rapport::domain::Proportion;
use rapport::store::{ArmOutcome, Store};
use support::experiments::{
    Arm, PLANTED_CAMPAIGN, PlantedArm, planted, planted_send_at, query, row,
};

const CUSTOMERS: usize = 9_000;
const SEED: u64 = 20;
/// How many standard errors an observed rate may be from the planted one. The data is
/// deterministic (a fixed seed), so this only has to hold for it; 3.5 σ is what a fresh seed
/// would pass 99.95 % of the time.
const SIGMAS: f64 = 3.5;

/// Hold-out 4 % conversion and 8 % climbs; A 5 % / 10 %; B 6.5 % / 12 %.
fn with_effect() -> [PlantedArm; 3] {
    [
        arm(Arm::Holdout, 0.2, 0.04, 0.08),
        arm(Arm::Variant("A"), 0.4, 0.05, 0.10),
        arm(Arm::Variant("B"), 0.4, 0.065, 0.12),
    ]
}

/// Every arm 5 % / 10 %.
fn without_effect() -> [PlantedArm; 3] {
    [
        arm(Arm::Holdout, 0.2, 0.05, 0.10),
        arm(Arm::Variant("A"), 0.4, 0.05, 0.10),
        arm(Arm::Variant("B"), 0.4, 0.05, 0.10),
    ]
}

fn arm(arm: Arm, share: f64, convert: f64, climb: f64) -> PlantedArm {
    PlantedArm {
        arm,
        share,
        convert,
        climb,
    }
}

/// Every outcome of the planted campaign, its windows long closed.
async fn outcomes(store: &dyn Store) -> Vec<ArmOutcome> {
    let until = planted_send_at() + TimeDelta::days(90);
    store
        .arm_outcomes(&query(&[PLANTED_CAMPAIGN], until))
        .await
        .unwrap()
}

/// Whether `observed` is within [`SIGMAS`] standard errors of the rate `planted`.
fn near(observed: Proportion, planted: f64) -> bool {
    let n = observed.trials as f64;
    let se = (planted * (1.0 - planted) / n).sqrt();
    (observed.rate().unwrap() - planted).abs() <= SIGMAS * se
}

/// Whether two observed rates are within [`SIGMAS`] standard errors of each other.
fn agree(a: Proportion, b: Proportion) -> bool {
    let (pa, pb) = (a.rate().unwrap(), b.rate().unwrap());
    let se = (pa * (1.0 - pa) / a.trials as f64 + pb * (1.0 - pb) / b.trials as f64).sqrt();
    (pa - pb).abs() <= SIGMAS * se
}

#[tokio::test]
async fn planted_rates_come_back_within_sampling_error() {
    for db in support::all_backends().await {
        let (s, be) = (&*db.store, db.backend);
        let arms = with_effect();
        let counts = planted(s, CUSTOMERS, &arms, SEED).await;
        let out = outcomes(s).await;
        assert_eq!(out.len(), 3, "{be}: {out:?}");
        for (planted, n) in arms.iter().zip(counts) {
            let r = row(&out, PLANTED_CAMPAIGN, planted.arm.name());
            assert_eq!(r.recipients, n, "{be}: every delivery of the arm");
            let (converted, climbed) = (r.rate(r.converted), r.rate(r.climbed));
            assert!(
                near(converted, planted.convert),
                "{be}: {} converts {:?}, planted {}",
                r.arm,
                converted.rate(),
                planted.convert
            );
            assert!(
                near(climbed, planted.climb),
                "{be}: {} climbs {:?}, planted {}",
                r.arm,
                climbed.rate(),
                planted.climb
            );
            // Orders of 20–120 EUR: revenue per recipient is about 70 × the conversion rate.
            let mean = r.revenue.mean().unwrap();
            let se = (r.revenue.variance().unwrap() / r.recipients as f64).sqrt();
            assert!(
                (mean - 70.0 * planted.convert).abs() <= SIGMAS * se,
                "{be}: {} revenue per recipient {mean:.2}",
                r.arm
            );
        }
        // The effect is there to find: B against the hold-out is far outside the noise.
        let (b, h) = (
            row(&out, PLANTED_CAMPAIGN, "B"),
            row(&out, PLANTED_CAMPAIGN, "holdout"),
        );
        assert!(
            !agree(b.rate(b.converted), h.rate(h.converted)),
            "{be}: B {:?} vs hold-out {:?}",
            b.rate(b.converted).rate(),
            h.rate(h.converted).rate()
        );
    }
}

#[tokio::test]
async fn without_a_planted_effect_the_arms_agree() {
    for db in support::all_backends().await {
        let (s, be) = (&*db.store, db.backend);
        planted(s, CUSTOMERS, &without_effect(), SEED + 1).await;
        let out = outcomes(s).await;
        assert_eq!(out.len(), 3, "{be}: {out:?}");
        for (i, a) in out.iter().enumerate() {
            for b in &out[i + 1..] {
                for (what, x, y) in [
                    ("conversion", a.converted, b.converted),
                    ("climbs", a.climbed, b.climbed),
                ] {
                    assert!(
                        agree(a.rate(x), b.rate(y)),
                        "{be}: {what}: {} {:?} vs {} {:?}",
                        a.arm,
                        a.rate(x).rate(),
                        b.arm,
                        b.rate(y).rate()
                    );
                }
            }
        }
    }
}
