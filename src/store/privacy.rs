//! A customer's data on request: erasure (one transaction, anonymised rows kept so reports
//! add up), export (everything held, as JSON), and the retention of raw events
//! (docs/privacy.md). The statements read the same on both backends except where the
//! catalogue or JSON is asked; those come from the backend as [`CatalogueSql`].

use super::Result;
use super::dialect::Dialect;
use super::row_json::RowJson;
use super::suppressions::{Suppression, insert_suppression};
use crate::domain::suppression::reason;
use crate::privacy::{AddressKey, ERASED_ADDRESS, HASH_PREFIX};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::Executor;
use std::collections::HashSet;

#[async_trait]
pub trait Privacy {
    /// Erases one customer's personal data, all of it or nothing; `None` when there is no
    /// such customer.
    async fn erase_customer(&self, erasure: Erasure<'_>) -> Result<Option<Erased>>;
    /// Everything held about one customer, as JSON; `None` when there is no such customer.
    async fn export_customer(&self, customer_id: &str) -> Result<Option<Value>>;
    /// Deletes up to about `limit` raw events that occurred before `before`, in one short
    /// transaction; returns how many went (0: none left).
    async fn delete_events_before(&self, before: DateTime<Utc>, limit: u32) -> Result<u64>;
}

/// An erasure to carry out: whose, with which key the address is remembered, who asked, when.
#[derive(Debug, Clone, Copy)]
pub struct Erasure<'a> {
    pub customer_id: &'a str,
    pub key: &'a AddressKey,
    /// `cli:USER` or `api-key:ID`: written to the erasure log.
    pub by: &'a str,
    pub at: DateTime<Utc>,
}

/// What an erasure did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    /// The customer's deliveries: copies a `file://` transport wrote are named after them.
    pub deliveries: Vec<uuid::Uuid>,
    /// Queued emails that will not be sent now.
    pub cancelled: u64,
}

/// The statements that differ by backend: they read JSON or the catalogue.
pub(crate) struct CatalogueSql {
    /// The condition of notifications whose body names customer `$1`.
    pub notifications_about: &'static str,
    /// The names of the tables that have a `customer_id` column.
    pub tables_with_customer_id: &'static str,
}

/// Tables the export lists under names of their own; any other table with a `customer_id`
/// column is exported under its table name, so a table added later is never left out.
const KNOWN: &[&str] = &[
    "orders",
    "order_items",
    "events",
    "deliveries",
    "level_history",
    "customer_levels",
    "erasures",
];

/// HOOK for the consent log (issue 21, first half): its table, when it exists, is exported
/// as the `consent` array — every column, read through the catalogue. Name the table here
/// (or replace this with the consent log's own read) when the consent log is merged.
pub const CONSENT_TABLES: &[&str] = &["consent_log", "consents", "consent_events"];

