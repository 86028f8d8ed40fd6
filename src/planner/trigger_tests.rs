//! Stories for the newer triggers (custom events, sign-up, level change, lapse, follow-up),
//! `unless`, and the conditions, with small inline campaigns. Each keeps the older rules too:
//! min_gap, suppression and occurrence dedupe hold for every trigger.

use super::*;
use crate::campaigns::parse;
use crate::domain::{ConditionExtras, CustomerFacts, Level, OrderItem};
use chrono::{TimeDelta, TimeZone};
use std::path::Path;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn hours_ago(h: i64) -> DateTime<Utc> {
    now() - TimeDelta::hours(h)
}

fn days_ago(d: i64) -> DateTime<Utc> {
    now() - TimeDelta::days(d)
}

fn campaign(id: &str, audience: &str, trigger: &str) -> Campaign {
    let text = format!(
        "name = \"{id}\"\npriority = 10\ntemplate = \"{id}\"\n\
         [subject]\nen = \"Hi\"\n[audience]\n{audience}\n[trigger]\n{trigger}\n"
    );
    parse(Path::new(&format!("{id}.toml")), &text, &|_| true).unwrap_or_else(|e| panic!("{e:?}"))
}

const EVERY_LEVEL: &str =
    "levels = [\"basic\", \"reactive\", \"accountable\", \"proactive\", \"partnership\"]";

/// One customer, built up per story.
struct Who {
    facts: CustomerFacts,
    current: Level,
    target: Level,
    locale: &'static str,
    orders: Vec<OrderRef>,
    events: Vec<EventRef>,
    deliveries: Vec<PastDelivery>,
    extras: Option<ConditionExtras>,
    suppressed: Option<Suppression>,
}

fn who() -> Who {
    Who {
        facts: CustomerFacts {
            created_at: Some(days_ago(400)),
            ..Default::default()
        },
        current: Level::Basic,
        target: Level::Reactive,
        locale: "en",
        orders: vec![],
        events: vec![],
        deliveries: vec![],
        extras: Some(ConditionExtras::default()),
        suppressed: None,
    }
}

impl Who {
    fn order(mut self, id: &str, at: DateTime<Utc>) -> Self {
        self.orders.push(OrderRef {
            id: id.into(),
            occurred_at: at,
        });
        self.facts.last_order_at = self.facts.last_order_at.max(Some(at));
        self.facts.first_order_at = Some(self.facts.first_order_at.map_or(at, |f| f.min(at)));
        self
    }

    fn custom(mut self, name: &str, seq: &str, at: DateTime<Utc>) -> Self {
        self.events.push(EventRef {
            kind: format!("custom:{name}"),
            id: seq.into(),
            occurred_at: at,
            data: Default::default(),
        });
        self.facts.last_custom_event_at = self.facts.last_custom_event_at.max(Some(at));
        self
    }

    fn sent(mut self, campaign: &str, occurrence: &str, at: DateTime<Utc>) -> Self {
        self.deliveries.push(PastDelivery {
            campaign: campaign.into(),
            occurrence: occurrence.into(),
            at,
            service: false,
            failed: false,
            sent: at <= now(),
        });
        self
    }

    fn assessment(&self) -> Assessment {
        Assessment {
            current: self.current,
            target: self.target,
            reasons: vec![],
        }
    }

    fn input<'a>(&'a self, a: &'a Assessment) -> PlanInput<'a> {
        PlanInput {
            customer_id: "c-1",
            locale: self.locale,
            facts: &self.facts,
            assessment: a,
            timezone: chrono_tz::UTC,
            suppressed: self.suppressed,
            recent_orders: &self.orders,
            recent_complaints: &[],
            deliveries: &self.deliveries,
            recent_events: &self.events,
            extras: self.extras.as_ref(),
            purchases: None,
        }
    }

    fn plan(&self, campaigns: &[Campaign]) -> Decision {
        let a = self.assessment();
        let input = self.input(&a);
        let cfg = PlannerConfig::default();
        let decision = plan(&input, campaigns, &cfg, now());
        assert_eq!(
            decision.pick,
            pick(&input, campaigns, &cfg, now()),
            "plan and pick agree"
        );
        decision
    }

    /// What the cycle would look up for this customer before planning `campaigns`.
    fn needs(&self, campaigns: &[Campaign]) -> Option<crate::conditions::Needs> {
        let a = self.assessment();
        needs_lookup(&self.input(&a), campaigns, &PlannerConfig::default(), now())
    }
}

fn picked(d: &Decision) -> Option<(&str, &str)> {
    d.pick
        .as_ref()
        .map(|p| (p.campaign.as_str(), p.occurrence.as_str()))
}

