//! SQLite: named values and leases in `engine_state` (the statements are shared, see
//! `store::engine_state`), each write in a `BEGIN IMMEDIATE` transaction.

use super::SqliteStore;
use crate::store::engine_state::{get_state, release_lease, set_state, try_lease};
use crate::store::{EngineState, LeaseRequest, Result};
use async_trait::async_trait;

#[async_trait]
impl EngineState for SqliteStore {
    async fn get_state(&self, name: &str) -> Result<Option<String>> {
        get_state(&self.pool, name).await
    }

    async fn set_state(&self, name: &str, value: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        set_state(&mut *tx, name, value).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn try_lease(&self, lease: LeaseRequest<'_>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let got = try_lease(&mut *tx, lease).await?;
        tx.commit().await?;
        Ok(got)
    }

    async fn release_lease(&self, name: &str, owner: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = release_lease(&mut *tx, name, owner).await?;
        tx.commit().await?;
        Ok(done)
    }
}
