//! The auto-winner waits, refuses to guess, and finds a planted winner.

use super::*;
use proptest::prelude::*;
use rand::{Rng, SeedableRng, rngs::StdRng};

fn p(successes: u64, trials: u64) -> Proportion {
    Proportion { successes, trials }
}

fn winner(d: &Decision) -> Option<&str> {
    match d {
        Decision::Winner { variant, .. } => Some(variant),
        _ => None,
    }
}

/// Each variant mailed `recipients` times, converting at its planted rate.
fn simulate(rng: &mut StdRng, rates: &[f64], recipients: u64) -> Vec<Proportion> {
    rates
        .iter()
        .map(|&rate| {
            let successes = (0..recipients).filter(|_| rng.random_bool(rate)).count() as u64;
            p(successes, recipients)
        })
        .collect()
}

fn named(outcomes: &[Proportion]) -> Vec<(&'static str, Proportion)> {
    ["A", "B", "C", "D"]
        .into_iter()
        .zip(outcomes.iter().copied())
        .collect()
}

#[test]
fn the_auto_winner_waits_for_decide_after_recipients_per_variant() {
    let huge = [("A", p(10, 999)), ("B", p(900, 999))];
    let d = decide(&huge, 1000, 0.95);
    assert!(matches!(&d, Decision::Wait { reason } if reason.contains("999 of the 1,000")));

    let one_short = [("A", p(10, 5000)), ("B", p(4000, 5000)), ("C", p(3, 999))];
    assert!(matches!(
        decide(&one_short, 1000, 0.95),
        Decision::Wait { .. }
    ));

    let there = [("A", p(10, 1000)), ("B", p(900, 1000))];
    assert_eq!(winner(&decide(&there, 1000, 0.95)), Some("B"));
}

#[test]
fn the_auto_winner_never_picks_on_a_non_significant_difference() {
    // proportions_ztest([52, 45], [1000, 1000]) → p = 0.466
    let close = [("A", p(45, 1000)), ("B", p(52, 1000))];
    let d = decide(&close, 1000, 0.95);
    assert!(
        matches!(&d, Decision::NoWinner { reason } if reason.contains("not significantly")),
        "{d:?}"
    );
    let tie = [("A", p(40, 1000)), ("B", p(40, 1000))];
    assert!(matches!(decide(&tie, 10, 0.95), Decision::NoWinner { .. }));
}

#[test]
fn with_three_variants_each_comparison_must_pass_the_bonferroni_level() {
    // proportions_ztest([396, 340], [10000, 10000]) → p = 0.035443927870706105: below 0.05,
    // above 0.05 / 2 = 0.025.
    let two = [("A", p(340, 10_000)), ("B", p(396, 10_000))];
    assert_eq!(winner(&decide(&two, 10_000, 0.95)), Some("B"));

    let three = [
        ("A", p(340, 10_000)),
        ("B", p(396, 10_000)),
        ("C", p(200, 10_000)),
    ];
    let d = decide(&three, 10_000, 0.95);
    let Decision::NoWinner { reason } = d else {
        panic!("{d:?}")
    };
    assert_eq!(
        reason,
        "B has the best rate (4.0 % against 3.4 % for A) but is not significantly better \
         (p = 0.035; needs p < 0.025: 0.05 split over 2 comparisons, Bonferroni)"
    );
}

#[test]
fn a_winner_comes_with_its_comparison_against_every_other_variant() {
    let three = [
        ("A", p(100, 5000)),
        ("B", p(400, 5000)),
        ("C", p(150, 5000)),
    ];
    let Decision::Winner {
        variant,
        comparisons,
    } = decide(&three, 5000, 0.95)
    else {
        panic!("no winner")
    };
    assert_eq!(variant, "B");
    let others: Vec<&str> = comparisons.iter().map(|a| a.variant.as_str()).collect();
    assert_eq!(others, ["A", "C"]);
    assert!(comparisons.iter().all(|a| a.comparison.confidence == 0.975));
}

#[test]
fn the_auto_winner_picks_a_planted_winner_with_a_large_effect() {
    for seed in 0..20 {
        let mut rng = StdRng::seed_from_u64(seed);
        let outcomes = simulate(&mut rng, &[0.03, 0.06, 0.03], 5000);
        let d = decide(&named(&outcomes), 5000, 0.95);
        assert_eq!(winner(&d), Some("B"), "seed {seed}: {d:?}");
    }
}

#[test]
fn without_a_planted_effect_a_winner_is_rare() {
    let mut rng = StdRng::seed_from_u64(20);
    let false_winners = (0..200)
        .filter(|_| {
            let outcomes = simulate(&mut rng, &[0.03, 0.03, 0.03], 2000);
            winner(&decide(&named(&outcomes), 2000, 0.95)).is_some()
        })
        .count();
    assert!(
        false_winners <= 10,
        "{false_winners} of 200 runs found a winner"
    );
}

#[test]
fn fewer_than_two_variants_or_a_bad_level_never_give_a_winner() {
    assert!(matches!(
        decide(&[("A", p(9, 10))], 1, 0.95),
        Decision::NoWinner { .. }
    ));
    let two = [("A", p(1, 1000)), ("B", p(900, 1000))];
    assert!(matches!(decide(&two, 1, 1.0), Decision::NoWinner { .. }));
    assert!(matches!(
        decide(&two, 0, f64::NAN),
        Decision::NoWinner { .. }
    ));
}

fn variants() -> impl Strategy<Value = Vec<Proportion>> {
    let one = (0u64..3000).prop_flat_map(|trials| (0..=trials, Just(trials)));
    proptest::collection::vec(one.prop_map(|(s, n)| p(s, n)), 2..5)
}

proptest! {
    #[test]
    fn a_winner_has_had_decide_after_recipients_and_beats_every_other_significantly(
        outcomes in variants(), decide_after in 0u64..2000, confidence in 0.8..0.99f64,
    ) {
        let d = decide(&named(&outcomes), decide_after, confidence);
        if let Decision::Winner { variant, comparisons } = d {
            prop_assert!(outcomes.iter().all(|o| o.trials >= decide_after.max(1)));
            prop_assert_eq!(comparisons.len(), outcomes.len() - 1);
            prop_assert!(comparisons.iter().all(|a| a.variant != variant));
            let level = 1.0 - (1.0 - confidence) / comparisons.len() as f64;
            for a in &comparisons {
                prop_assert!(a.comparison.significant && a.comparison.difference > 0.0);
                prop_assert!(a.comparison.p_value < 1.0 - level);
            }
        }
    }
}
