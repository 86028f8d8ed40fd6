//! SQLite: experiment outcomes per arm, the programme against the global hold-out, and the
//! auto-winner's decisions (SQL in `sql/sqlite_experiment_arms.sql`).

use super::{SqliteStore, rates_json};
use crate::store::experiments::{self, arm_outcome};
use crate::store::experiments_programme::programme;
use crate::store::time::to_ms;
use crate::store::{
    ArmOutcome, Experiments, GroupOutcome, OutcomeQuery, ProgrammeQuery, Result, WinnerRecord,
};
use async_trait::async_trait;

#[async_trait]
impl Experiments for SqliteStore {
    async fn arm_outcomes(&self, q: &OutcomeQuery) -> Result<Vec<ArmOutcome>> {
        let campaigns = serde_json::to_string(&q.campaigns).unwrap_or_default();
        let rows = sqlx::query(include_str!("../sql/sqlite_experiment_arms.sql"))
            .bind(campaigns)
            .bind(q.since.map(to_ms))
            .bind(to_ms(q.until))
            .bind(q.conversion_window.num_milliseconds())
            .bind(q.climb_window.num_milliseconds())
            .bind(rates_json(&q.rates))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(arm_outcome).collect()
    }

    async fn programme_outcomes(
        &self,
        q: &ProgrammeQuery,
        in_holdout: &(dyn for<'a> Fn(&'a str) -> bool + Send + Sync),
    ) -> Result<[GroupOutcome; 2]> {
        // Unpriced orders convert but add nothing, as in the arms.
        let revenue = sqlx::query(
            "SELECT o.customer_id, TOTAL(COALESCE(o.amount * r.value, 0.0)) \
             FROM orders o LEFT JOIN json_each($3) r ON r.key = o.currency \
             WHERE o.occurred_at >= $1 AND o.occurred_at <= $2 \
             GROUP BY o.customer_id",
        )
        .bind(to_ms(q.since))
        .bind(to_ms(q.until))
        .bind(rates_json(&q.rates));
        programme(&self.pool, revenue, q, in_holdout).await
    }

    async fn winners(&self) -> Result<Vec<WinnerRecord>> {
        experiments::winners(&self.pool).await
    }

    async fn record_winner(&self, w: &WinnerRecord) -> Result<bool> {
        experiments::record_winner(&self.pool, w).await
    }
}
