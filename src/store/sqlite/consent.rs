//! SQLite: the consent log and the consent state (shared statements in `store::consent`).

use super::{BATCH, SqliteStore, push_list};
use crate::domain::ConsentEntry;
use crate::store::consent::{
    ConsentChange, CustomerConsent, FORGET_SQLITE, change_sql, read_log, read_state,
};
use crate::store::time::to_ms;
use crate::store::{Consent, Result, batches};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

/// Appends log entries on the caller's connection (inside its transaction).
pub(super) async fn insert_log(
    conn: &mut SqliteConnection,
    entries: &[ConsentEntry],
) -> Result<()> {
    for chunk in batches(entries, BATCH) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO consent_log (customer_id, at, action, topic, source, evidence, \
             wording_version, ip, user_agent) ",
        );
        q.push_values(chunk, |mut b, e| {
            b.push_bind(&e.customer_id)
                .push_bind(to_ms(e.at))
                .push_bind(e.action.name())
                .push_bind(e.topic.map(|t| t.name()))
                .push_bind(&e.source)
                .push_bind(&e.evidence)
                .push_bind(&e.wording_version)
                .push_bind(&e.ip)
                .push_bind(&e.user_agent);
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Changes the consent state of a customer; `stamp` is the transaction's `touched_at`.
pub(super) async fn change(
    conn: &mut SqliteConnection,
    customer_id: &str,
    change: ConsentChange,
    stamp: DateTime<Utc>,
) -> Result<bool> {
    let q = sqlx::query::<Sqlite>(change_sql(change, false)).bind(customer_id);
    let q = match change {
        ConsentChange::Pending => q.bind(true),
        ConsentChange::Confirmed => q.bind(false),
        ConsentChange::LeftTopic(t) => q.bind(t.name()),
    };
    let done = q.bind(to_ms(stamp)).execute(&mut *conn).await?;
    let changed = done.rows_affected() > 0;
    if change == ConsentChange::Confirmed {
        crate::store::consent::lift_erased_before(&mut *conn, customer_id).await?;
    }
    Ok(changed)
}

#[async_trait]
impl Consent for SqliteStore {
    async fn consent_log(&self, customer_id: &str) -> Result<Vec<ConsentEntry>> {
        read_log(&self.pool, customer_id).await
    }

    async fn customer_consent(&self, customer_id: &str) -> Result<Option<CustomerConsent>> {
        read_state(&self.pool, customer_id).await
    }

    async fn forget_unconfirmed(
        &self,
        created_before: DateTime<Utc>,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let mut tx = self.begin_write().await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM customers WHERE consent_pending = 1 AND created_at < $1 \
             ORDER BY created_at LIMIT $2",
        )
        .bind(to_ms(created_before))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        if ids.is_empty() {
            return Ok(ids);
        }
        for (head, tail) in FORGET_SQLITE {
            let mut q = QueryBuilder::<Sqlite>::new(head);
            push_list(&mut q, ids.iter().map(String::as_str)).push(tail);
            q.build().execute(&mut *tx).await?;
        }
        let expired = crate::store::consent::expired(&ids, now);
        insert_log(&mut tx, &expired).await?;
        tx.commit().await?;
        Ok(ids)
    }
}
