//! The opened engine: configuration and a migrated store, what every command that touches
//! the database starts from (the daemon included).

use super::Failure;
use super::engine::load_campaigns;
use crate::campaigns::Campaign;
use crate::config::Config;
use crate::store::{self, Store};
use anyhow::Context;
use std::sync::Arc;

/// What every command that touches the database needs: the configuration and a migrated store.
pub struct App {
    pub config: Config,
    pub store: Arc<dyn Store>,
}

impl App {
    /// Connects and applies pending migrations: zero set-up on SQLite, and on PostgreSQL
    /// replicas starting together migrate once (sqlx holds an advisory lock).
    pub async fn open(config: Config) -> Result<App, Failure> {
        let url = config.database.url.clone();
        let store = store::connect(url.expose(), config.database.max_connections)
            .await
            .with_context(|| format!("cannot open database {url}"))
            .map_err(Failure::Runtime)?;
        store
            .migrate()
            .await
            .with_context(|| format!("cannot migrate database {url}"))
            .map_err(Failure::Runtime)?;
        Ok(App { config, store })
    }

    /// The campaign definitions, validated (including that each template exists).
    pub fn campaigns(&self) -> Result<Vec<Campaign>, Failure> {
        load_campaigns(&self.config)
    }
}
