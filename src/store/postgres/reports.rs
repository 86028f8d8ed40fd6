//! PostgreSQL: `rapport report`, level movement and table sizes (SQL in
//! `sql/postgres_report_*.sql`).

use super::PgStore;
use crate::domain::LevelMovement;
use crate::domain::report::{CampaignReport, ReportFilter};
use crate::store::portable;
use crate::store::reports;
use crate::store::rows::report_rows;
use crate::store::{Reports, Result, TableCounts};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use std::ops::Range;

/// Sorts and hashes of a report query stay in memory (the 4 MB default spilled to disk).
const REPORT: &str = "SET LOCAL work_mem = '64MB'";

/// Runs one report query in its own transaction with planner settings for it alone.
pub(super) async fn fetch_tuned(
    pool: &sqlx::PgPool,
    settings: &'static str,
    q: sqlx::query::Query<'_, sqlx::Postgres, PgArguments>,
) -> Result<Vec<PgRow>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::raw_sql(settings).execute(&mut *tx).await?;
    let rows = q.fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok(rows)
}

#[async_trait]
impl Reports for PgStore {
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
        let since = f.since;
        let locale = f.locale.as_deref();
        let campaign = f.campaign.as_deref();
        // Independent read queries on separate pooled connections, run side by side.
        let status = fetch_tuned(
            &self.pool,
            REPORT,
            sqlx::query(include_str!("../sql/postgres_report_status.sql"))
                .bind(campaign)
                .bind(since)
                .bind(locale),
        );
        let engagement = fetch_tuned(
            &self.pool,
            REPORT,
            sqlx::query(include_str!("../sql/postgres_report_engagement.sql"))
                .bind(campaign)
                .bind(since)
                .bind(locale),
        );
        let currencies: Vec<&str> = f.rates.iter().map(|(c, _)| c.as_str()).collect();
        let rates: Vec<f64> = f.rates.iter().map(|(_, r)| *r).collect();
        let conversions = fetch_tuned(
            &self.pool,
            REPORT,
            sqlx::query(include_str!("../sql/postgres_report_conversions.sql"))
                .bind(campaign)
                .bind(since)
                .bind(locale)
                .bind(&currencies)
                .bind(&rates)
                .bind(f.conversion_window.num_milliseconds() as f64 / 1000.0),
        );
        let (status, engagement, conversions) = tokio::try_join!(status, engagement, conversions)?;
        report_rows(&status, &engagement, &conversions)
    }

    async fn level_movement(&self, period: Range<DateTime<Utc>>) -> Result<LevelMovement> {
        let sql = include_str!("../sql/postgres_level_movement.sql");
        reports::level_movement(&self.pool, sql, period).await
    }
}
