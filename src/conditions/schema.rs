//! The documented fields an expression may read (docs/conditions.md is written from this
//! table), what each costs (`Needs`), and the words for a misspelt one.

use super::Needs;

/// One field of the condition context, as a marketer reads it in docs/conditions.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDoc {
    /// `customer`, `orders`, …
    pub root: &'static str,
    /// `language`, `count`, …
    pub field: &'static str,
    /// The CEL type: `string`, `int`, `double`, `timestamp`, `list(string)`, `map`, …
    pub ty: &'static str,
    /// When it is `null` (`None`: never).
    pub null_when: Option<&'static str>,
    pub meaning: &'static str,
}

/// The top-level names of the context, in the order the docs list them.
pub const ROOTS: &[&str] = &[
    "customer",
    "level",
    "orders",
    "occurrence",
    "engagement",
    "survey",
    "referrals",
];

const fn f(
    root: &'static str,
    field: &'static str,
    ty: &'static str,
    null_when: Option<&'static str>,
    meaning: &'static str,
) -> FieldDoc {
    FieldDoc {
        root,
        field,
        ty,
        null_when,
        meaning,
    }
}

// One field a line: the table reads as the reference it is.
#[rustfmt::skip]
const FIELDS: &[FieldDoc] = &[
    f("customer", "id", "string", None, "the customer's id in the shop"),
    f("customer", "locale", "string", None, "the full language tag, e.g. \"fa-IR\""),
    f("customer", "language", "string", None, "the language of the locale, e.g. \"fa\""),
    f("customer", "timezone", "string", None, "the IANA time zone, e.g. \"Asia/Tehran\""),
    f("customer", "created_at", "timestamp", Some("the sign-up time is unknown"), "when the customer signed up"),
    f("customer", "days_since_signup", "int", Some("the sign-up time is unknown"), "whole days since sign-up"),
    f("customer", "attributes", "map", None, "the customer's own imported attributes, by name: customer.attributes.source"),
    f("level", "current", "string", None, "the current level: basic, reactive, accountable, proactive or partnership"),
    f("level", "target", "string", None, "the level the strategy aims at for this customer"),
    f("level", "previous", "string", Some("the level has never changed"), "the level before the last change"),
    f("level", "days_at_level", "int", Some("the level was never assessed"), "whole days since the current level was reached"),
    f("orders", "count", "int", None, "orders within the proactive order window"),
    f("orders", "margin", "double", None, "margin within the strategy's margin window"),
    f("orders", "days_since_first", "int", Some("no order yet"), "whole days since the first order"),
    f("orders", "days_since_last", "int", Some("no order yet"), "whole days since the last order"),
    f("occurrence", "kind", "string", None, "what triggered the campaign: order, complaint, event, signup, level_change, lapse, sent, schedule or eligible (\"\" in segments)"),
    f("occurrence", "id", "string", None, "the occurrence key, e.g. \"order:o-1\""),
    f("occurrence", "items", "list(item)", None, "the triggering order's lines, each with sku, name, category and qty (empty unless an order triggered)"),
    f("occurrence", "skus", "list(string)", None, "the SKUs of the triggering order's lines"),
    f("occurrence", "categories", "list(string)", None, "the categories of the triggering order's lines, each once"),
    f("occurrence", "data", "map", None, "the triggering custom event's data, by name: occurrence.data.cart_value"),
    f("engagement", "days_since_open", "int", Some("no open by a person yet"), "whole days since the last open by a person"),
    f("engagement", "days_since_click", "int", Some("no click by a person yet"), "whole days since the last click by a person"),
    f("engagement", "emails_30d", "int", None, "emails sent to the customer in the last 30 days, queued ones included"),
    f("survey", "last_score", "int", Some("no scored answer yet"), "the last survey answer's score, 0 to 10"),
    f("survey", "days_since_answer", "int", Some("no answer yet"), "whole days since the last survey answer"),
    f("survey", "nps_group", "string", Some("no scored answer yet"), "promoter (9-10), passive (7-8) or detractor (0-6)"),
    f("referrals", "count", "int", None, "referrals within the partnership referral window"),
];

/// The fields of each line of `occurrence.items`.
pub const ITEM_FIELDS: &[&str] = &["sku", "name", "category", "qty"];

/// Every documented field, root by root.
pub fn fields() -> &'static [FieldDoc] {
    FIELDS
}

pub fn is_root(name: &str) -> bool {
    ROOTS.contains(&name)
}

pub fn find(root: &str, field: &str) -> Option<&'static FieldDoc> {
    FIELDS.iter().find(|d| d.root == root && d.field == field)
}

/// What reading `root.field` costs beyond the facts every cycle reads.
pub fn needs_of(root: &str, field: &str) -> Needs {
    let mut n = Needs::default();
    match (root, field) {
        ("customer", "attributes") => n.attributes = true,
        ("engagement", "days_since_open") => n.opens = true,
        ("survey", _) => n.survey = true,
        ("occurrence", "items" | "skus" | "categories") => n.items = true,
        _ => {}
    }
    n
}

fn fields_of(root: &str) -> impl Iterator<Item = &'static str> + '_ {
    FIELDS
        .iter()
        .filter(move |d| d.root == root)
        .map(|d| d.field)
}

/// "unknown field `orders.cuont`: did you mean `orders.count`? (orders has: count, …)"
pub fn unknown_field_message(root: &str, field: &str) -> String {
    let known: Vec<&str> = fields_of(root).collect();
    let hint = match closest(field, &known) {
        Some(k) => format!(": did you mean `{root}.{k}`?"),
        None => String::new(),
    };
    format!(
        "unknown field `{root}.{field}`{hint} ({root} has: {})",
        known.join(", ")
    )
}

/// "unknown field `i.price` of an order line: …"
pub fn unknown_item_field_message(var: &str, field: &str) -> String {
    let hint = match closest(field, ITEM_FIELDS) {
        Some(k) => format!(": did you mean `{var}.{k}`?"),
        None => String::new(),
    };
    format!(
        "unknown field `{var}.{field}` of an order line{hint} (a line has: {})",
        ITEM_FIELDS.join(", ")
    )
}

/// "unknown name `custmer`: did you mean `customer`? (…)"
pub fn unknown_name_message(name: &str) -> String {
    let hint = match closest(name, ROOTS) {
        Some(k) => format!(": did you mean `{k}`?"),
        None => String::new(),
    };
    format!(
        "unknown name `{name}`{hint} (an expression reads {})",
        ROOTS.join(", ")
    )
}

/// "`orders` is a group of fields: use one of them, e.g. `orders.count` (…)"
pub fn root_without_field_message(root: &str) -> String {
    let known: Vec<&str> = fields_of(root).collect();
    format!(
        "`{root}` is a group of fields: use one of them, e.g. `{root}.{}` ({root} has: {})",
        known[0],
        known.join(", ")
    )
}

/// The known name a typo most likely meant: a small edit away, or the known name with a
/// suffix added (`count_365d` → `count`).
fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let best = known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .min_by_key(|(d, _)| *d)?;
    let limit = (word.chars().count() / 3).clamp(1, 3);
    if best.0 <= limit {
        return Some(best.1);
    }
    known
        .iter()
        .find(|k| k.len() >= 3 && (word.starts_with(*k) || k.starts_with(word)) && word.len() >= 3)
        .copied()
}

/// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`: a swapped pair
/// (`cuont`) is one typo, not two.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}
