//! The context as CEL values, built on demand: an expression sees seven roots (`customer`,
//! `orders`, …) whose fields are made only when it reads them. The planner evaluates a
//! condition for up to hundreds of thousands of customers per cycle, and most expressions read
//! two or three fields: converting the whole context (attributes, items) each time would cost
//! far more than the evaluation.

use crate::domain::{ConditionContext, Level};
use cel::common::traits::Indexer;
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelTimestamp, Type,
};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::{Context, Env, ExecutionError};
use chrono::{DateTime, Utc};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// The standard library, its macros (`has`, `exists`, `all`, …) and the strings extension
/// (`lowerAscii`, `trim`, …): built once, shared by every compile and evaluation.
pub(super) fn env() -> &'static Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        cel::extensions::strings(&mut env).expect("the strings extension declares once");
        Arc::new(env)
    })
}

/// What the interpreter looks names up in: the seven roots of one customer's context.
pub(super) struct Roots<'a>(pub &'a ConditionContext);

impl Roots<'_> {
    /// An evaluation context over these roots (cheap: an `Arc` clone and empty maps).
    pub(super) fn context(&self) -> Context<'_, '_> {
        let mut ctx = Context::with_env(Arc::clone(env()));
        ctx.set_variable_resolver(self);
        ctx
    }
}

impl VariableResolver for Roots<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        let root = match variable {
            "customer" => Root::Customer,
            "level" => Root::Level,
            "orders" => Root::Orders,
            "occurrence" => Root::Occurrence,
            "engagement" => Root::Engagement,
            "survey" => Root::Survey,
            "referrals" => Root::Referrals,
            _ => return None,
        };
        Some(CowVal::owned(RootVal { root, ctx: self.0 }))
    }
}

#[derive(Debug, Clone, Copy)]
enum Root {
    Customer,
    Level,
    Orders,
    Occurrence,
    Engagement,
    Survey,
    Referrals,
}

/// A root of the context: a value with fields, made when selected.
#[derive(Debug, Clone, Copy)]
struct RootVal<'a> {
    root: Root,
    ctx: &'a ConditionContext,
}

static ROOT_TYPE: Type = Type::new_unspecified_type("rapport.context");

impl Val for RootVal<'_> {
    fn get_type(&self) -> &Type {
        &ROOT_TYPE
    }

    fn cel_type() -> &'static Type {
        &ROOT_TYPE
    }

    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn Indexer + 'v)>
    where
        Self: 'v,
    {
        Some(self)
    }

    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v>
    where
        Self: 'v,
    {
        Box::new(*self)
    }
}

impl<'a> Indexer for RootVal<'a> {
    fn get<'b, 'v>(&'b self, idx: &dyn Val) -> Result<CowVal<'b, 'v>, ExecutionError>
    where
        Self: 'v,
    {
        let name = idx
            .downcast_ref::<CelString>()
            .map(|s| s.inner())
            .unwrap_or_default();
        match field(self.ctx, self.root, name) {
            Some(v) => Ok(CowVal::Owned(v)),
            None => Err(ExecutionError::no_such_key(name)),
        }
    }

    fn steal<'v>(self: Box<Self>, idx: &dyn Val) -> Result<Box<dyn Val + 'v>, ExecutionError>
    where
        Self: 'v,
    {
        self.get(idx).map(CowVal::into_owned)
    }
}

type Boxed<'a> = Box<dyn Val + 'a>;

fn int(v: impl Into<i64>) -> Boxed<'static> {
    Box::new(CelInt::from(v.into()))
}

fn opt_int(v: Option<i64>) -> Boxed<'static> {
    v.map_or_else(null, int)
}

fn null() -> Boxed<'static> {
    Box::new(CelNull)
}

fn text(s: &str) -> Boxed<'_> {
    Box::new(CelString::from(s))
}

fn level(l: Level) -> Boxed<'static> {
    text(l.as_str())
}

fn time(t: Option<DateTime<Utc>>) -> Boxed<'static> {
    t.map_or_else(null, |t| Box::new(CelTimestamp::from(t.fixed_offset())))
}

fn texts<'a>(items: impl Iterator<Item = &'a str>) -> Boxed<'a> {
    Box::new(CelList::from(items.map(text).collect::<Vec<_>>()))
}