fn cart() -> Campaign {
    campaign(
        "cart",
        EVERY_LEVEL,
        "on = \"event\"\nkind = \"custom:cart_abandoned\"\ndelay = \"4h\"\nmax_age = \"3d\"\nunless = [\"order\"]",
    )
}

#[test]
fn abandoned_cart_is_due_four_hours_after_the_event() {
    let d = who()
        .custom("cart_abandoned", "41", hours_ago(6))
        .plan(&[cart()]);
    assert_eq!(picked(&d), Some(("cart", "event:41")));
    assert!(d.pick.unwrap().unless_since == Some(hours_ago(6)));
}

#[test]
fn abandoned_cart_waits_for_its_delay() {
    let d = who()
        .custom("cart_abandoned", "41", hours_ago(2))
        .plan(&[cart()]);
    assert!(d.pick.is_none());
    assert!(d.not_picked["cart"].starts_with("not due"), "{d:?}");
}

#[test]
fn cart_abandoned_then_ordered_within_the_delay_sends_nothing() {
    let d = who()
        .custom("cart_abandoned", "41", hours_ago(6))
        .order("o-1", hours_ago(4))
        .plan(&[cart()]);
    assert!(d.pick.is_none());
    assert!(d.not_picked["cart"].starts_with("unless: order"), "{d:?}");
}

#[test]
fn other_custom_events_do_not_trigger_the_cart_campaign() {
    let d = who()
        .custom("wishlist_added", "7", hours_ago(6))
        .plan(&[cart()]);
    assert!(d.pick.is_none());
}

#[test]
fn the_same_abandoned_cart_is_never_mailed_twice() {
    let d = who()
        .custom("cart_abandoned", "41", hours_ago(30))
        .sent("cart", "event:41", hours_ago(26))
        .plan(&[cart()]);
    assert!(d.pick.is_none());
    assert!(d.not_picked["cart"].contains("already sent"), "{d:?}");
}

fn welcome() -> Campaign {
    campaign(
        "welcome",
        "levels = [\"basic\"]",
        "on = \"signup\"\nmax_age = \"14d\"",
    )
}

#[test]
fn a_new_sign_up_is_welcomed() {
    let mut w = who();
    w.facts.created_at = Some(hours_ago(3));
    assert_eq!(picked(&w.plan(&[welcome()])), Some(("welcome", "signup")));
}

#[test]
fn a_welcome_is_never_repeated_even_when_the_sign_up_date_changes() {
    let mut w = who().sent("welcome", "signup", days_ago(2));
    w.facts.created_at = Some(hours_ago(1)); // re-imported with another created_at
    let d = w.plan(&[welcome()]);
    assert!(d.pick.is_none());
    assert!(d.not_picked["welcome"].contains("already sent"), "{d:?}");
}

#[test]
fn customers_who_signed_up_long_ago_get_no_welcome() {
    let d = who().plan(&[welcome()]);
    assert!(d.not_picked["welcome"].starts_with("too old"), "{d:?}");
}

fn win_back() -> Campaign {
    campaign(
        "win-back",
        EVERY_LEVEL,
        "on = \"level_change\"\ndirection = \"drop\"\ndelay = \"1d\"\nmax_age = \"14d\"",
    )
}

#[test]
fn a_customer_who_dropped_a_level_is_won_back() {
    let mut w = who();
    w.current = Level::Reactive;
    w.facts.previous_level = Some(Level::Accountable);
    w.facts.level_since = Some(days_ago(2));
    let d = w.plan(&[win_back()]);
    let key = format!("level_change:{}", days_ago(2).format("%Y-%m-%dT%H:%M:%SZ"));
    assert_eq!(picked(&d), Some(("win-back", key.as_str())));
}

#[test]
fn a_climb_is_no_drop() {
    let mut w = who();
    w.current = Level::Accountable;
    w.facts.previous_level = Some(Level::Reactive);
    w.facts.level_since = Some(days_ago(2));
    let d = w.plan(&[win_back()]);
    assert_eq!(d.not_picked["win-back"], "no level drop to answer");
}

#[test]
fn a_climb_is_congratulated_by_a_climb_campaign() {
    let climb = campaign(
        "congrats",
        EVERY_LEVEL,
        "on = \"level_change\"\ndirection = \"climb\"\nmax_age = \"7d\"",
    );
    let mut w = who();
    w.current = Level::Accountable;
    w.facts.previous_level = Some(Level::Reactive);
    w.facts.level_since = Some(days_ago(1));
    assert_eq!(picked(&w.plan(&[climb])).map(|p| p.0), Some("congrats"));
}

fn lapse() -> Campaign {
    campaign(
        "we-miss-you",
        EVERY_LEVEL,
        "on = \"lapse\"\nafter = \"120d\"",
    )
}

