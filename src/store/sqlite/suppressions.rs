//! SQLite: the suppression list (the statements are shared, see `store::suppressions`).

use super::SqliteStore;
use crate::store::suppressions::{insert_suppression, suppression_reason};
use crate::store::{Result, Suppression, Suppressions};
use async_trait::async_trait;

#[async_trait]
impl Suppressions for SqliteStore {
    async fn suppress(&self, suppression: Suppression<'_>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = insert_suppression(&mut *tx, suppression).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn suppression(&self, email: &str) -> Result<Option<String>> {
        suppression_reason(&self.pool, email).await
    }
}
