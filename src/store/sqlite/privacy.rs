//! SQLite: erasure, export and retention (the statements are shared, see `store::privacy`).

use super::SqliteStore;
use crate::store::Result;
use crate::store::privacy::{
    CatalogueSql, Erased, Erasure, Privacy, delete_old_events, erase, export, old_events,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Sqlite;

const SQL: CatalogueSql = CatalogueSql {
    notifications_about: "json_valid(body) AND json_extract(body, '$.customer_id') = $1",
    tables_with_customer_id: "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c \
         WHERE m.type = 'table' AND c.name = 'customer_id' ORDER BY m.name",
};

#[async_trait]
impl Privacy for SqliteStore {
    async fn erase_customer(&self, erasure: Erasure<'_>) -> Result<Option<Erased>> {
        let mut tx = self.begin_write().await?;
        let erased = erase::<Sqlite>(&mut *tx, &SQL, erasure).await?;
        tx.commit().await?;
        Ok(erased)
    }

    async fn export_customer(&self, customer_id: &str) -> Result<Option<Value>> {
        // A read transaction: one snapshot of every table (WAL).
        let mut tx = self.pool.begin().await?;
        let out = export::<Sqlite>(&mut *tx, &SQL, customer_id).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn delete_events_before(&self, before: DateTime<Utc>, limit: u32) -> Result<u64> {
        let Some(range) = old_events(&self.pool, before, limit).await? else {
            return Ok(0);
        };
        let mut tx = self.begin_write().await?;
        let deleted = delete_old_events(&mut *tx, before, range).await?;
        tx.commit().await?;
        Ok(deleted)
    }
}
