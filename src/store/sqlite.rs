//! SQLite: the embedded default. WAL for concurrent readers, foreign keys on, a busy
//! timeout, and every write transaction opened with `BEGIN IMMEDIATE` — a deferred
//! transaction that later upgrades to a write fails with SQLITE_BUSY, which busy_timeout
//! cannot help with (docs/architecture.md).

use super::time::to_ms;
use super::{ImportTx, Result, Store, StoreError, TableCounts, UpsertCounts, batches};
use crate::domain::{CustomerRecord, EventRecord, OrderRecord};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, Transaction};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::time::Duration;

/// Rows per multi-row INSERT: 10 columns × 500 stays far below SQLite's 32,766 variables.
const BATCH: usize = 500;

pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    /// The cycle's bulk reads, on the same file (see `sqlite_bulk`).
    pub(crate) bulk: super::sqlite_bulk::BulkReader,
}

impl SqliteStore {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        // The cycle reads the file from connections of its own, and a database that vanishes
        // with the process has no place in a mail engine's state.
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(StoreError::Invalid(format!(
                "database.url {url}: an in-memory SQLite database is not supported; give a file (sqlite://PATH)"
            )));
        }
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        if let Some(dir) = opts.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Invalid(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(opts.clone())
            .await?;
        let bulk = super::sqlite_bulk::BulkReader::new(opts.get_filename().to_path_buf());
        Ok(SqliteStore { pool, bulk })
    }

    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("migrations/sqlite").run(&self.pool).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn begin_import(&self) -> Result<Box<dyn ImportTx>> {
        let mut tx = self.begin_write().await?;
        // A large cache for the import: one file is one transaction, and with the default
        // 2 MiB the id and email indexes spill to the WAL and are read back page by page
        // (measured: 1M customers 16.7 s → 12.4–14.7 s with 256 MiB). Reset at commit.
        sqlx::query("PRAGMA cache_size = -262144")
            .execute(&mut *tx)
            .await?;
        Ok(Box::new(SqliteImport {
            tx,
            locked_at: Utc::now(),
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
        let mut tx = self.begin_write().await?;
        let done = suppress_on(&mut tx, email, reason, source, at).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn suppression(&self, email: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT reason FROM suppressions WHERE email = ?")
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
        // Writers stamp `touched_at` with the time they took the write lock (see
        // `SqliteImport::locked_at`). Taking the lock here means no write is open: all are
        // committed (and visible to the facts read that follows) or will lock, and stamp,
        // after this instant. A long import holding the lock is not waited for beyond a
        // second: the previous watermark, older than its lock, stays.
        let mut conn = self.pool.acquire().await?;
        sqlx::query("PRAGMA busy_timeout = 1000")
            .execute(&mut *conn)
            .await?;
        let locked = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await;
        let mark = Utc::now();
        if locked.is_ok() {
            sqlx::query("COMMIT").execute(&mut *conn).await?;
        }
        sqlx::query("PRAGMA busy_timeout = 10000")
            .execute(&mut *conn)
            .await?;
        match locked {
            Ok(_) => Ok(Some(mark)),
            Err(sqlx::Error::Database(e)) if e.message().contains("locked") => Ok(None),
            Err(e) => Err(e.into()),
        }
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
        let mut tx = self.begin_write().await?;
        let got = sqlx::query(
            "INSERT INTO engine_state (name, lease_owner, lease_until) VALUES (?1, ?2, ?3) \
             ON CONFLICT (name) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until \
             WHERE engine_state.lease_until IS NULL OR engine_state.lease_until < ?4 OR engine_state.lease_owner = ?2 \
             RETURNING name",
        )
        .bind(name)
        .bind(owner)
        .bind(super::time::to_ms(until))
        .bind(super::time::to_ms(now))
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(got.is_some())
    }
    async fn release_lease(&self, name: &str, owner: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE engine_state SET lease_owner = NULL, lease_until = NULL \
             WHERE name = ?1 AND lease_owner = ?2",
        )
        .bind(name)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
    async fn customer(&self, id: &str) -> Result<Option<super::CustomerProfile>> {
        let Some(r) = sqlx::query(
            "SELECT id, email, name, locale, timezone, attributes, subscribed, current_level, target_level FROM customers WHERE id = ?",
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
        super::sqlite_webhook::owners_by_provider_message(&self.pool, provider, ids).await
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
    conn: &mut sqlx::SqliteConnection,
    email: &str,
    reason: &str,
    source: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO suppressions (email, reason, source, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(email)
    .bind(reason)
    .bind(source)
    .bind(to_ms(at))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

struct SqliteImport {
    tx: Transaction<'static, Sqlite>,
    /// When the write lock was taken (BEGIN IMMEDIATE): the `touched_at` stamp. A stamp
    /// taken before the lock could be older than a cycle that ran while this transaction
    /// waited or wrote, and the incremental cycles after it would miss these customers.
    locked_at: DateTime<Utc>,
}

impl SqliteImport {
    /// Rewrites the order lines of orders that were inserted or changed.
    async fn replace_items<'a>(
        &mut self,
        orders: impl Iterator<Item = &'a OrderRecord>,
    ) -> Result<()> {
        let mut lines = Vec::new();
        let mut ids = Vec::new();
        for o in orders {
            ids.push(o.id.as_str());
            for (sku, name) in o.lines() {
                lines.push((o.id.as_str(), o.customer_id.as_str(), sku, name));
            }
        }
        // One statement per batch, not per order: each sqlx-sqlite statement is a round trip
        // to its worker thread, and a per-order DELETE held a 4M-order import to 17k rows/s.
        for chunk in batches(&ids, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new("DELETE FROM order_items WHERE order_id IN (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            q.build().execute(&mut *self.tx).await?;
        }
        for chunk in batches(&lines, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO order_items (order_id, customer_id, sku, name) ",
            );
            q.push_values(chunk, |mut b, (o, c, sku, name)| {
                b.push_bind(*o)
                    .push_bind(*c)
                    .push_bind(*sku)
                    .push_bind(*name);
            });
            q.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Marks customers whose orders/events changed, for the next incremental cycle.
    async fn touch(&mut self, ids: HashSet<String>) -> Result<()> {
        let ids: Vec<String> = ids.into_iter().collect();
        for chunk in batches(&ids, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new("UPDATE customers SET touched_at = ");
            q.push_bind(to_ms(self.locked_at)).push(" WHERE id IN (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(id);
            }
            q.push(")");
            q.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl ImportTx for SqliteImport {
    async fn existing_customers(&mut self, ids: &[&str]) -> Result<HashSet<String>> {
        let mut found = HashSet::new();
        for chunk in batches(ids, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new("SELECT id FROM customers WHERE id IN (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            for row in q.build().fetch_all(&mut *self.tx).await? {
                found.insert(row.get::<String, _>(0));
            }
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
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO customers (id, email, name, locale, timezone, subscribed, created_at, \
                 attributes, target_override, touched_at) ",
            );
            q.push_values(chunk, |mut b, c| {
                b.push_bind(c.id.as_str())
                    .push_bind(c.email.as_str())
                    .push_bind(&c.name)
                    .push_bind(c.locale.as_str())
                    .push_bind(c.timezone.name())
                    .push_bind(c.subscribed)
                    .push_bind(to_ms(c.created_at))
                    .push_bind(serde_json::Value::Object(c.attributes.clone()).to_string())
                    .push_bind(c.target_override.map(|l| l.rank()))
                    .push_bind(to_ms(self.locked_at));
            });
            // Update only what differs, so a re-import writes nothing and touches no one.
            q.push(
                " ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name, \
                 locale = excluded.locale, timezone = excluded.timezone, \
                 subscribed = excluded.subscribed, created_at = excluded.created_at, \
                 attributes = excluded.attributes, target_override = excluded.target_override, \
                 touched_at = excluded.touched_at \
                 WHERE customers.email IS NOT excluded.email OR customers.name IS NOT excluded.name \
                 OR customers.locale IS NOT excluded.locale OR customers.timezone IS NOT excluded.timezone \
                 OR customers.subscribed IS NOT excluded.subscribed \
                 OR customers.created_at IS NOT excluded.created_at \
                 OR customers.attributes IS NOT excluded.attributes \
                 OR customers.target_override IS NOT excluded.target_override",
            );
            let n = q.build().execute(&mut *self.tx).await?.rows_affected();
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
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO orders (id, customer_id, occurred_at, amount, currency, margin, items) ",
            );
            q.push_values(chunk, |mut b, o| {
                b.push_bind(&o.id)
                    .push_bind(o.customer_id.as_str())
                    .push_bind(to_ms(o.occurred_at))
                    .push_bind(o.amount)
                    .push_bind(o.currency.as_str())
                    .push_bind(o.margin)
                    .push_bind(o.items.to_string());
            });
            q.push(
                " ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, \
                 occurred_at = excluded.occurred_at, amount = excluded.amount, \
                 currency = excluded.currency, margin = excluded.margin, items = excluded.items \
                 WHERE orders.customer_id IS NOT excluded.customer_id \
                 OR orders.occurred_at IS NOT excluded.occurred_at OR orders.amount IS NOT excluded.amount \
                 OR orders.currency IS NOT excluded.currency OR orders.margin IS NOT excluded.margin \
                 OR orders.items IS NOT excluded.items \
                 RETURNING id, customer_id",
            );
            let written = q.build().fetch_all(&mut *self.tx).await?;
            let ids: HashSet<String> = written.iter().map(|r| r.get::<String, _>(0)).collect();
            self.replace_items(chunk.iter().filter(|o| ids.contains(&o.id)))
                .await?;
            counts += UpsertCounts {
                written: written.len() as u64,
                unchanged: (chunk.len() - written.len()) as u64,
            };
            touched.extend(written.into_iter().map(|r| r.get::<String, _>(1)));
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
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (dedupe_key, customer_id, kind, custom_kind, occurred_at, data, \
                 machine, delivery_id) ",
            );
            q.push_values(chunk.iter().zip(&keys), |mut b, (e, key)| {
                b.push_bind(key)
                    .push_bind(e.customer_id.as_str())
                    .push_bind(e.kind.code())
                    .push_bind(e.kind.custom_name().map(str::to_string))
                    .push_bind(to_ms(e.occurred_at))
                    .push_bind(serde_json::Value::Object(e.data.clone()).to_string())
                    .push_bind(e.machine)
                    .push_bind(e.delivery_id.map(|d| d.to_string()));
            });
            q.push(" ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key, seq, customer_id");
            let mut written: std::collections::HashMap<String, i64> = Default::default();
            for r in q.build().fetch_all(&mut *self.tx).await? {
                written.insert(r.get(0), r.get(1));
                let customer: String = r.get(2);
                if movers.contains(customer.as_str()) {
                    touched.insert(customer);
                }
            }
            // The first row with a key is the one stored (a repeat in the same batch is not).
            for (i, key) in keys.iter().enumerate() {
                if let Some(seq) = written.remove(key) {
                    new.push(c * BATCH + i);
                    seqs.push(seq);
                }
            }
        }
        for e in rows {
            if let Some(reason) = e.suppression_reason() {
                sqlx::query(
                    "INSERT INTO suppressions (email, reason, source, created_at) \
                     SELECT email, ?, 'event', ? FROM customers WHERE id = ? ON CONFLICT (email) DO NOTHING",
                )
                .bind(reason)
                .bind(to_ms(now))
                .bind(e.customer_id.as_str())
                .execute(&mut *self.tx)
                .await?;
            }
        }
        let deltas = crate::domain::engagement::fold(
            new.iter().map(|&i| &rows[i]).zip(seqs.iter().copied()),
        );
        super::sqlite_engagement::merge(&mut self.tx, &deltas).await?;
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
        let mut out = HashMap::new();
        for chunk in batches(customers, BATCH) {
            // events_facts (customer_id, occurred_at, kind, …) finds both sides per customer.
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT e.customer_id, COUNT(*) FROM events e \
                 WHERE e.kind = 11 AND json_extract(e.data, '$.type') = 'soft' \
                 AND e.occurred_at > COALESCE((SELECT MAX(g.occurred_at) FROM events g \
                 WHERE g.customer_id = e.customer_id AND g.kind IN (1, 2, 13)), -1) \
                 AND e.customer_id IN (",
            );
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(id);
            }
            q.push(") GROUP BY e.customer_id");
            for row in q.build().fetch_all(&mut *self.tx).await? {
                out.insert(row.get::<String, _>(0), row.get::<i64, _>(1) as u64);
            }
        }
        Ok(out)
    }

    async fn enqueue_notifications(
        &mut self,
        rows: &[crate::domain::NewNotification],
    ) -> Result<u64> {
        super::sqlite_notify::insert_notifications(&mut self.tx, rows).await
    }

    async fn use_webhook_token(
        &mut self,
        provider: &str,
        token: &crate::domain::SingleUseToken,
        now: DateTime<Utc>,
    ) -> Result<super::TokenUse> {
        super::sqlite_webhook::use_token(&mut self.tx, provider, token, now).await
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        sqlx::query("PRAGMA cache_size = -2000")
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}
