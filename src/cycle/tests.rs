//! The cycle's decision for a chunk (`Basis::assess`, `lookups`, `Basis::decide`) with the
//! shipped campaigns and default configuration: what is written, queued and announced.

use super::assessed::Lookups;
use super::basis::Basis;
use crate::campaigns::{Campaign, load_all};
use crate::config::{Config, NotifyConfig};
use crate::domain::Level;
use crate::levels::MarginTiers;
use crate::store::{DeliveryRef, FactsRow, PlanContext};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn days_ago(d: i64) -> DateTime<Utc> {
    now() - TimeDelta::days(d)
}

/// The shipped campaigns (`config/campaigns`).
static CAMPAIGNS: LazyLock<Vec<Campaign>> = LazyLock::new(|| {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/campaigns");
    load_all(&dir, &dir.with_file_name("segments"), &|_| true)
        .expect("shipped campaigns load")
        .0
});

fn campaigns() -> &'static [Campaign] {
    &CAMPAIGNS
}

fn config() -> Config {
    let mut cfg = Config::default();
    cfg.mail.from = "Shop <news@shop.example>".into();
    cfg
}

/// A broad low tier: a customer without margin aims at reactive.
fn tiers() -> MarginTiers {
    MarginTiers {
        high_cut: 1_000.0,
        medium_cut: 300.0,
        high_count: 50,
        medium_count: 5_000,
        low_count: 500_000,
    }
}

/// A customer assessed before at basic → reactive, whose facts brought no context.
fn customer(id: &str) -> FactsRow {
    FactsRow::assessed(id, Level::Reactive)
}

/// The same customer with an order four days ago (the follow-up's delay is three days).
fn ordered(id: &str) -> FactsRow {
    let mut row = customer(id);
    row.facts.last_order_at = Some(days_ago(4));
    row.facts.orders_in_window = 1;
    row
}

fn delivery(occurrence: &str, days: i64, status: &str) -> DeliveryRef {
    DeliveryRef {
        campaign: "post-sale-follow-up".into(),
        occurrence: occurrence.into(),
        at: days_ago(days),
        service: false,
        status: status.into(),
    }
}

#[test]
fn a_first_assessment_is_written_and_the_due_follow_up_queued_from_the_facts_alone() {
    let (cfg, tiers) = (config(), tiers());
    let basis = Basis::new(&cfg, &tiers, campaigns(), now());
    let mut row = ordered("c-1");
    row.stored_current = None;
    row.recent_orders = Some(vec![("o-1".into(), days_ago(4))]);
    row.recent_complaints = Some(vec![]);
    row.deliveries = Some(vec![]);
    let chunk = basis.assess(vec![row]);
    assert_eq!(chunk.lookups(&basis), Lookups::default());
    let d = basis.decide(chunk, HashMap::new());
    assert_eq!((d.assessed, d.candidates), (1, 1));
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].from, None);
    assert_eq!(d.changes[0].current, Level::Basic);
    assert!(
        !d.changes[0].reasons.is_empty(),
        "a written change says why"
    );
    let queued = &d.deliveries[..];
    assert_eq!(queued.len(), 1);
    assert_eq!(
        (queued[0].campaign.as_str(), queued[0].occurrence.as_str()),
        ("post-sale-follow-up", "order:o-1")
    );
    assert!(!queued[0].service);
    assert_eq!(queued[0].send_at, now());
    assert_eq!(
        queued[0].message_id,
        format!("<{}@shop.example>", queued[0].id)
    );
    assert_eq!(d.planned.len(), 1);
    assert_eq!(d.planned[0].occurrence, "order:o-1");
    assert_eq!(d.planned[0].target_level, Level::Reactive);
    assert!(d.notifications.is_empty(), "a first assessment is no move");
}

#[test]
fn an_unchanged_customer_with_nothing_due_is_no_candidate_and_writes_nothing() {
    let (cfg, tiers) = (config(), tiers());
    let basis = Basis::new(&cfg, &tiers, campaigns(), now());
    let mut row = customer("c-1");
    row.deliveries = Some(vec![]); // as a full cycle's facts bring them: none
    let chunk = basis.assess(vec![row]);
    assert_eq!(chunk.candidates(), 0);
    assert_eq!(chunk.lookups(&basis), Lookups::default());
    let d = basis.decide(chunk, HashMap::new());
    assert_eq!((d.assessed, d.candidates), (1, 0));
    assert!(d.is_empty());
}

