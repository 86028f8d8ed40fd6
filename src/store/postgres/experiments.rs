//! PostgreSQL: experiment outcomes per arm, the programme against the global hold-out, and
//! the auto-winner's decisions (SQL in `sql/postgres_experiment_arms.sql`).

use super::PgStore;
use crate::store::experiments::{self, arm_outcome};
use crate::store::experiments_programme::programme;
use crate::store::{
    ArmOutcome, Experiments, GroupOutcome, OutcomeQuery, ProgrammeQuery, Result, WinnerRecord,
};
use async_trait::async_trait;
use chrono::TimeDelta;

fn seconds(d: TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

/// The rates as two arrays, which a statement reads with `UNNEST`.
fn rates(rates: &[(String, f64)]) -> (Vec<&str>, Vec<f64>) {
    rates.iter().map(|(c, r)| (c.as_str(), *r)).unzip()
}

#[async_trait]
impl Experiments for PgStore {
    async fn arm_outcomes(&self, q: &OutcomeQuery) -> Result<Vec<ArmOutcome>> {
        let (currencies, rates) = rates(&q.rates);
        let rows = sqlx::query(include_str!("../sql/postgres_experiment_arms.sql"))
            .bind(&q.campaigns)
            .bind(q.since)
            .bind(q.until)
            .bind(seconds(q.conversion_window))
            .bind(seconds(q.climb_window))
            .bind(&currencies)
            .bind(&rates)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(arm_outcome).collect()
    }

    async fn programme_outcomes(
        &self,
        q: &ProgrammeQuery,
        in_holdout: &(dyn for<'a> Fn(&'a str) -> bool + Send + Sync),
    ) -> Result<[GroupOutcome; 2]> {
        let (currencies, rates) = rates(&q.rates);
        // Unpriced orders convert but add nothing, as in the arms.
        let revenue = sqlx::query(
            "SELECT o.customer_id, SUM(COALESCE(o.amount * r.rate, 0))::float8 \
             FROM orders o \
             LEFT JOIN UNNEST($3::text[], $4::float8[]) AS r(currency, rate) ON r.currency = o.currency \
             WHERE o.occurred_at >= $1 AND o.occurred_at <= $2 \
             GROUP BY o.customer_id",
        )
        .bind(q.since)
        .bind(q.until)
        .bind(currencies)
        .bind(rates);
        // The streams pool: reads that take seconds by design, off the engine's connections.
        programme(&self.streams, revenue, q, in_holdout).await
    }

    async fn winners(&self) -> Result<Vec<WinnerRecord>> {
        experiments::winners(&self.pool).await
    }

    async fn record_winner(&self, w: &WinnerRecord) -> Result<bool> {
        experiments::record_winner(&self.pool, w).await
    }
}
