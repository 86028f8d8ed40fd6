//! SQLite side of what the HTTP endpoint reads: deliveries behind tracking tokens and
//! webhook events, customers by address, and survey comments.

use super::time::from_ms;
use super::{Result, SqliteStore, TrackedDelivery, batches};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::HashMap;

const BATCH: usize = 500;

const SELECT_DELIVERY: &str = "SELECT d.id, d.customer_id, c.email, c.locale, d.campaign, \
     d.message_id, d.links, d.sent_at FROM deliveries d JOIN customers c ON c.id = d.customer_id \
     WHERE ";

fn tracked(r: &SqliteRow) -> Result<TrackedDelivery, sqlx::Error> {
    let id: String = r.try_get(0)?;
    let links: Option<String> = r.try_get(6)?;
    Ok(TrackedDelivery {
        id: id.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        customer_id: r.try_get(1)?,
        email: r.try_get(2)?,
        locale: r.try_get(3)?,
        campaign: r.try_get(4)?,
        message_id: r.try_get(5)?,
        // Written by record_results from a Vec<String>; anything else means "no links".
        links: links
            .and_then(|l| serde_json::from_str(&l).ok())
            .unwrap_or_default(),
        sent_at: r.try_get::<Option<i64>, _>(7)?.map(from_ms),
    })
}

impl SqliteStore {
    pub(super) async fn t_tracked_deliveries(
        &self,
        ids: &[uuid::Uuid],
    ) -> Result<HashMap<uuid::Uuid, TrackedDelivery>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in batches(ids, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(SELECT_DELIVERY);
            q.push("d.id IN (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(id.to_string());
            }
            q.push(")");
            for row in q.build().fetch_all(&self.pool).await? {
                let d = tracked(&row)?;
                out.insert(d.id, d);
            }
        }
        Ok(out)
    }

    pub(super) async fn t_deliveries_by_message_id(
        &self,
        message_ids: &[String],
    ) -> Result<HashMap<String, TrackedDelivery>> {
        let mut out = HashMap::with_capacity(message_ids.len());
        for chunk in batches(message_ids, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(SELECT_DELIVERY);
            q.push("d.message_id IN (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(id.as_str());
            }
            q.push(")");
            for row in q.build().fetch_all(&self.pool).await? {
                let d = tracked(&row)?;
                out.insert(d.message_id.clone(), d);
            }
        }
        Ok(out)
    }

    pub(super) async fn t_customers_by_email(
        &self,
        emails: &[String],
    ) -> Result<HashMap<String, String>> {
        let mut out = HashMap::with_capacity(emails.len());
        for chunk in batches(emails, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT email, MIN(id) FROM customers WHERE email IN (",
            );
            let mut sep = q.separated(", ");
            for e in chunk {
                sep.push_bind(e.as_str());
            }
            q.push(") GROUP BY email");
            for row in q.build().fetch_all(&self.pool).await? {
                out.insert(row.try_get(0)?, row.try_get(1)?);
            }
        }
        Ok(out)
    }

    pub(super) async fn t_add_event_comment(
        &self,
        dedupe_key: &str,
        comment: &str,
    ) -> Result<bool> {
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
