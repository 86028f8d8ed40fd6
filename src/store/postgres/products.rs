//! PostgreSQL: co-purchase counts and suggestions.

use super::{BATCH, PgStore};
use crate::store::columns::Columns;
use crate::store::products::{REFRESH, REPEATS_GROUP, SUGGEST, take};
use crate::store::{Products, Result, Suggestions, batches};
use async_trait::async_trait;

#[async_trait]
impl Products for PgStore {
    async fn refresh_product_pairs(&self) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for q in REFRESH {
            sqlx::query(q).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn suggestions(&self, ids: &[String], per_customer: usize) -> Result<Suggestions> {
        let sql = format!(
            "WITH mine AS (SELECT DISTINCT oi.customer_id AS cid, oi.sku, c.locale AS loc \
             FROM order_items oi JOIN customers c ON c.id = oi.customer_id \
             WHERE oi.customer_id = ANY($1)) {SUGGEST}"
        );
        let mut rows = Vec::new();
        for chunk in batches(ids, BATCH) {
            for r in sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(chunk)
                .fetch_all(&self.pool)
                .await?
            {
                rows.push((r.text(0)?, r.text(1)?, r.opt_text(2)?.unwrap_or_default()));
            }
        }
        Ok(take(rows.into_iter(), per_customer))
    }

    async fn repeat_purchases(&self, ids: &[String], per_customer: usize) -> Result<Suggestions> {
        let sql = format!(
            "SELECT customer_id, sku, MAX(name) FROM order_items WHERE customer_id = ANY($1) \
             {REPEATS_GROUP}"
        );
        let mut rows = Vec::new();
        for chunk in batches(ids, BATCH) {
            for r in sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(chunk)
                .fetch_all(&self.pool)
                .await?
            {
                rows.push((r.text(0)?, r.text(1)?, r.text(2)?));
            }
        }
        Ok(take(rows.into_iter(), per_customer))
    }
}
