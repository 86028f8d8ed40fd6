//! The evidence rules of docs/domain.md "Evidence", one at a time. Whole customer stories live in
//! `tests/planner_stories.rs`.

use super::*;
use crate::config::{LevelsConfig, StrategyConfig};
use crate::domain::Level;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn ago(days: i64) -> Option<DateTime<Utc>> {
    Some(now() - TimeDelta::days(days))
}

/// 10,000 customers with margins 1..=10,000: high ≥ 9,001 (1,000 = medium breadth),
/// medium ≥ 6,001 (3,000 = medium), low below (6,000 = medium).
fn tiers() -> MarginTiers {
    let margins: Vec<f64> = (1..=10_000).map(f64::from).collect();
    MarginTiers::from_margins(&margins, &StrategyConfig::default())
}

fn run(f: &CustomerFacts) -> Assessment {
    assess(
        f,
        &LevelsConfig::default(),
        &StrategyConfig::default(),
        &tiers(),
        now(),
    )
}

fn reasons(a: &Assessment) -> String {
    a.reasons.join(" | ")
}

#[test]
fn a_customer_with_no_orders_is_basic_with_a_low_margin_target() {
    let a = run(&CustomerFacts::default());
    assert_eq!(a.current, Level::Basic);
    assert_eq!(a.target, Level::Reactive, "medium breadth × low tier");
    assert!(
        reasons(&a).contains("basic: no orders yet"),
        "{}",
        reasons(&a)
    );
    assert!(
        reasons(&a).contains("margin 0.00 in 365 d"),
        "{}",
        reasons(&a)
    );
}

#[test]
fn a_click_within_180_days_is_reactive_and_one_just_outside_is_not() {
    let inside = run(&CustomerFacts {
        last_click_at: ago(180),
        ..Default::default()
    });
    assert_eq!(inside.current, Level::Reactive);
    assert!(reasons(&inside).contains("reactive: last click 180 d ago ≤ 180 d"));
    let outside = run(&CustomerFacts {
        last_click_at: Some(now() - TimeDelta::days(180) - TimeDelta::minutes(1)),
        ..Default::default()
    });
    assert_eq!(outside.current, Level::Basic);
}

#[test]
fn support_contact_and_complaint_are_two_way_contact_too() {
    for facts in [
        CustomerFacts {
            last_support_contact_at: ago(3),
            ..Default::default()
        },
        CustomerFacts {
            last_complaint_at: ago(3),
            ..Default::default()
        },
        CustomerFacts {
            last_reply_at: ago(3),
            ..Default::default()
        },
    ] {
        assert_eq!(run(&facts).current, Level::Reactive, "{facts:?}");
    }
}

#[test]
fn a_survey_answer_or_a_resolved_complaint_within_a_year_is_accountable() {
    let survey = run(&CustomerFacts {
        last_survey_response_at: ago(200),
        ..Default::default()
    });
    assert_eq!(survey.current, Level::Accountable);
    assert!(reasons(&survey).contains("accountable: survey answer 200 d ago ≤ 365 d"));
    let resolved = run(&CustomerFacts {
        last_complaint_resolved_at: ago(10),
        ..Default::default()
    });
    assert_eq!(resolved.current, Level::Accountable);
    assert!(reasons(&resolved).contains("complaint resolved 10 d ago"));
}

#[test]
fn three_orders_need_a_recent_click_or_reply_to_be_proactive() {
    let engaged = run(&CustomerFacts {
        orders_in_window: 4,
        last_click_at: ago(12),
        ..Default::default()
    });
    assert_eq!(engaged.current, Level::Proactive);
    assert!(
        reasons(&engaged).contains("proactive: 4 orders in 365 d ≥ 3, last click 12 d ago ≤ 90 d"),
        "{}",
        reasons(&engaged)
    );
    let quiet = run(&CustomerFacts {
        orders_in_window: 4,
        last_click_at: ago(120),
        ..Default::default()
    });
    assert_eq!(quiet.current, Level::Reactive);
    assert!(
        reasons(&quiet).contains("not accountable"),
        "{}",
        reasons(&quiet)
    );
}

