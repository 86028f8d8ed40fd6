//! The comparisons match a reference computation (statsmodels 0.15.0 and scipy 1.17.1; the
//! Python that produced each value is quoted beside it), and hold their shape for any counts.

use super::*;
use proptest::prelude::*;

fn assert_close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() < 1e-9_f64.max(want.abs() * 1e-7),
        "{what}: got {got}, want {want}"
    );
}

fn assert_matches(c: Comparison, difference: f64, p_value: f64, low: f64, high: f64) {
    assert_close("difference", c.difference, difference);
    assert_close("p-value", c.p_value, p_value);
    assert_close("low", c.low, low);
    assert_close("high", c.high, high);
}

fn prop(successes: u64, trials: u64) -> Proportion {
    Proportion { successes, trials }
}

fn sample(values: &[f64]) -> Sample {
    Sample {
        n: values.len() as u64,
        sum: values.iter().sum(),
        sum_squares: values.iter().map(|x| x * x).sum(),
    }
}

// from statsmodels.stats.proportion import proportions_ztest, confint_proportions_2indep
// z, p = proportions_ztest([s1, s2], [n1, n2])            # pooled, two-sided
// low, high = confint_proportions_2indep(s1, n1, s2, n2, method='wald', compare='diff',
//                                        alpha=1 - conf)

#[test]
fn a_clear_rate_difference_matches_the_pooled_z_test_and_the_wald_interval() {
    // s1, n1, s2, n2, conf = 412, 10000, 340, 10000, 0.95
    let c = compare_proportions(prop(412, 10_000), prop(340, 10_000), 0.95).unwrap();
    assert_matches(
        c,
        0.0072,
        0.007442495789101507,
        0.0019282229650821056,
        0.012471777034917891,
    );
    assert!(c.significant);
    assert_eq!(c.test, Test::TwoProportionZ);
}

#[test]
fn a_small_rate_difference_on_few_recipients_is_not_significant() {
    // s1, n1, s2, n2, conf = 52, 1000, 45, 1000, 0.95
    let c = compare_proportions(prop(52, 1000), prop(45, 1000), 0.95).unwrap();
    assert_matches(
        c,
        0.007,
        0.4662272749877957,
        -0.01182698188356986,
        0.02582698188356986,
    );
    assert!(!c.significant);
}

#[test]
fn a_small_hold_out_against_a_large_variant_matches_the_reference() {
    // s1, n1, s2, n2, conf = 1530, 18000, 140, 2000, 0.95
    let c = compare_proportions(prop(1530, 18_000), prop(140, 2000), 0.95).unwrap();
    assert_matches(
        c,
        0.015,
        0.021421167810560287,
        0.0030988324969910466,
        0.02690116750300895,
    );
    assert!(c.significant);
}

#[test]
fn the_confidence_level_sets_the_interval_width_but_not_the_p_value() {
    // s1, n1, s2, n2, conf = 1530, 18000, 140, 2000, 0.90
    let c = compare_proportions(prop(1530, 18_000), prop(140, 2000), 0.90).unwrap();
    assert_matches(
        c,
        0.015,
        0.021421167810560287,
        0.005012225384399032,
        0.024987774615600967,
    );
    assert_eq!(c.confidence, 0.90);
}

#[test]
fn rates_that_cannot_differ_give_p_one_and_an_empty_interval() {
    for (s1, s2) in [(0, 0), (500, 40)] {
        let c = compare_proportions(prop(s1, 500), prop(s2, 40), 0.95).unwrap();
        assert_eq!(
            (c.difference, c.low, c.high, c.p_value),
            (0.0, 0.0, 0.0, 1.0)
        );
        assert!(!c.significant);
    }
}

#[test]
fn a_group_without_recipients_or_an_impossible_count_is_not_compared() {
    assert_eq!(compare_proportions(prop(0, 0), prop(3, 10), 0.95), None);
    assert_eq!(compare_proportions(prop(3, 10), prop(0, 0), 0.95), None);
    assert_eq!(compare_proportions(prop(11, 10), prop(3, 10), 0.95), None);
    assert_eq!(compare_proportions(prop(1, 10), prop(3, 10), 1.0), None);
    assert_eq!(compare_proportions(prop(1, 10), prop(3, 10), 0.0), None);
}

