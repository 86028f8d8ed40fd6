//! PostgreSQL: experiment outcomes per arm, the programme against the global hold-out, and
//! the auto-winner's decisions (SQL in `sql/postgres_experiment_*.sql`).

use super::PgStore;
use super::reports::fetch_tuned;
use crate::domain::Sample;
use crate::store::columns::Columns;
use crate::store::experiments;
use crate::store::experiments_programme::programme;
use crate::store::{
    ArmOutcome, Experiments, GroupOutcome, OutcomeQuery, ProgrammeQuery, Result, WinnerRecord,
};
use async_trait::async_trait;
use chrono::TimeDelta;
use std::collections::BTreeMap;

/// The arm statements: hash joins over whole tables, planned in well under a second. JIT
/// compiled them for 2.2 s (longer than they run), and the 4 MB default split every hash
/// into batches on disk.
const ARMS: &str = "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'";
const RECIPIENTS: &str = concat!(
    include_str!("../sql/postgres_experiment_deliveries.sql"),
    include_str!("../sql/postgres_experiment_recipients.sql")
);
const CONVERSIONS: &str = concat!(
    include_str!("../sql/postgres_experiment_deliveries.sql"),
    include_str!("../sql/postgres_experiment_conversions.sql")
);
const CLIMBS: &str = concat!(
    include_str!("../sql/postgres_experiment_deliveries.sql"),
    include_str!("../sql/postgres_experiment_climbs.sql")
);

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
        // Three statements side by side on connections of their own (two cores: the
        // conversions' scan of orders runs while the recipients and climbs are counted),
        // each tallying per arm; the recipients statement names every arm.
        let head = |sql: &'static str| {
            sqlx::query(sql)
                .bind(&q.campaigns)
                .bind(q.since)
                .bind(q.until)
        };
        let (recipients, conversions, climbs) = tokio::try_join!(
            fetch_tuned(&self.pool, ARMS, head(RECIPIENTS)),
            fetch_tuned(
                &self.pool,
                ARMS,
                head(CONVERSIONS)
                    .bind(seconds(q.conversion_window))
                    .bind(&currencies)
                    .bind(&rates)
            ),
            fetch_tuned(&self.pool, ARMS, head(CLIMBS).bind(seconds(q.climb_window))),
        )?;
        let mut arms: BTreeMap<(String, String), ArmOutcome> = BTreeMap::new();
        for r in &recipients {
            let recipients = r.count(2)?;
            let key = (r.text(0)?, r.text(1)?);
            arms.insert(
                key.clone(),
                ArmOutcome {
                    campaign: key.0,
                    arm: key.1,
                    recipients,
                    opened: r.count(3)?,
                    clicked: r.count(4)?,
                    revenue: Sample {
                        n: recipients,
                        ..Sample::default()
                    },
                    ..ArmOutcome::default()
                },
            );
        }
        for r in &conversions {
            if let Some(a) = arms.get_mut(&(r.text(0)?, r.text(1)?)) {
                a.converted = r.count(2)?;
                a.revenue.sum = r.float(3)?;
                a.revenue.sum_squares = r.float(4)?;
            }
        }
        for r in &climbs {
            if let Some(a) = arms.get_mut(&(r.text(0)?, r.text(1)?)) {
                a.climbed = r.count(2)?;
            }
        }
        Ok(arms.into_values().collect())
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
