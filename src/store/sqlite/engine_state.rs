//! SQLite: named values and leases in `engine_state`.

use super::SqliteStore;
use crate::store::time::to_ms;
use crate::store::{EngineState, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl EngineState for SqliteStore {
    async fn get_state(&self, name: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM engine_state WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_state(&self, name: &str, value: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO engine_state (name, value) VALUES (?, ?) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn try_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let got = sqlx::query(include_str!("../sql/sqlite_try_lease.sql"))
            .bind(name)
            .bind(owner)
            .bind(to_ms(until))
            .bind(to_ms(now))
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(got.is_some())
    }

    async fn release_lease(&self, name: &str, owner: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE engine_state SET lease_owner = NULL, lease_until = NULL \
             WHERE name = ?1 AND lease_owner = ?2",
        )
        .bind(name)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}
