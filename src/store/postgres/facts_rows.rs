//! PostgreSQL: the facts statements' rows, the transactions they run in, and their scope
//! parameter.

use crate::store::columns::Columns;
use crate::store::facts_merge::{CustomerDelivery, EventFacts, OrderFacts};
use crate::store::rows::delivery_ref;
use crate::store::{Result, Scope, StoreError};
use sqlx::Postgres;
use sqlx::postgres::{PgArguments, PgRow};

/// One row of postgres_facts_orders.sql; `recent_wanted`: whether the statement was asked
/// for the recent orders (a NULL list then means none, not "not read").
pub(super) fn order_facts(r: &PgRow, recent_wanted: bool) -> Result<OrderFacts> {
    use sqlx::Row;
    let ids: Option<Vec<String>> = r.try_get(5)?;
    let times: Option<Vec<chrono::DateTime<chrono::Utc>>> = r.try_get(6)?;
    let recent_orders = recent_wanted.then(|| {
        ids.unwrap_or_default()
            .into_iter()
            .zip(times.unwrap_or_default())
            .collect()
    });
    Ok(OrderFacts {
        customer_id: r.text(0)?,
        orders_in_window: r.int(1)? as u32,
        margin_in_window: r.float(2)?,
        last_order_at: r.opt_time(3)?,
        first_order_at: r.opt_time(4)?,
        recent_orders,
        orders: r.int(7)? as u32,
        margin: r.float(8)?,
        currency: r.opt_currency(9)?,
    })
}

/// One row of postgres_facts_events.sql.
pub(super) fn event_facts(r: &PgRow) -> Result<EventFacts> {
    Ok(EventFacts {
        customer_id: r.text(0)?,
        last_click_at: r.opt_time(1)?,
        last_reply_at: r.opt_time(2)?,
        last_support_contact_at: r.opt_time(3)?,
        last_complaint_at: r.opt_time(4)?,
        last_complaint_resolved_at: r.opt_time(5)?,
        last_survey_response_at: r.opt_time(6)?,
        partnership_accepted_at: r.opt_time(7)?,
        referrals_in_window: r.int(8)? as u32,
        any_complaint_at: r.opt_time(9)?,
        last_custom_event_at: r.opt_time(10)?,
    })
}

/// (customer, delivery as in `rows::delivery_ref`)
pub(super) fn customer_delivery(r: &PgRow) -> Result<CustomerDelivery> {
    Ok(CustomerDelivery {
        customer_id: r.text(0)?,
        delivery: delivery_ref(r, 1)?,
    })
}

/// A transaction for one of the facts streams, with the settings its plan needs: no JIT (it
/// compiled each statement for longer than the statement ran), no parallel workers (three
/// streams already share two cores, and with workers the customers were sorted instead of
/// read in primary-key order). The settings are local: they end with the transaction, not
/// the connection.
///
/// Every stream reads one snapshot: the first transaction exports its own and the others
/// import it ([`importing_facts_transaction`]). Each stream is a statement of its own, and
/// under READ COMMITTED each took its snapshot when it started: a customer deleted (or
/// created with an order) between two starts had facts in one stream and no row in another,
/// and the merge failed the cycle. The imports wait for the export, so each side takes two
/// round trips: the BEGIN, then one message with the rest.
pub(super) async fn exporting_facts_transaction(
    pool: &sqlx::PgPool,
) -> Result<(sqlx::Transaction<'static, Postgres>, String)> {
    let mut tx = begin_facts_transaction(pool).await?;
    // Columns, not a subquery: an unused subquery column might never be computed.
    let (id, _, _): (String, String, String) = sqlx::query_as(
        "SELECT pg_export_snapshot(), set_config('jit', 'off', true), \
         set_config('max_parallel_workers_per_gather', '0', true)",
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok((tx, id))
}

/// A facts stream's transaction on the snapshot [`exporting_facts_transaction`] exported
/// under `id`, with the same settings.
pub(super) async fn importing_facts_transaction(
    pool: &sqlx::PgPool,
    id: &str,
) -> Result<sqlx::Transaction<'static, Postgres>> {
    // SET TRANSACTION takes no bind parameters; the id is PostgreSQL's own (hexadecimal
    // digits and dashes), checked before it is spliced in. A simple query, not a prepared
    // statement: each id is new.
    if !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(StoreError::Invalid(format!(
            "unexpected snapshot id {id:?}"
        )));
    }
    let mut tx = begin_facts_transaction(pool).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SET TRANSACTION SNAPSHOT '{id}'; SET LOCAL jit = off; \
         SET LOCAL max_parallel_workers_per_gather = 0"
    )))
    .execute(&mut *tx)
    .await?;
    Ok(tx)
}

async fn begin_facts_transaction(
    pool: &sqlx::PgPool,
) -> Result<sqlx::Transaction<'static, Postgres>> {
    Ok(pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?)
}

/// A facts statement for a touched scope given as its customers' ids, sorted (`p` names the
/// array parameter): each stream walks its index in customer order for exactly those ids
/// (`= ANY`: PostgreSQL's B-tree takes the sorted array in key order), where a
/// `touched_at` subquery found them in time order and every stream then sorted its rows —
/// a sort the merge waited on before its first chunk (docs/performance.md).
pub(super) fn ids_sql(template: &str, p: &str) -> String {
    template
        .replace("{CUSTOMER_ID_WHERE}", &format!("WHERE c.id = ANY({p})"))
        .replace("{CUSTOMER_WHERE}", &format!("WHERE c.id = ANY({p})"))
        .replace("{SCOPE_WHERE}", &format!("WHERE customer_id = ANY({p})"))
        .replace("{SCOPE_AND}", &format!("AND customer_id = ANY({p})"))
}

/// Binds the touched ids when the scope was read as a list, otherwise the scope's
/// parameter.
pub(super) fn bind_ids_or_scope<'q>(
    q: sqlx::query::Query<'q, Postgres, PgArguments>,
    ids: Option<&Vec<String>>,
    scope: &Scope,
) -> sqlx::query::Query<'q, Postgres, PgArguments> {
    match ids {
        Some(ids) => q.bind(ids.clone()),
        None => bind_scope(q, scope),
    }
}

/// Binds the scope's parameter, if it has one.
pub(super) fn bind_scope<'q>(
    q: sqlx::query::Query<'q, Postgres, PgArguments>,
    scope: &Scope,
) -> sqlx::query::Query<'q, Postgres, PgArguments> {
    match scope {
        Scope::All => q,
        Scope::TouchedSince(t) => q.bind(*t),
        Scope::One(id) => q.bind(id.clone()),
    }
}
