//! SQLite side of webhook bookkeeping: single-use tokens and correlation through earlier
//! events of the same provider message.

use super::time::to_ms;
use super::{Result, TokenUse, batches};
use crate::domain::SingleUseToken;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};
use std::collections::HashMap;

const BATCH: usize = 500;

/// Records `token` on the caller's transaction and forgets expired tokens.
pub(super) async fn use_token(
    conn: &mut SqliteConnection,
    provider: &str,
    token: &SingleUseToken,
    now: DateTime<Utc>,
) -> Result<TokenUse> {
    sqlx::query("DELETE FROM webhook_tokens WHERE forget_at < ?")
        .bind(to_ms(now))
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query(
        "INSERT INTO webhook_tokens (provider, token, payload_sha256, forget_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT (provider, token) DO NOTHING",
    )
    .bind(provider)
    .bind(&token.token)
    .bind(&token.payload_sha256[..])
    .bind(to_ms(token.forget_at))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() > 0 {
        return Ok(TokenUse::New);
    }
    let seen: Vec<u8> = sqlx::query_scalar(
        "SELECT payload_sha256 FROM webhook_tokens WHERE provider = ? AND token = ?",
    )
    .bind(provider)
    .bind(&token.token)
    .fetch_one(&mut *conn)
    .await?;
    Ok(if seen == token.payload_sha256 {
        TokenUse::SamePayload
    } else {
        TokenUse::OtherPayload
    })
}

/// Provider message id → (customer, delivery) of the earliest stored event of that message.
pub(super) async fn owners_by_provider_message(
    pool: &SqlitePool,
    provider: &str,
    ids: &[String],
) -> Result<HashMap<String, (String, Option<uuid::Uuid>)>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in batches(ids, BATCH) {
        // The expression is the one `events_provider_message` indexes.
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT json_extract(data, '$.provider_message_id'), customer_id, delivery_id \
             FROM events WHERE json_extract(data, '$.provider_message_id') IN (",
        );
        let mut sep = q.separated(", ");
        for id in chunk {
            sep.push_bind(id.as_str());
        }
        q.push(") AND json_extract(data, '$.provider') = ")
            .push_bind(provider)
            .push(" ORDER BY seq DESC");
        for row in q.build().fetch_all(pool).await? {
            let delivery: Option<String> = row.try_get(2)?;
            // Ordered newest first: the earliest event of a message wins the insert last.
            out.insert(
                row.try_get::<String, _>(0)?,
                (row.try_get(1)?, delivery.and_then(|d| d.parse().ok())),
            );
        }
    }
    Ok(out)
}
