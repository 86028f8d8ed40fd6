//! What `rapport report`, `status` and the dashboard read: per-campaign figures, level
//! movement and table sizes.

use super::Result;
use crate::domain::LevelMovement;
use crate::domain::report::{CampaignReport, ReportFilter};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
pub trait Reports {
    async fn counts(&self) -> Result<TableCounts>;
    /// Per-campaign figures of `rapport report` (set-based: a few aggregate queries).
    async fn report(&self, filter: &ReportFilter) -> Result<Vec<CampaignReport>>;
    /// Level changes in `[since, until)` by (from, to), with the mean time at `from` before.
    async fn level_movement(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<LevelMovement>;
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TableCounts {
    pub customers: u64,
    pub orders: u64,
    pub events: u64,
    pub suppressions: u64,
}
