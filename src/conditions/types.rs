//! Type errors, found by trying: every sub-expression that stands on its own (no variable of an
//! `exists`/`all` around it) is evaluated against sample customers — one with every field
//! set, one with every optional field `null`. A "no such overload" on values that are not
//! `null` (`customer.locale > 3`) is a mistake in the expression, whoever the customer; a
//! `null` compared only means this customer has no such value yet. Evaluating each node on
//! its own defeats the short-circuits of `&&`, `||` and `?:`, which would hide the other side.

use super::ConditionError;
use super::span::{children, text_range};
use super::values::Roots;
use crate::domain::condition_context::{
    CustomerView, EngagementView, LevelView, OccurrenceView, OrdersView, ReferralsView, SurveyView,
};
use crate::domain::{ConditionContext, Level, OrderItem};
use cel::common::ast::{Expr, SourceInfo, operators};
use cel::common::types::CelBool;
use cel::{ExecutionError, IdedExpr, Value};

/// What is wrong with the types of `expr`, each problem at the start of the smallest
/// sub-expression that shows it; and whether it gives true or false at all.
pub(super) fn check(source: &str, info: &SourceInfo, expr: &IdedExpr) -> Vec<ConditionError> {
    let samples = samples();
    let mut errors = Vec::new();
    for sample in &samples {
        let roots = Roots(sample);
        let ctx = roots.context();
        let mut try_node = |node: &IdedExpr| -> bool {
            let Err(err) = Value::resolve_val(node, &ctx) else {
                return false;
            };
            let Some(problem) = describe(&err) else {
                return false;
            };
            let (start, end) = text_range(source, info, node);
            errors.push(ConditionError {
                offset: start,
                message: format!("`{}`: {problem}", source[start..end].trim()),
            });
            true
        };
        walk(expr, &mut try_node);
        if let Ok(v) = Value::resolve_val(expr, &ctx)
            && v.downcast_ref::<CelBool>().is_none()
        {
            errors.push(ConditionError {
                offset: 0,
                message: format!(
                    "the condition must be true or false, but it gives {}",
                    type_words(v.get_type().name())
                ),
            });
        }
    }
    errors.sort_by_key(|e| e.offset);
    errors.dedup();
    errors
}

/// Post-order over the nodes that stand on their own; returns (the variables a node uses from
/// around it, whether a problem was reported in it). A node over a reported problem is not
/// tried again: it would only repeat it.
fn walk(e: &IdedExpr, try_node: &mut impl FnMut(&IdedExpr) -> bool) -> (Vec<String>, bool) {
    let (free, reported) = match &e.expr {
        Expr::Ident(name) if !super::schema::is_root(name) => (vec![name.clone()], false),
        Expr::Comprehension(c) => {
            let (mut free, mut reported) = walk(&c.iter_range, try_node);
            let mut inner = Vec::new();
            for part in [&c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                let (f, r) = walk(part, try_node);
                inner.extend(f);
                reported |= r;
            }
            let own = |v: &String| {
                *v == c.iter_var || Some(v) == c.iter_var2.as_ref() || *v == c.accu_var
            };
            free.extend(inner.into_iter().filter(|v| !own(v)));
            (free, reported)
        }
        _ => {
            let mut free = Vec::new();
            let mut reported = false;
            for child in children(e) {
                let (f, r) = walk(child, try_node);
                free.extend(f);
                reported |= r;
            }
            (free, reported)
        }
    };
    let tried = matches!(
        e.expr,
        Expr::Call(_) | Expr::Select(_) | Expr::Comprehension(_)
    );
    if tried && free.is_empty() && !reported {
        return (free, try_node(e));
    }
    (free, reported)
}

/// The mistake an evaluation error shows, in a marketer's words; `None` when it only says this
/// customer lacks a value (`null`, a missing attribute) or depends on the numbers (÷ 0).
pub(super) fn describe(err: &ExecutionError) -> Option<String> {
    let involves_null = |types: &[String]| types.iter().any(|t| t == "null_type");
    Some(match err {
        ExecutionError::NoSuchOverload(o) if !involves_null(o.argument_types()) => {
            overload_words(o.function(), o.argument_types(), o.is_member_function())
        }
        ExecutionError::ValuesNotComparable(a, b)
        | ExecutionError::UnsupportedBinaryOperator(_, a, b)
            if *a != Value::Null && *b != Value::Null =>
        {
            format!(
                "cannot compare or combine {} with {}",
                type_words(&a.type_of().to_string()),
                type_words(&b.type_of().to_string())
            )
        }
        ExecutionError::UnexpectedType { got, want } if got != "null_type" => {
            format!("expected {}, got {}", type_words(want), type_words(got))
        }
        ExecutionError::UndeclaredReference(name) => format!("unknown function `{name}`"),
        ExecutionError::InvalidArgumentCount { expected, actual } => {
            format!("takes {expected} argument(s), not {actual}")
        }
        ExecutionError::FunctionError { function, message } => {
            // A bad pattern's message spans several lines (with a caret): one is enough.
            let words: Vec<&str> = message.split_whitespace().collect();
            format!("`{function}`: {}", words.join(" "))
        }
        ExecutionError::NotSupportedAsMethod { method, target } if *target != Value::Null => {
            format!(
                "`{method}` cannot be called on {}",
                type_words(&target.type_of().to_string())
            )
        }
        _ => return None,
    })
}

