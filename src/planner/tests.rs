//! Single rules of the planner with small inline campaigns. Whole customer stories with the
//! shipped campaigns live in `tests/planner_stories.rs`.

use super::*;
use crate::campaigns::parse;
use crate::domain::Level;
use chrono::{TimeDelta, TimeZone};
use std::path::Path;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn campaign(id: &str, priority: i32, audience: &str, trigger: &str, extra: &str) -> Campaign {
    let text = format!(
        "name = \"{id}\"\npriority = {priority}\ntemplate = \"{id}\"\n{extra}\n\
         [subject]\nen = \"Hi\"\n[audience]\n{audience}\n[trigger]\n{trigger}\n"
    );
    parse(Path::new(&format!("{id}.toml")), &text, &|_| true).unwrap_or_else(|e| panic!("{e:?}"))
}

fn on_order(id: &str, priority: i32) -> Campaign {
    campaign(
        id,
        priority,
        "climb = [\"basic\"]",
        "on = \"order\"\nmax_age = \"30d\"",
        "",
    )
}

fn basic() -> Assessment {
    Assessment {
        current: Level::Basic,
        target: Level::Reactive,
        reasons: vec![],
    }
}

fn orders(ids_days: &[(&str, i64)]) -> Vec<OrderRef> {
    ids_days
        .iter()
        .map(|(id, d)| OrderRef {
            id: id.to_string(),
            occurred_at: now() - TimeDelta::days(*d),
        })
        .collect()
}

fn delivery(campaign: &str, occurrence: &str, days_ago: i64, service: bool) -> PastDelivery {
    PastDelivery {
        campaign: campaign.into(),
        occurrence: occurrence.into(),
        at: now() - TimeDelta::days(days_ago),
        service,
        failed: false,
        sent: days_ago >= 0,
    }
}

/// The same delivery as the outbox records it after it failed for good.
fn failed(d: PastDelivery) -> PastDelivery {
    PastDelivery {
        failed: true,
        sent: false,
        ..d
    }
}

fn input<'a>(
    assessment: &'a Assessment,
    orders: &'a [OrderRef],
    deliveries: &'a [PastDelivery],
) -> PlanInput<'a> {
    PlanInput {
        customer_id: "c-1",
        locale: "en",
        facts: no_facts(),
        assessment,
        timezone: chrono_tz::UTC,
        suppressed: None,
        recent_orders: orders,
        recent_complaints: &[],
        deliveries,
        recent_events: &[],
        extras: None,
        purchases: None,
    }
}

/// A customer whose facts say nothing beyond the orders the tests pass.
fn no_facts() -> &'static crate::domain::CustomerFacts {
    static FACTS: std::sync::OnceLock<crate::domain::CustomerFacts> = std::sync::OnceLock::new();
    FACTS.get_or_init(Default::default)
}

fn cfg() -> PlannerConfig {
    PlannerConfig::default()
}

#[test]
fn the_highest_priority_due_campaign_wins_and_the_others_say_so() {
    let a = basic();
    let o = orders(&[("o-1", 1)]);
    let cs = [on_order("low", 1), on_order("high", 9)];
    let d = plan(&input(&a, &o, &[]), &cs, &cfg(), now());
    assert_eq!(d.pick.unwrap().campaign, "high");
    assert_eq!(d.not_picked["low"], "lower priority than high");
}

#[test]
fn equal_priorities_are_broken_by_id_so_plans_are_repeatable() {
    let a = basic();
    let o = orders(&[("o-1", 1)]);
    let cs = [on_order("b", 5), on_order("a", 5)];
    let d = plan(&input(&a, &o, &[]), &cs, &cfg(), now());
    assert_eq!(d.pick.unwrap().campaign, "a");
}

