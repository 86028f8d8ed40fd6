//! Statements that read the same on both backends (no parameters, no dialect), written
//! once and run through either backend's pool.

use super::Result;
use super::columns::Columns;
use super::outbox::{OutboxCounts, fold_outbox_counts};
use super::reports::TableCounts;
use crate::domain::NotificationCounts;
use sqlx::{Database, Executor, IntoArguments};

/// The bounds a backend meets for these statements.
pub(crate) trait Backend: Database<Row: Columns, Arguments: IntoArguments<Self>> {}
impl<DB> Backend for DB where DB: Database<Row: Columns, Arguments: IntoArguments<DB>> {}

async fn one_row<'c, DB: Backend>(
    db: impl Executor<'c, Database = DB>,
    sql: &'static str,
) -> Result<DB::Row> {
    Ok(sqlx::query::<DB>(sql).fetch_one(db).await?)
}

/// The table sizes `rapport status` shows.
pub(crate) async fn table_counts<'c, DB: Backend>(
    db: impl Executor<'c, Database = DB>,
) -> Result<TableCounts> {
    let r = one_row(
        db,
        "SELECT (SELECT COUNT(*) FROM customers), (SELECT COUNT(*) FROM orders), \
         (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM suppressions)",
    )
    .await?;
    Ok(TableCounts {
        customers: r.count(0)?,
        orders: r.count(1)?,
        events: r.count(2)?,
        suppressions: r.count(3)?,
    })
}

/// Per-campaign delivery counts by status.
pub(crate) async fn outbox_counts<'c, DB: Backend>(
    db: impl Executor<'c, Database = DB>,
) -> Result<Vec<OutboxCounts>> {
    let rows = sqlx::query::<DB>(
        "SELECT campaign, status, COUNT(*) FROM deliveries GROUP BY 1, 2 ORDER BY 1",
    )
    .fetch_all(db)
    .await?;
    let rows = rows
        .iter()
        .map(|r| Ok((r.text(0)?, r.text(1)?, r.int(2)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(fold_outbox_counts(rows.into_iter()))
}

/// Deliveries still queued or in flight.
pub(crate) async fn pending_deliveries<'c, DB: Backend>(
    db: impl Executor<'c, Database = DB>,
) -> Result<u64> {
    let r = one_row(
        db,
        "SELECT COUNT(*) FROM deliveries WHERE status IN ('queued', 'sending')",
    )
    .await?;
    r.count(0)
}

/// Notifications by status (aggregate FILTER: SQLite has it since 3.30).
pub(crate) async fn notification_counts<'c, DB: Backend>(
    db: impl Executor<'c, Database = DB>,
) -> Result<NotificationCounts> {
    let r = one_row(
        db,
        "SELECT COUNT(*) FILTER (WHERE status = 'pending'), \
         COUNT(*) FILTER (WHERE status = 'delivered'), \
         COUNT(*) FILTER (WHERE status = 'failed') FROM notifications",
    )
    .await?;
    Ok(NotificationCounts {
        pending: r.count(0)?,
        delivered: r.count(1)?,
        failed: r.count(2)?,
    })
}
