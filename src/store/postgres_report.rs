//! PostgreSQL side of `rapport report` and level movement (SQL in `sql/postgres_report_*.sql`).

use super::cycle::level_of;
use super::{PgStore, Result};
use crate::domain::report::{
    CampaignReport, ConversionRow, FunnelRow, ReportFilter, SurveyRow, merge,
};
use crate::domain::{LevelMovement, Transition};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// Sorts and hashes of a report query stay in memory (the 4 MB default spilled to disk).
const REPORT: &str = "SET LOCAL work_mem = '64MB'";
/// Runs one report query in its own transaction with planner settings for it alone.
async fn fetch_tuned(
    pool: &sqlx::PgPool,
    settings: &'static str,
    q: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
) -> Result<Vec<sqlx::postgres::PgRow>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::raw_sql(settings).execute(&mut *tx).await?;
    let rows = q.fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok(rows)
}

fn n(r: &sqlx::postgres::PgRow, i: usize) -> Result<u64, sqlx::Error> {
    Ok(r.try_get::<Option<i64>, _>(i)?.unwrap_or(0).max(0) as u64)
}

impl PgStore {
    pub(super) async fn r_report(&self, f: &ReportFilter) -> Result<Vec<CampaignReport>> {
        let since = f.since;
        let locale = f.locale.as_deref();
        let campaign = f.campaign.as_deref();
        // Independent read queries on separate pooled connections, run side by side.
        let status = fetch_tuned(
            &self.pool,
            REPORT,
            sqlx::query(include_str!("sql/postgres_report_status.sql"))
                .bind(campaign)
                .bind(since)
                .bind(locale),
        );
        let engagement = fetch_tuned(
            &self.pool,
            REPORT,
            sqlx::query(include_str!("sql/postgres_report_engagement.sql"))
                .bind(campaign)
                .bind(since)
                .bind(locale),
        );
        let currencies: Vec<&str> = f.rates.iter().map(|(c, _)| c.as_str()).collect();
        let rates: Vec<f64> = f.rates.iter().map(|(_, r)| *r).collect();
        let conversions = fetch_tuned(
            &self.pool,
            REPORT,
            sqlx::query(include_str!("sql/postgres_report_conversions.sql"))
                .bind(campaign)
                .bind(since)
                .bind(locale)
                .bind(&currencies)
                .bind(&rates)
                .bind(f.conversion_window.num_milliseconds() as f64 / 1000.0),
        );
        let (status, engagement, conversions) = tokio::try_join!(status, engagement, conversions)?;

        let mut funnel = Vec::with_capacity(status.len() + engagement.len());
        for r in &status {
            funnel.push(FunnelRow {
                campaign: r.try_get(0)?,
                queued: n(r, 1)?,
                sent: n(r, 2)?,
                failed: n(r, 3)?,
                suppressed: n(r, 4)?,
                ..Default::default()
            });
        }
        for r in &engagement {
            funnel.push(FunnelRow {
                campaign: r.try_get(0)?,
                delivered: n(r, 1)?,
                opened: n(r, 2)?,
                opened_all: n(r, 3)?,
                clicked: n(r, 4)?,
                unsubscribed: n(r, 5)?,
                bounced: n(r, 6)?,
                complained: n(r, 7)?,
                ..Default::default()
            });
        }
        let surveys = engagement
            .iter()
            .map(|r| {
                Ok(SurveyRow {
                    campaign: r.try_get(0)?,
                    answers: n(r, 8)?,
                    score_sum: n(r, 9)?,
                    promoters: n(r, 10)?,
                    detractors: n(r, 11)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let conversions = conversions
            .iter()
            .map(|r| {
                Ok(ConversionRow {
                    campaign: r.try_get(0)?,
                    converted: n(r, 1)?,
                    revenue: r.try_get::<Option<f64>, _>(2)?.unwrap_or(0.0),
                    unpriced: n(r, 3)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(merge(funnel, surveys, conversions))
    }

    pub(super) async fn r_level_movement(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<LevelMovement> {
        let rows = sqlx::query(include_str!("sql/postgres_level_movement.sql"))
            .bind(since)
            .bind(until)
            .fetch_all(&self.pool)
            .await?;
        let mut m = LevelMovement::empty(since, until);
        for r in &rows {
            m.transitions.push(Transition {
                from: level_of(r.try_get(0)?),
                to: level_of(r.try_get(1)?),
                count: n(r, 2)?,
                avg_seconds_at_from: r.try_get(3)?,
            });
        }
        Ok(m)
    }
}
