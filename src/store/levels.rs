//! What the cycle writes (levels with their history, queued deliveries) and what `rapport
//! levels` and `explain` read back.

use super::columns::Columns;
use super::dialect::Dialect;
use super::rows::history_entry;
use super::{Result, StatsTable};
use crate::domain::{Level, NewNotification};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Executor;

#[async_trait]
pub trait Levels {
    /// Writes changed levels (with history) and queues deliveries (idempotent per
    /// customer+campaign+occurrence); returns how many deliveries were new.
    async fn apply_cycle(
        &self,
        changes: &[LevelChange],
        deliveries: &[NewDelivery],
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let writes = CycleWrites {
            changes,
            deliveries,
            notifications: &[],
        };
        self.apply_cycle_notifying(writes, at).await
    }
    /// [`Levels::apply_cycle`] that also queues the `level_changed` notifications announcing
    /// the changes, in the same transaction: they exist exactly when the levels were written.
    async fn apply_cycle_notifying(
        &self,
        writes: CycleWrites<'_>,
        at: DateTime<Utc>,
    ) -> Result<u64>;
    async fn level_counts(&self, now: DateTime<Utc>) -> Result<LevelCounts>;
    async fn level_history(&self, customer_id: &str) -> Result<Vec<HistoryEntry>>;
    /// After a bulk write (an import, a cycle that changed many levels or queued many
    /// deliveries): refresh the planner statistics and visibility map of `tables` (VACUUM
    /// (ANALYZE) on PostgreSQL), so the next statements plan for the data as it is now and
    /// index-only scans stay index-only — without waiting for autovacuum, which may be off or
    /// behind (a no-op where the database keeps no such state the engine depends on).
    /// How many of a cycle's chunk writes may run at once, each in its own transaction: one
    /// where the database has a single writer.
    fn cycle_writes_at_once(&self) -> usize {
        1
    }
    async fn refresh_statistics(&self, tables: &[StatsTable]) -> Result<()> {
        let _ = tables;
        Ok(())
    }
}

/// What one cycle writes together, in one transaction: level changes, the deliveries it
/// queues, and the `level_changed` notifications announcing the changes.
#[derive(Debug, Clone, Copy)]
pub struct CycleWrites<'a> {
    pub changes: &'a [LevelChange],
    pub deliveries: &'a [NewDelivery],
    pub notifications: &'a [NewNotification],
}

/// A level change to write: the new levels and, when the current level differs (or is the
/// customer's first), a history row.
#[derive(Debug, Clone)]
pub struct LevelChange {
    pub customer_id: String,
    /// None: the customer's first assessment (history row with `from_level` NULL).
    pub from: Option<Level>,
    pub current: Level,
    pub target: Level,
    pub reasons: Vec<String>,
}

impl LevelChange {
    /// Whether this change writes a history row: the first assessment, or a move.
    pub fn writes_history(&self) -> bool {
        self.from != Some(self.current)
    }

    /// A move between two assessments (not the first one): what `level_changed` announces.
    pub fn is_move(&self) -> bool {
        self.from.is_some_and(|f| f != self.current)
    }

    /// The reasons as stored (a JSON array of strings).
    pub(crate) fn reasons_json(&self) -> String {
        serde_json::to_string(&self.reasons).unwrap_or_default()
    }
}

/// A delivery the planner queues.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub id: uuid::Uuid,
    pub customer_id: String,
    pub campaign: String,
    pub occurrence: String,
    pub service: bool,
    pub current: Level,
    pub target: Level,
    pub send_at: DateTime<Utc>,
    pub message_id: String,
    /// A follow-up's `unless` anchor: activity of its kinds at or after this instant cancels
    /// the delivery at send time (see `Outbox::activity_since`). None: no `unless`.
    pub unless_since: Option<DateTime<Utc>>,
    /// The experiment's variant the customer is in; None without variants.
    pub variant: Option<String>,
    /// In the campaign's hold-out: stored with status `held_out`, never claimed for sending.
    pub held_out: bool,
}

impl NewDelivery {
    /// The status the delivery starts in.
    pub fn initial_status(&self) -> &'static str {
        if self.held_out { "held_out" } else { "queued" }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryEntry {
    /// None: the customer's first assessment, where they started.
    pub from: Option<Level>,
    pub to: Level,
    pub at: DateTime<Utc>,
    pub reasons: Vec<String>,
}

/// Counts per level for `rapport levels`.
#[derive(Debug, Clone, Default)]
pub struct LevelCounts {
    pub current: [u64; 5],
    pub target: [u64; 5],
    /// The same per locale (`demo` shows how the levels spread across the shop's languages).
    pub by_locale: std::collections::BTreeMap<String, ([u64; 5], [u64; 5])>,
    pub climbed_30d: u64,
    pub dropped_30d: u64,
}

impl LevelCounts {
    /// Adds a (locale, current level, target level, count) row.
    pub(crate) fn add_row(&mut self, r: &impl Columns) -> Result<()> {
        self.add(r.text(0)?, r.level(1)?, r.level(2)?, r.count(3)?);
        Ok(())
    }

    /// Adds `n` customers of `locale` at current level `current` and target `target`.
    pub(crate) fn add(&mut self, locale: String, current: Level, target: Level, n: u64) {
        let (c, t) = ((current.rank() - 1) as usize, (target.rank() - 1) as usize);
        self.current[c] += n;
        self.target[t] += n;
        let entry = self.by_locale.entry(locale).or_default();
        entry.0[c] += n;
        entry.1[t] += n;
    }
}

/// Climbs and drops recorded since `since`: `rapport levels`' figures for the last 30 days.
pub(crate) async fn moves_since<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    since: DateTime<Utc>,
) -> Result<(u64, u64)> {
    let r = sqlx::query::<DB>(
        "SELECT COUNT(*) FILTER (WHERE to_level > from_level), \
         COUNT(*) FILTER (WHERE to_level < from_level) FROM level_history WHERE at >= $1",
    )
    .bind(DB::time(since))
    .fetch_one(db)
    .await?;
    Ok((r.count(0)?, r.count(1)?))
}

/// Runs a backend's level-history statement (its own SQL: PostgreSQL casts the small
/// integer levels) for customer `id` and reads the entries.
pub(crate) async fn level_history<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    sql: &'static str,
    id: &str,
) -> Result<Vec<HistoryEntry>> {
    let rows = sqlx::query::<DB>(sql)
        .bind(DB::text(id))
        .fetch_all(db)
        .await?;
    rows.iter().map(history_entry).collect()
}
