//! PostgreSQL: for several `rapport run` replicas on one database. Batches go in as one
//! statement over `UNNEST`ed arrays — one round trip per few thousand rows.

use super::{ImportTx, Result, Store, TableCounts, UpsertCounts, batches};
use crate::domain::{CustomerRecord, EventRecord, OrderRecord};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool, Postgres, Row, Transaction};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::time::Duration;

const BATCH: usize = 5_000;

pub struct PgStore {
    pub(crate) pool: PgPool,
    /// The cycle's long streaming reads (customers, orders, events and deliveries in
    /// customer-id order), on connections of their own: the cycle never waits for its own
    /// lookups and writes however small `database.max_connections` is, and a stream that
    /// reads for seconds by design is not reported as a slow statement.
    pub(crate) streams: PgPool,
}

/// Connections of the streams pool: one per facts stream (customers, orders, events,
/// deliveries).
pub(crate) const STREAM_CONNECTIONS: u32 = 4;

/// A streaming read slower than this is abnormal (a full cycle's streams take seconds on a
/// million customers; minutes means a missing index or statistics).
const SLOW_STREAM: Duration = Duration::from_secs(120);

impl PgStore {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(opts.clone())
            .await?;
        // Opened on first use and closed when idle: commands without a cycle never hold them.
        let streams = PgPoolOptions::new()
            .max_connections(STREAM_CONNECTIONS)
            .min_connections(0)
            .idle_timeout(Duration::from_secs(60))
            .connect_lazy_with(opts.log_slow_statements(log::LevelFilter::Warn, SLOW_STREAM));
        Ok(PgStore { pool, streams })
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn migrate(&self) -> Result<()> {
        // sqlx takes an advisory lock, so replicas starting together migrate once.
        sqlx::migrate!("migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn begin_import(&self) -> Result<Box<dyn ImportTx>> {
        Ok(Box::new(PgImport {
            tx: self.pool.begin().await?,
        }))
    }

    async fn counts(&self) -> Result<TableCounts> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM customers), (SELECT COUNT(*) FROM orders), \
             (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM suppressions)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(TableCounts {
            customers: row.get::<i64, _>(0) as u64,
            orders: row.get::<i64, _>(1) as u64,
            events: row.get::<i64, _>(2) as u64,
            suppressions: row.get::<i64, _>(3) as u64,
        })
    }

    async fn suppress(
        &self,
        email: &str,
        reason: &str,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        Ok(suppress_on(&mut conn, email, reason, source, at).await?)
    }

    async fn suppression(&self, email: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT reason FROM suppressions WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn margins(&self, since: DateTime<Utc>) -> Result<Vec<f64>> {
        self.c_margins(since).await
    }
    fn facts_chunks(
        &self,
        scope: super::Scope,
        w: super::FactsWindows,
        chunk: usize,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<super::FactsRow>>> {
        self.c_facts_chunks(scope, w, chunk)
    }
    async fn plan_contexts(
        &self,
        req: &super::ContextRequest<'_>,
    ) -> Result<std::collections::HashMap<String, super::PlanContext>> {
        self.c_plan_contexts(req).await
    }
    async fn apply_cycle_notifying(
        &self,
        ch: &[super::LevelChange],
        d: &[super::NewDelivery],
        n: &[crate::domain::NewNotification],
        at: DateTime<Utc>,
    ) -> Result<u64> {
        self.c_apply_cycle(ch, d, n, at).await
    }
    async fn level_counts(&self, now: DateTime<Utc>) -> Result<super::LevelCounts> {
        self.c_level_counts(now).await
    }
    async fn level_history(&self, id: &str) -> Result<Vec<super::HistoryEntry>> {
        self.c_level_history(id).await
    }
    async fn get_state(&self, name: &str) -> Result<Option<String>> {
        self.c_get_state(name).await
    }
    async fn set_state(&self, name: &str, value: &str) -> Result<()> {
        self.c_set_state(name, value).await
    }
    async fn cycle_watermark(&self) -> Result<Option<DateTime<Utc>>> {
        // Writers stamp `touched_at` with clock_timestamp() as they write. A write this
        // cycle cannot see either had already begun (its transaction holds an xid now, and
        // its stamps are no older than its start) or will stamp after this instant. So the
        // watermark is now, or the start of the oldest writing transaction if earlier; the
        // cycle need not wait for it. One clock (the database's) for every replica.
        let mark: DateTime<Utc> = sqlx::query_scalar(
            "SELECT LEAST(clock_timestamp(), \
               (SELECT MIN(xact_start) FROM pg_stat_activity \
                WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() \
                  AND datname = current_database()))",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Some(mark))
    }
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::TimeDelta,
        owner: &str,
    ) -> Result<Vec<super::ClaimedDelivery>> {
        self.c_claim_due(now, limit, lease, owner).await
    }
    async fn record_results(
        &self,
        r: &[super::DeliveryResult],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.c_record_results(r, owner, now).await
    }
    async fn occurrence_data(
        &self,
        o: &[String],
        s: &[i64],
    ) -> Result<std::collections::HashMap<String, super::OccurrenceData>> {
        self.c_occurrence_data(o, s).await
    }
    async fn outbox_counts(&self) -> Result<Vec<super::OutboxCounts>> {
        self.c_outbox_counts().await
    }
    async fn pending_deliveries(&self) -> Result<u64> {
        self.c_pending().await
    }
    async fn refresh_statistics(&self, tables: &[super::StatsTable]) -> Result<()> {
        // VACUUM (ANALYZE), not only ANALYZE: the facts are read by index-only scans, which
        // visit the table for every row of a page the visibility map does not mark all-visible
        // — every page of a freshly imported or rewritten table until a vacuum. Measured on
        // 1M customers / 4M orders / 6M events just imported, with autovacuum off (as on the
        // development machine; a busy server's autovacuum can lag as long): steady full cycle
        // 18.7 s before, 8.7 s after (both at load 6), vacuuming orders 1.0 s, events 1.7 s.
        // ANALYZE: `deliveries` analysed while empty looked like a table to scan and made the
        // next cycle's lookups take ~1.4 s each.
        if tables.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = tables.iter().map(|t| t.name()).collect();
        // Simple-query protocol: VACUUM cannot run inside a transaction block.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "VACUUM (ANALYZE) {}",
            names.join(", ")
        )))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
    async fn refresh_product_pairs(&self) -> Result<()> {
        self.s_refresh().await
    }
    async fn suggestions(&self, ids: &[String], n: usize) -> Result<super::Suggestions> {
        self.s_suggestions(ids, n).await
    }
    async fn try_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let got = sqlx::query(
            "INSERT INTO engine_state (name, lease_owner, lease_until) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until \
             WHERE engine_state.lease_until IS NULL OR engine_state.lease_until < $4 OR engine_state.lease_owner = $2 \
             RETURNING name",
        )
        .bind(name)
        .bind(owner)
        .bind(until)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(got.is_some())
    }
    async fn release_lease(&self, name: &str, owner: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE engine_state SET lease_owner = NULL, lease_until = NULL \
             WHERE name = $1 AND lease_owner = $2",
        )
        .bind(name)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
    async fn customer(&self, id: &str) -> Result<Option<super::CustomerProfile>> {
        let Some(r) = sqlx::query(
            "SELECT id, email, name, locale, timezone, attributes::text, subscribed, current_level::int8, target_level::int8 FROM customers WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(super::CustomerProfile {
            id: r.try_get(0)?,
            email: r.try_get(1)?,
            name: r.try_get(2)?,
            locale: r.try_get(3)?,
            timezone: r.try_get(4)?,
            attributes: serde_json::from_str(r.try_get::<&str, _>(5)?).unwrap_or_default(),
            subscribed: r.try_get(6)?,
            current: super::cycle::level_of(r.try_get(7)?),
            target: super::cycle::level_of(r.try_get(8)?),
        }))
    }
    async fn tracked_deliveries(
        &self,
        ids: &[uuid::Uuid],
    ) -> Result<std::collections::HashMap<uuid::Uuid, super::TrackedDelivery>> {
        self.t_tracked_deliveries(ids).await
    }
    async fn deliveries_by_message_id(
        &self,
        m: &[String],
    ) -> Result<std::collections::HashMap<String, super::TrackedDelivery>> {
        self.t_deliveries_by_message_id(m).await
    }
    async fn owners_by_provider_message(
        &self,
        provider: &str,
        ids: &[String],
    ) -> Result<HashMap<String, (String, Option<uuid::Uuid>)>> {
        super::postgres_webhook::owners_by_provider_message(&self.pool, provider, ids).await
    }

    async fn customers_by_email(
        &self,
        e: &[String],
    ) -> Result<std::collections::HashMap<String, String>> {
        self.t_customers_by_email(e).await
    }
    async fn add_event_comment(&self, key: &str, comment: &str) -> Result<bool> {
        self.t_add_event_comment(key, comment).await
    }
    async fn report(
        &self,
        f: &crate::domain::report::ReportFilter,
    ) -> Result<Vec<crate::domain::report::CampaignReport>> {
        self.r_report(f).await
    }
    async fn level_movement(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<crate::domain::LevelMovement> {
        self.r_level_movement(since, until).await
    }
    async fn enqueue_notifications(&self, rows: &[crate::domain::NewNotification]) -> Result<u64> {
        self.n_enqueue(rows).await
    }
    async fn claim_notifications(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::TimeDelta,
        owner: &str,
        endpoints: &[String],
    ) -> Result<Vec<crate::domain::ClaimedNotification>> {
        self.n_claim(now, limit, lease, owner, endpoints).await
    }
    async fn record_notifications(
        &self,
        r: &[crate::domain::NotificationResult],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.n_record(r, owner, now).await
    }
    async fn notification_counts(&self) -> Result<crate::domain::NotificationCounts> {
        self.n_counts().await
    }
}

