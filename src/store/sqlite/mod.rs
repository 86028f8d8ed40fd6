//! SQLite: the embedded default. WAL for concurrent readers, foreign keys on, a busy
//! timeout, and every write transaction opened with `BEGIN IMMEDIATE` — a deferred
//! transaction that later upgrades to a write fails with SQLITE_BUSY, which busy_timeout
//! cannot help with (docs/architecture.md). One file per concern of the store.

mod bulk;
mod checkpointer;
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

use super::{Result, Store, StoreError};
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Encode, QueryBuilder, Sqlite, SqlitePool, Transaction, Type};
use std::str::FromStr;
use std::time::Duration;

/// Rows per multi-row statement or IN list: with up to 13 columns × 500 rows a statement
/// stays far below SQLite's 32,766 variables.
const BATCH: usize = 500;

#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    /// The cycle's bulk reads, on the same file (see `bulk`).
    pub(crate) bulk: bulk::BulkReader,
    /// Checkpoints the write-ahead log off the writers' commits (see `checkpointer`).
    _checkpointer: std::sync::Arc<checkpointer::Checkpointer>,
}

impl SqliteStore {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        // The cycle reads the file from connections of its own, and a database that vanishes
        // with the process has no place in a mail engine's state.
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(StoreError::Invalid(format!(
                "database.url {url}: an in-memory SQLite database is not supported; give a file (sqlite://PATH)"
            )));
        }
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // The checkpointer thread moves the log into the file; commits never wait for it.
            .pragma("wal_autocheckpoint", "0");
        if let Some(dir) = opts.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Invalid(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(opts.clone())
            .await?;
        let bulk = bulk::BulkReader::new(opts.get_filename().to_path_buf());
        let checkpointer = checkpointer::Checkpointer::start(opts.get_filename().to_path_buf());
        Ok(SqliteStore {
            pool,
            bulk,
            _checkpointer: std::sync::Arc::new(checkpointer),
        })
    }

    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("migrations/sqlite").run(&self.pool).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Pushes `(?, ?, …)` binding `items`: SQLite has no arrays to bind a list as one value.
fn push_list<'t, T>(
    q: &mut QueryBuilder<Sqlite>,
    items: impl IntoIterator<Item = T>,
) -> &mut QueryBuilder<Sqlite>
where
    T: Encode<'t, Sqlite> + Type<Sqlite>,
{
    q.push("(");
    let mut sep = q.separated(", ");
    for item in items {
        sep.push_bind(item);
    }
    q.push(")")
}

/// Currency rates as one JSON object (`{"EUR": 1.0, …}`), which a statement reads with
/// `json_each`: SQLite has no arrays to bind.
fn rates_json(rates: &[(String, f64)]) -> String {
    serde_json::Value::Object(
        rates
            .iter()
            .map(|(currency, rate)| (currency.clone(), serde_json::json!(rate)))
            .collect(),
    )
    .to_string()
}