// from scipy import stats; import numpy as np
// r = stats.ttest_ind(t, c, equal_var=False); ci = r.confidence_interval(0.95)
// np.mean(t) - np.mean(c), r.pvalue, ci.low, ci.high

#[test]
fn revenue_without_a_clear_difference_matches_scipys_welch_test() {
    // t = [0, 0, 12.5, 0, 40, 0, 0, 7.25, 0, 19.9]; c = [0, 0, 0, 5, 0, 0, 12, 0]  (df 11.344)
    let t = sample(&[0.0, 0.0, 12.5, 0.0, 40.0, 0.0, 0.0, 7.25, 0.0, 19.9]);
    let c = sample(&[0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 12.0, 0.0]);
    let cmp = compare_means(t, c, 0.95).unwrap();
    assert_matches(
        cmp,
        5.840000000000001,
        0.21553930081531666,
        -3.9229742309558313,
        15.602974230955834,
    );
    assert!(!cmp.significant);
    assert_eq!(cmp.test, Test::WelchT);
}

#[test]
fn revenue_with_a_difference_and_unequal_spreads_matches_scipys_welch_test() {
    // t = [0, 35.5, 0, 0, 80, 12, 0, 0, 44.9, 0, 0, 65, 0, 23.4, 0]
    // c = [0, 0, 0, 0, 9.99, 0, 0, 0, 0, 0, 15, 0]  (df 15.198)
    let t = [
        0.0, 35.5, 0.0, 0.0, 80.0, 12.0, 0.0, 0.0, 44.9, 0.0, 0.0, 65.0, 0.0, 23.4, 0.0,
    ];
    let c = [0.0, 0.0, 0.0, 0.0, 9.99, 0.0, 0.0, 0.0, 0.0, 0.0, 15.0, 0.0];
    let cmp = compare_means(sample(&t), sample(&c), 0.95).unwrap();
    assert_matches(
        cmp,
        15.304166666666667,
        0.046684864817224704,
        0.25514078151739916,
        30.353192551815937,
    );
    assert!(cmp.significant);
}

/// The sums SQL would hand over for `n` amounts with this mean and sample variance.
fn summarised(n: u64, mean: f64, variance: f64) -> Sample {
    let sum = n as f64 * mean;
    Sample {
        n,
        sum,
        sum_squares: (n - 1) as f64 * variance + sum * mean,
    }
}

// Large groups, from their summaries (scipy 1.17.1):
// r = stats.ttest_ind_from_stats(m1, np.sqrt(v1), n1, m2, np.sqrt(v2), n2, equal_var=False)
// a, b = v1 / n1, v2 / n2; se = np.sqrt(a + b); df = (a + b)**2 / (a*a/(n1-1) + b*b/(n2-1))
// q = stats.t.ppf(0.975, df); r.pvalue, m1 - m2 - q * se, m1 - m2 + q * se

#[test]
fn revenue_over_tens_of_thousands_of_recipients_matches_scipy() {
    // m1, v1, n1, m2, v2, n2 = 4.2, 900.0, 20000, 3.5, 400.0, 15000  (df 34548.07)
    let t = summarised(20_000, 4.2, 900.0);
    let c = summarised(15_000, 3.5, 400.0);
    let cmp = compare_means(t, c, 0.95).unwrap();
    assert_matches(
        cmp,
        0.7,
        0.008931696734373915,
        0.17528689745973425,
        1.224713102540266,
    );
}

#[test]
fn revenue_over_millions_of_recipients_matches_scipy() {
    // m1, v1, n1, m2, v2, n2 = 2.31, 1200.0, 4000000, 2.27, 1100.0, 5000000  (df 8402732.6)
    let t = summarised(4_000_000, 2.31, 1200.0);
    let c = summarised(5_000_000, 2.27, 1100.0);
    let cmp = compare_means(t, c, 0.95).unwrap();
    assert_matches(
        cmp,
        0.04,
        0.0794106624495692,
        -0.004694061822958402,
        0.08469406182295847,
    );
    assert!(!cmp.significant);
}