#[test]
fn a_customer_without_an_order_for_120_days_has_lapsed() {
    let d = who().order("o-1", days_ago(130)).plan(&[lapse()]);
    let key = format!("lapse:{}", days_ago(130).date_naive());
    assert_eq!(picked(&d), Some(("we-miss-you", key.as_str())));
}

#[test]
fn a_lapse_older_than_max_age_is_left_alone() {
    let c = campaign(
        "we-miss-you",
        EVERY_LEVEL,
        "on = \"lapse\"\nafter = \"120d\"\nmax_age = \"60d\"",
    );
    let d = who()
        .order("o-1", days_ago(400))
        .plan(std::slice::from_ref(&c));
    assert!(
        d.not_picked["we-miss-you"].starts_with("too old: lapse is"),
        "{d:?}"
    );
    let d = who().order("o-1", days_ago(150)).plan(&[c]);
    assert_eq!(picked(&d).map(|p| p.0), Some("we-miss-you"));
}

#[test]
fn a_recent_order_is_no_lapse_and_a_lapse_is_mailed_once() {
    let d = who().order("o-1", days_ago(30)).plan(&[lapse()]);
    assert!(
        d.not_picked["we-miss-you"].starts_with("not lapsed"),
        "{d:?}"
    );
    let key = format!("lapse:{}", days_ago(130).date_naive());
    let d = who()
        .order("o-1", days_ago(130))
        .sent("we-miss-you", &key, days_ago(9))
        .plan(&[lapse()]);
    assert!(d.pick.is_none());
}

fn reminder() -> Campaign {
    campaign(
        "survey-reminder",
        EVERY_LEVEL,
        "on = \"sent\"\ncampaign = \"survey\"\ndelay = \"5d\"\nunless = [\"survey_response\"]",
    )
}

#[test]
fn an_unanswered_survey_is_reminded_once_after_five_days() {
    let w = who().sent("survey", "order:o-1", days_ago(6));
    let d = w.plan(&[reminder()]);
    assert_eq!(
        picked(&d),
        Some(("survey-reminder", "sent:order:o-1")),
        "{d:?}"
    );
    let w = w.sent("survey-reminder", "sent:order:o-1", days_ago(1));
    assert!(w.plan(&[reminder()]).pick.is_none());
}

#[test]
fn an_answered_survey_gets_no_reminder() {
    let mut w = who().sent("survey", "order:o-1", days_ago(6));
    w.facts.last_survey_response_at = Some(days_ago(4));
    let d = w.plan(&[reminder()]);
    assert!(d.pick.is_none());
    assert!(
        d.not_picked["survey-reminder"].starts_with("unless: survey_response"),
        "{d:?}"
    );
}

#[test]
fn a_survey_still_queued_or_failed_is_not_followed() {
    let mut w = who();
    w.deliveries.push(PastDelivery {
        campaign: "survey".into(),
        occurrence: "order:o-1".into(),
        at: days_ago(6),
        service: false,
        failed: true,
        sent: false,
    });
    let d = w.plan(&[reminder()]);
    assert_eq!(d.not_picked["survey-reminder"], "survey was never sent");
}

#[test]
fn an_unsubscribed_customer_gets_no_trigger_of_any_kind() {
    let mut w = who()
        .custom("cart_abandoned", "41", hours_ago(6))
        .order("o-1", days_ago(130))
        .sent("survey", "order:o-1", days_ago(6));
    w.facts.created_at = Some(hours_ago(3));
    w.suppressed = Some(Suppression::Unsubscribed);
    let d = w.plan(&[cart(), welcome(), lapse(), reminder()]);
    assert!(d.pick.is_none());
}

#[test]
fn min_gap_holds_for_the_new_triggers() {
    let mut w =
        who()
            .custom("cart_abandoned", "41", hours_ago(6))
            .sent("other", "order:o-9", days_ago(1));
    w.facts.created_at = Some(hours_ago(3));
    let d = w.plan(&[cart(), welcome()]);
    assert!(d.pick.is_none());
    assert!(d.not_picked["cart"].starts_with("min_gap"), "{d:?}");
    assert!(d.not_picked["welcome"].starts_with("min_gap"), "{d:?}");
}

#[test]
fn one_email_per_customer_even_when_several_triggers_fire() {
    let mut w = who()
        .custom("cart_abandoned", "41", hours_ago(6))
        .order("o-1", days_ago(130));
    w.facts.created_at = Some(hours_ago(3));
    let d = w.plan(&[cart(), welcome(), lapse()]);
    assert!(d.pick.is_some());
    assert_eq!(d.not_picked.len(), 2);
}

/// The same stories for segment and `where` conditions.
#[path = "condition_tests.rs"]
mod conditions;