#[test]
fn an_accepted_partnership_never_expires_and_two_referrals_count_too() {
    let accepted = run(&CustomerFacts {
        partnership_accepted_at: ago(2_000),
        ..Default::default()
    });
    assert_eq!(accepted.current, Level::Partnership);
    let referred = run(&CustomerFacts {
        referrals_in_window: 2,
        ..Default::default()
    });
    assert_eq!(referred.current, Level::Partnership);
    assert!(reasons(&referred).contains("partnership: 2 referrals in 365 d ≥ 2"));
    let one = run(&CustomerFacts {
        referrals_in_window: 1,
        ..Default::default()
    });
    assert_eq!(one.current, Level::Basic);
}

#[test]
fn the_reasons_say_what_the_next_step_needs() {
    let a = run(&CustomerFacts {
        orders_in_window: 1,
        last_survey_response_at: ago(5),
        ..Default::default()
    });
    assert_eq!(a.current, Level::Accountable);
    assert!(
        reasons(&a).contains("not proactive: 1 order in 365 d < 3"),
        "{}",
        reasons(&a)
    );
}

#[test]
fn the_target_comes_from_margin_tier_and_its_breadth() {
    let a = run(&CustomerFacts {
        margin_in_window: 9_500.0,
        ..Default::default()
    });
    assert_eq!(a.target, Level::Proactive, "medium breadth × high tier");
    assert!(
        reasons(&a).contains(
            "target proactive: margin 9,500.00 in 365 d is in the top 10 % (high tier, 1,000 customers = medium)"
        ),
        "{}",
        reasons(&a)
    );
}

#[test]
fn the_target_level_attribute_overrides_the_matrix() {
    let a = run(&CustomerFacts {
        margin_in_window: 1.0,
        target_override: Some(Level::Partnership),
        ..Default::default()
    });
    assert_eq!(a.target, Level::Partnership);
    assert!(reasons(&a).contains("target partnership: set by the customer attribute target_level"));
}

#[test]
fn assess_levels_decides_the_same_without_reasons() {
    let samples = [
        CustomerFacts::default(),
        CustomerFacts {
            orders_in_window: 3,
            last_reply_at: ago(1),
            margin_in_window: 9_999.0,
            ..Default::default()
        },
        CustomerFacts {
            last_complaint_at: ago(1),
            margin_in_window: 7_000.0,
            ..Default::default()
        },
    ];
    for f in samples {
        let full = run(&f);
        let quick = assess_levels(
            &f,
            &LevelsConfig::default(),
            &StrategyConfig::default(),
            &tiers(),
            now(),
        );
        assert_eq!((quick.current, quick.target), (full.current, full.target));
        assert!(quick.reasons.is_empty() && !full.reasons.is_empty());
    }
}

#[test]
fn configured_windows_and_counts_are_honoured() {
    let cfg = LevelsConfig {
        proactive_min_orders: 5,
        ..Default::default()
    };
    let f = CustomerFacts {
        orders_in_window: 4,
        last_click_at: ago(1),
        ..Default::default()
    };
    let a = assess(&f, &cfg, &StrategyConfig::default(), &tiers(), now());
    assert_eq!(a.current, Level::Reactive);
}

#[test]
fn ranking_by_predicted_value_classifies_by_it_and_says_so() {
    let strategy = StrategyConfig {
        rank_by: crate::config::RankBy::PredictedValue,
        ..Default::default()
    };
    // Little margin last year, much predicted: high tier (1,000 customers = medium breadth).
    let f = CustomerFacts {
        margin_in_window: 10.0,
        predicted_value: 9_500.0,
        ..Default::default()
    };
    let a = assess(&f, &LevelsConfig::default(), &strategy, &tiers(), now());
    assert_eq!(a.target, Level::Proactive, "medium breadth × high tier");
    let why = reasons(&a);
    assert!(
        why.contains(
            "target proactive: predicted margin 9,500.00 over the next 12 months is in the top 10 %"
        ) && why.contains("ranked by predicted value, not by margin 10.00 in 365 d"),
        "{why}"
    );
    // The same facts ranked by margin: low.
    assert_eq!(run(&f).target, Level::Reactive);
}
