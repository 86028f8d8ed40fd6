//! PostgreSQL: imports, one transaction per file or request.

use super::engagement::merge as merge_engagement;
use super::notifications::insert_notifications;
use super::webhook_tokens::use_token;
use super::{BATCH, PgStore};
use crate::domain::{
    ConsentEntry, CustomerRecord, EventRecord, NewNotification, OrderRecord, SingleUseToken,
};
use crate::store::import::NewEvents;
use crate::store::suppressions::insert_suppression;
use crate::store::{
    ConsentChange, Import, ImportTx, Result, Suppression, TokenUse, UpsertCounts, batches,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};
use std::collections::{HashMap, HashSet};

#[async_trait]
impl Import for PgStore {
    async fn begin_import(&self) -> Result<Box<dyn ImportTx>> {
        Ok(Box::new(PgImport {
            tx: self.pool.begin().await?,
        }))
    }
}

struct PgImport {
    tx: Transaction<'static, Postgres>,
}

impl PgImport {
    /// Rewrites the order lines of orders that were inserted or changed.
    async fn replace_items(&mut self, orders: &[&OrderRecord]) -> Result<()> {
        if orders.is_empty() {
            return Ok(());
        }
        sqlx::query("DELETE FROM order_items WHERE order_id = ANY($1)")
            .bind(orders.iter().map(|o| o.id.as_str()).collect::<Vec<_>>())
            .execute(&mut *self.tx)
            .await?;
        let mut cols: (Vec<&str>, Vec<&str>, Vec<&str>, Vec<&str>) = Default::default();
        for o in orders {
            for (sku, name) in o.lines() {
                cols.0.push(&o.id);
                cols.1.push(o.customer_id.as_str());
                cols.2.push(sku);
                cols.3.push(name);
            }
        }
        sqlx::query(
            "INSERT INTO order_items (order_id, customer_id, sku, name) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])",
        )
        .bind(cols.0)
        .bind(cols.1)
        .bind(cols.2)
        .bind(cols.3)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Marks customers whose orders/events changed, for the next incremental cycle. The
    /// stamp is the database's clock at the write, not the transaction's start or a
    /// replica's clock: `cycle_watermark` reasons with the same clock.
    async fn touch(&mut self, ids: HashSet<String>) -> Result<()> {
        let ids: Vec<String> = ids.into_iter().collect();
        for chunk in batches(&ids, BATCH) {
            sqlx::query("UPDATE customers SET touched_at = clock_timestamp() WHERE id = ANY($1)")
                .bind(chunk)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl ImportTx for PgImport {
    async fn existing_customers(&mut self, ids: &[&str]) -> Result<HashSet<String>> {
        let mut found = HashSet::new();
        for chunk in batches(ids, BATCH) {
            let rows: Vec<String> =
                sqlx::query_scalar("SELECT id FROM customers WHERE id = ANY($1)")
                    .bind(chunk)
                    .fetch_all(&mut *self.tx)
                    .await?;
            found.extend(rows);
        }
        Ok(found)
    }

    async fn upsert_customers(
        &mut self,
        rows: &[CustomerRecord],
        _now: DateTime<Utc>,
    ) -> Result<UpsertCounts> {
        let mut counts = UpsertCounts::default();
        // Rows without created_at keep a stored customer's: a statement of their own.
        let (dated, undated): (Vec<&CustomerRecord>, Vec<&CustomerRecord>) =
            rows.iter().partition(|c| c.created_at_given);
        let statements = [
            (dated, include_str!("../sql/postgres_upsert_customers.sql")),
            (
                undated,
                include_str!("../sql/postgres_upsert_customers_undated.sql"),
            ),
        ];
        for (rows, sql) in &statements {
            for chunk in batches(rows, BATCH) {
                let n = sqlx::query(*sql)
                    .bind(chunk.iter().map(|c| c.id.as_str()).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|c| c.email.as_str()).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|c| c.name.as_str()).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|c| c.locale.as_str()).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|c| c.timezone.name()).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|c| c.subscribed).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|c| c.created_at).collect::<Vec<_>>())
                    .bind(
                        chunk
                            .iter()
                            .map(|c| serde_json::Value::Object(c.attributes.clone()).to_string())
                            .collect::<Vec<_>>(),
                    )
                    .bind(
                        chunk
                            .iter()
                            .map(|c| c.target_override.map(|l| l.rank()))
                            .collect::<Vec<_>>(),
                    )
                    .execute(&mut *self.tx)
                    .await?
                    .rows_affected();
                counts += UpsertCounts::of(chunk.len(), n);
            }
        }
        Ok(counts)
    }

    async fn upsert_orders(
        &mut self,
        rows: &[OrderRecord],
        _now: DateTime<Utc>,
    ) -> Result<UpsertCounts> {
        let mut counts = UpsertCounts::default();
        let mut touched = HashSet::new();
        for chunk in batches(rows, BATCH) {
            let written: Vec<(String, String)> =
                sqlx::query_as(include_str!("../sql/postgres_upsert_orders.sql"))
                    .bind(chunk.iter().map(|o| o.id.as_str()).collect::<Vec<_>>())
                    .bind(
                        chunk
                            .iter()
                            .map(|o| o.customer_id.as_str())
                            .collect::<Vec<_>>(),
                    )
                    .bind(chunk.iter().map(|o| o.occurred_at).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|o| o.amount).collect::<Vec<_>>())
                    .bind(
                        chunk
                            .iter()
                            .map(|o| o.currency.as_str())
                            .collect::<Vec<_>>(),
                    )
                    .bind(chunk.iter().map(|o| o.margin).collect::<Vec<_>>())
                    .bind(
                        chunk
                            .iter()
                            .map(|o| o.items.to_string())
                            .collect::<Vec<_>>(),
                    )
                    .fetch_all(&mut *self.tx)
                    .await?;
            counts += UpsertCounts::of(chunk.len(), written.len() as u64);
            let ids: HashSet<&str> = written.iter().map(|(id, _)| id.as_str()).collect();
            let changed: Vec<&OrderRecord> = chunk
                .iter()
                .filter(|o| ids.contains(o.id.as_str()))
                .collect();
            self.replace_items(&changed).await?;
            touched.extend(written.into_iter().map(|(_, c)| c));
        }
        self.touch(touched).await?;
        Ok(counts)
    }

    async fn insert_new_events(
        &mut self,
        rows: &[EventRecord],
        now: DateTime<Utc>,
    ) -> Result<Vec<usize>> {
        let mut outcome = NewEvents::new(rows);
        for (c, chunk) in batches(rows, BATCH).enumerate() {
            let keys: Vec<String> = chunk.iter().map(EventRecord::dedupe_key).collect();
            let written: Vec<(String, i64, String)> =
                sqlx::query_as(include_str!("../sql/postgres_insert_events.sql"))
                    .bind(&keys)
                    .bind(
                        chunk
                            .iter()
                            .map(|e| e.customer_id.as_str())
                            .collect::<Vec<_>>(),
                    )
                    .bind(chunk.iter().map(|e| e.kind.code()).collect::<Vec<_>>())
                    .bind(
                        chunk
                            .iter()
                            .map(|e| e.kind.custom_name())
                            .collect::<Vec<_>>(),
                    )
                    .bind(chunk.iter().map(|e| e.occurred_at).collect::<Vec<_>>())
                    .bind(
                        chunk
                            .iter()
                            .map(|e| serde_json::Value::Object(e.data.clone()).to_string())
                            .collect::<Vec<_>>(),
                    )
                    .bind(chunk.iter().map(|e| e.machine).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|e| e.delivery_id).collect::<Vec<_>>())
                    .fetch_all(&mut *self.tx)
                    .await?;
            outcome.stored(c * BATCH, &keys, written);
        }
        for e in rows {
            if let Some(reason) = e.suppression_reason() {
                sqlx::query(
                    "INSERT INTO suppressions (email, reason, source, created_at) \
                     SELECT email, $1, 'event', $2 FROM customers WHERE id = $3 ON CONFLICT (email) DO NOTHING",
                )
                .bind(reason)
                .bind(now)
                .bind(e.customer_id.as_str())
                .execute(&mut *self.tx)
                .await?;
            }
        }
        merge_engagement(&mut self.tx, &outcome.engagement(rows)).await?;
        self.touch(std::mem::take(&mut outcome.touched)).await?;
        Ok(outcome.new)
    }

    async fn erased_addresses(&mut self) -> Result<HashSet<String>> {
        crate::store::privacy::erased_addresses(&mut *self.tx).await
    }

    async fn suppress(&mut self, suppression: Suppression<'_>) -> Result<bool> {
        insert_suppression(&mut *self.tx, suppression).await
    }

    async fn soft_bounces_in_a_row(
        &mut self,
        customers: &[String],
    ) -> Result<HashMap<String, u64>> {
        // events_facts (customer_id, occurred_at) INCLUDE (kind) finds both sides per customer.
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT e.customer_id, COUNT(*) FROM events e \
             WHERE e.customer_id = ANY($1) AND e.kind = 11 AND e.data->>'type' = 'soft' \
             AND e.occurred_at > COALESCE((SELECT MAX(g.occurred_at) FROM events g \
             WHERE g.customer_id = e.customer_id AND g.kind IN (1, 2, 13)), '-infinity') \
             GROUP BY e.customer_id",
        )
        .bind(customers)
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(rows.into_iter().map(|(c, n)| (c, n as u64)).collect())
    }

    async fn enqueue_notifications(&mut self, rows: &[NewNotification]) -> Result<u64> {
        insert_notifications(&mut self.tx, rows).await
    }

    async fn use_webhook_token(
        &mut self,
        provider: &str,
        token: &SingleUseToken,
        now: DateTime<Utc>,
    ) -> Result<TokenUse> {
        use_token(&mut self.tx, provider, token, now).await
    }

    async fn record_consent(&mut self, entries: &[ConsentEntry]) -> Result<()> {
        super::consent::insert_log(&mut self.tx, entries).await
    }

    async fn change_consent(&mut self, customer_id: &str, change: ConsentChange) -> Result<bool> {
        super::consent::change(&mut self.tx, customer_id, change).await
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}
