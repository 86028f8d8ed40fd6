//! SQLite: `rapport report`, level movement and table sizes (SQL in `sql/sqlite_report_*.sql`).

use super::{SqliteStore, rates_json};
use crate::domain::LevelMovement;
use crate::domain::report::{CampaignReport, ReportFilter};
use crate::store::portable;
use crate::store::reports;
use crate::store::rows::report_rows;
use crate::store::time::to_ms;
use crate::store::{Reports, Result, TableCounts};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::ops::Range;

#[async_trait]
impl Reports for SqliteStore {
    async fn transport_tallies(
        &self,
        campaign: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<crate::store::TransportTally>> {
        crate::store::tallies::read(&self.pool, campaign, since).await
    }

    async fn counts(&self) -> Result<TableCounts> {
        portable::table_counts(&self.pool).await
    }

    async fn report(&self, f: &ReportFilter) -> Result<Vec<CampaignReport>> {
        let since = f.since.map(to_ms);
        let locale = f.locale.as_deref();
        let campaign = f.campaign.as_deref();
        // Three independent read queries on pooled connections: WAL readers run side by
        // side, so the report takes as long as the slowest of them, not their sum.
        // Without --since/--locale the cheaper variants need no row of deliveries but the
        // campaign (see the SQL files for the measurements).
        let filtered = since.is_some() || locale.is_some();
        let status = if filtered {
            sqlx::query(include_str!("../sql/sqlite_report_status.sql"))
                .bind(campaign)
                .bind(since)
                .bind(locale)
        } else {
            sqlx::query(include_str!("../sql/sqlite_report_status_all.sql")).bind(campaign)
        }
        .fetch_all(&self.pool);
        let engagement = sqlx::query(include_str!("../sql/sqlite_report_engagement.sql"))
            .bind(campaign)
            .bind(since)
            .bind(locale)
            .fetch_all(&self.pool);
        let rates = rates_json(&f.rates);
        let conversions = sqlx::query(include_str!("../sql/sqlite_report_conversions.sql"))
            .bind(campaign)
            .bind(since)
            .bind(locale)
            .bind(&rates)
            .bind(f.conversion_window.num_milliseconds())
            .fetch_all(&self.pool);
        let (status, engagement, conversions) = tokio::try_join!(status, engagement, conversions)?;
        report_rows(&status, &engagement, &conversions)
    }

    async fn level_movement(&self, period: Range<DateTime<Utc>>) -> Result<LevelMovement> {
        let sql = include_str!("../sql/sqlite_level_movement.sql");
        reports::level_movement(&self.pool, sql, period).await
    }
}