/// The erasure, on the caller's transaction.
pub(crate) async fn erase<DB: Dialect>(
    tx: &mut DB::Connection,
    sql: &CatalogueSql,
    e: Erasure<'_>,
) -> Result<Option<Erased>>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    let id = DB::text(e.customer_id);
    let Some(row) = sqlx::query::<DB>("SELECT email FROM customers WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(None);
    };
    use super::columns::Columns;
    let email = row.text(0)?;
    fn remember(email: &str, at: DateTime<Utc>) -> Suppression<'_> {
        Suppression {
            email,
            reason: reason::ERASED,
            source: "erasure",
            at,
        }
    }
    if email != ERASED_ADDRESS {
        let hash = e.key.hash(&email);
        insert_suppression(&mut *tx, remember(&hash, e.at)).await?;
        // The address's own suppressions go, unless another customer has the address too:
        // theirs protect that customer.
        sqlx::query::<DB>(
            "DELETE FROM suppressions WHERE email = $1 \
             AND NOT EXISTS (SELECT 1 FROM customers WHERE email = $1 AND id <> $2)",
        )
        .bind(DB::text(&email))
        .bind(DB::text(e.customer_id))
        .execute(&mut *tx)
        .await?;
    }
    // The placeholder address is suppressed too: nothing, not even a service email, is
    // claimed for it.
    insert_suppression(&mut *tx, remember(ERASED_ADDRESS, e.at)).await?;
    sqlx::query::<DB>(
        "UPDATE customers SET email = $2, name = '', attributes = '{}', target_override = NULL, \
         timezone = 'UTC', subscribed = FALSE WHERE id = $1",
    )
    .bind(DB::text(e.customer_id))
    .bind(DB::text(ERASED_ADDRESS))
    .execute(&mut *tx)
    .await?;
    // A notification not yet sent about the customer is not sent; every body is emptied.
    let notifications = format!(
        "UPDATE notifications SET body = '{{}}', \
         last_error = CASE WHEN status = 'pending' THEN 'customer erased' ELSE last_error END, \
         status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END \
         WHERE {}",
        sql.notifications_about
    );
    let statements: [&str; 5] = [
        // Kind, time, delivery and the machine flag stay (reports, levels); what was said or
        // carried (comments, replies, provider payloads with the address) goes, and so does an
        // integrator's event id, which may spell the address.
        "UPDATE events SET data = '{}', dedupe_key = 'erased:' || seq WHERE customer_id = $1",
        // Amounts, currencies and margins stay (revenue); the free-form item JSON goes. The
        // order lines (sku, product name: the shop's catalogue) stay for co-purchase counts.
        "UPDATE orders SET items = '[]' WHERE customer_id = $1",
        "UPDATE deliveries SET status = 'cancelled', last_error = 'customer erased' \
         WHERE customer_id = $1 AND status = 'queued'",
        // Click targets may carry the address in a query string; SMTP errors often quote it.
        "UPDATE deliveries SET links = NULL, last_error = CASE WHEN status = 'cancelled' \
         THEN 'customer erased' END WHERE customer_id = $1",
        &notifications,
    ];
    let mut cancelled = 0;
    for (i, statement) in statements.into_iter().enumerate() {
        let done = sqlx::query::<DB>(sqlx::AssertSqlSafe(statement.to_string()))
            .bind(DB::text(e.customer_id))
            .execute(&mut *tx)
            .await?;
        if i == 2 {
            cancelled = DB::rows_affected(&done);
        }
    }
    sqlx::query::<DB>(
        "INSERT INTO erasures (customer_id, erased_by, erased_at) VALUES ($1, $2, $3)",
    )
    .bind(DB::text(e.customer_id))
    .bind(DB::text(e.by))
    .bind(DB::time(e.at))
    .execute(&mut *tx)
    .await?;
    let deliveries = sqlx::query::<DB>("SELECT id FROM deliveries WHERE customer_id = $1")
        .bind(DB::text(e.customer_id))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.uuid(0))
        .collect::<Result<_>>()?;
    Ok(Some(Erased {
        deliveries,
        cancelled,
    }))
}

/// The keyed hashes of erased addresses on the suppression list (few: one per erasure),
/// read once per batch of customers an import or API request writes.
pub(crate) async fn erased_addresses<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
) -> Result<HashSet<String>> {
    use super::columns::Columns;
    // A range of the primary key: `;` follows `:` in ASCII.
    let rows = sqlx::query::<DB>(
        "SELECT email FROM suppressions WHERE email >= 'erased:' AND email < 'erased;'",
    )
    .fetch_all(db)
    .await?;
    debug_assert_eq!(HASH_PREFIX, "erased:");
    rows.iter().map(|r| r.text(0)).collect()
}