#[test]
fn a_service_campaign_wins_over_a_higher_priority_marketing_one() {
    let a = basic();
    let o = orders(&[("o-1", 1)]);
    let complaints = [ComplaintRef {
        event_id: "c-9".into(),
        occurred_at: now() - TimeDelta::hours(1),
    }];
    let service = campaign(
        "sorry",
        1,
        "service = true",
        "on = \"complaint\"\nmax_age = \"7d\"",
        "",
    );
    let cs = [on_order("promo", 1_000), service];
    let inp = PlanInput {
        recent_complaints: &complaints,
        ..input(&a, &o, &[])
    };
    let d = plan(&inp, &cs, &cfg(), now());
    let pick = d.pick.unwrap();
    assert_eq!(
        (pick.campaign.as_str(), pick.occurrence.as_str()),
        ("sorry", "complaint:c-9")
    );
}

#[test]
fn pick_agrees_with_plan() {
    let a = basic();
    let o = orders(&[("o-1", 1), ("o-2", 5)]);
    let sent = [delivery("x", "order:o-2", 1, false)];
    let cs = [on_order("x", 3), on_order("y", 2), on_order("z", 4)];
    for deliveries in [&sent[..], &[]] {
        let inp = input(&a, &o, deliveries);
        assert_eq!(
            pick(&inp, &cs, &cfg(), now()),
            plan(&inp, &cs, &cfg(), now()).pick
        );
    }
}

#[test]
fn a_marketing_email_waits_min_gap_after_a_service_email() {
    let a = basic();
    let o = orders(&[("o-1", 1)]);
    let sent = [delivery("sorry", "complaint:c-1", 1, true)];
    let d = plan(&input(&a, &o, &sent), &[on_order("x", 1)], &cfg(), now());
    assert_eq!(d.pick, None);
    assert_eq!(d.not_picked["x"], "min_gap: last email 1 d ago < 3 d");
}

#[test]
fn min_gap_counts_emails_of_any_marketing_campaign() {
    let a = basic();
    let o = orders(&[("o-1", 1)]);
    let sent = [delivery("other", "week:2026-W47", 1, false)];
    let d = plan(&input(&a, &o, &sent), &[on_order("x", 1)], &cfg(), now());
    assert_eq!(d.pick, None);
    assert_eq!(d.not_picked["x"], "min_gap: last email 1 d ago < 3 d");
}

#[test]
fn an_eligible_campaign_without_cool_down_goes_to_a_customer_once() {
    let a = basic();
    let c = campaign("hello", 1, "climb = [\"basic\"]", "on = \"eligible\"", "");
    let first = plan(
        &input(&a, &[], &[]),
        std::slice::from_ref(&c),
        &cfg(),
        now(),
    );
    assert_eq!(first.pick.unwrap().occurrence, "eligible:first");
    let sent = [delivery("hello", "eligible:first", 400, false)];
    let again = plan(&input(&a, &[], &sent), &[c], &cfg(), now());
    assert_eq!(again.not_picked["hello"], "already sent for eligible:first");
}

#[test]
fn an_order_dated_in_the_future_is_not_due() {
    let a = basic();
    let o = [OrderRef {
        id: "o-1".into(),
        occurred_at: now() + TimeDelta::hours(2),
    }];
    let d = plan(&input(&a, &o, &[]), &[on_order("x", 1)], &cfg(), now());
    assert_eq!(
        d.not_picked["x"],
        "not due: order o-1 is 0 min old, delay 0 min"
    );
}

#[test]
fn the_order_exactly_at_its_delay_and_at_its_max_age_is_due() {
    let a = basic();
    let c = campaign(
        "x",
        1,
        "climb = [\"basic\"]",
        "on = \"order\"\ndelay = \"3d\"\nmax_age = \"30d\"",
        "",
    );
    for age in [3, 30] {
        let o = orders(&[("o-1", age)]);
        let d = plan(&input(&a, &o, &[]), std::slice::from_ref(&c), &cfg(), now());
        assert!(d.pick.is_some(), "age {age}: {d:?}");
    }
}

#[test]
fn a_cool_down_applies_to_service_campaigns_that_set_one() {
    let a = basic();
    let complaints = [ComplaintRef {
        event_id: "c-2".into(),
        occurred_at: now() - TimeDelta::hours(1),
    }];
    let c = campaign(
        "sorry",
        1,
        "service = true",
        "on = \"complaint\"\nmax_age = \"7d\"",
        "cooldown = \"2d\"",
    );
    let sent = [delivery("sorry", "complaint:c-1", 1, true)];
    let inp = PlanInput {
        recent_complaints: &complaints,
        ..input(&a, &[], &sent)
    };
    let d = plan(&inp, &[c], &cfg(), now());
    assert_eq!(
        d.not_picked["sorry"],
        "cooling down until 2026-11-26 12:00 UTC"
    );
}

