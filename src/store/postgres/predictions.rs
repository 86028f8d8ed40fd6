//! Postgres: what the predictions learn from (the statements are shared, see `store::predictions`).

use super::PgStore;
use crate::domain::OrderHistory;
use crate::store::predictions::{
    EngagementTimes, current_levels, engagement_times, engagement_times_of, order_histories,
    order_history_sample,
};
use crate::store::{Predictions, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl Predictions for PgStore {
    async fn order_histories(
        &self,
        customer: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderHistory>> {
        order_histories(&self.pool, customer, now).await
    }

    async fn order_history_sample(
        &self,
        now: DateTime<Utc>,
        max: usize,
    ) -> Result<Vec<OrderHistory>> {
        order_history_sample(&self.pool, now, max).await
    }

    async fn engagement_times(
        &self,
        customer: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>> {
        engagement_times(&self.pool, customer, now).await
    }

    async fn engagement_times_of(
        &self,
        customers: &[String],
        now: DateTime<Utc>,
    ) -> Result<EngagementTimes> {
        engagement_times_of(&self.pool, customers, now).await
    }

    async fn current_levels(&self) -> Result<Vec<(String, crate::domain::Level)>> {
        current_levels(&self.pool).await
    }
}
