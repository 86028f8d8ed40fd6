//! PostgreSQL: what the HTTP endpoint reads — deliveries behind tracking tokens and webhook
//! events, customers by address, survey comments, and webhook correlation through earlier
//! events of the same provider message.

use super::PgStore;
use crate::store::columns::Columns;
use crate::store::rows::tracked_delivery;
use crate::store::tracking::by_id;
use crate::store::{Result, TrackedDelivery, Tracking};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use std::collections::HashMap;

/// The tracked deliveries' statement, up to its filter.
macro_rules! select_delivery {
    () => {
        "SELECT d.id, d.customer_id, c.email, c.locale, d.campaign, d.message_id, d.links, \
         d.sent_at FROM deliveries d JOIN customers c ON c.id = d.customer_id WHERE "
    };
}

fn tracked(rows: &[PgRow]) -> Result<Vec<TrackedDelivery>> {
    rows.iter().map(tracked_delivery).collect()
}

#[async_trait]
impl Tracking for PgStore {
    async fn tracked_deliveries(
        &self,
        ids: &[uuid::Uuid],
    ) -> Result<HashMap<uuid::Uuid, TrackedDelivery>> {
        let rows = sqlx::query(concat!(select_delivery!(), "d.id = ANY($1)"))
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
        Ok(by_id(tracked(&rows)?))
    }

    async fn owners_by_provider_message(
        &self,
        provider: &str,
        ids: &[String],
    ) -> Result<HashMap<String, (String, Option<uuid::Uuid>)>> {
        // The expression is the one `events_provider_message` indexes.
        let rows: Vec<(String, String, Option<uuid::Uuid>)> = sqlx::query_as(
            "SELECT DISTINCT ON (data->>'provider_message_id') data->>'provider_message_id', \
             customer_id, delivery_id FROM events \
             WHERE (data->>'provider_message_id') = ANY($1) AND data->>'provider' = $2 \
             ORDER BY data->>'provider_message_id', seq",
        )
        .bind(ids)
        .bind(provider)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(m, c, d)| (m, (c, d))).collect())
    }

    async fn customers_by_email(&self, emails: &[String]) -> Result<HashMap<String, String>> {
        let rows = sqlx::query(
            "SELECT email, MIN(id) FROM customers WHERE email = ANY($1) GROUP BY email",
        )
        .bind(emails)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.text(0)?, r.text(1)?))).collect()
    }

    async fn add_event_comment(&self, dedupe_key: &str, comment: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE events SET data = data || jsonb_build_object('comment', $1::text) \
             WHERE dedupe_key = $2",
        )
        .bind(comment)
        .bind(dedupe_key)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
