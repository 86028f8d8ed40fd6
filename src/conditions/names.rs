//! The names an expression reads: every identifier must be a root of the context or a
//! variable of `exists`/`all`/…, every field selected on a root must be documented. What it
//! reads decides the lookups the planner makes (`Needs`).

use super::schema::{self, ROOTS};
use super::span::{children, node_offset};
use super::{ConditionError, Needs};
use cel::IdedExpr;
use cel::common::ast::{Expr, LiteralValue, SourceInfo, operators};

/// CEL's type names, which an expression may write as values (`type(x) == string`).
const TYPE_NAMES: &[&str] = &[
    "bool",
    "bytes",
    "double",
    "duration",
    "dyn",
    "int",
    "list",
    "map",
    "null_type",
    "string",
    "timestamp",
    "type",
    "uint",
];

const ORDERING: &[&str] = &[
    operators::LESS,
    operators::LESS_EQUALS,
    operators::GREATER,
    operators::GREATER_EQUALS,
];

/// The fields `expr` reads, or what is wrong with its names.
pub(super) fn check(
    source: &str,
    info: &SourceInfo,
    expr: &IdedExpr,
) -> Result<Needs, Vec<ConditionError>> {
    let mut walk = Walk {
        source,
        info,
        needs: Needs::default(),
        errors: Vec::new(),
        scope: Vec::new(),
        item_vars: Vec::new(),
    };
    walk.expr(expr);
    if walk.errors.is_empty() {
        Ok(walk.needs)
    } else {
        walk.errors.sort_by_key(|e| e.offset);
        walk.errors.dedup();
        Err(walk.errors)
    }
}

/// `root.field` when `expr` is a field of a root (not a comprehension variable that happens to
/// bear a root's name): `customer.language`, `has(customer.language)`, `customer.?language`.
pub(super) fn root_field<'e>(expr: &'e IdedExpr, scope: &[String]) -> Option<(&'e str, &'e str)> {
    let (operand, field) = match &expr.expr {
        Expr::Select(s) => (&s.operand.expr, s.field.as_str()),
        Expr::Call(c) if c.func_name == operators::OPT_SELECT && c.args.len() == 2 => {
            match &c.args[1].expr {
                Expr::Literal(LiteralValue::String(f)) => (&c.args[0].expr, f.inner()),
                _ => return None,
            }
        }
        _ => return None,
    };
    match operand {
        Expr::Ident(root) if schema::is_root(root) && !scope.iter().any(|v| v == root) => {
            Some((root.as_str(), field))
        }
        _ => None,
    }
}

struct Walk<'s> {
    source: &'s str,
    info: &'s SourceInfo,
    needs: Needs,
    errors: Vec<ConditionError>,
    /// The variables of the comprehensions around the node.
    scope: Vec<String>,
    /// Those of them that stand for a line of `occurrence.items`.
    item_vars: Vec<String>,
}

