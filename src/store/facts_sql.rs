//! The facts statements' scope holes, shared by both backends (the parameter style differs).

use super::Scope;

/// The scope's deliveries in customer-id order, for the facts: the order of the outbox's
/// unique key (customer, campaign, occurrence), so both backends walk that index instead of
/// sorting the table. `{SCOPE_WHERE}` as in [`facts_sql`].
pub(crate) const DELIVERIES_BY_CUSTOMER_SQL: &str = "SELECT customer_id, campaign, occurrence, \
     COALESCE(sent_at, send_at), service, status FROM deliveries {SCOPE_WHERE} \
     ORDER BY customer_id, campaign, occurrence";

/// The suppressions a facts scope needs, as (email, reason) rows: the whole list for every
/// customer, otherwise those of the scope's customers (`p` names the scope's parameter).
pub(crate) fn suppressions_sql(scope: &Scope, p: &str) -> String {
    match scope {
        Scope::All => "SELECT email, reason FROM suppressions".into(),
        _ => facts_sql(
            "SELECT s.email, s.reason FROM customers c \
             JOIN suppressions s ON s.email = c.email {CUSTOMER_WHERE}",
            scope,
            p,
        ),
    }
}

/// One of the facts statements for a scope: `template` with its `{SCOPE_WHERE}`,
/// `{SCOPE_AND}`, `{CUSTOMER_WHERE}` and `{CUSTOMER_ID_WHERE}` holes filled by fixed fragments naming the scope's
/// parameter `p` (such as `?3` or `$3`). Each scope is its own statement with its own plan (a
/// single `? = 0 OR …` form made SQLite scan everything even for 10 customers). Only
/// constant text is spliced in; values are always bound.
pub(crate) fn facts_sql(template: &str, scope: &Scope, p: &str) -> String {
    let (filter, customer) = match scope {
        Scope::All => (String::new(), String::new()),
        Scope::TouchedSince(_) => (
            format!("customer_id IN (SELECT id FROM customers WHERE touched_at >= {p})"),
            format!("WHERE c.touched_at >= {p}"),
        ),
        Scope::One(_) => (format!("customer_id = {p}"), format!("WHERE c.id = {p}")),
    };
    let (where_, and) = if filter.is_empty() {
        (String::new(), String::new())
    } else {
        (format!("WHERE {filter}"), format!("AND {filter}"))
    };
    // SQLite has no statistics to tell that few customers were touched: with a plain
    // `c.touched_at >= ?` filter it scans all of them in id order (1 s for 1M) instead of
    // reading the touched ones off customers_touched. The id list form makes it seek.
    let customer_ids = match scope {
        Scope::All => String::new(),
        Scope::TouchedSince(_) => {
            format!("WHERE c.id IN (SELECT id FROM customers WHERE touched_at >= {p})")
        }
        Scope::One(_) => format!("WHERE c.id = {p}"),
    };
    template
        .replace("{CUSTOMER_ID_WHERE}", &customer_ids)
        .replace("{SCOPE_WHERE}", &where_)
        .replace("{SCOPE_AND}", &and)
        .replace("{CUSTOMER_WHERE}", &customer)
}