#[test]
fn no_campaigns_means_no_pick_and_no_reasons() {
    let a = basic();
    assert_eq!(
        plan(&input(&a, &[], &[]), &[], &cfg(), now()),
        Decision::default()
    );
}

#[test]
fn a_failed_delivery_does_not_count_towards_min_gap() {
    let a = basic();
    let o = orders(&[("o-2", 1)]);
    let sent = [failed(delivery("other", "order:o-1", 1, false))];
    let d = plan(&input(&a, &o, &sent), &[on_order("x", 1)], &cfg(), now());
    assert_eq!(d.pick.unwrap().occurrence, "order:o-2");
    // The email that did reach the customer still holds the next one back.
    let sent = [
        failed(delivery("other", "order:o-1", 0, false)),
        delivery("other", "order:o-0", 2, false),
    ];
    let d = plan(&input(&a, &o, &sent), &[on_order("x", 1)], &cfg(), now());
    assert_eq!(d.not_picked["x"], "min_gap: last email 2 d ago < 3 d");
}

#[test]
fn a_failed_delivery_does_not_start_a_cool_down_but_keeps_its_occurrence() {
    let a = basic();
    let c = campaign(
        "x",
        1,
        "climb = [\"basic\"]",
        "on = \"order\"\nmax_age = \"30d\"",
        "cooldown = \"30d\"",
    );
    let o = orders(&[("o-1", 10), ("o-2", 4)]);
    let sent = [failed(delivery("x", "order:o-1", 5, false))];
    let d = plan(
        &input(&a, &o, &sent),
        std::slice::from_ref(&c),
        &cfg(),
        now(),
    );
    assert_eq!(d.pick.unwrap().occurrence, "order:o-2");
    // Its own occurrence is not sent again: the outbox's unique key holds it.
    let o = orders(&[("o-1", 10)]);
    let d = plan(&input(&a, &o, &sent), &[c], &cfg(), now());
    assert_eq!(d.not_picked["x"], "already sent for order:o-1");
}

#[test]
fn a_failed_eligible_delivery_is_tried_again_under_the_date_of_the_retry() {
    let a = basic();
    let c = campaign(
        "hello",
        1,
        "climb = [\"basic\"]",
        "on = \"eligible\"",
        "cooldown = \"30d\"",
    );
    let cs = std::slice::from_ref(&c);
    let sent = [failed(delivery("hello", "eligible:first", 0, false))];
    let retry = plan(&input(&a, &[], &sent), cs, &cfg(), now());
    assert_eq!(retry.pick.unwrap().occurrence, "eligible:2026-11-25");
    // A retry that failed too waits for the next day's key.
    let sent = [
        failed(delivery("hello", "eligible:first", 0, false)),
        failed(delivery("hello", "eligible:2026-11-25", 0, false)),
    ];
    let again = plan(&input(&a, &[], &sent), cs, &cfg(), now());
    assert_eq!(
        again.not_picked["hello"],
        "already sent for eligible:2026-11-25"
    );
    // A retry that went through starts the next period: its key is free.
    let sent = [
        failed(delivery("hello", "eligible:first", 32, false)),
        delivery("hello", "eligible:2026-10-25", 31, false),
    ];
    let next = plan(&input(&a, &[], &sent), cs, &cfg(), now());
    assert_eq!(next.pick.unwrap().occurrence, "eligible:2026-11-24");
}

#[test]
fn a_failed_eligible_delivery_without_cool_down_is_not_sent_again() {
    let a = basic();
    let c = campaign("hello", 1, "climb = [\"basic\"]", "on = \"eligible\"", "");
    let sent = [failed(delivery("hello", "eligible:first", 1, false))];
    let d = plan(&input(&a, &[], &sent), &[c], &cfg(), now());
    assert_eq!(d.not_picked["hello"], "already sent for eligible:first");
}
