//! The conditions' tests: what compiling reports here, what evaluating gives in
//! `tests/evaluate.rs`, and that docs/conditions.md says what the code does in `tests/docs.rs`.

mod docs;
mod evaluate;

use super::*;
use crate::domain::{Level, OrderItem};

/// A Persian customer at the reactive level with one order, who never answered a survey.
pub(super) fn customer() -> ConditionContext {
    let mut c = ConditionContext::default();
    c.customer.id = "c-1".into();
    c.customer.locale = "fa-IR".into();
    c.customer.language = "fa".into();
    c.customer.timezone = "Asia/Tehran".into();
    c.customer.created_at = "2024-03-01T10:00:00Z".parse().ok();
    c.customer.days_since_signup = Some(40);
    c.level.current = Level::Reactive;
    c.level.target = Level::Accountable;
    c.orders.count = 1;
    c.orders.margin = 120.5;
    c.orders.days_since_first = Some(20);
    c.orders.days_since_last = Some(20);
    c.occurrence.kind = "order".into();
    c.occurrence.id = "order:o-1".into();
    c.occurrence.items = vec![
        item("GRINDER-200", Some("coffee")),
        item("MUG-1", Some("kitchen")),
        item("FILTER-9", Some("coffee")),
    ];
    c
}

fn item(sku: &str, category: Option<&str>) -> OrderItem {
    OrderItem {
        sku: sku.into(),
        name: format!("{sku} name"),
        category: category.map(str::to_string),
        qty: Some(1),
    }
}

pub(super) fn compile(source: &str) -> Condition {
    Condition::compile(source).unwrap_or_else(|e| panic!("{source}: {e:?}"))
}

pub(super) fn only_error(source: &str) -> ConditionError {
    let errors = Condition::compile(source).expect_err(source);
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.into_iter().next().unwrap()
}

#[test]
fn unknown_field_is_reported_at_its_column() {
    let source = "orders.count >= 2 && orders.cuont > 1";
    let e = only_error(source);
    assert_eq!(e.offset, source.find("cuont").unwrap());
    assert_eq!(
        e.message,
        "unknown field `orders.cuont`: did you mean `orders.count`? \
         (orders has: count, margin, days_since_first, days_since_last)"
    );
}

#[test]
fn unknown_field_after_non_ascii_text_is_reported_at_its_byte_offset() {
    let source = r#"customer.attributes.city == "تهران" && survey.scor > 8"#;
    let e = only_error(source);
    assert_eq!(e.offset, source.find("scor").unwrap());
    assert!(
        e.message.contains("did you mean `survey.last_score`?")
            || e.message.contains("survey has:"),
        "{}",
        e.message
    );
}

#[test]
fn unknown_field_inside_has_is_reported() {
    let source = "has(customer.langauge)";
    let e = only_error(source);
    assert_eq!(e.offset, source.find("langauge").unwrap());
    assert!(
        e.message.contains("did you mean `customer.language`?"),
        "{}",
        e.message
    );
}

