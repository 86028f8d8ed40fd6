//! What `rapport report`, `status` and the dashboard read: per-campaign figures, level
//! movement and table sizes.

use super::Result;
use super::dialect::Dialect;
use super::rows::transition;
use crate::domain::LevelMovement;
use crate::domain::report::{CampaignReport, ReportFilter};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Executor;
use std::ops::Range;

#[async_trait]
pub trait Reports {
    async fn counts(&self) -> Result<TableCounts>;
    /// Per-campaign figures of `rapport report` (set-based: a few aggregate queries).
    async fn report(&self, filter: &ReportFilter) -> Result<Vec<CampaignReport>>;
    /// Level changes in `period` (`since..until`) by (from, to), with the mean time at `from`
    /// before.
    async fn level_movement(&self, period: Range<DateTime<Utc>>) -> Result<LevelMovement>;
    /// Each transport's sent, failed, throttled and failed-over emails, from `since`'s UTC
    /// day on, for one campaign or all (`rapport report --transports`).
    async fn transport_tallies(
        &self,
        campaign: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<super::TransportTally>>;
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TableCounts {
    pub customers: u64,
    pub orders: u64,
    pub events: u64,
    pub suppressions: u64,
}

/// Runs a backend's level-movement statement (its own SQL: the time arithmetic differs;
/// `since` and `until` bound first and second) and gathers the moves.
pub(crate) async fn level_movement<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    sql: &'static str,
    Range {
        start: since,
        end: until,
    }: Range<DateTime<Utc>>,
) -> Result<LevelMovement> {
    let rows = sqlx::query::<DB>(sql)
        .bind(DB::time(since))
        .bind(DB::time(until))
        .fetch_all(db)
        .await?;
    let mut m = LevelMovement::empty(since, until);
    m.transitions = rows.iter().map(transition).collect::<Result<_>>()?;
    Ok(m)
}