#[test]
fn a_suppressed_address_is_no_candidate_even_with_a_recent_order() {
    let (cfg, tiers) = (config(), tiers());
    let basis = Basis::new(&cfg, &tiers, campaigns(), now());
    let mut row = ordered("c-1");
    row.suppression = Some("hard bounce".into());
    let chunk = basis.assess(vec![row]);
    assert_eq!(chunk.lookups(&basis), Lookups::default());
    assert!(basis.decide(chunk, HashMap::new()).is_empty());
}

#[test]
fn a_level_move_is_announced_to_the_endpoints_that_want_it() {
    let mut cfg = config();
    cfg.notify = vec![NotifyConfig {
        name: "crm".into(),
        url: "http://crm.example/hook".into(),
        events: vec!["level_changed".into()],
        secret: None,
    }];
    let tiers = tiers();
    let basis = Basis::new(&cfg, &tiers, campaigns(), now());
    let mut row = customer("c-1");
    row.facts.last_click_at = Some(days_ago(8));
    let d = basis.decide(basis.assess(vec![row]), HashMap::new());
    assert_eq!(d.changes.len(), 1);
    assert_eq!(
        (d.changes[0].from, d.changes[0].current),
        (Some(Level::Basic), Level::Reactive)
    );
    assert_eq!(d.notifications.len(), 1);
}

#[test]
fn the_candidates_context_is_looked_up_where_the_facts_did_not_bring_it() {
    let (cfg, tiers) = (config(), tiers());
    let basis = Basis::new(&cfg, &tiers, campaigns(), now());
    let mut brought = ordered("c-2");
    brought.recent_orders = Some(vec![("o-2".into(), days_ago(4))]);
    brought.deliveries = Some(vec![]);
    let mut nothing = customer("c-3");
    nothing.deliveries = Some(vec![]);
    let chunk = basis.assess(vec![ordered("c-1"), brought, nothing]);
    let lookups = chunk.lookups(&basis);
    assert_eq!(lookups.ids, ["c-1"]);
    assert_eq!(lookups.ordered_recently, ["c-1"]);
    assert!(lookups.complained_recently.is_empty());
    let contexts = HashMap::from([(
        "c-1".to_string(),
        PlanContext {
            orders: vec![("o-1".into(), days_ago(4))],
            ..PlanContext::default()
        },
    )]);
    let d = basis.decide(chunk, contexts);
    let queued: Vec<_> = d
        .deliveries
        .iter()
        .map(|q| (q.customer_id.as_str(), q.occurrence.as_str()))
        .collect();
    assert_eq!(queued, [("c-1", "order:o-1"), ("c-2", "order:o-2")]);
}

/// Plans `ordered` with one earlier follow-up of the given status in its context.
fn queued_after(status: &str) -> usize {
    let (cfg, tiers) = (config(), tiers());
    let basis = Basis::new(&cfg, &tiers, campaigns(), now());
    let chunk = basis.assess(vec![ordered("c-1")]);
    let context = PlanContext {
        orders: vec![("o-1".into(), days_ago(4))],
        complaints: vec![],
        deliveries: vec![delivery("order:o-0", 1, status)],
        custom_events: vec![],
    };
    let d = basis.decide(chunk, HashMap::from([("c-1".to_string(), context)]));
    d.deliveries.len()
}

#[test]
fn a_failed_delivery_in_the_outbox_holds_back_no_email_but_others_do() {
    assert_eq!(queued_after("failed"), 1);
    // min_gap: sent, still to be sent, or dropped because the address was suppressed.
    for status in ["sent", "queued", "sending", "suppressed"] {
        assert_eq!(queued_after(status), 0, "{status}");
    }
}

#[test]
fn a_customer_whose_deliveries_are_unknown_is_looked_up_while_a_follow_up_ships() {
    // The shipped survey reminder follows the satisfaction survey: an incremental cycle's
    // facts bring no deliveries, so whether the survey was sent needs a look.
    let (cfg, tiers) = (config(), tiers());
    let basis = Basis::new(&cfg, &tiers, campaigns(), now());
    let chunk = basis.assess(vec![customer("c-1")]);
    assert_eq!(chunk.lookups(&basis).ids, ["c-1"]);
    let mut surveyed = customer("c-2");
    surveyed.deliveries = Some(vec![DeliveryRef {
        campaign: "satisfaction-survey".into(),
        occurrence: "order:o-1".into(),
        at: days_ago(6),
        service: false,
        status: "sent".into(),
    }]);
    let d = basis.decide(basis.assess(vec![surveyed]), HashMap::new());
    let queued: Vec<_> = d.deliveries.iter().map(|q| q.campaign.as_str()).collect();
    assert_eq!(queued, ["survey-reminder"]);
}
