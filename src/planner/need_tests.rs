//! `on = "predicted_need"`: due `lead` before the predicted next order, in the rhythm line's
//! words when not, with a fixed shop model (days): r = 2, α = 60, a = 0.5, b = 5.

use super::*;
use crate::campaigns::parse;
use crate::domain::Level;
use crate::predict::BgNbd;
use chrono::{TimeDelta, TimeZone};
use std::path::Path;

const SHOP: BgNbd = BgNbd {
    r: 2.0,
    alpha: 60.0,
    a: 0.5,
    b: 5.0,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn days_ago(d: i64) -> DateTime<Utc> {
    now() - TimeDelta::days(d)
}

fn reorder(extra: &str) -> Campaign {
    let text = format!(
        "name = \"reorder\"\npriority = 10\ntemplate = \"reorder\"\n[subject]\nen = \"Hi\"\n\
         [audience]\nlevels = [\"basic\", \"reactive\", \"accountable\", \"proactive\"]\n\
         [trigger]\non = \"predicted_need\"\nlead = \"3d\"\n{extra}\n"
    );
    parse(Path::new("reorder.toml"), &text, &|_| true).unwrap_or_else(|e| panic!("{e:?}"))
}

/// `orders` orders from `first` to `last` days ago.
fn customer(orders: u32, first: i64, last: i64) -> CustomerFacts {
    CustomerFacts {
        orders,
        first_order_at: Some(days_ago(first)),
        last_order_at: Some(days_ago(last)),
        ..Default::default()
    }
}

fn plan_for(
    facts: &CustomerFacts,
    model: Option<&BgNbd>,
    deliveries: &[PastDelivery],
    c: &Campaign,
) -> Decision {
    let a = Assessment {
        current: Level::Accountable,
        target: Level::Proactive,
        reasons: vec![],
    };
    let input = PlanInput {
        customer_id: "c-1",
        locale: "en",
        facts,
        assessment: &a,
        timezone: chrono_tz::UTC,
        suppressed: None,
        recent_orders: &[],
        recent_complaints: &[],
        deliveries,
        recent_events: &[],
        extras: None,
        purchases: model,
    };
    let cfg = PlannerConfig::default();
    let campaigns = std::slice::from_ref(c);
    let decision = plan(&input, campaigns, &cfg, now());
    assert_eq!(decision.pick, pick(&input, campaigns, &cfg, now()));
    let bare = due_without_history(facts, &a, chrono_tz::UTC, model, campaigns, &cfg, now());
    // Deliveries only ever block: without them, due exactly when the cycle thinks so.
    if deliveries.is_empty() {
        assert_eq!(
            bare,
            decision.pick.is_some(),
            "no history needed: {decision:?}"
        );
    } else {
        assert!(bare || decision.pick.is_none());
    }
    decision
}

fn reason(d: &Decision) -> &str {
    d.not_picked
        .get("reorder")
        .map_or("(picked)", String::as_str)
}

#[test]
fn due_three_days_before_the_predicted_next_order_keyed_by_the_last_order() {
    // Interval (60 + 122) / (2 + 4) ≈ 30.3 days after an order 28 days ago: due in 2.3 days.
    let d = plan_for(&customer(5, 150, 28), Some(&SHOP), &[], &reorder(""));
    let pick = d.pick.expect("due");
    let last = days_ago(28).format("%Y-%m-%dT%H:%M:%SZ");
    assert_eq!(pick.occurrence, format!("predicted_need:{last}"));
    assert_eq!(pick.send_at, now());
}

#[test]
fn not_due_earlier_and_explain_says_so_in_the_words_of_the_rhythm_line() {
    // (60 + 130) / 6 ≈ 31.7 days after an order 20 days ago: expected in 11.7, due in 8.7.
    let d = plan_for(&customer(5, 150, 20), Some(&SHOP), &[], &reorder(""));
    assert_eq!(d.pick, None);
    assert_eq!(
        reason(&d),
        "not due: orders about every 32 days (5 orders); last 20 days ago; next expected in \
         12 days; 90 % likely still active; due 3 d before, in 9 days"
    );
}

#[test]
fn a_date_passed_more_than_a_day_ago_is_left_for_the_next_order() {
    let d = plan_for(&customer(5, 150, 40), Some(&SHOP), &[], &reorder(""));
    assert_eq!(d.pick, None);
    assert!(
        reason(&d).contains("next was expected 12 days ago; ")
            && reason(&d).ends_with("the expected date has passed (the next order sets a new one)"),
        "{d:?}"
    );
}

#[test]
fn a_customer_probably_gone_is_not_reminded() {
    // Five orders until 300 days ago, nothing since: about 3 % likely still active.
    let d = plan_for(&customer(5, 400, 300), Some(&SHOP), &[], &reorder(""));
    assert_eq!(d.pick, None);
    assert!(
        reason(&d).starts_with("probably no longer a customer: orders about every")
            && reason(&d).ends_with("(below min_alive 50 %)"),
        "{d:?}"
    );
}

#[test]
fn min_alive_is_the_campaigns_own_threshold() {
    // The due customer above is 87 % likely still active.
    let strict = reorder("min_alive = 0.9");
    let d = plan_for(&customer(5, 150, 28), Some(&SHOP), &[], &strict);
    assert!(
        reason(&d).contains("87 % likely still active (below min_alive 90 %)"),
        "{d:?}"
    );
    let lenient = reorder("min_alive = 0.8");
    assert!(
        plan_for(&customer(5, 150, 28), Some(&SHOP), &[], &lenient)
            .pick
            .is_some()
    );
}

#[test]
fn one_order_no_order_or_no_model_predicts_no_need() {
    let c = reorder("");
    let one = plan_for(&customer(1, 28, 28), Some(&SHOP), &[], &c);
    assert!(reason(&one).starts_with("1 order: a purchase rhythm needs at least 2"));
    let none = plan_for(&CustomerFacts::default(), Some(&SHOP), &[], &c);
    assert_eq!(reason(&none), "no order yet: no purchase rhythm");
    let unfitted = plan_for(&customer(5, 150, 28), None, &[], &c);
    assert!(reason(&unfitted).starts_with("no purchase rhythm learned"));
}

#[test]
fn one_reminder_per_gap_between_orders() {
    let c = reorder("");
    let last = days_ago(28).format("%Y-%m-%dT%H:%M:%SZ");
    let sent = [PastDelivery {
        campaign: "reorder".into(),
        occurrence: format!("predicted_need:{last}"),
        at: days_ago(40),
        service: false,
        failed: false,
        sent: true,
    }];
    let d = plan_for(&customer(5, 150, 28), Some(&SHOP), &sent, &c);
    assert_eq!(
        reason(&d),
        format!("already sent for predicted_need:{last}")
    );
}

#[test]
fn with_unless_order_the_sender_cancels_it_after_a_new_order() {
    let c = reorder("unless = [\"order\"]");
    let d = plan_for(&customer(5, 150, 28), Some(&SHOP), &[], &c);
    assert_eq!(d.pick.expect("due").unless_since, Some(days_ago(28)));
}
