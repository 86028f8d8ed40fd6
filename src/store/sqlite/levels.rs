//! SQLite: the cycle's writes (levels, history, queued deliveries) and the level reads.

use super::SqliteStore;
use super::notifications::insert_notifications;
use crate::store::levels::{level_history, moves_since};
use crate::store::time::to_ms;
use crate::store::{CycleWrites, HistoryEntry, LevelChange, LevelCounts, Levels, Result, batches};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite};

/// Rows per multi-row statement: the first cycle after an import changes every customer, and
/// one UPDATE + one INSERT per customer through sqlx took ~2 minutes for 1M. 15 variables
/// per row at most: 30,000, below SQLite's 32,766.
const BATCH: usize = 2_000;

#[async_trait]
impl Levels for SqliteStore {
    async fn apply_cycle_notifying(
        &self,
        writes: CycleWrites<'_>,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        for chunk in batches(writes.changes, BATCH) {
            let reasons: Vec<String> = chunk.iter().map(LevelChange::reasons_json).collect();
            // A move (or the first assessment) also records where the customer came from
            // and since when the level holds; a change of the target alone keeps both.
            let mut q =
                QueryBuilder::<Sqlite>::new("WITH t (id, cur, tgt, reasons, moved, prev) AS (");
            q.push_values(chunk.iter().zip(&reasons), |mut b, (c, r)| {
                b.push_bind(&c.customer_id)
                    .push_bind(c.current.rank())
                    .push_bind(c.target.rank())
                    .push_bind(r)
                    .push_bind(c.writes_history())
                    .push_bind(c.from.map(crate::domain::Level::rank));
            });
            // Only customers that still exist: one forgotten since the facts were read gets
            // no levels and no history (the key to customers would refuse them).
            q.push(
                ") INSERT INTO customer_levels (customer_id, current_level, target_level, \
                 previous_level, level_since, assessed_at, level_reasons) \
                 SELECT t.id, t.cur, t.tgt, CASE WHEN t.moved THEN t.prev END, \
                 CASE WHEN t.moved THEN ",
            );
            q.push_bind(to_ms(at)).push(" END, ");
            q.push_bind(to_ms(at)).push(
                ", t.reasons FROM t WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = t.id) \
                 ON CONFLICT (customer_id) DO UPDATE SET current_level = excluded.current_level, \
                 target_level = excluded.target_level, level_reasons = excluded.level_reasons, \
                 assessed_at = excluded.assessed_at, \
                 previous_level = CASE WHEN excluded.level_since IS NULL \
                 THEN customer_levels.previous_level ELSE excluded.previous_level END, \
                 level_since = COALESCE(excluded.level_since, customer_levels.level_since)",
            );
            q.build().execute(&mut *tx).await?;
            let moved: Vec<(&LevelChange, &String)> = chunk
                .iter()
                .zip(&reasons)
                .filter(|(c, _)| c.writes_history())
                .collect();
            if moved.is_empty() {
                continue;
            }
            let mut q =
                QueryBuilder::<Sqlite>::new("WITH h (id, from_level, to_level, at, reasons) AS (");
            q.push_values(moved, |mut b, (c, r)| {
                b.push_bind(&c.customer_id)
                    .push_bind(c.from.map(crate::domain::Level::rank))
                    .push_bind(c.current.rank())
                    .push_bind(to_ms(at))
                    .push_bind(r);
            });
            q.push(
                ") INSERT INTO level_history (customer_id, from_level, to_level, at, reasons) \
                 SELECT * FROM h WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = h.id)",
            );
            q.build().execute(&mut *tx).await?;
        }
        let mut queued = 0;
        for chunk in batches(writes.deliveries, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO deliveries (id, customer_id, campaign, occurrence, service, status, current_level, \
                 target_level, send_at, next_attempt_at, message_id, created_at, updated_at, unless_since, variant) ",
            );
            q.push_values(chunk, |mut b, d| {
                b.push_bind(d.id.to_string())
                    .push_bind(&d.customer_id)
                    .push_bind(&d.campaign)
                    .push_bind(&d.occurrence)
                    .push_bind(d.service)
                    .push_bind(d.initial_status())
                    .push_bind(d.current.rank())
                    .push_bind(d.target.rank())
                    .push_bind(to_ms(d.send_at))
                    .push_bind(to_ms(d.send_at))
                    .push_bind(&d.message_id)
                    .push_bind(to_ms(at))
                    .push_bind(to_ms(at))
                    .push_bind(d.unless_since.map(to_ms))
                    .push_bind(&d.variant);
            });
            q.push(" ON CONFLICT (customer_id, campaign, occurrence) DO NOTHING");
            queued += q.build().execute(&mut *tx).await?.rows_affected();
        }
        // The level_changed notifications commit with the levels they announce.
        insert_notifications(&mut tx, writes.notifications).await?;
        tx.commit().await?;
        Ok(queued)
    }

    async fn level_counts(&self, now: DateTime<Utc>) -> Result<LevelCounts> {
        let mut counts = LevelCounts::default();
        let rows = sqlx::query(
            "SELECT c.locale, COALESCE(l.current_level, 1), COALESCE(l.target_level, 1), COUNT(*) \
             FROM customers c LEFT JOIN customer_levels l ON l.customer_id = c.id GROUP BY 1, 2, 3",
        )
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            counts.add_row(r)?;
        }
        let since = now - chrono::TimeDelta::days(30);
        (counts.climbed_30d, counts.dropped_30d) = moves_since(&self.pool, since).await?;
        Ok(counts)
    }

    async fn level_history(&self, id: &str) -> Result<Vec<HistoryEntry>> {
        let sql = "SELECT from_level, to_level, at, reasons FROM level_history \
                   WHERE customer_id = $1 ORDER BY at, seq";
        level_history(&self.pool, sql, id).await
    }
}
