//! PostgreSQL: single-use webhook tokens, recorded in the import transaction of their events.

use crate::domain::SingleUseToken;
use crate::store::{Result, TokenUse};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

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
    Ok(TokenUse::of_seen(&seen, token))
}