fn overload_words(function: &str, types: &[String], member: bool) -> String {
    let t = |i: usize| {
        types
            .get(i)
            .map_or("nothing".to_string(), |s| type_words(s))
    };
    match function {
        operators::GREATER
        | operators::GREATER_EQUALS
        | operators::LESS
        | operators::LESS_EQUALS => {
            let op = function.trim_matches('_');
            format!("`{op}` cannot compare {} with {}", t(0), t(1))
        }
        operators::ADD
        | operators::SUBSTRACT
        | operators::MULTIPLY
        | operators::DIVIDE
        | operators::MODULO => {
            let op = function.trim_matches('_');
            format!("`{op}` cannot combine {} and {}", t(0), t(1))
        }
        operators::LOGICAL_AND | operators::LOGICAL_OR | operators::LOGICAL_NOT => {
            let op = function.trim_matches('_');
            format!("`{op}` needs true or false, not {}", t(0))
        }
        operators::IN => format!("`in` cannot look for {} in {}", t(0), t(1)),
        operators::INDEX => format!("{} cannot be indexed with {}", t(0), t(1)),
        "_._" => format!("{} has no fields", t(0)),
        f if member => {
            let args: Vec<String> = (1..types.len()).map(t).collect();
            if args.is_empty() {
                format!("`{f}()` cannot be called on {}", t(0))
            } else {
                format!("`{f}` on {} does not take {}", t(0), args.join(", "))
            }
        }
        f => {
            let args: Vec<String> = (0..types.len()).map(t).collect();
            format!("`{f}` does not take {}", args.join(", "))
        }
    }
}

/// A CEL type as a marketer says it, with its CEL name for the docs.
pub(super) fn type_words(t: &str) -> String {
    let words = match t {
        "string" => "text",
        "int" | "uint" => "a whole number",
        "double" | "float" => "a decimal number",
        "bool" => "true/false",
        "timestamp" | "google.protobuf.Timestamp" => "a date-time",
        "duration" | "google.protobuf.Duration" => "a duration",
        "list" => "a list",
        "map" => "a map",
        "null_type" | "null" => return "null".to_string(),
        "rapport.context" => "a group of fields",
        other => return other.to_string(),
    };
    format!("{words} ({t})")
}

/// Two customers that between them give every field a value and every optional field `null`.
fn samples() -> [ConditionContext; 2] {
    let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    let item = |category: Option<&str>, qty| OrderItem {
        sku: "GRINDER-1".into(),
        name: "Coffee grinder".into(),
        category: category.map(str::to_string),
        qty,
    };
    let full = ConditionContext {
        customer: CustomerView {
            id: "c-1".into(),
            locale: "fa-IR".into(),
            language: "fa".into(),
            timezone: "Asia/Tehran".into(),
            created_at: Some(at),
            days_since_signup: Some(30),
            attributes: Default::default(),
        },
        level: LevelView {
            current: Level::Reactive,
            target: Level::Accountable,
            previous: Some(Level::Basic),
            days_at_level: Some(10),
        },
        orders: OrdersView {
            count: 2,
            margin: 12.5,
            days_since_first: Some(40),
            days_since_last: Some(3),
        },
        occurrence: OccurrenceView {
            kind: "order".into(),
            id: "order:o-1".into(),
            items: vec![item(Some("coffee"), Some(1))],
            data: Default::default(),
        },
        engagement: EngagementView {
            days_since_open: Some(1),
            days_since_click: Some(2),
            emails_30d: 3,
        },
        survey: SurveyView {
            last_score: Some(9),
            days_since_answer: Some(5),
            nps_group: Some("promoter"),
        },
        referrals: ReferralsView { count: 1 },
    };
    let mut empty = ConditionContext::default();
    empty.occurrence.items = vec![item(None, None)];
    [full, empty]
}
