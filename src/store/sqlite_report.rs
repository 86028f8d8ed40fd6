//! SQLite side of `rapport report` and level movement (SQL in `sql/sqlite_report_*.sql`).

use super::cycle::level_of;
use super::time::to_ms;
use super::{Result, SqliteStore};
use crate::domain::report::{
    CampaignReport, ConversionRow, FunnelRow, ReportFilter, SurveyRow, merge,
};
use crate::domain::{LevelMovement, Transition};
use chrono::{DateTime, Utc};
use sqlx::Row;

fn n(r: &sqlx::sqlite::SqliteRow, i: usize) -> Result<u64, sqlx::Error> {
    Ok(r.try_get::<Option<i64>, _>(i)?.unwrap_or(0).max(0) as u64)
}

impl SqliteStore {
    pub(super) async fn r_report(&self, f: &ReportFilter) -> Result<Vec<CampaignReport>> {
        let since = f.since.map(to_ms);
        let locale = f.locale.as_deref();
        let campaign = f.campaign.as_deref();
        // Three independent read queries on pooled connections: WAL readers run side by
        // side, so the report takes as long as the slowest of them, not their sum.
        // Without --since/--locale the cheaper variants need no row of deliveries but the
        // campaign (see the SQL files for the measurements).
        let filtered = since.is_some() || locale.is_some();
        let status = if filtered {
            sqlx::query(include_str!("sql/sqlite_report_status.sql"))
                .bind(campaign)
                .bind(since)
                .bind(locale)
        } else {
            sqlx::query(include_str!("sql/sqlite_report_status_all.sql")).bind(campaign)
        }
        .fetch_all(&self.pool);
        let engagement = sqlx::query(include_str!("sql/sqlite_report_engagement.sql"))
            .bind(campaign)
            .bind(since)
            .bind(locale)
            .fetch_all(&self.pool);
        let rates = f.rates_json();
        let conversions = sqlx::query(include_str!("sql/sqlite_report_conversions.sql"))
            .bind(campaign)
            .bind(since)
            .bind(locale)
            .bind(&rates)
            .bind(f.conversion_window.num_milliseconds())
            .fetch_all(&self.pool);
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
        let rows = sqlx::query(include_str!("sql/sqlite_level_movement.sql"))
            .bind(to_ms(since))
            .bind(to_ms(until))
            .fetch_all(&self.pool)
            .await?;
        let mut m = LevelMovement::empty(since, until);
        for r in &rows {
            m.transitions.push(Transition {
                from: level_of(r.try_get(0)?),
                to: level_of(r.try_get(1)?),
                count: n(r, 2)?,
                avg_seconds_at_from: r.try_get::<Option<f64>, _>(3)?.map(|ms| ms / 1000.0),
            });
        }
        Ok(m)
    }
}