#[test]
fn revenue_that_never_varies_gives_a_certain_difference_like_scipy() {
    // stats.ttest_ind([1, 1], [2, 2], equal_var=False) → statistic=-inf, pvalue=0.0
    let c = compare_means(sample(&[1.0, 1.0]), sample(&[2.0, 2.0]), 0.95).unwrap();
    assert_eq!(
        (c.difference, c.low, c.high, c.p_value),
        (-1.0, -1.0, -1.0, 0.0)
    );
    let same = compare_means(sample(&[0.1; 7]), sample(&[0.1; 3]), 0.95).unwrap();
    assert_eq!(
        (same.difference, same.low, same.high, same.p_value),
        (0.0, 0.0, 0.0, 1.0)
    );
    assert!(!same.significant);
}

#[test]
fn a_group_of_fewer_than_two_recipients_gets_no_revenue_comparison() {
    assert_eq!(
        compare_means(sample(&[4.0]), sample(&[1.0, 2.0]), 0.95),
        None
    );
    assert_eq!(compare_means(sample(&[1.0, 2.0]), sample(&[]), 0.95), None);
    assert_eq!(sample(&[]).mean(), None);
}

#[test]
fn the_variance_from_sums_matches_the_two_pass_variance() {
    // np.var([0, 35.5, 0, 0, 80, 12], ddof=1) = 1018.975
    let v = sample(&[0.0, 35.5, 0.0, 0.0, 80.0, 12.0])
        .variance()
        .unwrap();
    assert_close("variance", v, 1018.975);
    assert_eq!(sample(&[19.99; 1000]).variance(), Some(0.0));
}

fn well_formed(c: &Comparison) -> bool {
    let finite = [c.difference, c.low, c.high, c.p_value]
        .iter()
        .all(|x| x.is_finite());
    finite && (0.0..=1.0).contains(&c.p_value) && c.low <= c.difference && c.difference <= c.high
}

fn counts() -> impl Strategy<Value = Proportion> {
    prop_oneof![1u64..50, 1u64..10_000_000]
        .prop_flat_map(|trials| (0..=trials, Just(trials)))
        .prop_map(|(successes, trials)| Proportion { successes, trials })
}

fn amounts() -> impl Strategy<Value = Vec<f64>> {
    let amount = prop_oneof![Just(0.0), Just(19.99), 0.0..5_000.0];
    proptest::collection::vec(amount, 2..60)
}

/// Large groups summarised directly: n, a mean and a variance turned into the sums.
fn summaries() -> impl Strategy<Value = Sample> {
    (2u64..10_000_000, 0.0..1_000.0f64, 0.0..1e6f64).prop_map(|(n, m, v)| summarised(n, m, v))
}

proptest! {
    #[test]
    fn a_rate_comparison_is_always_well_formed(
        t in counts(), c in counts(), confidence in 0.5..0.9999f64,
    ) {
        let cmp = compare_proportions(t, c, confidence).unwrap();
        prop_assert!(well_formed(&cmp), "{:?}", cmp);
        prop_assert!(-1.0 <= cmp.low && cmp.high <= 1.0);
        prop_assert_eq!(cmp.significant, cmp.p_value < 1.0 - confidence);
    }

    #[test]
    fn a_revenue_comparison_is_always_well_formed(
        t in amounts(), c in amounts(), confidence in 0.5..0.9999f64,
    ) {
        let cmp = compare_means(sample(&t), sample(&c), confidence).unwrap();
        prop_assert!(well_formed(&cmp), "{:?}", cmp);
    }

    #[test]
    fn a_revenue_comparison_of_large_groups_is_always_well_formed(
        t in summaries(), c in summaries(), confidence in 0.5..0.9999f64,
    ) {
        let cmp = compare_means(t, c, confidence).unwrap();
        prop_assert!(well_formed(&cmp), "{:?}", cmp);
    }
}