impl Walk<'_> {
    fn expr(&mut self, e: &IdedExpr) {
        if let Some((root, field)) = root_field(e, &self.scope) {
            if matches!(&e.expr, Expr::Select(s) if s.test) && schema::find(root, field).is_some() {
                // The context's fields are always present, `null` or not: `has()` would be
                // true for a customer who never signed up.
                let message = format!(
                    "`has({root}.{field})` is always true: to ask whether it has a value, \
                     write `{root}.{field} != null`"
                );
                let from = node_offset(self.info, e.id).unwrap_or(0);
                let offset = field_offset(self.source, from, field);
                return self.errors.push(ConditionError { offset, message });
            }
            return self.field(e, root, field);
        }
        match &e.expr {
            Expr::Ident(name) => self.ident(e, name),
            Expr::Comprehension(c) => {
                self.expr(&c.iter_range);
                let (bound, items_bound) = (self.scope.len(), self.item_vars.len());
                if root_field(&c.iter_range, &self.scope) == Some(("occurrence", "items")) {
                    // `exists(i, …)` binds the line; `exists(n, i, …)` its index, then the line.
                    let line = c.iter_var2.as_ref().unwrap_or(&c.iter_var);
                    self.item_vars.push(line.clone());
                }
                self.scope.push(c.iter_var.clone());
                self.scope.extend(c.iter_var2.clone());
                self.scope.push(c.accu_var.clone());
                for part in [&c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                    self.expr(part);
                }
                self.scope.truncate(bound);
                self.item_vars.truncate(items_bound);
            }
            Expr::Select(s) if matches!(&s.operand.expr, Expr::Ident(v) if self.item_vars.contains(v)) =>
            {
                self.item_field(e, &s.operand, &s.field);
            }
            Expr::Struct(s) => self.error(
                e,
                format!(
                    "`{}{{…}}` builds a message; conditions read the customer's fields",
                    s.type_name
                ),
            ),
            Expr::Call(c) if ORDERING.contains(&c.func_name.as_str()) => {
                let level = c
                    .args
                    .iter()
                    .find_map(|a| match root_field(a, &self.scope) {
                        Some(("level", f @ ("current" | "target" | "previous"))) => Some(f),
                        _ => None,
                    });
                if let Some(field) = level {
                    // Levels are names: `<` would put "proactive" before "reactive".
                    let message = format!(
                        "levels are names, and `{}` would compare them alphabetically: list the \
                         ones you mean, e.g. `level.{field} in [\"proactive\", \"partnership\"]`",
                        c.func_name.trim_matches('_')
                    );
                    return self.error(e, message);
                }
                for child in children(e) {
                    self.expr(child);
                }
            }
            _ => {
                for child in children(e) {
                    self.expr(child);
                }
            }
        }
    }

    fn ident(&mut self, e: &IdedExpr, name: &str) {
        if self.scope.iter().any(|v| v == name) || TYPE_NAMES.contains(&name) {
            return;
        }
        let message = if ROOTS.contains(&name) {
            schema::root_without_field_message(name)
        } else {
            schema::unknown_name_message(name)
        };
        self.error(e, message);
    }

    fn field(&mut self, e: &IdedExpr, root: &str, field: &str) {
        if schema::find(root, field).is_some() {
            self.needs = self.needs.union(schema::needs_of(root, field));
        } else {
            let from = node_offset(self.info, e.id).unwrap_or(0);
            self.errors.push(ConditionError {
                offset: field_offset(self.source, from, field),
                message: schema::unknown_field_message(root, field),
            });
        }
        // What is selected below a documented field (`customer.attributes.source`) is the
        // customer's own: any key is fine, the type check sees the rest.
    }

    /// `i.sku` where `i` is a line of `occurrence.items`.
    fn item_field(&mut self, e: &IdedExpr, var: &IdedExpr, field: &str) {
        if !schema::ITEM_FIELDS.contains(&field) {
            let from = node_offset(self.info, e.id).unwrap_or(0);
            let var = match &var.expr {
                Expr::Ident(v) => v.as_str(),
                _ => "item",
            };
            self.errors.push(ConditionError {
                offset: field_offset(self.source, from, field),
                message: schema::unknown_item_field_message(var, field),
            });
        }
    }

    fn error(&mut self, e: &IdedExpr, message: String) {
        let offset = node_offset(self.info, e.id).unwrap_or(0);
        self.errors.push(ConditionError { offset, message });
    }
}

/// Where the name `field` of a selection is written: the parser places a selection at its dot,
/// and a `has(…)` at `has`; the field is the first `field` after a dot from there.
fn field_offset(source: &str, from: usize, field: &str) -> usize {
    let mut at = from.min(source.len());
    while let Some(i) = source.get(at..).and_then(|s| s.find(field)) {
        let pos = at + i;
        let before = source[..pos].trim_end().trim_end_matches('?');
        if before.ends_with('.') {
            return pos;
        }
        at = pos + field.len();
    }
    from
}
