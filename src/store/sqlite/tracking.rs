//! SQLite: what the HTTP endpoint reads — deliveries behind tracking tokens and webhook
//! events, customers by address, survey comments, and webhook correlation through earlier
//! events of the same provider message.

use super::{BATCH, SqliteStore, push_list};
use crate::store::columns::{Columns, located};
use crate::store::rows::tracked_delivery;
use crate::store::tracking::by_id;
use crate::store::{Result, TrackedDelivery, Tracking, batches};
use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite};
use std::collections::HashMap;

const SELECT_DELIVERY: &str = "SELECT d.id, d.customer_id, c.email, c.locale, d.campaign, \
     d.message_id, d.links, d.sent_at FROM deliveries d JOIN customers c ON c.id = d.customer_id \
     WHERE ";

impl SqliteStore {
    /// The deliveries whose `column` is one of `keys`, with what a tracking hit needs.
    async fn deliveries_where(
        &self,
        column: &str,
        keys: &[String],
    ) -> Result<Vec<TrackedDelivery>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in batches(keys, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(SELECT_DELIVERY);
            q.push(column).push(" IN ");
            push_list(&mut q, chunk.iter().map(String::as_str));
            for row in q.build().fetch_all(&self.pool).await? {
                out.push(tracked_delivery(&row)?);
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl Tracking for SqliteStore {
    async fn tracked_deliveries(
        &self,
        ids: &[uuid::Uuid],
    ) -> Result<HashMap<uuid::Uuid, TrackedDelivery>> {
        let ids: Vec<String> = ids.iter().map(uuid::Uuid::to_string).collect();
        Ok(by_id(self.deliveries_where("d.id", &ids).await?))
    }

    async fn owners_by_provider_message(
        &self,
        provider: &str,
        ids: &[String],
    ) -> Result<HashMap<String, (String, Option<uuid::Uuid>)>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in batches(ids, BATCH) {
            // The expression is the one `events_provider_message` indexes.
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT json_extract(data, '$.provider_message_id'), customer_id, delivery_id \
                 FROM events WHERE json_extract(data, '$.provider_message_id') IN ",
            );
            push_list(&mut q, chunk.iter().map(String::as_str))
                .push(" AND json_extract(data, '$.provider') = ")
                .push_bind(provider)
                .push(" ORDER BY seq DESC");
            for row in q.build().fetch_all(&self.pool).await? {
                let columns = ["provider_message_id", "customer_id", "delivery_id"];
                let (message, owner) = located(&row, "events", &columns, |r| {
                    Ok((r.text(0)?, (r.text(1)?, r.opt_uuid(2)?)))
                })?;
                // Ordered newest first: the earliest event of a message wins the insert last.
                out.insert(message, owner);
            }
        }
        Ok(out)
    }

    async fn customers_by_email(&self, emails: &[String]) -> Result<HashMap<String, String>> {
        let mut out = HashMap::with_capacity(emails.len());
        for chunk in batches(emails, BATCH) {
            let mut q =
                QueryBuilder::<Sqlite>::new("SELECT email, MIN(id) FROM customers WHERE email IN ");
            push_list(&mut q, chunk.iter().map(String::as_str)).push(" GROUP BY email");
            for row in q.build().fetch_all(&self.pool).await? {
                out.insert(row.text(0)?, row.text(1)?);
            }
        }
        Ok(out)
    }

    async fn add_event_comment(&self, dedupe_key: &str, comment: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE events SET data = json_set(data, '$.comment', ?) WHERE dedupe_key = ?",
        )
        .bind(comment)
        .bind(dedupe_key)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}
