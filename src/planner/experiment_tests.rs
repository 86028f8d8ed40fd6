//! Experiments in the planner: who is held out or gets which variant, the hold-out living
//! through the same cadence as recipients, and the global hold-out.

use super::*;
use crate::campaigns::{GlobalHoldout, parse};
use crate::domain::Level;
use chrono::{TimeDelta, TimeZone};
use std::path::Path;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn campaign(id: &str, audience: &str, extra_top: &str, extra_tables: &str) -> Campaign {
    let text = format!(
        "{extra_top}\nname = \"{id}\"\npriority = 10\ntemplate = \"{id}\"\ncooldown = \"30d\"\n\
         [subject]\nen = \"Hi\"\n[audience]\n{audience}\n[trigger]\non = \"order\"\nmax_age = \"30d\"\n{extra_tables}"
    );
    parse(Path::new(&format!("{id}.toml")), &text, &|_| true).unwrap_or_else(|e| panic!("{e:?}"))
}

fn offer(holdout: &str) -> Campaign {
    campaign(
        "offer",
        "climb = [\"basic\"]",
        holdout,
        "[[variant]]\nid = \"A\"\n[[variant]]\nid = \"B\"\nsubject = { en = \"Hello\" }\n",
    )
}

fn basic() -> Assessment {
    Assessment {
        current: Level::Basic,
        target: Level::Reactive,
        reasons: vec![],
    }
}

fn an_order() -> Vec<OrderRef> {
    vec![OrderRef {
        id: "o-1".into(),
        occurred_at: now() - TimeDelta::hours(2),
    }]
}

fn input<'a>(
    customer: &'a str,
    a: &'a Assessment,
    orders: &'a [OrderRef],
    deliveries: &'a [PastDelivery],
) -> PlanInput<'a> {
    static FACTS: std::sync::OnceLock<crate::domain::CustomerFacts> = std::sync::OnceLock::new();
    PlanInput {
        customer_id: customer,
        locale: "en",
        facts: FACTS.get_or_init(Default::default),
        assessment: a,
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

#[test]
fn a_held_out_customer_is_planned_as_held_out_and_the_others_get_a_variant() {
    let (a, o) = (basic(), an_order());
    let cs = [offer("holdout = 0.2")];
    let mut held = 0;
    let mut variants = std::collections::BTreeMap::new();
    for i in 0..2_000 {
        let id = format!("c-{i}");
        let p = pick(
            &input(&id, &a, &o, &[]),
            &cs,
            &PlannerConfig::default(),
            now(),
        )
        .unwrap();
        assert_eq!(p.campaign, "offer");
        // The same answer from `plan` (explain) as from `pick` (the cycle), every time.
        let again = plan(
            &input(&id, &a, &o, &[]),
            &cs,
            &PlannerConfig::default(),
            now(),
        );
        assert_eq!(again.pick.as_ref(), Some(&p));
        if p.held_out {
            assert_eq!(p.variant, None, "a held-out delivery records no variant");
            held += 1;
        } else {
            *variants.entry(p.variant.unwrap()).or_insert(0) += 1;
        }
    }
    assert!(
        (300..500).contains(&held),
        "{held} of 2,000 held out at 20 %"
    );
    assert_eq!(variants.len(), 2);
    assert!(
        variants.values().all(|n| (700..900).contains(n)),
        "{variants:?}"
    );
}

/// A held-out delivery is stored with status `held_out`: for the planner it has neither
/// failed nor been sent — it reached the customer as far as cadence goes.
fn held_out_delivery(days_ago: i64) -> PastDelivery {
    PastDelivery {
        campaign: "offer".into(),
        occurrence: "order:o-0".into(),
        at: now() - TimeDelta::days(days_ago),
        service: false,
        failed: false,
        sent: false,
    }
}

#[test]
fn a_held_out_delivery_starts_the_cooldown_and_min_gap_like_a_sent_one() {
    let (a, o) = (basic(), an_order());
    let cs = [offer("holdout = 0.2")];
    let past = [held_out_delivery(2)];
    let d = plan(
        &input("c-1", &a, &o, &past),
        &cs,
        &PlannerConfig::default(),
        now(),
    );
    assert!(d.pick.is_none());
    assert!(
        d.not_picked["offer"].starts_with("cooling down until"),
        "{:?}",
        d.not_picked
    );
    // Another campaign waits min_gap after it, as after a sent email.
    let other = campaign("other", "climb = [\"basic\"]", "", "");
    let d = plan(
        &input("c-1", &a, &o, &past),
        &[other],
        &PlannerConfig::default(),
        now(),
    );
    assert!(
        d.not_picked["other"].starts_with("min_gap"),
        "{:?}",
        d.not_picked
    );
}

#[test]
fn the_global_holdout_gets_no_marketing_but_still_gets_service_emails() {
    let a = basic();
    let o = an_order();
    let global = GlobalHoldout {
        share: 0.5,
        salt: "g".into(),
    };
    let mut promo = campaign("promo", "climb = [\"basic\"]", "", "");
    promo.experiment.global = Some(global.clone());
    let held: Vec<String> = (0..200)
        .map(|i| format!("c-{i}"))
        .filter(|id| global.holds(id))
        .collect();
    assert!(held.len() > 50);
    for id in &held {
        let d = plan(
            &input(id, &a, &o, &[]),
            std::slice::from_ref(&promo),
            &PlannerConfig::default(),
            now(),
        );
        assert!(d.pick.is_none());
        assert_eq!(
            d.not_picked["promo"],
            "in the global hold-out (50 % of customers get no marketing, to measure the whole programme)"
        );
    }
    // Service campaigns carry no global hold-out (the engine adds it to marketing only).
    let service = campaign("sorry", "service = true", "", "");
    let p = pick(
        &input(&held[0], &a, &o, &[]),
        &[service],
        &PlannerConfig::default(),
        now(),
    );
    assert_eq!(p.unwrap().campaign, "sorry");
    // Customers outside it are planned as usual.
    let outside = (0..200)
        .map(|i| format!("c-{i}"))
        .find(|id| !global.holds(id))
        .unwrap();
    let p = pick(
        &input(&outside, &a, &o, &[]),
        &[promo],
        &PlannerConfig::default(),
        now(),
    );
    assert_eq!(p.unwrap().campaign, "promo");
}