/// `root.name`, or `None` for a field the context does not have.
fn field<'a>(ctx: &'a ConditionContext, root: Root, name: &str) -> Option<Boxed<'a>> {
    Some(match (root, name) {
        (Root::Customer, "id") => text(&ctx.customer.id),
        (Root::Customer, "locale") => text(&ctx.customer.locale),
        (Root::Customer, "language") => text(&ctx.customer.language),
        (Root::Customer, "timezone") => text(&ctx.customer.timezone),
        (Root::Customer, "created_at") => time(ctx.customer.created_at),
        (Root::Customer, "days_since_signup") => opt_int(ctx.customer.days_since_signup),
        (Root::Customer, "attributes") => json_map(&ctx.customer.attributes),
        (Root::Level, "current") => level(ctx.level.current),
        (Root::Level, "target") => level(ctx.level.target),
        (Root::Level, "previous") => ctx.level.previous.map_or_else(null, level),
        (Root::Level, "days_at_level") => opt_int(ctx.level.days_at_level),
        (Root::Orders, "count") => int(ctx.orders.count),
        (Root::Orders, "margin") => Box::new(CelDouble::from(ctx.orders.margin)),
        (Root::Orders, "days_since_first") => opt_int(ctx.orders.days_since_first),
        (Root::Orders, "days_since_last") => opt_int(ctx.orders.days_since_last),
        (Root::Occurrence, "kind") => text(&ctx.occurrence.kind),
        (Root::Occurrence, "id") => text(&ctx.occurrence.id),
        (Root::Occurrence, "items") => items(ctx),
        (Root::Occurrence, "skus") => texts(ctx.occurrence.items.iter().map(|i| i.sku.as_str())),
        (Root::Occurrence, "categories") => texts(categories(ctx).into_iter()),
        (Root::Occurrence, "data") => json_map(&ctx.occurrence.data),
        (Root::Engagement, "days_since_open") => opt_int(ctx.engagement.days_since_open),
        (Root::Engagement, "days_since_click") => opt_int(ctx.engagement.days_since_click),
        (Root::Engagement, "emails_30d") => int(ctx.engagement.emails_30d),
        (Root::Survey, "last_score") => opt_int(ctx.survey.last_score),
        (Root::Survey, "days_since_answer") => opt_int(ctx.survey.days_since_answer),
        (Root::Survey, "nps_group") => ctx.survey.nps_group.map_or_else(null, text),
        (Root::Referrals, "count") => int(ctx.referrals.count),
        _ => return None,
    })
}

/// The distinct categories of the order's lines, in the order they first appear.
fn categories(ctx: &ConditionContext) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for c in ctx
        .occurrence
        .items
        .iter()
        .filter_map(|i| i.category.as_deref())
    {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

fn items(ctx: &ConditionContext) -> Boxed<'_> {
    let list = ctx.occurrence.items.iter().map(|i| {
        let entries: HashMap<CelMapKey<'_>, Boxed<'_>> = HashMap::from([
            (CelMapKey::from("sku"), text(&i.sku)),
            (CelMapKey::from("name"), text(&i.name)),
            (
                CelMapKey::from("category"),
                match i.category.as_deref() {
                    Some(c) => text(c),
                    None => null(),
                },
            ),
            (CelMapKey::from("qty"), opt_int(i.qty)),
        ]);
        Box::new(CelMap::from(entries)) as Boxed<'_>
    });
    Box::new(CelList::from(list.collect::<Vec<_>>()))
}

fn json_map(map: &serde_json::Map<String, Json>) -> Boxed<'_> {
    let entries: HashMap<CelMapKey<'_>, Boxed<'_>> = map
        .iter()
        .map(|(k, v)| (CelMapKey::from(k.as_str()), json(v)))
        .collect();
    Box::new(CelMap::from(entries))
}

/// A JSON value as CEL reads it: whole numbers as `int` (so `== 3` holds for `3`), other
/// numbers as `double`.
fn json(v: &Json) -> Boxed<'_> {
    match v {
        Json::Null => null(),
        Json::Bool(b) => Box::new(CelBool::from(*b)),
        Json::Number(n) => match n.as_i64() {
            Some(i) => int(i),
            None => Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
        },
        Json::String(s) => text(s),
        Json::Array(a) => Box::new(CelList::from(a.iter().map(json).collect::<Vec<_>>())),
        Json::Object(o) => json_map(o),
    }
}
