//! "Customers who bought what you bought also bought …": co-purchase counts refreshed on
//! full cycles, and suggestions for a batch of customers in one query (never per email).

use super::{PgStore, Result, SqliteStore, batches};
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::HashMap;

/// (sku, name) suggestions per customer, best first.
pub type Suggestions = HashMap<String, Vec<(String, String)>>;

const REFRESH: [&str; 4] = [
    "DELETE FROM product_pairs",
    "DELETE FROM product_names",
    "INSERT INTO product_names (sku, locale, name) \
     SELECT n.sku, c.locale, MAX(n.name) FROM order_items n JOIN customers c ON c.id = n.customer_id \
     GROUP BY n.sku, c.locale",
    // Pairs of distinct products bought by the same customer, counted once per customer.
    "INSERT INTO product_pairs (sku_a, sku_b, customers) \
     SELECT a.sku, b.sku, COUNT(*) \
     FROM (SELECT DISTINCT customer_id, sku FROM order_items) a \
     JOIN (SELECT DISTINCT customer_id, sku FROM order_items) b \
       ON a.customer_id = b.customer_id AND a.sku <> b.sku \
     GROUP BY a.sku, b.sku",
];

fn take(rows: impl Iterator<Item = (String, String, String)>, per_customer: usize) -> Suggestions {
    let mut out: Suggestions = HashMap::new();
    for (cid, sku, name) in rows {
        let list = out.entry(cid).or_default();
        if list.len() < per_customer {
            list.push((sku, name));
        }
    }
    out
}

impl SqliteStore {
    pub(super) async fn s_refresh(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for q in REFRESH {
            sqlx::query(q).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn s_suggestions(
        &self,
        ids: &[String],
        per_customer: usize,
    ) -> Result<Suggestions> {
        let mut rows = Vec::new();
        for chunk in batches(ids, 500) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "WITH mine AS (SELECT DISTINCT oi.customer_id AS cid, oi.sku, c.locale AS loc FROM order_items oi \
                 JOIN customers c ON c.id = oi.customer_id WHERE oi.customer_id IN (",
            );
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(id.as_str());
            }
            q.push(
                ")) SELECT m.cid, p.sku_b, COALESCE(MAX(ln.name), (SELECT MIN(a.name) FROM product_names a WHERE a.sku = p.sku_b)), \
                 SUM(p.customers) AS score \
                 FROM mine m JOIN product_pairs p ON p.sku_a = m.sku \
                 LEFT JOIN product_names ln ON ln.sku = p.sku_b AND ln.locale = m.loc \
                 WHERE NOT EXISTS (SELECT 1 FROM mine x WHERE x.cid = m.cid AND x.sku = p.sku_b) \
                 GROUP BY m.cid, p.sku_b ORDER BY m.cid, score DESC, p.sku_b",
            );
            for r in q.build().fetch_all(&self.pool).await? {
                rows.push((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get::<Option<String>, _>(2)?.unwrap_or_default(),
                ));
            }
        }
        Ok(take(rows.into_iter(), per_customer))
    }
}

impl PgStore {
    pub(super) async fn s_refresh(&self) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for q in REFRESH {
            sqlx::query(q).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn s_suggestions(
        &self,
        ids: &[String],
        per_customer: usize,
    ) -> Result<Suggestions> {
        let mut rows = Vec::new();
        for chunk in batches(ids, 5_000) {
            for r in sqlx::query(
                "WITH mine AS (SELECT DISTINCT oi.customer_id AS cid, oi.sku, c.locale AS loc FROM order_items oi \
                 JOIN customers c ON c.id = oi.customer_id WHERE oi.customer_id = ANY($1)) \
                 SELECT m.cid, p.sku_b, COALESCE(MAX(ln.name), (SELECT MIN(a.name) FROM product_names a WHERE a.sku = p.sku_b)), \
                 SUM(p.customers) AS score \
                 FROM mine m JOIN product_pairs p ON p.sku_a = m.sku \
                 LEFT JOIN product_names ln ON ln.sku = p.sku_b AND ln.locale = m.loc \
                 WHERE NOT EXISTS (SELECT 1 FROM mine x WHERE x.cid = m.cid AND x.sku = p.sku_b) \
                 GROUP BY m.cid, p.sku_b ORDER BY m.cid, score DESC, p.sku_b",
            )
            .bind(chunk)
            .fetch_all(&self.pool)
            .await?
            {
                rows.push((r.try_get(0)?, r.try_get(1)?, r.try_get::<Option<String>, _>(2)?.unwrap_or_default()));
            }
        }
        Ok(take(rows.into_iter(), per_customer))
    }
}