/// Every row of `sql` (one `$1`: the customer id) as JSON objects.
async fn rows<DB: Dialect>(
    tx: &mut DB::Connection,
    sql: &str,
    customer_id: &str,
) -> Result<Vec<Map<String, Value>>>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Row: RowJson,
{
    sqlx::query::<DB>(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(DB::text(customer_id))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(RowJson::to_json)
        .collect()
}

/// The export, read in one transaction (one consistent snapshot).
pub(crate) async fn export<DB: Dialect>(
    tx: &mut DB::Connection,
    sql: &CatalogueSql,
    customer_id: &str,
) -> Result<Option<Value>>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Row: RowJson,
{
    let mut customer = rows(tx, "SELECT * FROM customers WHERE id = $1", customer_id).await?;
    let Some(customer) = customer.pop() else {
        return Ok(None);
    };
    // The cycle's levels and their reasons are stored beside the profile (customer_levels);
    // the export shows them on the customer, as one record.
    let mut customer = customer;
    let levels = rows(
        tx,
        "SELECT * FROM customer_levels WHERE customer_id = $1",
        customer_id,
    )
    .await?;
    for (column, value) in levels.into_iter().flatten() {
        if column != "customer_id" {
            customer.insert(column, value);
        }
    }
    let email = customer.get("email").and_then(Value::as_str).unwrap_or("");
    let mut out = Map::new();
    out.insert("customer".into(), Value::Object(customer.clone()));
    let mut orders = rows(
        tx,
        "SELECT * FROM orders WHERE customer_id = $1 ORDER BY occurred_at, id",
        customer_id,
    )
    .await?;
    let lines = rows(
        tx,
        "SELECT * FROM order_items WHERE customer_id = $1 ORDER BY order_id, sku",
        customer_id,
    )
    .await?;
    for o in &mut orders {
        let of_order: Vec<Value> = lines
            .iter()
            .filter(|l| l.get("order_id") == o.get("id"))
            .cloned()
            .map(Value::Object)
            .collect();
        o.insert("lines".into(), Value::Array(of_order));
    }
    out.insert("orders".into(), objects(orders));
    let mut events = rows(
        tx,
        "SELECT * FROM events WHERE customer_id = $1 ORDER BY occurred_at, seq",
        customer_id,
    )
    .await?;
    for e in &mut events {
        let code = e.get("kind").and_then(Value::as_i64).unwrap_or(-1);
        let custom = e.get("custom_kind").and_then(Value::as_str);
        if let Some(kind) = crate::domain::EventKind::from_code(code as i16, custom) {
            e.insert("kind".into(), Value::String(kind.name().to_string()));
        }
    }
    out.insert("events".into(), objects(events));
    let deliveries = "SELECT * FROM deliveries WHERE customer_id = $1 ORDER BY created_at, id";
    out.insert(
        "deliveries".into(),
        objects(rows(tx, deliveries, customer_id).await?),
    );
    let engagement = "SELECT e.* FROM delivery_engagement e \
                      JOIN deliveries d ON d.id = e.delivery_id WHERE d.customer_id = $1";
    out.insert(
        "engagement".into(),
        objects(rows(tx, engagement, customer_id).await?),
    );
    let history = "SELECT * FROM level_history WHERE customer_id = $1 ORDER BY at, seq";
    out.insert(
        "levels_history".into(),
        objects(rows(tx, history, customer_id).await?),
    );
    let suppressions = "SELECT * FROM suppressions WHERE email = $1";
    out.insert(
        "suppressions".into(),
        objects(rows(tx, suppressions, email).await?),
    );
    let notifications = format!(
        "SELECT * FROM notifications WHERE {} ORDER BY created_at",
        sql.notifications_about
    );
    out.insert(
        "notifications".into(),
        objects(rows(tx, &notifications, customer_id).await?),
    );
    out.insert(
        "erasures".into(),
        objects(
            rows(
                tx,
                "SELECT * FROM erasures WHERE customer_id = $1 ORDER BY seq",
                customer_id,
            )
            .await?,
        ),
    );
    out.insert("consent".into(), Value::Array(Vec::new()));
    // Every other table that names customers: the consent log (see CONSENT_TABLES) and
    // whatever is added later.
    let tables: Vec<String> = {
        use super::columns::Columns;
        sqlx::query::<DB>(sql.tables_with_customer_id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<_>>()?
    };
    for table in tables {
        if KNOWN.contains(&table.as_str()) {
            continue;
        }
        let found = rows(
            tx,
            &format!(
                "SELECT * FROM \"{}\" WHERE customer_id = $1",
                table.replace('"', "")
            ),
            customer_id,
        )
        .await?;
        let section = if CONSENT_TABLES.contains(&table.as_str()) {
            "consent".to_string()
        } else {
            table
        };
        out.insert(section, objects(found));
    }
    Ok(Some(Value::Object(out)))
}

fn objects(rows: Vec<Map<String, Value>>) -> Value {
    Value::Array(rows.into_iter().map(Value::Object).collect())
}

/// One batch of retention: the oldest `limit` events before `before` are found without a
/// lock (they lead the table: events arrive roughly in time order), then deleted as a range
/// of the primary key in a short write transaction of the caller's.
pub(crate) async fn old_events<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    before: DateTime<Utc>,
    limit: u32,
) -> Result<Option<(i64, i64)>>
where
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    use super::columns::Columns;
    let r = sqlx::query::<DB>(
        "SELECT MIN(seq), MAX(seq) FROM (SELECT seq FROM events WHERE occurred_at < $1 \
         ORDER BY seq LIMIT $2) o",
    )
    .bind(DB::time(before))
    .bind(i64::from(limit))
    .fetch_one(db)
    .await?;
    Ok(r.opt_int(0)?.zip(r.opt_int(1)?))
}

/// Deletes the old events of the range [`old_events`] found.
pub(crate) async fn delete_old_events<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    before: DateTime<Utc>,
    (first, last): (i64, i64),
) -> Result<u64>
where
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let done =
        sqlx::query::<DB>("DELETE FROM events WHERE seq >= $1 AND seq <= $2 AND occurred_at < $3")
            .bind(first)
            .bind(last)
            .bind(DB::time(before))
            .execute(db)
            .await?;
    Ok(DB::rows_affected(&done))
}
