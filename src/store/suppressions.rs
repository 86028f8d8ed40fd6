//! The suppression list: addresses no campaign mail goes to, with the reason.

use super::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
pub trait Suppressions {
    /// Adds an address to the suppression list; returns false when it was already there.
    async fn suppress(
        &self,
        email: &str,
        reason: &str,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// The reason an address is suppressed, if it is.
    async fn suppression(&self, email: &str) -> Result<Option<String>>;
}
