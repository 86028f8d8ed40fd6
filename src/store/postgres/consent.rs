//! PostgreSQL: the consent log and the consent state (shared statements in `store::consent`).

use super::{BATCH, PgStore};
use crate::domain::ConsentEntry;
use crate::store::consent::{
    ConsentChange, CustomerConsent, FORGET_POSTGRES, change_sql, read_log, read_state,
};
use crate::store::{Consent, Result, batches};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres};

/// Appends log entries on the caller's connection (inside its transaction).
pub(super) async fn insert_log(conn: &mut PgConnection, entries: &[ConsentEntry]) -> Result<()> {
    for chunk in batches(entries, BATCH) {
        let col = |f: fn(&ConsentEntry) -> Option<&str>| chunk.iter().map(f).collect::<Vec<_>>();
        sqlx::query(
            "INSERT INTO consent_log (customer_id, at, action, topic, source, evidence, \
             wording_version, ip, user_agent) \
             SELECT * FROM UNNEST($1::text[], $2::timestamptz[], $3::text[], $4::text[], \
             $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])",
        )
        .bind(col(|e| Some(&e.customer_id)))
        .bind(chunk.iter().map(|e| e.at).collect::<Vec<_>>())
        .bind(col(|e| Some(e.action.name())))
        .bind(col(|e| e.topic.map(|t| t.name())))
        .bind(col(|e| Some(&e.source)))
        .bind(col(|e| e.evidence.as_deref()))
        .bind(col(|e| e.wording_version.as_deref()))
        .bind(col(|e| e.ip.as_deref()))
        .bind(col(|e| e.user_agent.as_deref()))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Changes the consent state of a customer, stamped with the database's clock like every
/// other write that wakes the incremental cycle.
pub(super) async fn change(
    conn: &mut PgConnection,
    customer_id: &str,
    change: ConsentChange,
) -> Result<bool> {
    let q = sqlx::query::<Postgres>(change_sql(change, true)).bind(customer_id);
    let q = match change {
        ConsentChange::Pending => q.bind(true),
        ConsentChange::Confirmed => q.bind(false),
        ConsentChange::LeftTopic(t) => q.bind(t.name()),
    };
    let changed = q.execute(&mut *conn).await?.rows_affected() > 0;
    if change == ConsentChange::Confirmed {
        crate::store::consent::lift_erased_before(&mut *conn, customer_id).await?;
    }
    Ok(changed)
}

#[async_trait]
impl Consent for PgStore {
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
        let mut tx = self.pool.begin().await?;
        // Locked, so a confirmation clicked at this moment waits and then finds no customer.
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM customers WHERE consent_pending AND created_at < $1 \
             ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(created_before)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        if ids.is_empty() {
            return Ok(ids);
        }
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(super::levels::LEVELS_LOCK)
            .execute(&mut *tx)
            .await?;
        for statement in FORGET_POSTGRES {
            sqlx::query(statement).bind(&ids).execute(&mut *tx).await?;
        }
        let expired = crate::store::consent::expired(&ids, now);
        insert_log(&mut tx, &expired).await?;
        tx.commit().await?;
        Ok(ids)
    }
}
