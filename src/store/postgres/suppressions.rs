//! PostgreSQL: the suppression list.

use super::PgStore;
use crate::store::{Result, Suppressions};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl Suppressions for PgStore {
    async fn suppress(
        &self,
        email: &str,
        reason: &str,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        suppress_on(&mut conn, email, reason, source, at).await
    }

    async fn suppression(&self, email: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT reason FROM suppressions WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

/// Adds an address to the suppression list on the caller's connection; false when it was there.
pub(super) async fn suppress_on(
    conn: &mut sqlx::PgConnection,
    email: &str,
    reason: &str,
    source: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO suppressions (email, reason, source, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(email)
    .bind(reason)
    .bind(source)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