#[test]
fn unknown_name_suggests_a_root() {
    let e = only_error(r#"custmer.language == "fa""#);
    assert_eq!(e.offset, 0);
    assert!(
        e.message
            .starts_with("unknown name `custmer`: did you mean `customer`?"),
        "{}",
        e.message
    );
}

#[test]
fn a_root_alone_is_not_a_value() {
    let e = only_error("orders > 1");
    assert_eq!(e.offset, 0);
    assert!(
        e.message.starts_with("`orders` is a group of fields"),
        "{}",
        e.message
    );
}

#[test]
fn suffixed_field_suggests_the_documented_one() {
    let e = only_error("orders.count_365d >= 2");
    assert!(
        e.message.contains("did you mean `orders.count`?"),
        "{}",
        e.message
    );
}

#[test]
fn syntax_error_points_into_the_expression() {
    let source = "orders.count >= 2 && ";
    let e = only_error(source);
    assert_eq!(e.offset, source.len());
    assert_eq!(e.message, "syntax error: unexpected end of the expression");

    let source = r#"customer.attributes.city == "تهران" && orders.count >= )"#;
    let e = only_error(source);
    assert_eq!(e.offset, source.find(')').unwrap(), "{}", e.message);
    assert!(e.message.starts_with("syntax error:"), "{}", e.message);
}

#[test]
fn empty_condition_is_an_error() {
    let e = only_error("  ");
    assert_eq!(e.offset, 0);
}

#[test]
fn type_error_is_reported() {
    let e = only_error("customer.locale > 3");
    assert_eq!(e.offset, 0);
    assert_eq!(
        e.message,
        "`customer.locale > 3`: `>` cannot compare text (string) with a whole number (int)"
    );
}

#[test]
fn type_error_behind_a_short_circuit_is_reported_where_it_is() {
    let source = r#"customer.language == "xx" && customer.created_at > "2024-01-01""#;
    let e = only_error(source);
    assert_eq!(e.offset, source.find("customer.created_at").unwrap());
    assert!(e.message.contains("date-time"), "{}", e.message);
}

#[test]
fn null_fields_are_not_type_errors() {
    for source in [
        "survey.last_score > 8",
        "orders.days_since_last > 30",
        "level.previous == \"proactive\"",
        "customer.created_at < timestamp(\"2025-01-01T00:00:00Z\")",
    ] {
        compile(source);
    }
}

#[test]
fn unknown_function_is_reported() {
    let e = only_error("orders.count.twice() > 2");
    assert!(e.message.contains("twice"), "{}", e.message);
}

#[test]
fn result_must_be_true_or_false() {
    let e = only_error("orders.count + 1");
    assert_eq!(e.offset, 0);
    assert!(
        e.message.starts_with("the condition must be true or false"),
        "{}",
        e.message
    );
}

#[test]
fn item_field_typo_is_reported() {
    let source =
        r#"occurrence.items.exists(i, i.sku == "A") && occurrence.items.all(x, x.qyt > 0)"#;
    let e = only_error(source);
    assert_eq!(e.offset, source.find("qyt").unwrap());
    assert_eq!(
        e.message,
        "unknown field `x.qyt` of an order line: did you mean `x.qty`? \
         (a line has: sku, name, category, qty)"
    );
}

#[test]
fn syntax_errors_name_the_common_slips() {
    let e = only_error(r#"customer.language == "fa" and orders.count > 1"#);
    assert_eq!(e.offset, 26);
    assert_eq!(
        e.message,
        r#"syntax error: unexpected `and`: write `&&` for "and""#
    );
    let e = only_error(r#"customer.language = "fa""#);
    assert_eq!(
        e.message,
        "syntax error: `=` alone compares nothing: write `==`"
    );
    let e = only_error("customer.language == 'fa");
    assert_eq!(e.offset, 21);
    assert_eq!(
        e.message,
        "syntax error: a text is not closed: add the closing '"
    );
}

#[test]
fn has_on_a_field_of_the_context_is_refused() {
    // `has()` asks whether a key is present; the context's fields always are, `null` or not.
    let e = only_error("has(customer.created_at) && orders.count > 1");
    assert_eq!(e.offset, "has(customer.".len());
    assert_eq!(
        e.message,
        "`has(customer.created_at)` is always true: to ask whether it has a value, \
         write `customer.created_at != null`"
    );
    compile("has(customer.attributes.source) && has(occurrence.data.cart_value)");
}

#[test]
fn ordering_levels_is_refused() {
    let source = r#"orders.count > 1 && level.current >= "proactive""#;
    let e = only_error(source);
    assert_eq!(e.offset, source.find(">=").unwrap());
    assert!(
        e.message
            .starts_with("levels are names, and `>=` would compare them alphabetically"),
        "{}",
        e.message
    );
    compile(r#"level.current in ["proactive", "partnership"] && level.current != level.target"#);
}
