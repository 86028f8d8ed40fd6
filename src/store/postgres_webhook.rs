//! PostgreSQL side of webhook bookkeeping: single-use tokens and correlation through earlier
//! events of the same provider message.

use super::{Result, TokenUse};
use crate::domain::SingleUseToken;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;

/// Records `token` on the caller's transaction and forgets expired tokens. Two requests
/// with one token: the second insert waits for the first transaction, then finds its row
/// (or, if it rolled back, takes the token itself).
pub(super) async fn use_token(
    conn: &mut PgConnection,
    provider: &str,
    token: &SingleUseToken,
    now: DateTime<Utc>,
) -> Result<TokenUse> {
    sqlx::query("DELETE FROM webhook_tokens WHERE forget_at < $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query(
        "INSERT INTO webhook_tokens (provider, token, payload_sha256, forget_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (provider, token) DO NOTHING",
    )
    .bind(provider)
    .bind(&token.token)
    .bind(&token.payload_sha256[..])
    .bind(token.forget_at)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() > 0 {
        return Ok(TokenUse::New);
    }
    let seen: Vec<u8> = sqlx::query_scalar(
        "SELECT payload_sha256 FROM webhook_tokens WHERE provider = $1 AND token = $2",
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
    pool: &PgPool,
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
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(m, c, d)| (m, (c, d))).collect())
}
