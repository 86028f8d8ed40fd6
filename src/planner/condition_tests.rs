//! Conditions in the planner: a campaign's `where` decides after every other rule, reads
//! the triggering order's lines and custom attributes, and `explain` names what it saw.

use super::*;

fn with_where(id: &str, condition: &str) -> Campaign {
    let audience = format!("{EVERY_LEVEL}\nwhere = '''{condition}'''");
    campaign(
        id,
        &audience,
        "on = \"order\"\ndelay = \"7d\"\nmax_age = \"30d\"",
    )
}

#[test]
fn a_persian_only_campaign_skips_english_customers() {
    let c = with_where("fa-only", "customer.language == \"fa\"");
    let en = who().order("o-1", days_ago(8));
    let d = en.plan(std::slice::from_ref(&c));
    assert!(d.pick.is_none());
    assert!(d.not_picked["fa-only"].starts_with("where:"), "{d:?}");
    let mut fa = who().order("o-1", days_ago(8));
    fa.locale = "fa-IR";
    assert_eq!(picked(&fa.plan(&[c])).map(|p| p.0), Some("fa-only"));
}

#[test]
fn a_condition_on_a_custom_attribute_decides() {
    let c = with_where("friends", "customer.attributes.source == \"friend\"");
    let mut w = who().order("o-1", days_ago(8));
    let mut x = ConditionExtras::default();
    x.attributes.insert("source".into(), "friend".into());
    w.extras = Some(x);
    assert_eq!(
        picked(&w.plan(std::slice::from_ref(&c))).map(|p| p.0),
        Some("friends")
    );
    let mut x = ConditionExtras::default();
    x.attributes.insert("source".into(), "ads".into());
    w.extras = Some(x);
    assert!(w.plan(&[c]).pick.is_none());
}

#[test]
fn a_condition_on_the_triggering_order_items_decides() {
    let c = with_where(
        "grinder-care",
        "occurrence.skus.exists(s, s.startsWith(\"GRINDER\"))",
    );
    let mut w = who().order("o-1", days_ago(8));
    let mut x = ConditionExtras::default();
    let item = |sku: &str| OrderItem {
        sku: sku.into(),
        name: sku.into(),
        category: None,
        qty: Some(1),
    };
    x.order_items
        .insert("o-1".into(), vec![item("MUG-1"), item("GRINDER-HAND")]);
    w.extras = Some(x);
    assert_eq!(
        picked(&w.plan(std::slice::from_ref(&c))).map(|p| p.0),
        Some("grinder-care")
    );
    let mut x = ConditionExtras::default();
    x.order_items.insert("o-1".into(), vec![item("MUG-1")]);
    w.extras = Some(x);
    assert!(w.plan(&[c]).pick.is_none());
}

#[test]
fn a_condition_needing_a_lookup_is_reported_until_looked_up() {
    let c = with_where("friends", "customer.attributes.source == \"friend\"");
    let mut w = who().order("o-1", days_ago(8));
    w.extras = None;
    let cs = std::slice::from_ref(&c);
    assert!(w.needs(cs).is_some_and(|n| n.attributes));
    // Not due yet: nothing to look up.
    let mut early = who().order("o-2", days_ago(1));
    early.extras = None;
    assert!(early.needs(cs).is_none());
}

#[test]
fn explain_names_the_condition_and_the_value_it_saw() {
    let c = with_where("loyal", "orders.count >= 2");
    let mut w = who().order("o-1", days_ago(8));
    w.facts.orders_in_window = 1;
    let d = w.plan(&[c]);
    let why = &d.not_picked["loyal"];
    assert!(why.starts_with("where: "), "{why}");
    assert!(
        why.contains("orders.count >= 2") && why.contains('1'),
        "{why}"
    );
}

#[test]
fn a_part_that_fails_on_the_facts_spares_the_lookup() {
    let c = with_where(
        "grinder-care-fa",
        "customer.language == \"fa\" && occurrence.skus.exists(s, s.startsWith(\"GRINDER\"))",
    );
    let mut w = who().order("o-1", days_ago(8));
    w.extras = None;
    let cs = std::slice::from_ref(&c);
    assert_eq!(w.needs(cs), None, "English: no lookup");
    let d = w.plan(cs);
    assert!(
        d.not_picked["grinder-care-fa"].starts_with("where: customer.language"),
        "{d:?}"
    );
    w.locale = "fa";
    assert!(w.needs(cs).is_some_and(|n| n.items));
}
