//! PostgreSQL: for several `rapport run` replicas on one database. Batches go in as one
//! statement over `UNNEST`ed arrays — one round trip per few thousand rows. One file per
//! concern of the store.

mod consent;
mod engagement;
mod engine_state;
mod experiments;
mod facts;
mod facts_rows;
mod import;
mod levels;
mod notifications;
mod outbox;
mod predictions;
mod privacy;
mod products;
mod reports;
mod suppressions;
mod tracking;
mod webhook_tokens;

use super::{Result, Store};
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};
use std::str::FromStr;
use std::time::Duration;

/// Rows per statement (bound as arrays: no limit on variables, only on statement size).
const BATCH: usize = 5_000;

pub struct PgStore {
    pub(crate) pool: PgPool,
    /// The cycle's long streaming reads (customers, orders, events and deliveries in
    /// customer-id order), on connections of their own: the cycle never waits for its own
    /// lookups and writes however small `database.max_connections` is, and a stream that
    /// reads for seconds by design is not reported as a slow statement.
    pub(crate) streams: PgPool,
}

/// Connections of the streams pool: one per facts stream (customers, orders, events,
/// deliveries).
pub(crate) const STREAM_CONNECTIONS: u32 = 4;

/// A streaming read slower than this is abnormal (a full cycle's streams take seconds on a
/// million customers; minutes means a missing index or statistics).
const SLOW_STREAM: Duration = Duration::from_secs(120);

impl PgStore {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(opts.clone())
            .await?;
        // Opened on first use and closed when idle: commands without a cycle never hold them.
        let streams = PgPoolOptions::new()
            .max_connections(STREAM_CONNECTIONS)
            .min_connections(0)
            .idle_timeout(Duration::from_secs(60))
            .connect_lazy_with(opts.log_slow_statements(log::LevelFilter::Warn, SLOW_STREAM));
        Ok(PgStore { pool, streams })
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn migrate(&self) -> Result<()> {
        // sqlx takes an advisory lock, so replicas starting together migrate once.
        sqlx::migrate!("migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
