//! PostgreSQL: named values and leases in `engine_state`.

use super::PgStore;
use crate::store::{EngineState, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl EngineState for PgStore {
    async fn get_state(&self, name: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM engine_state WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_state(&self, name: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO engine_state (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn try_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let got = sqlx::query(include_str!("../sql/postgres_try_lease.sql"))
            .bind(name)
            .bind(owner)
            .bind(until)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(got.is_some())
    }

    async fn release_lease(&self, name: &str, owner: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE engine_state SET lease_owner = NULL, lease_until = NULL \
             WHERE name = $1 AND lease_owner = $2",
        )
        .bind(name)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
