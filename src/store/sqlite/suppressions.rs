//! SQLite: the suppression list.

use super::SqliteStore;
use crate::store::time::to_ms;
use crate::store::{Result, Suppressions};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl Suppressions for SqliteStore {
    async fn suppress(
        &self,
        email: &str,
        reason: &str,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = suppress_on(&mut tx, email, reason, source, at).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn suppression(&self, email: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT reason FROM suppressions WHERE email = ?")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

/// Adds an address to the suppression list on the caller's connection; false when it was there.
pub(super) async fn suppress_on(
    conn: &mut sqlx::SqliteConnection,
    email: &str,
    reason: &str,
    source: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO suppressions (email, reason, source, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(email)
    .bind(reason)
    .bind(source)
    .bind(to_ms(at))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
