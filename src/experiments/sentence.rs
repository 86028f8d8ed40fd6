//! The plain sentence under each comparison in the experiment report, for a marketer:
//! `B converts 1.8 pp better than A (95 % CI 0.4–3.2 pp, p = 0.012): significant`.
//!
//! Rates read in percentage points with one decimal; amounts (revenue per recipient) with
//! two decimals and no currency — the report names its one base currency in the heading, the
//! same for every amount. The sentence says the size in words ("better", "less often") and
//! keeps the interval signed (treatment minus control), so `-3.2 to -0.4 pp` under "worse".

use super::stats::Comparison;
use crate::levels::wording::{money, percent};
use serde::Serialize;

/// What a comparison is about: it picks the verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Recipients who ordered (within the conversion window).
    Conversion,
    /// Recipients who clicked.
    Click,
    /// Recipients who opened (human opens).
    Open,
    /// Recipients who climbed a relationship level within the window.
    Climb,
    /// Revenue per recipient.
    Revenue,
}

enum Direction {
    More,
    Less,
    Same,
}

/// `B converts 1.8 pp better than A (95 % CI 0.4–3.2 pp, p = 0.012): significant`; `treatment`
/// and `control` are the names the sentence uses (`B`, `A`, `the hold-out`).
pub fn sentence(metric: Metric, treatment: &str, control: &str, c: &Comparison) -> String {
    let size = amount(metric, c.difference.abs());
    let direction = match c.difference {
        _ if size.chars().all(|ch| matches!(ch, '0' | '.' | ',')) => Direction::Same,
        d if d > 0.0 => Direction::More,
        _ => Direction::Less,
    };
    let (t, by) = (treatment, &size);
    let claim = match (metric, direction) {
        (Metric::Conversion, Direction::More) => format!("{t} converts {by} pp better than"),
        (Metric::Conversion, Direction::Less) => format!("{t} converts {by} pp worse than"),
        (Metric::Conversion, Direction::Same) => format!("{t} converts as well as"),
        (Metric::Click, Direction::More) => format!("{t} gets clicked {by} pp more often than"),
        (Metric::Click, Direction::Less) => format!("{t} gets clicked {by} pp less often than"),
        (Metric::Click, Direction::Same) => format!("{t} gets clicked as often as"),
        (Metric::Open, Direction::More) => format!("{t} gets opened {by} pp more often than"),
        (Metric::Open, Direction::Less) => format!("{t} gets opened {by} pp less often than"),
        (Metric::Open, Direction::Same) => format!("{t} gets opened as often as"),
        (Metric::Climb, Direction::More) => format!("{t} climbs a level {by} pp more often than"),
        (Metric::Climb, Direction::Less) => format!("{t} climbs a level {by} pp less often than"),
        (Metric::Climb, Direction::Same) => format!("{t} climbs a level as often as"),
        (Metric::Revenue, Direction::More) => format!("{t} earns {by} more per recipient than"),
        (Metric::Revenue, Direction::Less) => format!("{t} earns {by} less per recipient than"),
        (Metric::Revenue, Direction::Same) => format!("{t} earns as much per recipient as"),
    };
    let (low, high) = (amount(metric, c.low), amount(metric, c.high));
    let interval = if low.starts_with('-') {
        format!("{low} to {high}")
    } else {
        format!("{low}–{high}")
    };
    let unit = if metric == Metric::Revenue { "" } else { " pp" };
    let verdict = if c.significant {
        "significant"
    } else {
        "not significant"
    };
    format!(
        "{claim} {control} ({} CI {interval}{unit}, {}): {verdict}",
        percent(c.confidence),
        p_value(c.p_value)
    )
}

/// A rate difference in percentage points (`0.0184` → `1.8`), or an amount (`1,240.00`);
/// the dashboard words its Persian sentence around the same figures.
pub fn amount(metric: Metric, x: f64) -> String {
    if metric == Metric::Revenue {
        return money(x);
    }
    let pp = format!("{:.1}", x * 100.0);
    if pp == "-0.0" { "0.0".into() } else { pp }
}

/// `p = 0.012`, truncated rather than rounded so a p just under the level (0.0496) never reads
/// as the level itself (`p = 0.050: significant`); `p < 0.001` below that.
pub fn p_value(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {:.3}", (p * 1000.0).floor() / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::stats::Test;

    fn rate(difference: f64, low: f64, high: f64, p_value: f64) -> Comparison {
        Comparison {
            difference,
            low,
            high,
            p_value,
            confidence: 0.95,
            significant: p_value < 0.05,
            test: Test::TwoProportionZ,
        }
    }

    #[test]
    fn a_significant_gain_in_conversion_reads_as_better_with_its_interval_in_pp() {
        let c = rate(0.0184, 0.0041, 0.0322, 0.0123);
        assert_eq!(
            sentence(Metric::Conversion, "B", "A", &c),
            "B converts 1.8 pp better than A (95 % CI 0.4–3.2 pp, p = 0.012): significant"
        );
    }

    #[test]
    fn a_loss_reads_as_worse_with_the_signed_interval() {
        let c = rate(-0.0184, -0.0322, -0.0041, 0.0123);
        assert_eq!(
            sentence(Metric::Conversion, "B", "A", &c),
            "B converts 1.8 pp worse than A (95 % CI -3.2 to -0.4 pp, p = 0.012): significant"
        );
    }

    #[test]
    fn level_climbs_against_the_hold_out_read_as_more_often_and_can_be_not_significant() {
        let c = rate(0.021, -0.004, 0.046, 0.1);
        assert_eq!(
            sentence(Metric::Climb, "B", "the hold-out", &c),
            "B climbs a level 2.1 pp more often than the hold-out \
             (95 % CI -0.4 to 4.6 pp, p = 0.100): not significant"
        );
    }

    #[test]
    fn opens_and_clicks_read_as_how_often_the_email_gets_opened_or_clicked() {
        let c = rate(-0.05, -0.08, -0.02, 0.0004);
        assert_eq!(
            sentence(Metric::Open, "B", "A", &c),
            "B gets opened 5.0 pp less often than A (95 % CI -8.0 to -2.0 pp, p < 0.001): \
             significant"
        );
        assert!(sentence(Metric::Click, "B", "A", &c).starts_with("B gets clicked 5.0 pp less"));
    }

    #[test]
    fn revenue_reads_as_an_amount_per_recipient_without_a_currency() {
        let mut c = rate(0.4213, 0.1, 0.7426, 0.0121);
        c.test = Test::WelchT;
        assert_eq!(
            sentence(Metric::Revenue, "B", "A", &c),
            "B earns 0.42 more per recipient than A (95 % CI 0.10–0.74, p = 0.012): significant"
        );
    }

    #[test]
    fn a_difference_that_rounds_to_nothing_reads_as_the_same() {
        let c = rate(-0.0004, -0.01, 0.009, 0.93);
        assert_eq!(
            sentence(Metric::Conversion, "B", "A", &c),
            "B converts as well as A (95 % CI -1.0 to 0.9 pp, p = 0.930): not significant"
        );
        let mut r = c;
        r.difference = 0.001;
        assert!(sentence(Metric::Revenue, "B", "A", &r).starts_with("B earns as much per"));
    }

    #[test]
    fn a_p_value_just_under_the_level_never_reads_as_the_level() {
        let c = rate(0.02, 0.0001, 0.04, 0.04996);
        assert!(sentence(Metric::Conversion, "B", "A", &c).ends_with("p = 0.049): significant"));
    }
}
