//! PostgreSQL: named values and leases in `engine_state` (the statements are shared, see
//! `store::engine_state`).

use super::PgStore;
use crate::store::engine_state::{get_state, release_lease, set_state, try_lease};
use crate::store::{EngineState, LeaseRequest, Result};
use async_trait::async_trait;

#[async_trait]
impl EngineState for PgStore {
    async fn get_state(&self, name: &str) -> Result<Option<String>> {
        get_state(&self.pool, name).await
    }

    async fn set_state(&self, name: &str, value: &str) -> Result<()> {
        set_state(&self.pool, name, value).await
    }

    async fn try_lease(&self, lease: LeaseRequest<'_>) -> Result<bool> {
        try_lease(&self.pool, lease).await
    }

    async fn release_lease(&self, name: &str, owner: &str) -> Result<bool> {
        release_lease(&self.pool, name, owner).await
    }
}
