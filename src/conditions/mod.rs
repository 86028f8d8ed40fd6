//! Conditions: the `where` of campaigns and segments, written in Google's Common Expression
//! Language (CEL) over the typed customer view of [`ConditionContext`]. Compiled once when the
//! campaign files are loaded; evaluated by the planner only for customers a campaign is
//! otherwise due for.
//!
//! CEL (the `cel` crate): a standard, non-Turing-complete language with a spec, used by
//! Kubernetes, Envoy and Firebase; marketers' expressions can neither loop forever nor touch
//! anything but the context. Compiling parses, checks every name against the documented fields
//! ([`fields`]), tries the expression on sample customers for type errors, and prepares
//! `explain`; evaluating builds only the fields the expression reads.

mod explain;
mod names;
mod schema;
mod span;
mod types;
mod values;

#[cfg(test)]
mod tests;

pub use schema::{FieldDoc, fields};

use crate::domain::ConditionContext;
use cel::common::types::CelBool;
use std::sync::Arc;

/// A compiled `where` expression.
#[derive(Clone)]
pub struct Condition {
    inner: Arc<Inner>,
}

struct Inner {
    source: String,
    needs: Needs,
    program: cel::Program,
    explainer: explain::Explainer,
}

impl std::fmt::Debug for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Condition({:?})", self.inner.source)
    }
}

/// A problem in an expression, at a byte offset of its source, for `file:line:col` messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    pub offset: usize,
    pub message: String,
}

/// The parts of the context that cost a per-customer lookup, and whether an expression reads
/// them (the rest comes with the facts every cycle reads anyway).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// `customer.attributes`
    pub attributes: bool,
    /// `engagement.days_since_open`
    pub opens: bool,
    /// `survey.*`
    pub survey: bool,
    /// `occurrence.items`, `occurrence.skus`, `occurrence.categories`
    pub items: bool,
}

impl Needs {
    pub fn any(&self) -> bool {
        self.attributes || self.opens || self.survey || self.items
    }

    pub fn union(self, o: Needs) -> Needs {
        Needs {
            attributes: self.attributes || o.attributes,
            opens: self.opens || o.opens,
            survey: self.survey || o.survey,
            items: self.items || o.items,
        }
    }
}

/// The outcome of an expression for one customer, with what a marketer reads in `explain`:
/// `orders.count >= 2 is false (1)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub holds: bool,
    pub detail: String,
}

impl Condition {
    /// Parses and checks an expression: syntax, known fields, types, a boolean result.
    pub fn compile(source: &str) -> Result<Condition, Vec<ConditionError>> {
        if source.trim().is_empty() {
            return Err(vec![ConditionError {
                offset: 0,
                message: "the condition is empty: write one, e.g. `orders.count >= 2`".into(),
            }]);
        }
        let program = values::env()
            .compile(source)
            .map_err(|e| vec![span::syntax_error(source, &e)])?;
        let (info, expr) = (program.source_info(), program.expression());
        let needs = names::check(source, info, expr)?;
        let errors = types::check(source, info, expr);
        if !errors.is_empty() {
            return Err(errors);
        }
        let explainer = explain::Explainer::new(source, info, expr);
        Ok(Condition {
            inner: Arc::new(Inner {
                source: source.to_string(),
                needs,
                program,
                explainer,
            }),
        })
    }

    pub fn source(&self) -> &str {
        &self.inner.source
    }

    pub fn needs(&self) -> Needs {
        self.inner.needs
    }

    /// Whether the customer passes. An evaluation error (a `null` compared, a missing
    /// attribute) does not pass.
    pub fn holds(&self, ctx: &ConditionContext) -> bool {
        matches!(self.evaluate(ctx), Ok(true))
    }

    /// Whether the customer passes, and why (not) in words: `orders.count >= 2 is false
    /// (orders.count = 1)`, `survey.last_score > 8 cannot be evaluated: survey.last_score is
    /// null`, `holds (customer.language = "fa")`.
    pub fn explain(&self, ctx: &ConditionContext) -> Verdict {
        let result = self.evaluate(ctx).map_err(|e| e.to_string());
        Verdict {
            holds: result == Ok(true),
            detail: self.inner.explainer.detail(ctx, &result),
        }
    }

    /// The fields the expression reads, each with its value for this customer as `explain`
    /// writes it: `[("orders.count", "1"), ("customer.language", "\"fa\"")]` — what decided,
    /// for a sample of `segment show`.
    /// Whether the customer fails before anything a lookup brings is read: a top-level `&&`
    /// part reading only the facts is false (`customer.language == "fa" && occurrence.skus…`
    /// for an English customer). The planner then spares the lookup.
    pub fn false_without_lookup(&self, ctx: &ConditionContext) -> bool {
        self.inner.explainer.false_without_lookup(ctx)
    }

    pub fn values(&self, ctx: &ConditionContext) -> Vec<(String, String)> {
        self.inner.explainer.values(ctx)
    }

    /// True or false, or why neither. Reads the result in place (converting it to a
    /// `cel::Value` would copy it) and words nothing: `holds` runs for every customer.
    fn evaluate(&self, ctx: &ConditionContext) -> Result<bool, Failure> {
        let roots = values::Roots(ctx);
        let cel = roots.context();
        match cel::Value::resolve_val(self.inner.program.expression(), &cel) {
            Ok(v) => match v.downcast_ref::<CelBool>() {
                Some(b) => Ok(*b.inner()),
                None => Err(Failure::NotBool),
            },
            Err(e) => Err(Failure::Error(e)),
        }
    }
}

/// Why an evaluation gave neither true nor false.
enum Failure {
    /// A free attribute or event field held something else than true/false.
    NotBool,
    Error(cel::ExecutionError),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NotBool => write!(f, "the result is not true or false"),
            Failure::Error(e) => write!(f, "{e}"),
        }
    }
}