/// Adds an address to the suppression list on the caller's connection; false when it was there.
async fn suppress_on(
    conn: &mut sqlx::PgConnection,
    email: &str,
    reason: &str,
    source: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO suppressions (email, reason, source, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(email)
    .bind(reason)
    .bind(source)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
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
        for chunk in batches(rows, BATCH) {
            let n = sqlx::query(
                "INSERT INTO customers (id, email, name, locale, timezone, subscribed, created_at, \
                 attributes, target_override, touched_at) \
                 SELECT id, email, name, locale, timezone, subscribed, created_at, attributes::jsonb, \
                 target_override, clock_timestamp() \
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], \
                 $7::timestamptz[], $8::text[], $9::int2[]) \
                 AS t(id, email, name, locale, timezone, subscribed, created_at, attributes, target_override) \
                 ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, \
                 locale = EXCLUDED.locale, timezone = EXCLUDED.timezone, subscribed = EXCLUDED.subscribed, \
                 created_at = EXCLUDED.created_at, attributes = EXCLUDED.attributes, \
                 target_override = EXCLUDED.target_override, touched_at = EXCLUDED.touched_at \
                 WHERE (customers.email, customers.name, customers.locale, customers.timezone, \
                 customers.subscribed, customers.created_at, customers.attributes, customers.target_override) \
                 IS DISTINCT FROM (EXCLUDED.email, EXCLUDED.name, EXCLUDED.locale, EXCLUDED.timezone, \
                 EXCLUDED.subscribed, EXCLUDED.created_at, EXCLUDED.attributes, EXCLUDED.target_override)",
            )
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
            .bind(chunk.iter().map(|c| c.target_override.map(|l| l.rank())).collect::<Vec<_>>())
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
            counts += UpsertCounts {
                written: n,
                unchanged: chunk.len() as u64 - n,
            };
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
            let written: Vec<(String, String)> = sqlx::query_as(
                "INSERT INTO orders (id, customer_id, occurred_at, amount, currency, margin, items) \
                 SELECT id, customer_id, occurred_at, amount, currency, margin, items::jsonb \
                 FROM UNNEST($1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::text[], \
                 $6::float8[], $7::text[]) AS t(id, customer_id, occurred_at, amount, currency, margin, items) \
                 ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id, \
                 occurred_at = EXCLUDED.occurred_at, amount = EXCLUDED.amount, currency = EXCLUDED.currency, \
                 margin = EXCLUDED.margin, items = EXCLUDED.items \
                 WHERE (orders.customer_id, orders.occurred_at, orders.amount, orders.currency, \
                 orders.margin, orders.items) IS DISTINCT FROM (EXCLUDED.customer_id, \
                 EXCLUDED.occurred_at, EXCLUDED.amount, EXCLUDED.currency, EXCLUDED.margin, EXCLUDED.items) \
                 RETURNING id, customer_id",
            )
            .bind(chunk.iter().map(|o| o.id.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|o| o.customer_id.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|o| o.occurred_at).collect::<Vec<_>>())
            .bind(chunk.iter().map(|o| o.amount).collect::<Vec<_>>())
            .bind(chunk.iter().map(|o| o.currency.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|o| o.margin).collect::<Vec<_>>())
            .bind(chunk.iter().map(|o| o.items.to_string()).collect::<Vec<_>>())
            .fetch_all(&mut *self.tx)
            .await?;
            counts += UpsertCounts {
                written: written.len() as u64,
                unchanged: (chunk.len() - written.len()) as u64,
            };
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
        let mut new = Vec::new();
        let mut seqs = Vec::new();
        let mut touched = HashSet::new();
        // Customers with at least one event that can change their assessment (a customer
        // whose only new rows were opens is not re-assessed; duplicates may over-touch, which
        // only costs a re-assessment).
        let movers: HashSet<&str> = rows
            .iter()
            .filter(|e| e.moves_assessment())
            .map(|e| e.customer_id.as_str())
            .collect();
        for (c, chunk) in batches(rows, BATCH).enumerate() {
            let keys: Vec<String> = chunk.iter().map(EventRecord::dedupe_key).collect();
            let written: Vec<(String, i64, String)> = sqlx::query_as(
                "INSERT INTO events (dedupe_key, customer_id, kind, custom_kind, occurred_at, data, \
                 machine, delivery_id) \
                 SELECT dedupe_key, customer_id, kind, custom_kind, occurred_at, data::jsonb, machine, \
                 delivery_id \
                 FROM UNNEST($1::text[], $2::text[], $3::int2[], $4::text[], $5::timestamptz[], \
                 $6::text[], $7::bool[], $8::uuid[]) \
                 AS t(dedupe_key, customer_id, kind, custom_kind, occurred_at, data, machine, delivery_id) \
                 ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key, seq, customer_id",
            )
            .bind(&keys)
            .bind(chunk.iter().map(|e| e.customer_id.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|e| e.kind.code()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|e| e.kind.custom_name()).collect::<Vec<_>>())
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
            let mut written_keys: std::collections::HashMap<String, i64> =
                std::collections::HashMap::with_capacity(written.len());
            for (key, seq, customer) in written {
                written_keys.insert(key, seq);
                if movers.contains(customer.as_str()) {
                    touched.insert(customer);
                }
            }
            // The first row with a key is the one stored (a repeat in the same batch is not).
            for (i, key) in keys.iter().enumerate() {
                if let Some(seq) = written_keys.remove(key) {
                    new.push(c * BATCH + i);
                    seqs.push(seq);
                }
            }
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
        let deltas = crate::domain::engagement::fold(
            new.iter().map(|&i| &rows[i]).zip(seqs.iter().copied()),
        );
        super::postgres_engagement::merge(&mut self.tx, &deltas).await?;
        self.touch(touched).await?;
        Ok(new)
    }

    async fn suppress(
        &mut self,
        email: &str,
        reason: &str,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(suppress_on(&mut self.tx, email, reason, source, at).await?)
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

    async fn enqueue_notifications(
        &mut self,
        rows: &[crate::domain::NewNotification],
    ) -> Result<u64> {
        super::postgres_notify::insert_notifications(&mut self.tx, rows).await
    }

    async fn use_webhook_token(
        &mut self,
        provider: &str,
        token: &crate::domain::SingleUseToken,
        now: DateTime<Utc>,
    ) -> Result<super::TokenUse> {
        super::postgres_webhook::use_token(&mut self.tx, provider, token, now).await
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}
