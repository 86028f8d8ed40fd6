//! SQLite: co-purchase counts and suggestions.

use super::{BATCH, SqliteStore, push_list};
use crate::store::columns::Columns;
use crate::store::products::{REFRESH, REPEATS_GROUP, SUGGEST, take};
use crate::store::{Products, Result, Suggestions, batches};
use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite};

#[async_trait]
impl Products for SqliteStore {
    async fn refresh_product_pairs(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for q in REFRESH {
            sqlx::query(q).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn suggestions(&self, ids: &[String], per_customer: usize) -> Result<Suggestions> {
        let mut rows = Vec::new();
        for chunk in batches(ids, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "WITH mine AS (SELECT DISTINCT oi.customer_id AS cid, oi.sku, c.locale AS loc \
                 FROM order_items oi JOIN customers c ON c.id = oi.customer_id \
                 WHERE oi.customer_id IN ",
            );
            push_list(&mut q, chunk.iter().map(String::as_str)).push(") ");
            q.push(SUGGEST);
            for r in q.build().fetch_all(&self.pool).await? {
                rows.push((r.text(0)?, r.text(1)?, r.opt_text(2)?.unwrap_or_default()));
            }
        }
        Ok(take(rows.into_iter(), per_customer))
    }

    async fn repeat_purchases(&self, ids: &[String], per_customer: usize) -> Result<Suggestions> {
        let mut rows = Vec::new();
        for chunk in batches(ids, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT customer_id, sku, MAX(name) FROM order_items WHERE customer_id IN ",
            );
            push_list(&mut q, chunk.iter().map(String::as_str)).push(REPEATS_GROUP);
            for r in q.build().fetch_all(&self.pool).await? {
                rows.push((r.text(0)?, r.text(1)?, r.text(2)?));
            }
        }
        Ok(take(rows.into_iter(), per_customer))
    }
}
