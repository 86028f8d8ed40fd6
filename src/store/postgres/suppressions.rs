//! PostgreSQL: the suppression list (the statements are shared, see `store::suppressions`).

use super::PgStore;
use crate::store::suppressions::{insert_suppression, suppression_reason};
use crate::store::{Result, Suppression, Suppressions};
use async_trait::async_trait;

#[async_trait]
impl Suppressions for PgStore {
    async fn suppress(&self, suppression: Suppression<'_>) -> Result<bool> {
        insert_suppression(&self.pool, suppression).await
    }

    async fn suppression(&self, email: &str) -> Result<Option<String>> {
        suppression_reason(&self.pool, email).await
    }
}
