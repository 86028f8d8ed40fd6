//! Consent in the planner: nothing but service emails before the confirmation click of
//! double opt-in, and no campaign on a topic the customer left.

use super::*;
use crate::campaigns::parse;
use crate::domain::{CustomerFacts, Level, Topic};
use chrono::{TimeDelta, TimeZone};
use std::path::Path;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn campaign(id: &str, priority: i32, audience: &str, trigger: &str, topic: &str) -> Campaign {
    let text = format!(
        "name = \"{id}\"\npriority = {priority}\ntemplate = \"{id}\"\n{topic}\n\
         [subject]\nen = \"Hi\"\n[audience]\n{audience}\n[trigger]\n{trigger}\n"
    );
    parse(Path::new(&format!("{id}.toml")), &text, &|_| true).unwrap_or_else(|e| panic!("{e:?}"))
}

/// The confirmation, a welcome (news), an offer and a survey for every level.
fn campaigns() -> Vec<Campaign> {
    let any = "levels = [\"basic\"]";
    vec![
        campaign("confirm", 90, "service = true", "on = \"confirmation\"", ""),
        campaign("welcome", 20, any, "on = \"signup\"", "topic = \"news\""),
        campaign("offer", 40, any, "on = \"eligible\"", "topic = \"offers\""),
        campaign(
            "survey",
            30,
            any,
            "on = \"eligible\"",
            "topic = \"surveys\"",
        ),
    ]
}

fn input<'a>(
    facts: &'a CustomerFacts,
    a: &'a Assessment,
    deliveries: &'a [PastDelivery],
) -> PlanInput<'a> {
    PlanInput {
        customer_id: "c-1",
        locale: "en",
        facts,
        assessment: a,
        timezone: chrono_tz::UTC,
        suppressed: None,
        recent_orders: &[],
        recent_complaints: &[],
        deliveries,
        recent_events: &[],
        extras: None,
        purchases: None,
    }
}

fn basic() -> Assessment {
    Assessment {
        current: Level::Basic,
        target: Level::Basic,
        reasons: vec![],
    }
}

fn signed_up(pending: bool, left: &[Topic]) -> CustomerFacts {
    CustomerFacts {
        created_at: Some(now() - TimeDelta::hours(2)),
        consent_pending: pending,
        left_topics: left.to_vec(),
        ..CustomerFacts::default()
    }
}

#[test]
fn before_the_confirmation_click_only_the_confirmation_is_planned_and_explain_says_why() {
    let (a, cs) = (basic(), campaigns());
    let facts = signed_up(true, &[]);
    let d = plan(
        &input(&facts, &a, &[]),
        &cs,
        &PlannerConfig::default(),
        now(),
    );
    let pick = d.pick.unwrap();
    assert_eq!(
        (pick.campaign.as_str(), pick.occurrence.as_str()),
        ("confirm", "confirmation")
    );
    for marketing in ["welcome", "offer", "survey"] {
        assert_eq!(
            d.not_picked[marketing],
            "awaiting confirmation: no marketing email before the customer clicks the confirmation link (double opt-in)"
        );
    }
    // Sent once: a second cycle plans nothing, and marketing still waits.
    let sent = [PastDelivery {
        campaign: "confirm".into(),
        occurrence: "confirmation".into(),
        at: now() - TimeDelta::hours(1),
        service: true,
        failed: false,
        sent: true,
    }];
    let d = plan(
        &input(&facts, &a, &sent),
        &cs,
        &PlannerConfig::default(),
        now(),
    );
    assert_eq!(d.pick, None);
    assert_eq!(d.not_picked["confirm"], "already sent for confirmation");
}

#[test]
fn once_confirmed_marketing_is_planned_and_the_confirmation_is_not() {
    let (a, cs) = (basic(), campaigns());
    let facts = signed_up(false, &[]);
    let d = plan(
        &input(&facts, &a, &[]),
        &cs,
        &PlannerConfig::default(),
        now(),
    );
    assert_eq!(d.pick.unwrap().campaign, "offer");
    assert_eq!(d.not_picked["confirm"], "no sign-up awaiting confirmation");
}

#[test]
fn a_topic_left_stops_its_campaigns_and_nothing_else() {
    let (a, cs) = (basic(), campaigns());
    let facts = signed_up(false, &[Topic::Offers]);
    let d = plan(
        &input(&facts, &a, &[]),
        &cs,
        &PlannerConfig::default(),
        now(),
    );
    assert_eq!(
        d.not_picked["offer"],
        "the customer left the topic `offers` on the preference page"
    );
    assert_eq!(d.pick.unwrap().campaign, "survey");
    assert_eq!(d.not_picked["welcome"], "lower priority than survey");
}
