//! The engine's own rows (`engine_state`): named values such as the last cycle's watermark,
//! and the named leases by which one replica at a time runs the scheduler tick.

use super::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
pub trait EngineState {
    async fn get_state(&self, name: &str) -> Result<Option<String>>;
    async fn set_state(&self, name: &str, value: &str) -> Result<()>;
    /// Takes (or renews) the named lease for `owner` until `until` when it is free, expired or
    /// already ours: how one replica at a time runs the scheduler tick.
    async fn try_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool>;
    /// Gives up the named lease if `owner` holds it, so another replica can take it at once
    /// (a graceful stop); false when `owner` did not hold it.
    async fn release_lease(&self, name: &str, owner: &str) -> Result<bool>;
}
