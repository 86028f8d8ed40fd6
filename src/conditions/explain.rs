//! Why a condition holds or not, in the words of its own source: the top-level `&&` parts
//! (conjuncts) are tried one by one, and the first that fails is named with the values it read
//! — `orders.count >= 2 is false (orders.count = 1)`. Prepared at compile time, so that only an
//! `explain` pays for it, never `holds`.

use super::names::root_field;
use super::span::{children, text_of};
use super::types::describe;
use super::values::Roots;
use crate::domain::ConditionContext;
use cel::common::ast::{Expr, SourceInfo, operators};
use cel::{Context, ExecutionError, IdedExpr, Value};
use std::fmt::Write;

/// The parts of an expression `explain` reports on.
pub(super) struct Explainer {
    conjuncts: Vec<Conjunct>,
    /// Every field path the whole expression reads, for the detail of a pass.
    paths: Vec<Part>,
}

/// A top-level `&&` part, with the field paths it reads.
struct Conjunct {
    part: Part,
    paths: Vec<Part>,
    /// It reads nothing a lookup brings (attributes, opens, survey, order lines).
    without_lookup: bool,
}

/// Words in a part's text that may mean it reads what a lookup brings. Erring towards
/// "may" only costs a lookup, never a wrong answer.
const LOOKUP_WORDS: [&str; 6] = [
    "attributes",
    "days_since_open",
    "survey",
    "items",
    "skus",
    "categories",
];

/// A sub-expression and its source text.
struct Part {
    text: String,
    expr: IdedExpr,
}

impl Explainer {
    pub(super) fn new(source: &str, info: &SourceInfo, expr: &IdedExpr) -> Explainer {
        let mut conjuncts = Vec::new();
        flatten_and(expr, &mut conjuncts);
        let part = |e: &IdedExpr| {
            let text = text_of(source, info, e).to_string();
            let part = Part {
                text,
                expr: e.clone(),
            };
            let without_lookup = !LOOKUP_WORDS.iter().any(|w| part.text.contains(w));
            Conjunct {
                part,
                paths: paths(source, info, e),
                without_lookup,
            }
        };
        Explainer {
            conjuncts: conjuncts.into_iter().map(part).collect(),
            paths: paths(source, info, expr),
        }
    }

    /// Whether a top-level `&&` part that reads nothing a lookup brings is already false for
    /// this customer: then the whole is false, and the lookup can be spared.
    pub(super) fn false_without_lookup(&self, ctx: &ConditionContext) -> bool {
        let roots = Roots(ctx);
        let cel = roots.context();
        self.conjuncts.iter().any(|c| {
            c.without_lookup && matches!(Value::resolve(&c.part.expr, &cel), Ok(Value::Bool(false)))
        })
    }

    /// Each field path the expression reads, with its value for this customer (`null`, or
    /// `not set` for a missing attribute).
    pub(super) fn values(&self, ctx: &ConditionContext) -> Vec<(String, String)> {
        let roots = Roots(ctx);
        let cel = roots.context();
        self.paths
            .iter()
            .map(|p| {
                let v =
                    Value::resolve(&p.expr, &cel).map_or_else(|_| "not set".into(), |v| show(&v));
                (p.text.clone(), v)
            })
            .collect()
    }

    /// The detail for a customer the whole expression gave `result` for.
    pub(super) fn detail(&self, ctx: &ConditionContext, result: &Result<bool, String>) -> String {
        let roots = Roots(ctx);
        let cel = roots.context();
        if let Ok(true) = result {
            return match values(&cel, &self.paths) {
                v if v.is_empty() => "holds".to_string(),
                v => format!("holds ({v})"),
            };
        }
        let outcomes: Vec<(&Conjunct, Result<Value, ExecutionError>)> = self
            .conjuncts
            .iter()
            .map(|c| (c, Value::resolve(&c.part.expr, &cel)))
            .collect();
        // A false part decides, whatever the others give (`null > 1 && false` is false).
        if let Some((Conjunct { part, paths, .. }, _)) = outcomes
            .iter()
            .find(|(_, r)| matches!(r, Ok(Value::Bool(false))))
        {
            return match values(&cel, paths) {
                v if v.is_empty() => format!("{} is false", part.text),
                v => format!("{} is false ({v})", part.text),
            };
        }
        if let Some((Conjunct { part, paths, .. }, Err(err))) =
            outcomes.iter().find(|(_, r)| r.is_err())
        {
            return format!(
                "{} cannot be evaluated: {}",
                part.text,
                why(&cel, paths, err)
            );
        }
        if let Some((Conjunct { part, .. }, Ok(v))) = outcomes
            .iter()
            .find(|(_, r)| !matches!(r, Ok(Value::Bool(_))))
        {
            return format!("{} gives {}, not true or false", part.text, show(v));
        }
        match result {
            Err(e) => format!("cannot be evaluated: {e}"),
            _ => "does not hold".to_string(),
        }
    }
}

