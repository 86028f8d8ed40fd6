use super::{compile, customer};
use crate::conditions::{Condition, Needs};
use crate::domain::Level;
use serde_json::json;

#[test]
fn persian_only_condition_matches_language() {
    let c = compile(r#"customer.language == "fa""#);
    let mut who = customer();
    assert!(c.holds(&who));
    who.customer.language = "en".into();
    who.customer.locale = "en-US".into();
    assert!(!c.holds(&who));
    assert_eq!(
        c.explain(&who).detail,
        r#"customer.language == "fa" is false (customer.language = "en")"#
    );
}

#[test]
fn attribute_condition_reads_custom_attribute() {
    let c = compile(r#"customer.attributes.source == "friend""#);
    assert!(c.needs().attributes);
    let mut who = customer();
    assert!(!c.holds(&who), "a missing attribute does not pass");
    assert_eq!(
        c.explain(&who).detail,
        r#"customer.attributes.source == "friend" cannot be evaluated: customer.attributes.source is not set"#
    );
    who.customer
        .attributes
        .insert("source".into(), json!("friend"));
    assert!(c.holds(&who));
    let guarded = compile(r#"has(customer.attributes.vip) && customer.attributes.vip"#);
    assert!(!guarded.holds(&who));
    who.customer.attributes.insert("vip".into(), json!(true));
    assert!(guarded.holds(&who));
    who.customer.attributes.insert("age".into(), json!(31));
    assert!(compile("customer.attributes.age >= 30").holds(&who));
}

#[test]
fn items_condition_matches_sku_of_triggering_order() {
    let c = compile(
        r#"customer.language == "fa" && occurrence.skus.exists(s, s.startsWith("GRINDER"))"#,
    );
    assert!(c.needs().items);
    let mut who = customer();
    assert!(c.holds(&who));
    who.occurrence.items.remove(0);
    assert!(!c.holds(&who));
    assert_eq!(
        c.explain(&who).detail,
        r#"occurrence.skus.exists(s, s.startsWith("GRINDER")) is false (occurrence.skus = ["MUG-1", "FILTER-9"])"#
    );
    let by_item = compile(r#"occurrence.items.exists(i, i.category == "coffee" && i.qty >= 1)"#);
    assert!(by_item.holds(&who));
    let by_category =
        compile(r#""coffee" in occurrence.categories && size(occurrence.categories) == 2"#);
    assert!(
        by_category.holds(&who),
        "{}",
        by_category.explain(&who).detail
    );
}

#[test]
fn null_comparison_does_not_hold_and_explains() {
    let c = compile("survey.last_score > 8");
    let who = customer();
    assert!(!c.holds(&who));
    let v = c.explain(&who);
    assert!(!v.holds);
    assert_eq!(
        v.detail,
        "survey.last_score > 8 cannot be evaluated: survey.last_score is null"
    );
    let guarded = compile("survey.last_score != null && survey.last_score > 8");
    assert_eq!(
        guarded.explain(&who).detail,
        "survey.last_score != null is false (survey.last_score = null)"
    );
}

#[test]
fn needs_reflect_fields_read() {
    let needs = |s: &str| compile(s).needs();
    assert_eq!(
        needs("orders.count >= 2 && level.current == \"reactive\""),
        Needs::default()
    );
    assert!(needs("engagement.days_since_open < 30").opens);
    assert!(!needs("engagement.days_since_click < 30").opens);
    assert!(needs("survey.nps_group == \"promoter\"").survey);
    assert!(needs("has(customer.attributes.vip)").attributes);
    assert!(needs("\"coffee\" in occurrence.categories").items);
    assert!(needs("occurrence.items.all(i, i.qty == 1)").items);
    assert!(!needs("occurrence.kind == \"order\"").any());
}

#[test]
fn explain_names_failing_conjunct_with_value() {
    let c = compile(r#"customer.language == "fa" && orders.count >= 2 && referrals.count == 0"#);
    let v = c.explain(&customer());
    assert!(!v.holds);
    assert_eq!(v.detail, "orders.count >= 2 is false (orders.count = 1)");
}

#[test]
fn explain_of_a_pass_shows_the_values_read() {
    let c = compile(r#"customer.language == "fa" && orders.margin > 100"#);
    let v = c.explain(&customer());
    assert!(v.holds);
    assert_eq!(
        v.detail,
        r#"holds (customer.language = "fa", orders.margin = 120.5)"#
    );
}

#[test]
fn levels_are_lowercase_names_and_previous_is_null_until_changed() {
    let c = compile(r#"level.current == "reactive" && level.previous == null"#);
    let mut who = customer();
    assert!(c.holds(&who));
    who.level.previous = Some(Level::Proactive);
    assert!(!c.holds(&who));
    assert!(compile(r#"level.previous == "proactive""#).holds(&who));
}

#[test]
fn timestamps_compare_with_cel_timestamps() {
    let c = compile(r#"customer.created_at < timestamp("2024-06-01T00:00:00Z")"#);
    let mut who = customer();
    assert!(c.holds(&who));
    assert!(compile("customer.created_at.getFullYear() == 2024").holds(&who));
    who.customer.created_at = None;
    assert!(!c.holds(&who));
}

#[test]
fn event_data_is_read_from_occurrence_data() {
    let c = compile("occurrence.data.cart_value > 50.0");
    let mut who = customer();
    who.occurrence.data.insert("cart_value".into(), json!(75.5));
    assert!(c.holds(&who));
    assert!(!c.needs().any());
}

#[test]
fn a_false_part_is_named_before_a_null_one() {
    let c = compile("survey.last_score > 8 && orders.count >= 2");
    let v = c.explain(&customer());
    assert!(!v.holds);
    assert_eq!(v.detail, "orders.count >= 2 is false (orders.count = 1)");
}

#[test]
fn values_lists_the_fields_read_with_their_values() {
    let c =
        compile(r#"customer.language == "fa" && survey.last_score > 8 && customer.attributes.vip"#);
    assert_eq!(
        c.values(&customer()),
        [
            ("customer.language".to_string(), r#""fa""#.to_string()),
            ("survey.last_score".to_string(), "null".to_string()),
            ("customer.attributes.vip".to_string(), "not set".to_string()),
        ]
    );
}

#[test]
fn a_condition_is_shared_across_threads() {
    fn shared<T: Send + Sync + Clone + 'static>() {}
    shared::<Condition>();
}

#[test]
fn timing_of_a_simple_evaluation() {
    // Not a benchmark: a guard against an evaluation that copies the whole context (the
    // bound is loose for a debug build on a busy machine). Read the figures with
    // `cargo test --lib conditions::tests::evaluate::timing -- --nocapture`.
    let simple = compile(r#"customer.language == "fa" && orders.count >= 1"#);
    let items = compile(r#"occurrence.skus.exists(s, s.startsWith("GRINDER"))"#);
    let attribute = compile(r#"customer.attributes.source == "friend""#);
    let mut who = customer();
    for (k, v) in [("source", "friend"), ("city", "Tehran"), ("plan", "gold")] {
        who.customer.attributes.insert(k.into(), json!(v));
    }
    for (name, cond) in [
        ("simple", &simple),
        ("items", &items),
        ("attribute", &attribute),
    ] {
        let n = 20_000;
        let start = std::time::Instant::now();
        let mut passed = 0;
        for _ in 0..n {
            passed += usize::from(cond.holds(&who));
        }
        let per = start.elapsed() / n;
        assert_eq!(passed, n as usize);
        println!("{name}: {per:?} per evaluation");
        assert!(
            per < std::time::Duration::from_micros(200),
            "{name}: {per:?}"
        );
    }
}

#[test]
fn date_parts_count_as_cel_says() {
    // 2024-03-01 (UTC) was a Friday; CEL counts months from 0 and weekdays from Sunday = 0.
    let who = customer();
    assert!(compile("customer.created_at.getMonth() == 2").holds(&who));
    assert!(compile("customer.created_at.getDayOfWeek() == 5").holds(&who));
}
