//! PostgreSQL side of what the HTTP endpoint reads: deliveries behind tracking tokens and
//! webhook events, customers by address, and survey comments.

use super::{PgStore, Result, TrackedDelivery};
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgRow;
use std::collections::HashMap;

fn tracked(r: &PgRow) -> Result<TrackedDelivery, sqlx::Error> {
    let links: Option<serde_json::Value> = r.try_get(6)?;
    Ok(TrackedDelivery {
        id: r.try_get(0)?,
        customer_id: r.try_get(1)?,
        email: r.try_get(2)?,
        locale: r.try_get(3)?,
        campaign: r.try_get(4)?,
        message_id: r.try_get(5)?,
        // Written by record_results from a Vec<String>; anything else means "no links".
        links: links
            .and_then(|l| serde_json::from_value(l).ok())
            .unwrap_or_default(),
        sent_at: r.try_get::<Option<DateTime<Utc>>, _>(7)?,
    })
}

impl PgStore {
    pub(super) async fn t_tracked_deliveries(
        &self,
        ids: &[uuid::Uuid],
    ) -> Result<HashMap<uuid::Uuid, TrackedDelivery>> {
        let rows = sqlx::query(
            "SELECT d.id, d.customer_id, c.email, c.locale, d.campaign, d.message_id, d.links, \
             d.sent_at FROM deliveries d JOIN customers c ON c.id = d.customer_id \
             WHERE d.id = ANY($1)",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        let mut out = HashMap::with_capacity(rows.len());
        for row in &rows {
            let d = tracked(row)?;
            out.insert(d.id, d);
        }
        Ok(out)
    }

    pub(super) async fn t_deliveries_by_message_id(
        &self,
        message_ids: &[String],
    ) -> Result<HashMap<String, TrackedDelivery>> {
        let rows = sqlx::query(
            "SELECT d.id, d.customer_id, c.email, c.locale, d.campaign, d.message_id, d.links, \
             d.sent_at FROM deliveries d JOIN customers c ON c.id = d.customer_id \
             WHERE d.message_id = ANY($1)",
        )
        .bind(message_ids)
        .fetch_all(&self.pool)
        .await?;
        let mut out = HashMap::with_capacity(rows.len());
        for row in &rows {
            let d = tracked(row)?;
            out.insert(d.message_id.clone(), d);
        }
        Ok(out)
    }

    pub(super) async fn t_customers_by_email(
        &self,
        emails: &[String],
    ) -> Result<HashMap<String, String>> {
        let rows = sqlx::query(
            "SELECT email, MIN(id) FROM customers WHERE email = ANY($1) GROUP BY email",
        )
        .bind(emails)
        .fetch_all(&self.pool)
        .await?;
        let mut out = HashMap::with_capacity(rows.len());
        for row in &rows {
            out.insert(row.try_get(0)?, row.try_get(1)?);
        }
        Ok(out)
    }

    pub(super) async fn t_add_event_comment(
        &self,
        dedupe_key: &str,
        comment: &str,
    ) -> Result<bool> {
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