/// `a && b && c` → `[a, b, c]`, in source order; anything else is one part.
fn flatten_and<'e>(e: &'e IdedExpr, out: &mut Vec<&'e IdedExpr>) {
    match &e.expr {
        Expr::Call(c) if c.func_name == operators::LOGICAL_AND && c.args.len() == 2 => {
            flatten_and(&c.args[0], out);
            flatten_and(&c.args[1], out);
        }
        _ => out.push(e),
    }
}

/// The field paths an expression reads, outermost first and each once:
/// `customer.attributes.source`, `orders.count`.
fn paths(source: &str, info: &SourceInfo, expr: &IdedExpr) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::new();
    collect_paths(expr, &mut |e| {
        let text = text_of(source, info, e).to_string();
        if !out.iter().any(|p| p.text == text) {
            out.push(Part {
                text,
                expr: e.clone(),
            });
        }
    });
    out
}

/// Calls `f` on each longest chain of plain selections that starts at a root.
fn collect_paths<'e>(e: &'e IdedExpr, f: &mut impl FnMut(&'e IdedExpr)) {
    if is_root_path(e) {
        return f(e);
    }
    if let Expr::Select(s) = &e.expr
        && s.test
        && is_root_path(&s.operand)
    {
        // `has(customer.attributes.vip)`: the value is the presence, not the map.
        return;
    }
    for child in children(e) {
        collect_paths(child, f);
    }
}

fn is_root_path(e: &IdedExpr) -> bool {
    match &e.expr {
        Expr::Select(s) if !s.test => {
            root_field(e, &[]).is_some()
                || matches!(s.operand.expr, Expr::Select(_)) && is_root_path(&s.operand)
        }
        _ => false,
    }
}

/// `orders.count = 1, customer.language = "fa"`
fn values<'p>(cel: &Context, paths: impl IntoIterator<Item = &'p Part>) -> String {
    let mut out = String::new();
    for p in paths {
        if !out.is_empty() {
            out.push_str(", ");
        }
        match Value::resolve(&p.expr, cel) {
            Ok(v) => write!(out, "{} = {}", p.text, show(&v)),
            Err(_) => write!(out, "{} is not set", p.text),
        }
        .expect("writing to a String");
    }
    out
}

/// Why a part could not be evaluated: the `null` values it read, the attributes it missed, or
/// else the error itself.
fn why(cel: &Context, paths: &[Part], err: &ExecutionError) -> String {
    let mut reasons = Vec::new();
    for p in paths {
        match Value::resolve(&p.expr, cel) {
            Ok(Value::Null) => reasons.push(format!("{} is null", p.text)),
            Err(_) => reasons.push(format!("{} is not set", p.text)),
            Ok(_) => {}
        }
    }
    if let ExecutionError::NoSuchKey(key) = err
        && reasons.is_empty()
    {
        return format!("no value for `{key}`");
    }
    if reasons.is_empty() {
        describe(err).unwrap_or_else(|| err.to_string())
    } else {
        reasons.join(", ")
    }
}

/// A value as CEL writes it, shortened when long (a big attribute map).
pub(super) fn show(v: &Value) -> String {
    let mut s = String::new();
    write_value(&mut s, v);
    if s.chars().count() > 80 {
        s = s.chars().take(77).collect::<String>() + "…";
    }
    s
}

fn write_value(out: &mut String, v: &Value) {
    let _ = match v {
        Value::Null => write!(out, "null"),
        Value::Bool(b) => write!(out, "{b}"),
        Value::Int(i) => write!(out, "{i}"),
        Value::UInt(u) => write!(out, "{u}u"),
        Value::Float(f) => write!(out, "{f:?}"),
        Value::String(s) => write!(out, "{s:?}"),
        Value::Timestamp(t) => write!(
            out,
            "timestamp(\"{}\")",
            t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        ),
        Value::Duration(d) => write!(out, "duration(\"{}s\")", d.num_seconds()),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            write!(out, "]")
        }
        Value::Map(m) => {
            let mut entries: Vec<(String, &Value)> =
                m.map.iter().map(|(k, v)| (key(k), v)).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{k}: ");
                write_value(out, v);
            }
            write!(out, "}}")
        }
        other => write!(out, "{other:?}"),
    };
}

fn key(k: &cel::objects::Key) -> String {
    match k {
        cel::objects::Key::String(s) => format!("{s:?}"),
        cel::objects::Key::Int(i) => i.to_string(),
        cel::objects::Key::Uint(u) => format!("{u}u"),
        cel::objects::Key::Bool(b) => b.to_string(),
    }
}
