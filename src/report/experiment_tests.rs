//! The experiment report from arm rows: the control it picks, the metrics it compares, and a
//! planted effect found (and none where none was planted).

use super::experiment::*;
use crate::campaigns::parse;
use crate::domain::Sample;
use crate::experiments::Metric;
use crate::store::ArmOutcome;
use std::path::Path;

fn campaign(top: &str, tables: &str) -> crate::campaigns::Campaign {
    let text = format!(
        "{top}\nname = \"Offer\"\npriority = 1\ntemplate = \"offer\"\n[subject]\nen = \"x\"\n\
         [audience]\nclimb = [\"basic\"]\n[trigger]\non = \"order\"\nmax_age = \"30d\"\n{tables}"
    );
    parse(Path::new("offer.toml"), &text, &|_| true).unwrap()
}

const VARIANTS: &str =
    "[[variant]]\nid = \"A\"\n[[variant]]\nid = \"B\"\nsubject = { en = \"y\" }\n";

/// An arm with `n` recipients of whom `converted` ordered (each for 10.0) and `climbed` rose.
fn arm(name: &str, n: u64, converted: u64, climbed: u64, clicked: u64) -> ArmOutcome {
    ArmOutcome {
        campaign: "offer".into(),
        arm: name.into(),
        recipients: n,
        opened: clicked * 3,
        clicked,
        converted,
        revenue: Sample {
            n,
            sum: 10.0 * converted as f64,
            sum_squares: 100.0 * converted as f64,
        },
        climbed,
    }
}

fn versus(line: &ArmLine, metric: Metric) -> Option<&MetricComparison> {
    line.versus.iter().find(|m| m.metric == metric)
}

#[test]
fn arms_are_compared_with_the_holdout_on_conversion_climb_and_revenue_only() {
    let c = campaign("holdout = 0.1", VARIANTS);
    let rows = [
        arm("B", 4_500, 290, 540, 400),
        arm("holdout", 1_000, 40, 80, 0),
        arm("A", 4_500, 225, 450, 300),
    ];
    let r = campaign_report(&c, &rows, None, 0.95);
    assert_eq!(r.control, "holdout");
    let names: Vec<&str> = r.arms.iter().map(|a| a.arm.as_str()).collect();
    assert_eq!(
        names,
        ["holdout", "A", "B"],
        "hold-out first, then the file's order"
    );
    assert!(r.arms[0].versus.is_empty());
    let b = &r.arms[2];
    assert_eq!(b.conversion_rate, Some(290.0 / 4500.0));
    // Opens and clicks of a hold-out mean nothing: not compared.
    assert!(versus(b, Metric::Click).is_none() && versus(b, Metric::Open).is_none());
    let conv = versus(b, Metric::Conversion).unwrap();
    assert!(conv.comparison.significant, "{}", conv.sentence);
    assert!(
        conv.sentence
            .starts_with("B converts 2.4 pp better than the hold-out"),
        "{}",
        conv.sentence
    );
    let climb = versus(b, Metric::Climb).unwrap();
    assert!(
        climb
            .sentence
            .starts_with("B climbs a level 4.0 pp more often than the hold-out"),
        "{}",
        climb.sentence
    );
    assert!(versus(b, Metric::Revenue).is_some());
}

#[test]
fn without_a_holdout_the_variants_are_compared_with_the_first_including_clicks() {
    let c = campaign("", VARIANTS);
    let rows = [
        arm("A", 5_000, 250, 500, 400),
        arm("B", 5_000, 250, 500, 520),
    ];
    let r = campaign_report(&c, &rows, None, 0.95);
    assert_eq!(r.control, "A");
    let b = &r.arms[1];
    let click = versus(b, Metric::Click).unwrap();
    assert!(click.comparison.significant, "{}", click.sentence);
    // Equal conversion: no effect found where none was planted.
    let conv = versus(b, Metric::Conversion).unwrap();
    assert!(!conv.comparison.significant);
    assert!(
        conv.sentence.ends_with("not significant"),
        "{}",
        conv.sentence
    );
}

#[test]
fn a_campaign_with_only_a_holdout_compares_its_recipients_with_it() {
    let c = campaign("holdout = 0.2", "");
    let rows = [arm("", 800, 48, 80, 10), arm("holdout", 200, 8, 10, 0)];
    let r = campaign_report(&c, &rows, None, 0.95);
    let names: Vec<&str> = r.arms.iter().map(|a| a.arm.as_str()).collect();
    assert_eq!(names, ["holdout", "campaign"]);
    let conv = versus(&r.arms[1], Metric::Conversion).unwrap();
    assert!(
        conv.sentence
            .starts_with("campaign converts 2.0 pp better than the hold-out"),
        "{}",
        conv.sentence
    );
}

#[test]
fn an_arm_without_recipients_yet_shows_with_zeros_and_no_comparison() {
    let c = campaign("holdout = 0.1", VARIANTS);
    let rows = [arm("A", 100, 5, 5, 5)];
    let r = campaign_report(&c, &rows, None, 0.95);
    assert_eq!(r.arms.len(), 3);
    assert_eq!(r.arms[0].recipients, 0);
    assert!(
        r.arms[1].versus.is_empty(),
        "nothing to compare with an empty hold-out"
    );
}

#[test]
fn the_programme_compares_marketing_with_the_global_holdout() {
    use crate::store::GroupOutcome;
    let group = |customers, converted, climbed| GroupOutcome {
        customers,
        converted,
        revenue: Sample {
            n: customers,
            sum: 20.0 * converted as f64,
            sum_squares: 400.0 * converted as f64,
        },
        climbed,
    };
    let p = programme(
        0.02,
        group(98_000, 9_800, 4_900),
        group(2_000, 160, 80),
        0.95,
    );
    let conv = p
        .versus
        .iter()
        .find(|m| m.metric == Metric::Conversion)
        .unwrap();
    assert!(conv.comparison.significant, "{}", conv.sentence);
    assert!(
        conv.sentence
            .starts_with("marketing converts 2.0 pp better than the global hold-out"),
        "{}",
        conv.sentence
    );
}
