//! PostgreSQL: erasure, export and retention (the statements are shared, see
//! `store::privacy`).

use super::PgStore;
use crate::store::Result;
use crate::store::privacy::{
    CatalogueSql, Erased, Erasure, Privacy, delete_old_events, erase, export, old_events,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Postgres;

const SQL: CatalogueSql = CatalogueSql {
    // Bodies are the JSON we wrote; a body that is not (an operator's edit) is skipped, not
    // an error that blocks the erasure.
    notifications_about: "body ~ '^\\s*\\{' AND body::jsonb ->> 'customer_id' = $1",
    tables_with_customer_id: "SELECT table_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_name = 'customer_id' \
         ORDER BY table_name",
};

#[async_trait]
impl Privacy for PgStore {
    async fn erase_customer(&self, erasure: Erasure<'_>) -> Result<Option<Erased>> {
        let mut tx = self.pool.begin().await?;
        // Holds the customer while it is erased: an import of it waits, then sees the result.
        sqlx::query("SELECT 1 FROM customers WHERE id = $1 FOR UPDATE")
            .bind(erasure.customer_id)
            .execute(&mut *tx)
            .await?;
        let erased = erase::<Postgres>(&mut *tx, &SQL, erasure).await?;
        tx.commit().await?;
        Ok(erased)
    }

    async fn export_customer(&self, customer_id: &str) -> Result<Option<Value>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let out = export::<Postgres>(&mut *tx, &SQL, customer_id).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn delete_events_before(&self, before: DateTime<Utc>, limit: u32) -> Result<u64> {
        let Some(range) = old_events(&self.pool, before, limit).await? else {
            return Ok(0);
        };
        delete_old_events(&self.pool, before, range).await
    }
}
