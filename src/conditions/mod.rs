//! Conditions: the `where` of campaigns and segments, written in Google's Common Expression
//! Language (CEL) over the typed customer view of [`ConditionContext`]. Compiled once when the
//! campaign files are loaded; evaluated by the planner only for customers a campaign is
//! otherwise due for.
//!
//! INTERFACE FIRST: the bodies below are placeholders until the CEL implementation lands.

use crate::domain::ConditionContext;
use std::sync::Arc;

/// A compiled `where` expression.
#[derive(Clone)]
pub struct Condition {
    inner: Arc<Inner>,
}

struct Inner {
    source: String,
    needs: Needs,
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
        Ok(Condition {
            inner: Arc::new(Inner {
                source: source.to_string(),
                needs: Needs::default(),
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
        self.explain(ctx).holds
    }

    /// Whether the customer passes, and why not in words.
    pub fn explain(&self, _ctx: &ConditionContext) -> Verdict {
        Verdict {
            holds: true,
            detail: String::new(),
        }
    }
}
